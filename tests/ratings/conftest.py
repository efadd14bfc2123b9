"""The ratings folder's setting: uploads land in a temporary MEDIA_ROOT. The story's
fixtures (workflow_fixtures.py, view_fixtures.py) are registered in tests/conftest.py."""

import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(media_root):
    return media_root


@pytest.fixture
def cast(cast, assessor2):
    """The suite's cast and a second assessor (one reviews, the other may hear objections)."""
    return cast | {"assessor2": assessor2}
