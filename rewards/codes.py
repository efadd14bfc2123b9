"""Stable codes for every refusal of the rewards services and models.

Plain Python (no Django), so models and services both import it without a cycle;
callers and tests branch on the codes. Messages are for people and may change; these
values never do.
"""

from __future__ import annotations

import enum


class RewardRefusal(enum.StrEnum):
    """Why a reward operation was refused. The values are stable: never rename one."""

    NOT_SECRETARY = "not_secretary"
    OVER_BUDGET = "over_budget"
    NOT_APPROVED = "not_approved"
    RATING_MISMATCH = "rating_mismatch"
    SCHEDULE_MISSING = "schedule_missing"
    SCHEDULE_INVALID = "schedule_invalid"
    LEDGER_CONFLICT = "ledger_conflict"
    # A year's schedule is frozen once money has been proposed for that year.
    SCHEDULE_FROZEN = "schedule_frozen"
