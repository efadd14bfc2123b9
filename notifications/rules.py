"""Pure rules of the inbox: no Django, no app imports (tested without a database)."""

from __future__ import annotations

import datetime as dt

# Event kinds (stable codes: stored on each notification, translated when shown).
SENT_BACK = "sent_back"
RECTIFICATION_ORDERED = "rectification_ordered"
RECTIFICATION_DUE = "rectification_due"
RECTIFICATION_CHECKED = "rectification_checked"
DEADLINE_APPROACHING = "deadline_approaching"
OBJECTION_FILED = "objection_filed"
OBJECTION_DECIDED = "objection_decided"
RATING_EFFECTIVE = "rating_effective"
REWARD_APPROVED = "reward_approved"
REWARD_PAID = "reward_paid"
# A spreadsheet import's step ended (told to the person who uploaded it).
IMPORT_PREVIEWED = "import_previewed"
IMPORT_APPLIED = "import_applied"
IMPORT_FAILED = "import_failed"

KINDS = (
    SENT_BACK,
    RECTIFICATION_ORDERED,
    RECTIFICATION_DUE,
    RECTIFICATION_CHECKED,
    DEADLINE_APPROACHING,
    OBJECTION_FILED,
    OBJECTION_DECIDED,
    RATING_EFFECTIVE,
    REWARD_APPROVED,
    REWARD_PAID,
    IMPORT_PREVIEWED,
    IMPORT_APPLIED,
    IMPORT_FAILED,
)

REMIND_DAYS = 3  # "a deadline is three days away" (issue 15)
BADGE_CAP = 99  # the bell shows 99+ beyond this


def reminder_due(*, deadline: dt.date | None, today: dt.date, days: int = REMIND_DAYS) -> bool:
    """A deadline is worth a reminder from ``days`` days before it up to the day itself."""
    if deadline is None:
        return False
    return today <= deadline <= today + dt.timedelta(days=days)


def days_left(*, deadline: dt.date, today: dt.date) -> int:
    return (deadline - today).days


def badge(count: int, *, cap: int = BADGE_CAP) -> str:
    """The bell's text: nothing at zero, the number, or ``99+``."""
    if count <= 0:
        return ""
    return f"{cap}+" if count > cap else str(count)


def import_kind(*, step: str, status: str) -> str | None:
    """Which notification an import step's ending gives: previewed (awaiting confirmation),
    applied, or failed (rows refused, changed since the preview, or an error); None while
    the job still runs."""
    if status == "previewed":
        return IMPORT_PREVIEWED
    if status == "applied":
        return IMPORT_APPLIED
    if status in ("refused", "failed"):
        return IMPORT_FAILED
    return None
