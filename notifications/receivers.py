"""Receivers of ratings' and rewards' signals, connected in NotificationsConfig.ready().

The senders fire on commit, so each receiver reads committed state, works out who needs
to know, and delivers through services.notify (idempotent per user and event).
"""

from __future__ import annotations

from typing import Any

from core.imports import signals as import_signals
from core.models import ImportJob
from ratings import signals as ratings_signals
from ratings.models import Objection, Rating, Rectification, SelfAssessment
from rewards import signals as rewards_signals
from rewards.models import Disbursement

from . import recipients, rules, services


def on_sent_back(sender: Any, assessment_id: int, **kwargs: Any) -> None:
    sa = (
        SelfAssessment.objects.select_related("settlement__village", "round")
        .filter(pk=assessment_id)
        .first()
    )
    if sa is None:
        return
    services.notify(
        recipients=recipients.officials_of(sa.settlement.village.township_id),
        kind=rules.SENT_BACK,
        key=f"sent_back:{sa.pk}:{sa.version}",
        params={
            "settlement": sa.settlement.name,
            "round": str(sa.round),
            "deadline": sa.deadline.isoformat(),
        },
        link=recipients.self_assessment_link(sa.pk),
    )


def _rectification(pk: int) -> Rectification | None:
    return Rectification.objects.select_related("settlement__village").filter(pk=pk).first()


def on_rectification_issued(sender: Any, rectification_id: int, **kwargs: Any) -> None:
    rect = _rectification(rectification_id)
    if rect is None or rect.deadline is None:
        return
    services.notify(
        recipients=recipients.officials_of(rect.settlement.village.township_id),
        kind=rules.RECTIFICATION_ORDERED,
        key=f"rect-issued:{rect.pk}",
        params={"settlement": rect.settlement.name, "deadline": rect.deadline.isoformat()},
        link=recipients.rectification_link(rect.pk),
    )


def on_rectification_checked(sender: Any, rectification_id: int, **kwargs: Any) -> None:
    rect = _rectification(rectification_id)
    if rect is None:
        return
    services.notify(
        recipients=recipients.officials_of(rect.settlement.village.township_id),
        kind=rules.RECTIFICATION_CHECKED,
        key=f"rect-checked:{rect.pk}",
        params={"settlement": rect.settlement.name, "outcome": rect.status},
        link=recipients.rectification_link(rect.pk),
    )


def _objection(pk: int) -> Objection | None:
    return (
        Objection.objects.select_related("rating__settlement__village", "rating__round")
        .filter(pk=pk)
        .first()
    )


def on_objection_filed(sender: Any, objection_id: int, **kwargs: Any) -> None:
    objection = _objection(objection_id)
    if objection is None:
        return
    rating = objection.rating
    services.notify(
        recipients=recipients.assessors(),
        kind=rules.OBJECTION_FILED,
        key=f"objection-filed:{objection.pk}",
        params={"settlement": rating.settlement.name, "round": str(rating.round)},
        link=recipients.rating_link(rating.pk),
    )


def on_objection_decided(sender: Any, objection_id: int, **kwargs: Any) -> None:
    objection = _objection(objection_id)
    if objection is None:
        return
    rating = objection.rating
    params = {
        "settlement": rating.settlement.name,
        "round": str(rating.round),
        "outcome": objection.outcome,
    }
    key = f"objection-decided:{objection.pk}"
    link = recipients.rating_link(rating.pk)
    services.notify(
        recipients=[
            *recipients.officials_of(rating.settlement.village.township_id),
            *recipients.users(objection.recorded_by_id, objection.reviewed_by_id),
        ],
        kind=rules.OBJECTION_DECIDED,
        key=key,
        params=params,
        link=link,
    )


def on_rating_took_effect(sender: Any, rating_id: int, **kwargs: Any) -> None:
    rating = (
        Rating.objects.select_related("settlement__village", "round").filter(pk=rating_id).first()
    )
    if rating is None:
        return
    services.notify(
        recipients=recipients.officials_of(rating.settlement.village.township_id),
        kind=rules.RATING_EFFECTIVE,
        key=f"rating-effective:{rating.pk}",
        params={
            "settlement": rating.settlement.name,
            "round": str(rating.round),
            "stars": rating.stars,
        },
        link=recipients.rating_link(rating.pk),
    )


def _on_disbursement(disbursement_id: int, kind: str) -> None:
    row = (
        Disbursement.objects.select_related("settlement__village")
        .filter(pk=disbursement_id)
        .first()
    )
    if row is None:
        return
    services.notify(
        recipients=recipients.officials_of(row.settlement.village.township_id),
        kind=kind,
        key=f"{kind}:{row.pk}",
        params={
            "settlement": row.settlement.name,
            "voucher": row.voucher_number,
            "amount": f"{row.amount:,.2f}",
        },
        link=recipients.rewards_link(row.settlement_id),
    )


def on_disbursement_approved(sender: Any, disbursement_id: int, **kwargs: Any) -> None:
    _on_disbursement(disbursement_id, rules.REWARD_APPROVED)


def on_disbursement_paid(sender: Any, disbursement_id: int, **kwargs: Any) -> None:
    _on_disbursement(disbursement_id, rules.REWARD_PAID)


def on_import_step_finished(sender: Any, job_id: int, step: str, **kwargs: Any) -> None:
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None:
        return
    kind = rules.import_kind(step=step, status=job.status)
    if kind is None:
        return
    services.notify(
        recipients=[job.created_by],
        kind=kind,
        key=f"import:{job.pk}:{step}",
        params={
            "import_kind": job.kind,
            "file": job.original_name,
            "status": job.status,
            "new": job.new_count,
            "changed": job.changed_count,
            "unchanged": job.unchanged_count,
            "refused": job.refused_count,
        },
        link=recipients.import_job_link(job),
    )


def connect() -> None:
    pairs = (
        (ratings_signals.self_assessment_sent_back, on_sent_back),
        (ratings_signals.rectification_issued, on_rectification_issued),
        (ratings_signals.rectification_checked, on_rectification_checked),
        (ratings_signals.objection_filed, on_objection_filed),
        (ratings_signals.objection_decided, on_objection_decided),
        (ratings_signals.rating_took_effect, on_rating_took_effect),
        (rewards_signals.disbursement_approved, on_disbursement_approved),
        (rewards_signals.disbursement_paid, on_disbursement_paid),
        (import_signals.import_step_finished, on_import_step_finished),
    )
    for signal, receiver in pairs:
        signal.connect(receiver, dispatch_uid=f"notifications.{receiver.__name__}")
