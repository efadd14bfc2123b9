"""Stable codes for every refusal of the ratings workflow.

Plain Python (no Django): services raise with them, pages may branch on them, tests
assert them. Messages are for people and may change; these values never do.
"""

from __future__ import annotations

import enum


class Refusal(enum.StrEnum):
    """Why a workflow step was refused. The values are stable: never rename one."""

    # Who acts
    NOT_COUNTY = "not_county"
    NOT_OWN_TOWNSHIP = "not_own_township"
    NOT_SECRETARY = "not_secretary"
    REVIEWER_MAY_NOT_HEAR = "reviewer_may_not_hear"
    CLIENT_ID_OF_OTHER_USER = "client_id_of_other_user"
    CLIENT_ID_REUSED = "client_id_reused"
    # Input
    REQUIRED = "required"
    TOO_LONG = "too_long"
    STALE_VERSION = "stale_version"
    BAD_OCCURRENCES = "bad_occurrences"
    BAD_ITEM_ENTRY = "bad_item_entry"
    UNKNOWN_ITEM = "unknown_item"
    # Rounds
    BAD_QUARTER = "bad_quarter"
    BAD_YEAR = "bad_year"
    BAD_STAGE = "bad_stage"
    NO_CURRENT_RUBRIC = "no_current_rubric"
    BAD_ROUND_DEADLINES = "bad_round_deadlines"
    BAD_NOTICE_DAYS = "bad_notice_days"
    ROUND_QUARTER_NOT_ENDED = "round_quarter_not_ended"
    ROUND_DEADLINES_ORDER = "round_deadlines_order"
    # Self-assessment
    SELF_SUBMITTED = "self_submitted"
    SELF_OVERDUE = "self_overdue"
    SELF_DEADLINE_PASSED = "self_deadline_passed"
    SELF_NOT_SAVED = "self_not_saved"
    ITEM_NOT_RETURNED = "item_not_returned"
    BAD_STAR_APPLIED = "bad_star_applied"
    STAR_ABOVE_SCORE = "star_above_score"
    # Send-back
    ALREADY_RETURNED = "already_returned"
    NOT_SUBMITTED = "not_submitted"
    NO_ITEMS_CHOSEN = "no_items_chosen"
    BAD_ITEMS = "bad_items"
    DEADLINE_IN_PAST = "deadline_in_past"
    SEND_BACK_AFTER_REVIEW_DEADLINE = "send_back_after_review_deadline"
    # Evidence
    FILE_UNNAMED = "file_unnamed"
    FILE_EMPTY = "file_empty"
    FILE_TOO_LARGE = "file_too_large"
    FILE_TYPE = "file_type"
    FILE_EXTENSION_MISMATCH = "file_extension_mismatch"
    BAD_EVIDENCE_TARGET = "bad_evidence_target"
    EVIDENCE_NOT_REMOVABLE = "evidence_not_removable"
    # County review
    SELF_RETURNED = "self_returned"
    REVIEW_FINAL = "review_final"
    REVIEW_NOT_SAVED = "review_not_saved"
    VISIT_DATE_IN_FUTURE = "visit_date_in_future"
    VISIT_DATE_BEFORE_ROUND = "visit_date_before_round"
    GAP_REASON_MISSING = "gap_reason_missing"
    ALREADY_RATED = "already_rated"
    REVIEW_DEADLINE_PASSED = "review_deadline_passed"
    REVIEW_EXTENSION_NOT_LATER = "review_extension_not_later"
    # Notice and objections
    NOT_IN_NOTICE = "not_in_notice"
    NOTICE_OVER = "notice_over"
    BAD_OUTCOME = "bad_outcome"
    ALREADY_DECIDED = "already_decided"
    # Taking effect, certificates, stars
    RATING_OVERTURNED = "rating_overturned"
    NOTICE_NOT_OVER = "notice_not_over"
    NOTICE_END_PENDING = "notice_end_pending"
    OBJECTION_PENDING = "objection_pending"
    RATING_NOT_EFFECTIVE = "rating_not_effective"
    NOT_FINAL_STAGE = "not_final_stage"
    NO_STARS = "no_stars"
    CERTIFICATE_EXISTS = "certificate_exists"
    CERTIFICATE_NUMBER_CONFLICT = "certificate_number_conflict"
    # Rubric versions
    RUBRIC_EMPTY = "rubric_empty"
    # Rectification
    RECTIFICATION_NOT_PROPOSED = "rectification_not_proposed"
    RECTIFICATION_NOT_OPEN = "rectification_not_open"
    RECTIFICATION_DEADLINE_PASSED = "rectification_deadline_passed"
    RECTIFICATION_NOT_ANSWERED = "rectification_not_answered"
    RECTIFICATION_NOT_ISSUED = "rectification_not_issued"
