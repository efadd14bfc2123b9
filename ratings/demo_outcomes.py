"""What follows a demo rating (``demo_history``): its rectification order and certificates.

Unsaved rows for the history to write in bulk, shaped as the services would write them:
an order issued, answered and checked; a certificate named at the final rating, voided
with who, when and why when its star is lowered (and reissued at the star left) or when
a newer year's certificate replaces it.
"""

# ruff: noqa: S311  (demo data: reproducible pseudo-random numbers are the point, not secrecy)
from __future__ import annotations

import datetime as dt
import random

from settlements.models import User

from . import reasons, rules
from .demo_sheets import LOCAL, _at
from .models import Certificate, Rating, Rectification, RectificationStatus
from .reasons import Reason

RECTIFY_OUTCOMES = ((0.80, RectificationStatus.PASSED), (0.94, RectificationStatus.DOWNGRADED))
OVERDUE_OPEN_RATE = 0.25  # of orders past their deadline in the newest round, still unanswered


def _new_certificate(
    rating: Rating, *, year: int, stars: int, at: dt.datetime, serials: dict[tuple[int, int], int]
) -> Certificate:
    key = (year, stars)
    serials[key] = serials.get(key, 0) + 1
    return Certificate(
        rating=rating,
        settlement_id=rating.settlement_id,
        year=year,
        stars=stars,
        number=rules.certificate_number(year=year, stars=stars, serial=serials[key]),
        issued_at=at,
    )


def _void_certificate(
    cert: Certificate,
    *,
    at: dt.datetime,
    by: User | None,
    kind: str,
    reason: str,
    earlier: list[Certificate],
) -> None:
    """作废 with who, when, why; a certificate already stored is updated with the round."""
    cert.revoked_at, cert.revoked_by, cert.revoked_kind, cert.revoked_reason = at, by, kind, reason
    if cert.pk is not None:
        earlier.append(cert)


def _rectification(
    rng: random.Random,
    *,
    rating: Rating,
    today: dt.date,
    newest: bool,
    official: User | None = None,
) -> Rectification:
    assert rating.effective_at is not None  # orders follow ratings that took effect
    issued_on = rating.effective_at.astimezone(LOCAL).date()
    deadline = issued_on + dt.timedelta(days=30)
    assessor = rating.decided_by
    trigger = reasons.entry(Reason.VETO_TRIGGERED if rating.vetoed else Reason.LOWER_THAN_LAST)
    requirements = reasons.entry(Reason.RECTIFY_DEDUCTED_ITEMS)
    order = Rectification(
        settlement_id=rating.settlement_id,
        rating=rating,
        trigger=reasons.render_chinese([trigger]),
        status=RectificationStatus.ISSUED,
        requirements=reasons.render_chinese([requirements]),
        system_text={"trigger": [trigger], "requirements": [requirements]},
        deadline=deadline,
        issued_by=assessor,
        issued_at=_at(issued_on),
        created_at=_at(issued_on, 9),
    )
    if deadline >= today or (newest and rng.random() < OVERDUE_OPEN_RATE):
        return order  # still open (overdue when the deadline has passed)
    order.answer = "已按要求完成整改。"
    order.answered_by = official
    order.answered_at = _at(deadline - dt.timedelta(days=rng.randint(1, 10)))
    roll = rng.random()
    order.status = RectificationStatus.REVOKED
    for limit, status in RECTIFY_OUTCOMES:
        if roll < limit:
            order.status = status
            break
    if rating.vetoed and order.status == RectificationStatus.DOWNGRADED:
        order.status = RectificationStatus.PASSED  # nothing left to lower
    order.check_notes = {
        RectificationStatus.PASSED: "复查合格。",
        RectificationStatus.DOWNGRADED: "整改不到位，降低星级等次。",
        RectificationStatus.REVOKED: "整改不到位，取消星级资格。",
    }[order.status]
    order.checked_by = assessor
    order.checked_at = _at(deadline + dt.timedelta(days=rng.randint(1, 5)))
    return order
