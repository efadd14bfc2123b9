"""Template context every page may use; each value is computed only if a template reads it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone


class _CalendarWarning:
    """The year the county must enter in 节假日安排 (settlements.calendar), or None.

    A callable, so the template engine calls it only where a page shows the warning (the
    county dashboard, the admin index); memoised so the page asks the database once.
    """

    def __init__(self) -> None:
        self._done = False
        self._year: int | None = None

    def __call__(self) -> int | None:
        if not self._done:
            from .calendar import calendar_year_to_warn

            self._year = calendar_year_to_warn(timezone.localdate())
            self._done = True
        return self._year


def calendar_warning(request: HttpRequest) -> dict[str, Any]:
    return {"calendar_warning_year": _CalendarWarning()}
