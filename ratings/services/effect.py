"""A rating taking effect, certificates, and lowering or revoking stars (SPEC §4–5)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from settlements.models import Settlement, User

from .. import reasons, rules
from ..models import (
    Certificate,
    CertificateEnd,
    ItemKind,
    Objection,
    ObjectionOutcome,
    Rating,
    RatingStatus,
    Rectification,
    ReviewItem,
    StarChange,
    StarChangeKind,
)
from ..reasons import Reason
from ..signals import rating_effect_holds, rating_stars_changed, rating_took_effect
from ._common import (
    _record_history,
    _require_county,
    _required_text,
    _save,
    _signal_on_commit,
    _today,
)
from .errors import Refusal, StaleVersion, WorkflowError

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------ taking effect


def _pending_objection() -> Q:
    """A rating held back from taking effect: a pending objection, or a hold another app reports."""
    pending = Q(
        Exists(Objection.objects.filter(rating=OuterRef("pk"), outcome=ObjectionOutcome.PENDING))
    )
    for _receiver, hold in rating_effect_holds.send(sender=Rating):
        if hold is not None:
            pending |= Q(hold)
    return pending


def _latest_first() -> tuple[str, str, str]:
    return ("-round__year", "-round__quarter", "-pk")


def _refresh_settlement(settlement_id: int, by: User | None, reason: str) -> tuple[int, int]:
    """Current star and score from the latest effective rating; returns (old star, new star)."""
    settlement = Settlement.objects.select_for_update().get(pk=settlement_id)
    latest = (
        Rating.objects.filter(settlement_id=settlement_id, status=RatingStatus.EFFECTIVE)
        .order_by(*_latest_first())
        .values_list("stars", "score")
        .first()
    )
    star, score = latest if latest else (0, None)
    old = settlement.current_star
    if (settlement.current_star, settlement.current_score) != (star, score):
        settlement.current_star, settlement.current_score = star, score
        _save(settlement, by, reason, update_fields=["current_star", "current_score"])
    return old, star


def _propose_rectification(rating: Rating, by: User | None) -> Rectification | None:
    """限期整改 proposal when the score fell below the last effective rating or a flagged item was hit."""
    triggers: list[reasons.Entry] = []
    previous = (
        Rating.objects.filter(settlement_id=rating.settlement_id, status=RatingStatus.EFFECTIVE)
        .exclude(pk=rating.pk)
        .filter(
            Q(round__year__lt=rating.round.year)
            | Q(round__year=rating.round.year, round__quarter__lt=rating.round.quarter)
        )
        .select_related("round")
        .order_by(*_latest_first())
        .first()
    )
    if previous is not None and rating.score < previous.score:
        triggers.append(
            reasons.entry(
                Reason.SCORE_BELOW_PREVIOUS,
                score=rating.score,
                previous=previous.score,
                round_year=previous.round.year,
                round_quarter=previous.round.quarter,
                round_stage=previous.round.stage,
            )
        )
    flagged = list(
        ReviewItem.objects.filter(
            review_id=rating.review_id,
            item__flagged=True,
            occurrences__gt=0,
            item__kind__in=[ItemKind.DEDUCTION, ItemKind.VETO],
        )
        .select_related("item")
        .order_by("item__position", "item__code")
    )
    if flagged:
        triggers.append(
            reasons.entry(
                Reason.FLAGGED_ITEMS,
                items_list=[f"{row.item.code} {row.item.text}" for row in flagged],
            )
        )
    if not triggers or Rectification.objects.filter(rating=rating).exists():
        return None
    rectification = Rectification(
        settlement_id=rating.settlement_id,
        rating=rating,
        trigger=reasons.render_chinese(triggers),
        system_text={"trigger": triggers},
    )
    _save(rectification, by, "系统建议限期整改")
    return rectification


def _take_effect(rating_id: int, by: User | None, today: dt.date) -> bool:
    now = timezone.now()
    updated = (
        Rating.objects.notice_over(today)
        .filter(pk=rating_id)
        .filter(~_pending_objection())
        .update(status=RatingStatus.EFFECTIVE, effective_at=now)
    )
    if updated != 1:
        current = Rating.objects.annotate(
            pending=ExpressionWrapper(_pending_objection(), output_field=BooleanField())
        ).get(pk=rating_id)
        if current.status == RatingStatus.EFFECTIVE:
            return False
        if current.status == RatingStatus.OVERTURNED:
            raise WorkflowError(
                _("异议成立，该评定已撤销，不能生效。"), code=Refusal.RATING_OVERTURNED
            )
        if current.notice_ends_on is None:
            raise WorkflowError(
                _(
                    "公示截止日期待定：节假日安排尚未录入，录入后按工作日计算截止日期，期满后方可生效。"
                ),
                code=Refusal.NOTICE_END_PENDING,
            )
        if today <= current.notice_ends_on:
            raise WorkflowError(
                _("公示期至 %(date)s 结束，期满后方可生效。")
                % {"date": current.notice_ends_on.isoformat()},
                code=Refusal.NOTICE_NOT_OVER,
            )
        # django-stubs does not carry annotate()'s fields through a custom QuerySet's manager.
        if current.pending:  # type: ignore[attr-defined]
            raise WorkflowError(
                _("尚有未处理的异议，处理后方可生效。"), code=Refusal.OBJECTION_PENDING
            )
        return False
    rating = Rating.objects.select_related("round").get(pk=rating_id)
    _record_history([rating], by, "公示期满生效")
    old, _new = _refresh_settlement(rating.settlement_id, by, "评定生效")
    StarChange.objects.create(
        settlement_id=rating.settlement_id,
        rating=rating,
        kind=StarChangeKind.EFFECTIVE,
        from_stars=old,
        to_stars=rating.stars,
        by=by,
        **reasons.stored(
            "reason",
            reasons.entry(
                Reason.EFFECTIVE,
                date=rating.notice_ends_on.isoformat() if rating.notice_ends_on else "—",
            ),
        ),
    )
    _propose_rectification(rating, by)
    if (
        rating.stage == rules.STAGE_FINAL
        and rating.stars > 0
        and not Certificate.objects.filter(
            settlement_id=rating.settlement_id, year=rating.round.year, reissued=False
        ).exists()
    ):
        certificate_issue(rating=rating, by=by)
    _signal_on_commit(rating_took_effect, rating.pk)
    return True


@transaction.atomic
def rating_take_effect(
    *, rating: Rating, by: User | None = None, today: dt.date | None = None
) -> bool:
    """The notice is over with no pending objection: the rating stands.

    Returns True when it took effect now, False when it already had (nothing changes).
    Refuses an overturned rating, one still in notice, or one with a pending objection.
    """
    if by is not None:
        _require_county(by)
    return _take_effect(rating.pk, by, _today(today))


def ratings_take_effect_due(*, today: dt.date) -> int:
    """Every rating whose notice ended before ``today`` with no pending objection; returns how many.

    Each rating is its own transaction, so one refusal does not hold back the others.
    """
    due = list(
        Rating.objects.notice_over(today)
        .filter(~_pending_objection())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    count = 0
    for rating_id in due:
        try:
            with transaction.atomic():
                count += _take_effect(rating_id, None, today)
        except WorkflowError as exc:
            # An objection filed or decided since the list was read: the next run retries.
            logger.info("rating %s not taken effect: %s", rating_id, exc.messages)
    return count


def _numbered_certificate(
    *, rating: Rating, year: int, stars: int, reissued: bool, replaces: Certificate | None
) -> Certificate:
    """A new current certificate with the next free number of its year and star."""
    # Certificates are never deleted, so the count is the last serial; a concurrent
    # issue of the same number hits the unique constraint and takes the next one.
    serial = Certificate.objects.filter(year=year, stars=stars).count() + 1
    for _attempt in range(20):
        try:
            with transaction.atomic():
                return Certificate.objects.create(
                    rating=rating,
                    settlement_id=rating.settlement_id,
                    year=year,
                    stars=stars,
                    number=rules.certificate_number(year=year, stars=stars, serial=serial),
                    reissued=reissued,
                    replaces=replaces,
                )
        except IntegrityError:
            if (
                not reissued
                and Certificate.objects.filter(rating_id=rating.pk, reissued=False).exists()
            ):
                return Certificate.objects.get(rating_id=rating.pk, reissued=False)
            serial += 1
    raise WorkflowError(
        _("证书编号分配冲突，请稍后重试。"), code=Refusal.CERTIFICATE_NUMBER_CONFLICT
    )


def _current_certificate(settlement_id: int) -> Certificate | None:
    """The settlement's one current certificate, locked (the constraint allows one at most)."""
    return (
        Certificate.objects.select_for_update()
        .filter(settlement_id=settlement_id, revoked_at__isnull=True)
        .first()
    )


def _void(certificate: Certificate, *, by: User | None, kind: str, reason: str) -> Certificate:
    """作废: recorded with who, when, why; the row stays."""
    certificate.revoked_at = timezone.now()
    certificate.revoked_by = by
    certificate.revoked_kind = kind
    certificate.revoked_reason = reason
    certificate.save(update_fields=["revoked_at", "revoked_by", "revoked_kind", "revoked_reason"])
    return certificate


@transaction.atomic
def certificate_issue(*, rating: Rating, by: User | None = None) -> Certificate:
    """命名授牌: a numbered certificate for a star confirmed at the final rating (once).

    The settlement's previous current certificate (an earlier year's) is voided as
    replaced by this one: a settlement holds one current certificate.
    """
    existing = Certificate.objects.filter(rating_id=rating.pk, reissued=False).first()
    if existing is not None:
        return existing
    rating = Rating.objects.select_related("round").get(pk=rating.pk)
    if rating.status != RatingStatus.EFFECTIVE:
        raise WorkflowError(_("评定尚未生效，不能颁发证书。"), code=Refusal.RATING_NOT_EFFECTIVE)
    if rating.stage != rules.STAGE_FINAL:
        raise WorkflowError(_("只有定评结果才能命名授牌。"), code=Refusal.NOT_FINAL_STAGE)
    if rating.stars == 0:
        raise WorkflowError(_("未获得星级，不能颁发证书。"), code=Refusal.NO_STARS)
    year = rating.round.year
    if Certificate.objects.filter(
        settlement_id=rating.settlement_id, year=year, reissued=False
    ).exists():
        raise WorkflowError(
            _("该聚居点 %(year)s 年度已颁发证书。") % {"year": year},
            code=Refusal.CERTIFICATE_EXISTS,
        )
    previous = _current_certificate(rating.settlement_id)
    if previous is not None:
        _void(
            previous,
            by=by,
            kind=CertificateEnd.REPLACED,
            reason="",  # the kind says why; the replacing certificate names itself
        )
    return _numbered_certificate(
        rating=rating, year=year, stars=rating.stars, reissued=False, replaces=previous
    )


def _certificate_follows_stars(rating: Rating, by: User, new_stars: int, reason: str) -> None:
    """The settlement's star was lowered: its current certificate, if it names more than
    the settlement now holds (or stands on this rating), is voided; a star remaining, a
    new certificate at that star is issued in its place (换发), same year, next number."""
    current = _current_certificate(rating.settlement_id)
    if current is None:
        return
    holds = Settlement.objects.values_list("current_star", flat=True).get(pk=rating.settlement_id)
    if current.rating_id != rating.pk and current.stars <= holds:
        return  # the certificate names no more than the settlement still holds
    stars = new_stars if current.rating_id == rating.pk else holds
    if stars == current.stars:
        return
    kind = CertificateEnd.DOWNGRADED if stars > 0 else CertificateEnd.REVOKED
    _void(current, by=by, kind=kind, reason=reason)
    if stars > 0:
        _numbered_certificate(
            rating=rating, year=current.year, stars=stars, reissued=True, replaces=current
        )


# ------------------------------------------------------- downgrade and revocation


def _change_stars(
    rating: Rating,
    by: User,
    new_stars: int,
    kind: str,
    reason: str,
    system: reasons.Entry | None = None,
) -> Rating:
    """Lower an effective rating's stars; history, settlement star, certificate, signal.

    ``system``: the reason as a code (ratings/reasons.py) when the system words it.
    """
    old = rating.stars
    rating.stars = new_stars
    _save(rating, by, reason)
    StarChange.objects.create(
        settlement_id=rating.settlement_id,
        rating=rating,
        kind=kind,
        from_stars=old,
        to_stars=new_stars,
        by=by,
        reason=reason,
        system_text={"reason": [system]} if system else {},
    )
    _refresh_settlement(rating.settlement_id, by, reason)
    _certificate_follows_stars(rating, by, new_stars, reason)
    _signal_on_commit(rating_stars_changed, rating.pk)
    return rating


def _lock_effective_rating(rating: Rating, by: User) -> Rating:
    _require_county(by)
    rating = Rating.objects.select_for_update().get(pk=rating.pk)
    if rating.status != RatingStatus.EFFECTIVE:
        raise WorkflowError(
            _("只有已生效的评定才能降低星级或取消星级。"), code=Refusal.RATING_NOT_EFFECTIVE
        )
    return rating


@transaction.atomic
def rating_downgrade(
    *, rating: Rating, by: User, reason: str, expected_stars: int | None = None
) -> Rating:
    """降低星级等次 by one star (5→4, 4→3, 3→none), e.g. for a major problem.

    ``expected_stars`` (the stars the user saw) turns a double-posted form into a refusal
    instead of a second downgrade.
    """
    rating = _lock_effective_rating(rating, by)
    reason = _required_text(reason, _("请填写降级原因。"), field="reason")
    if expected_stars is not None and expected_stars != rating.stars:
        raise StaleVersion(
            _("该评定的星级已被他人调整，请刷新后重试。"), code=Refusal.STALE_VERSION
        )
    if rating.stars == 0:
        raise WorkflowError(_("该评定已无星级，不能再降级。"), code=Refusal.NO_STARS)
    return _change_stars(
        rating, by, rules.one_star_lower(rating.stars), StarChangeKind.DOWNGRADED, reason
    )


@transaction.atomic
def rating_revoke(*, rating: Rating, by: User, reason: str) -> Rating:
    """取消星级资格: the rating keeps no star. Revoking a rating without a star is a no-op."""
    rating = _lock_effective_rating(rating, by)
    reason = _required_text(reason, _("请填写取消星级的原因。"), field="reason")
    if rating.stars == 0:
        return rating
    return _change_stars(rating, by, 0, StarChangeKind.REVOKED, reason)
