"""Writes of the public face: a resident files an objection; the county accepts or declines it.

Each refusal is a ``ResidentObjectionRefused`` with a stable ``code`` (tests assert codes)
and a Chinese message for the resident or the assessor. Accepting goes through ratings'
own ``objection_file``, so a resident's objection is heard exactly as a staff-filed one:
by an assessor who took no part in the review.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import PurePath
from typing import Any
from uuid import uuid4

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ratings import rules as rating_rules
from ratings import services as rating_services
from ratings.models import Rating, RatingStatus
from settlements.models import User
from settlements.permissions import is_county

from . import rules
from .models import ResidentObjection, ResidentObjectionStatus


class Refusal(StrEnum):
    NOT_IN_NOTICE = "not_in_notice"
    WINDOW_CLOSED = "window_closed"
    TEXT_REQUIRED = "text_required"
    TEXT_TOO_LONG = "text_too_long"
    NAME_REQUIRED = "name_required"
    NAME_TOO_LONG = "name_too_long"
    PHONE_INVALID = "phone_invalid"
    PHOTO_TOO_LARGE = "photo_too_large"
    PHOTO_NOT_IMAGE = "photo_not_image"
    PHOTO_EMPTY = "photo_empty"
    NOT_COUNTY = "not_county"
    ALREADY_DECIDED = "already_decided"
    REASON_REQUIRED = "reason_required"


class ResidentObjectionRefused(ValidationError):
    """A refused step; ``code`` is one of ``Refusal``, the message is for the person refused."""

    def __init__(self, message: str, code: Refusal, field: str | None = None) -> None:
        super().__init__(message, code=str(code))
        self.field = field


def _today(today: dt.date | None) -> dt.date:
    return today if today is not None else timezone.localdate()


def _save(obj: ResidentObjection, by: Any, reason: str) -> None:
    obj._history_user = by  # type: ignore[attr-defined]
    obj._change_reason = reason  # type: ignore[attr-defined]
    obj.save()


def _check_photo(photo: Any) -> tuple[str, str]:
    """(content type, extension) of an acceptable photo, checked by its bytes as evidence is."""
    name = PurePath(str(getattr(photo, "name", "") or "photo")).name
    size = getattr(photo, "size", None)
    if size is None:
        photo.seek(0, 2)
        size = photo.tell()
    if not size:
        raise ResidentObjectionRefused(_("照片文件为空。"), Refusal.PHOTO_EMPTY, "photo")
    if size > rules.MAX_PHOTO_BYTES:
        raise ResidentObjectionRefused(
            _("照片过大（%(size).1f MB），不能超过 %(max).0f MB。")
            % {"size": size / 1048576, "max": rules.MAX_PHOTO_BYTES / 1048576},
            Refusal.PHOTO_TOO_LARGE,
            "photo",
        )
    photo.seek(0)
    head = photo.read(16)
    photo.seek(0)
    content_type = rating_rules.sniff_evidence_type(head)
    if content_type not in rules.PHOTO_TYPES or not rating_rules.extension_matches(
        content_type, name
    ):
        raise ResidentObjectionRefused(
            _("照片须为 JPG 或 PNG 图片。"), Refusal.PHOTO_NOT_IMAGE, "photo"
        )
    return content_type, ".jpg" if content_type == "image/jpeg" else ".png"


@transaction.atomic
def resident_objection_file(
    *,
    rating: Rating,
    name: str,
    phone: str,
    text: str,
    photo: Any = None,
    today: dt.date | None = None,
) -> ResidentObjection:
    """A resident objects to a rating in notice; it waits in the county's queue as 待受理.

    Anyone may file (no account): ``by`` is nobody. The same objection posted twice
    (same rating, phone and text, still pending) returns the first.
    """
    today = _today(today)
    rating = Rating.objects.select_for_update(of=("self",)).get(pk=rating.pk)
    if rating.status != RatingStatus.NOTICE:
        raise ResidentObjectionRefused(_("该评定不在公示期，不能提出异议。"), Refusal.NOT_IN_NOTICE)
    if rating.notice_ends_on is not None and not rules.window_open(
        last_day=rating.notice_ends_on, today=today
    ):
        raise ResidentObjectionRefused(
            _("公示期已于 %(date)s 结束，不能再提出异议。")
            % {"date": rating.notice_ends_on.isoformat()},
            Refusal.WINDOW_CLOSED,
        )
    body = str(text or "").strip()
    if not body:
        raise ResidentObjectionRefused(_("请写明异议内容。"), Refusal.TEXT_REQUIRED, "text")
    if len(body) > rules.MAX_OBJECTION_TEXT:
        raise ResidentObjectionRefused(
            _("异议内容过长（不超过 %(n)d 字）。") % {"n": rules.MAX_OBJECTION_TEXT},
            Refusal.TEXT_TOO_LONG,
            "text",
        )
    person = str(name or "").strip()
    if not person:
        raise ResidentObjectionRefused(_("请填写姓名。"), Refusal.NAME_REQUIRED, "name")
    if len(person) > rules.MAX_NAME:
        raise ResidentObjectionRefused(
            _("姓名过长（不超过 %(n)d 字）。") % {"n": rules.MAX_NAME},
            Refusal.NAME_TOO_LONG,
            "name",
        )
    number = rules.normalise_phone(str(phone or ""))
    if number is None:
        raise ResidentObjectionRefused(
            _("请填写正确的手机号码（11 位）或带区号的固定电话。"), Refusal.PHONE_INVALID, "phone"
        )
    same = ResidentObjection.objects.filter(
        rating=rating, phone=number, text=body, status=ResidentObjectionStatus.PENDING
    ).first()
    if same is not None:
        return same
    objection = ResidentObjection(
        rating=rating,
        text=body,
        name=person,
        phone=number,
        filed_on=today,
        reference=rules.make_reference(today),
    )
    while ResidentObjection.objects.filter(reference=objection.reference).exists():
        objection.reference = rules.make_reference(today)
    if photo:
        if not isinstance(photo, File):
            photo = File(photo, name=getattr(photo, "name", None))
        content_type, extension = _check_photo(photo)
        objection.photo_type = content_type
        # A random stored name: the resident's file name is not kept.
        objection.photo.save(f"{uuid4().hex}{extension}", photo, save=False)
    _save(objection, None, "群众提出异议")
    return objection


def _require_county(by: User) -> None:
    if not is_county(by):
        raise ResidentObjectionRefused(
            _("只有县考评组成员或党组织书记可以受理群众异议。"), Refusal.NOT_COUNTY
        )


def _lock_pending(
    resident_objection: ResidentObjection, target: str
) -> tuple[ResidentObjection, bool]:
    """(locked row, True when it already reached ``target``: a repeated call)."""
    row = ResidentObjection.objects.select_for_update().get(pk=resident_objection.pk)
    if row.status == target:
        return row, True
    if row.status != ResidentObjectionStatus.PENDING:
        raise ResidentObjectionRefused(
            _("该异议已处理（%(status)s），不能更改。") % {"status": row.get_status_display()},
            Refusal.ALREADY_DECIDED,
        )
    return row, False


@transaction.atomic
def resident_objection_accept(
    *, resident_objection: ResidentObjection, by: User
) -> ResidentObjection:
    """受理: it becomes a formal objection (ratings), heard by an assessor not involved in the review.

    The window is judged on the day the resident filed it. The formal objection names the
    resident masked, with the reference number: ratings' pages never show the full name.
    """
    _require_county(by)
    row, done = _lock_pending(resident_objection, ResidentObjectionStatus.ACCEPTED)
    if done:
        return row
    try:
        formal = rating_services.objection_file(
            rating=row.rating,
            by=by,
            filed_by_name=f"{rules.mask_name(row.name)}（{row.reference}）",
            text=row.text,
            filed_on=row.filed_on,
        )
    except rating_services.WorkflowError as exc:
        raise ResidentObjectionRefused("；".join(exc.messages), Refusal.NOT_IN_NOTICE) from exc
    row.status = ResidentObjectionStatus.ACCEPTED
    row.objection = formal
    row.decided_by = by
    row.decided_at = timezone.now()
    _save(row, by, "受理群众异议")
    return row


@transaction.atomic
def resident_objection_decline(
    *, resident_objection: ResidentObjection, by: User, reason: str
) -> ResidentObjection:
    """不予受理, with a reason the resident reads on the status page."""
    _require_county(by)
    row, done = _lock_pending(resident_objection, ResidentObjectionStatus.DECLINED)
    if done:
        return row
    reason = str(reason or "").strip()
    if not reason:
        raise ResidentObjectionRefused(
            _("请填写不予受理的理由。"), Refusal.REASON_REQUIRED, "reason"
        )
    if len(reason) > rules.MAX_OBJECTION_TEXT:
        raise ResidentObjectionRefused(
            _("理由过长（不超过 %(n)d 字）。") % {"n": rules.MAX_OBJECTION_TEXT},
            Refusal.TEXT_TOO_LONG,
            "reason",
        )
    row.status = ResidentObjectionStatus.DECLINED
    row.decline_reason = reason
    row.decided_by = by
    row.decided_at = timezone.now()
    _save(row, by, "群众异议不予受理")
    return row
