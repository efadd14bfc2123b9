"""Uploads from a phone that worked offline: drafts and photos, each under the id the phone made.

Two kinds of draft come back from the field: the county's review (今日考评) and the
township's self-assessment (离线自评). A phone retries when it never heard the answer
(the signal dropped mid-request), so every upload carries a UUID made on the phone and
stored under a unique constraint (``SyncReceipt`` for drafts, ``Evidence.client_id``
for photos): the retry finds the first result and writes nothing. A draft whose base
version is not the server's is refused with ``StaleVersion`` (the phone shows both
versions). The saving itself is the online form's service (``review_save``,
``self_assessment_save``) with all its checks; submitting and finalising never happen
here, they stay on the online pages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, cast

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from settlements.models import User

from ..models import Evidence, Review, RubricItem, SelfAssessment, SyncReceipt
from .errors import Refusal, WorkflowError, WorkflowPermissionDenied
from .evidence import evidence_add
from .review import review_save
from .self_assessment import self_assessment_save

Draft = TypeVar("Draft", Review, SelfAssessment)

# The receipt's field naming each kind of draft.
_RECEIPT_FIELD: dict[type[Review | SelfAssessment], str] = {
    Review: "review",
    SelfAssessment: "self_assessment",
}


@dataclasses.dataclass(frozen=True)
class SyncResult(Generic[Draft]):
    saved: Draft
    version: int
    repeated: bool  # True when this client id had already been stored


def _own_receipt(client_id: uuid.UUID, by: User) -> SyncReceipt | None:
    receipt = (
        SyncReceipt.objects.select_related("review", "self_assessment")
        .filter(client_id=client_id)
        .first()
    )
    if receipt is not None and receipt.user_id != by.pk:
        raise WorkflowPermissionDenied(
            _("该上传标识属于其他用户。"), code=Refusal.CLIENT_ID_OF_OTHER_USER
        )
    return receipt


def _repeated(receipt: SyncReceipt, model: type[Draft]) -> SyncResult[Draft]:
    saved = getattr(receipt, _RECEIPT_FIELD[model])
    if saved is None:  # the id names the other kind of draft: not this upload's retry
        raise WorkflowError(_("该上传标识已用于其他材料。"), code=Refusal.CLIENT_ID_REUSED)
    return SyncResult(saved=cast(Draft, saved), version=receipt.version, repeated=True)


def _sync_once(
    *, client_id: uuid.UUID, by: User, model: type[Draft], save: Callable[[], Draft]
) -> SyncResult[Draft]:
    """Run ``save`` once per ``client_id`` and keep a receipt of what it stored."""
    receipt = _own_receipt(client_id, by)
    if receipt is not None:
        return _repeated(receipt, model)
    try:
        with transaction.atomic():
            saved = save()
            SyncReceipt.objects.create(
                client_id=client_id,
                user=by,
                version=saved.version,
                **{_RECEIPT_FIELD[model]: saved},
            )
    except IntegrityError:
        # The same upload arrived twice at once: the other request stored it.
        receipt = _own_receipt(client_id, by)
        if receipt is None:
            raise
        return _repeated(receipt, model)
    return SyncResult(saved=saved, version=saved.version, repeated=False)


def draft_sync_repeated(
    *, client_id: uuid.UUID, by: User, model: type[Draft]
) -> SyncResult[Draft] | None:
    """The stored result of an upload, if this ``client_id`` was stored (a stale retry is not a conflict)."""
    receipt = _own_receipt(client_id, by)
    if receipt is None:
        return None
    return _repeated(receipt, model)


def review_draft_sync(
    *,
    client_id: uuid.UUID,
    assessment: SelfAssessment,
    by: User,
    base_version: int,
    items: Mapping[int, tuple[int, str, str]],
    visit_date: dt.date | None,
    team_members: str,
    notes: str,
    total_gap_reason: str,
    today: dt.date | None = None,
) -> SyncResult[Review]:
    """Save a review draft typed offline, once per ``client_id``; ``StaleVersion`` if the server moved on."""
    return _sync_once(
        client_id=client_id,
        by=by,
        model=Review,
        save=lambda: review_save(
            assessment=assessment,
            by=by,
            items=items,
            visit_date=visit_date,
            team_members=team_members,
            notes=notes,
            total_gap_reason=total_gap_reason,
            expected_version=base_version,
            today=today,
        ),
    )


def self_assessment_draft_sync(
    *,
    client_id: uuid.UUID,
    assessment: SelfAssessment,
    by: User,
    base_version: int,
    items: Mapping[int, tuple[int, str]],
    star_applied: int,
    today: dt.date | None = None,
) -> SyncResult[SelfAssessment]:
    """Save a self-assessment draft filled offline, once per ``client_id``.

    The online form's rules hold: the township's own officials only, while it is open
    (a draft, or the returned items while it is sent back); ``StaleVersion`` when
    someone saved it meanwhile. Never submits.
    """
    return _sync_once(
        client_id=client_id,
        by=by,
        model=SelfAssessment,
        save=lambda: self_assessment_save(
            assessment=assessment,
            by=by,
            items=items,
            star_applied=star_applied,
            expected_version=base_version,
            today=today,
        ),
    )


def evidence_add_once(
    *,
    client_id: uuid.UUID,
    by: User,
    file: Any,
    side: str,
    assessment: SelfAssessment,
    item: RubricItem | None,
    today: dt.date | None = None,
) -> tuple[Evidence, bool]:
    """A photo taken offline (the county's or the township's ``side``), stored once per
    ``client_id`` with ``evidence_add``'s checks; (evidence, created)."""
    existing = Evidence.objects.filter(client_id=client_id).first()
    if existing is not None:
        if existing.uploaded_by_id != by.pk:
            raise WorkflowPermissionDenied(
                _("该上传标识属于其他用户。"), code=Refusal.CLIENT_ID_OF_OTHER_USER
            )
        return existing, False
    evidence: Evidence | None = None
    try:
        with transaction.atomic():
            evidence = evidence_add(
                by=by,
                file=file,
                side=side,
                assessment=assessment,
                item=item,
                today=today,
            )
            Evidence.objects.filter(pk=evidence.pk).update(client_id=client_id)
            evidence.client_id = client_id
    except IntegrityError:
        if evidence is not None:
            evidence.file.delete(save=False)  # the row was rolled back; its file must go too
        return Evidence.objects.get(client_id=client_id), False
    return evidence, True
