"""Stable codes for every refusal of the settlement governance services.

Plain Python (no Django): services raise ``ValidationError(message, code=...)`` with them,
forms and pages may branch on them, tests assert them. Messages are for people and may
change; these values never do.
"""

from __future__ import annotations

import enum


class GovernanceRefusal(enum.StrEnum):
    """Why a governance write was refused. The values are stable: never rename one."""

    # Organisation
    BAD_ORGANISATION_FORM = "bad_organisation_form"
    # Households
    ID_LENGTH = "id_length"
    ID_CHARACTERS = "id_characters"
    ID_CHECKSUM = "id_checksum"
    DUPLICATE_HOUSEHOLD = "duplicate_household"
    # Points
    POINTS_ZERO = "points_zero"
    POINTS_PRECISION = "points_precision"
    POINTS_TOO_LARGE = "points_too_large"
    CATEGORY_INACTIVE = "category_inactive"
    OCCURRED_IN_FUTURE = "occurred_in_future"
    REASON_REQUIRED = "reason_required"
    REVERSAL_REASON_REQUIRED = "reversal_reason_required"
    REVERSAL_OF_REVERSAL = "reversal_of_reversal"
    ALREADY_REVERSED = "already_reversed"
    # Red and black lists
    PERIOD_END_BEFORE_START = "period_end_before_start"
    PERIOD_NOT_ENDED = "period_not_ended"
    BAD_LIST_SIZE = "bad_list_size"
    LIST_ALREADY_PUBLISHED = "list_already_published"
