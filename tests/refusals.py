"""``refused``: assert a service refused with a stable code, never with its wording."""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError


@contextlib.contextmanager
def refused(
    exc_type: type[ValidationError], code: enum.Enum, *, field: Any = None
) -> Iterator[pytest.ExceptionInfo[Any]]:
    """The block raises ``exc_type`` carrying ``code`` (and a message on ``field`` when given)."""
    with pytest.raises(exc_type) as excinfo:
        yield excinfo
    assert excinfo.value.code == code, f"refused with {excinfo.value.code!r}, expected {code!r}"
    if field is not None:
        assert field in excinfo.value.error_dict
