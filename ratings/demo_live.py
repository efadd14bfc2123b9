"""The demo brought up to ``today`` through the real services (seed_demo, after the history).

``make_live`` is idempotent: it closes what the day's jobs would have closed (late
self-assessments, notices that have ended), and makes sure each of the first two demo
townships has a rectification order running and the county an objection to hear — the
work every demo login should find. Each step looks for its result first, so a second run
on the same day does nothing and a run on a later day only moves things on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef

from settlements.models import Township, User
from settlements.roles import ASSESSOR, OFFICIAL

from . import reasons, services
from .models import (
    Objection,
    ObjectionOutcome,
    Rating,
    RatingStatus,
    Rectification,
    RectificationStatus,
    Round,
)
from .reasons import Reason

DEMO_TOWNSHIPS = 2  # the townships of the demo logins official and official2
ORDER_DAYS = 14


@dataclass(frozen=True)
class LiveResult:
    marked_overdue: int
    took_effect: int
    orders_issued: int
    objections_filed: int


def _user(username: str, group: str) -> User | None:
    return (
        User.objects.filter(username=username, groups__name=group).first()
        or User.objects.filter(groups__name=group, is_active=True).order_by("username").first()
    )


@transaction.atomic
def make_live(*, today: dt.date) -> LiveResult:
    newest = Round.objects.order_by("-year", "-quarter").first()
    if newest is None:
        return LiveResult(0, 0, 0, 0)
    marked = 0
    for rnd in Round.objects.exclude(pk=newest.pk).order_by("pk"):
        marked += services.self_assessments_mark_overdue(round=rnd, today=today)
    took_effect = services.ratings_take_effect_due(today=today)
    assessor = _user("assessor", ASSESSOR)
    orders = objections = 0
    townships = list(Township.objects.order_by("code")[:DEMO_TOWNSHIPS])
    for township in townships:
        if assessor is not None and _order_for(township, assessor, today):
            orders += 1
    if _objection(today):
        objections += 1
    return LiveResult(marked, took_effect, orders, objections)


def _order_for(township: Township, assessor: User, today: dt.date) -> bool:
    """A rectification order running in the township (deadline ahead), issued through the service."""
    running = Rectification.objects.filter(
        settlement__village__township=township,
        status=RectificationStatus.ISSUED,
        deadline__gte=today,
    )
    if running.exists():
        return False
    rating = (
        Rating.objects.filter(settlement__village__township=township, status=RatingStatus.EFFECTIVE)
        .filter(~Exists(Rectification.objects.filter(rating=OuterRef("pk"))))
        .order_by("score", "-round__year", "-round__quarter", "pk")
        .first()
    )
    if rating is None:
        return False
    requirements = reasons.entry(Reason.RECTIFY_DEDUCTED_ITEMS)
    proposal = Rectification(
        settlement_id=rating.settlement_id,
        rating=rating,
        **reasons.stored("trigger", reasons.entry(Reason.PROBLEMS_FOUND)),
    )
    proposal.system_text["requirements"] = [requirements]
    proposal._change_reason = "演示数据：系统建议限期整改"
    proposal.save()
    services.rectification_issue(
        rectification=proposal,
        by=assessor,
        deadline=today + dt.timedelta(days=ORDER_DAYS),
        requirements=reasons.render_chinese([requirements]),
        today=today,
    )
    return True


def _objection(today: dt.date) -> bool:
    """A resident's objection waiting to be heard, recorded by the settlement's township official.

    On a rating still in notice, the demo townships' first (the official's), else the county's.
    """
    if Objection.objects.filter(outcome=ObjectionOutcome.PENDING).exists():
        return False
    ratings = Rating.objects.open_for_objection(today).select_related("settlement__village")
    rating = ratings.order_by("settlement__village__township__code", "pk").first()
    if rating is None:
        return False
    township_id = rating.settlement.village.township_id
    official = (
        User.objects.filter(groups__name=OFFICIAL, township_id=township_id)
        .order_by("username")
        .first()
    )
    if official is None:
        return False
    services.objection_file(
        rating=rating,
        by=official,
        filed_by_name="居民 王某",
        text="认为县级考评对环境卫生一项扣分偏少，评定星级偏高。",
        today=today,
    )
    return True
