"""Every write of the quarterly workflow (SPEC §3–5), one transaction each.

One module per step of the quarter: ``rounds``, ``self_assessment``, ``evidence``,
``review``, ``notice`` (public notice and objections), ``effect`` (taking effect,
certificates, downgrade and revocation), ``rectification``, and ``cycle`` (the county's
calendar jobs that beat and ``manage.py run_cycle`` run). Shared helpers live in
``_common``, the refusals in ``errors``. Import from ``ratings.services``: the names
below are the package's public surface.

Each service checks who acts (``settlements.roles``) and the state it starts from,
writes, records history with the acting user, and schedules follow-ups (signals) with
``transaction.on_commit``. A forbidden step raises ``WorkflowError`` with a Chinese
message; nothing is half-saved. Repeating a call that already reached its target state
is a no-op.

Decisions the SPEC leaves open, taken here:

- The county may review a settlement whose self-assessment is 逾期未报 (overdue): the
  county still rates every settlement. Gaps between self and county scores are only
  compared against a *submitted* self-assessment; an unsubmitted draft is not a score.
- The review deadline locks the step: after it a review is neither saved nor finalised
  (``review_lock``), unless an explicit, recorded reopening gives it a later deadline:
  an upheld objection (the county's set days from the hearing) or the Party secretary
  extending one review (``review_deadline_extend``) or the round (``round_deadlines_change``).
- An upheld objection overturns the rating (its stars never take effect) and reopens the
  county review as a draft; finalising it again re-uses the same Rating row (one per
  settlement and round) and starts a new public notice. History keeps every step.
- The assessor who "did the review" is everyone who saved or finalised it (from the
  review's history); none of them may hear an objection to it.
- Downgrade and revocation apply to the rating given; the settlement's current star is
  always recomputed from its latest effective rating, so an old rating's change does
  not overwrite a newer one. A certificate naming a star that is lowered is voided.
"""

from __future__ import annotations

from ..permissions import (
    is_county,
    may_hear_objection,
    objection_excluded_hearers,
    self_assessment_editable_ids,
)
from . import cycle
from ._common import (
    BATCH_SIZE,
    CHECK_OUTCOMES,
    MAX_OCCURRENCES,
    MAX_TEXT,
    REVIEWABLE,
    SELF_EDITABLE,
    SELF_OPEN,
    is_township_official,
    self_assessment_lock,
)
from .effect import (
    certificate_issue,
    rating_downgrade,
    rating_revoke,
    rating_take_effect,
    ratings_take_effect_due,
)
from .errors import Refusal, StaleVersion, WorkflowError, WorkflowPermissionDenied
from .evidence import Uploads, evidence_add, evidence_add_many, evidence_remove
from .evidence_check import PhotoFacts, evidence_inspect, photo_facts
from .field_sync import (
    SyncResult,
    draft_sync_repeated,
    evidence_add_once,
    review_draft_sync,
    self_assessment_draft_sync,
)
from .notice import (
    notice_end,
    notice_until_text,
    objection_decide,
    objection_file,
    ratings_notice_ends_fill,
)
from .rectification import (
    rectification_answer,
    rectification_check,
    rectification_dismiss,
    rectification_issue,
)
from .review import review_finalise, review_record, review_save
from .review_deadline import (
    ReviewDeadline,
    review_deadline_extend,
    review_deadline_of,
    review_lock,
)
from .rounds import round_deadlines_change, round_open, round_open_queue
from .self_assessment import (
    self_assessment_save,
    self_assessment_send_back,
    self_assessment_submit,
    self_assessment_update,
    self_assessments_mark_overdue,
)

__all__ = [
    "PhotoFacts",
    "SyncResult",
    "draft_sync_repeated",
    "evidence_add_once",
    "review_draft_sync",
    "self_assessment_draft_sync",
    "evidence_inspect",
    "photo_facts",
    "notice_end",
    "notice_until_text",
    "ratings_notice_ends_fill",
    "round_deadlines_change",
    "BATCH_SIZE",
    "CHECK_OUTCOMES",
    "MAX_OCCURRENCES",
    "MAX_TEXT",
    "REVIEWABLE",
    "Refusal",
    "SELF_EDITABLE",
    "SELF_OPEN",
    "StaleVersion",
    "Uploads",
    "WorkflowError",
    "WorkflowPermissionDenied",
    "certificate_issue",
    "cycle",
    "evidence_add",
    "evidence_add_many",
    "evidence_remove",
    "is_county",
    "is_township_official",
    "may_hear_objection",
    "objection_decide",
    "objection_excluded_hearers",
    "objection_file",
    "rating_downgrade",
    "rating_revoke",
    "rating_take_effect",
    "ratings_take_effect_due",
    "rectification_answer",
    "rectification_check",
    "rectification_dismiss",
    "rectification_issue",
    "review_finalise",
    "review_record",
    "review_save",
    "ReviewDeadline",
    "review_deadline_extend",
    "review_deadline_of",
    "review_lock",
    "round_open",
    "round_open_queue",
    "self_assessment_editable_ids",
    "self_assessment_lock",
    "self_assessment_save",
    "self_assessment_send_back",
    "self_assessment_submit",
    "self_assessment_update",
    "self_assessments_mark_overdue",
]
