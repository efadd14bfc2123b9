"""Uploads from a phone that worked offline: review drafts and photos, each under the id the phone made.

A phone retries when it never heard the answer (the signal dropped mid-request), so
every upload carries a UUID made on the phone and stored under a unique constraint:
the retry finds the first result and writes nothing. A draft whose base version is
not the server's is refused with ``StaleVersion`` (the phone shows both versions);
finalising never happens here, it stays on the online review page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from settlements.models import User

from ..models import Evidence, Review, RubricItem, SelfAssessment, SyncReceipt
from .errors import Refusal, WorkflowPermissionDenied
from .evidence import evidence_add
from .review import review_save


@dataclasses.dataclass(frozen=True)
class SyncResult:
    review: Review
    version: int
    repeated: bool  # True when this client id had already been stored


def _own_receipt(client_id: uuid.UUID, by: User) -> SyncReceipt | None:
    receipt = SyncReceipt.objects.select_related("review").filter(client_id=client_id).first()
    if receipt is not None and receipt.user_id != by.pk:
        raise WorkflowPermissionDenied(
            _("该上传标识属于其他用户。"), code=Refusal.CLIENT_ID_OF_OTHER_USER
        )
    return receipt


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
) -> SyncResult:
    """Save a draft typed offline, once per ``client_id``; ``StaleVersion`` if the server moved on."""
    receipt = _own_receipt(client_id, by)
    if receipt is not None:
        return SyncResult(review=receipt.review, version=receipt.version, repeated=True)
    try:
        with transaction.atomic():
            saved = review_save(
                assessment=assessment,
                by=by,
                items=items,
                visit_date=visit_date,
                team_members=team_members,
                notes=notes,
                total_gap_reason=total_gap_reason,
                expected_version=base_version,
                today=today,
            )
            SyncReceipt.objects.create(
                client_id=client_id, user=by, review=saved, version=saved.version
            )
    except IntegrityError:
        # The same upload arrived twice at once: the other request stored it.
        receipt = _own_receipt(client_id, by)
        if receipt is None:
            raise
        return SyncResult(review=receipt.review, version=receipt.version, repeated=True)
    return SyncResult(review=saved, version=saved.version, repeated=False)


def review_draft_repeated(*, client_id: uuid.UUID, by: User) -> SyncResult | None:
    """The stored result of an upload, if this ``client_id`` was stored (a stale retry is not a conflict)."""
    receipt = _own_receipt(client_id, by)
    if receipt is None:
        return None
    return SyncResult(review=receipt.review, version=receipt.version, repeated=True)


def evidence_add_once(
    *,
    client_id: uuid.UUID,
    by: User,
    file: Any,
    assessment: SelfAssessment,
    item: RubricItem | None,
    today: dt.date | None = None,
) -> tuple[Evidence, bool]:
    """A county photo taken offline, stored once per ``client_id``; (evidence, created)."""
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
                side=Evidence.SIDE_COUNTY,
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
