"""Import jobs: uploads under a temporary MEDIA_ROOT, Celery run eagerly when asked."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def media(tmp_media):
    return tmp_media
