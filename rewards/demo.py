"""The demo's reward money (seed_demo, after the rating history), through the services.

Sets last year's and this year's reward amounts when missing, proposes what the
effective ratings owe (the nightly job's own service), then plays the secretary: most
of last year's proposals approved and most of those paid, some of this year's approved,
the rest waiting. Which rows move is a function of the settlement, so a second run
changes nothing and a later run moves only the new rows the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from settlements.models import User
from settlements.roles import SECRETARY

from . import services
from .models import Disbursement, DisbursementStatus, RewardSchedule

# The SPEC §6 example: 3★ 10,000, 4★ 20,000, 5★ 30,000 yuan a year (general rows).
DEMO_AMOUNTS = {3: Decimal("10000.00"), 4: Decimal("20000.00"), 5: Decimal("30000.00")}


@dataclass(frozen=True)
class RewardsDemoResult:
    schedules: int
    proposed: int
    approved: int
    paid: int


def _secretary() -> User | None:
    return (
        User.objects.filter(username="secretary", groups__name=SECRETARY).first()
        or User.objects.filter(groups__name=SECRETARY, is_active=True).order_by("username").first()
    )


@transaction.atomic
def seed_rewards(*, today: dt.date) -> RewardsDemoResult:
    schedules = 0
    for year in (today.year - 1, today.year):
        if not RewardSchedule.objects.filter(year=year).exists():
            for star, amount in DEMO_AMOUNTS.items():
                RewardSchedule.objects.create(
                    year=year, settlement_class=None, star=star, amount=amount
                )
                schedules += 1
    proposed = services.disbursements_catch_up(today=today)
    secretary = _secretary()
    approved = paid = 0
    if secretary is None:
        return RewardsDemoResult(schedules, proposed, 0, 0)
    last, this = today.year - 1, today.year
    waiting = Disbursement.objects.filter(
        status=DisbursementStatus.PROPOSED, year__in=(last, this)
    ).order_by("pk")
    for row in waiting:
        # Last year: nine in ten approved; this year: one in three so far.
        if (row.year == last and row.settlement_id % 10) or (
            row.year == this and row.settlement_id % 3 == 0
        ):
            # The seeded past is not news: nobody's inbox fills with a year of approvals.
            services.disbursement_approve(
                disbursement=row, by=secretary, confirm_over_budget=True, announce=False
            )
            approved += 1
    for row in Disbursement.objects.filter(status=DisbursementStatus.APPROVED, year=last).order_by(
        "pk"
    ):
        if row.settlement_id % 5 != 1:  # four in five of last year's approved rows paid
            services.disbursement_mark_paid(disbursement=row, by=secretary, announce=False)
            paid += 1
    return RewardsDemoResult(schedules, proposed, approved, paid)
