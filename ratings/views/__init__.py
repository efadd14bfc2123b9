"""The quarterly workflow in the browser (SPEC §3–5, §9), one module per part of the quarter.

Every view parses input, fetches through a scoped selector (another township's object
is a 404), calls the one service that does the write, and renders. Where one click makes
several writes (save + upload evidence + submit) that one service does them all in one
transaction, so a refused step leaves nothing half-saved. Who may do what is asked of the
predicates the services ask too (``ratings.permissions``: ``may_review``,
``self_assessment_editable_ids``, ``may_hear_objection``…), so a page never offers what
the service would refuse.
"""

from .assessments import result, round_page, self_assessment
from .evidence import evidence_flagged
from .field import (
    field_candidates,
    field_home,
    field_pack,
    field_session,
    field_sync_photo,
    field_sync_review,
    manifest,
    service_worker,
)
from .field_self import (
    field_self_candidates,
    field_self_home,
    field_self_pack,
    field_self_sync_draft,
    field_self_sync_photo,
)
from .files import certificate, certificate_pdf, evidence_file, evidence_remove
from .rating import objection_decide, objection_file, rating_change, rating_detail
from .rectification import (
    rectification_answer,
    rectification_check,
    rectification_detail,
    rectification_dismiss,
    rectification_issue,
    rectification_list,
)
from .review import queue, review, send_back

__all__ = [
    "certificate",
    "certificate_pdf",
    "evidence_file",
    "evidence_remove",
    "evidence_flagged",
    "field_candidates",
    "field_home",
    "field_pack",
    "field_self_candidates",
    "field_self_home",
    "field_self_pack",
    "field_self_sync_draft",
    "field_self_sync_photo",
    "field_session",
    "field_sync_photo",
    "field_sync_review",
    "manifest",
    "service_worker",
    "objection_decide",
    "objection_file",
    "queue",
    "rating_change",
    "rating_detail",
    "rectification_answer",
    "rectification_check",
    "rectification_detail",
    "rectification_dismiss",
    "rectification_issue",
    "rectification_list",
    "result",
    "review",
    "round_page",
    "self_assessment",
    "send_back",
]
