"""The rewards story: a 2025 schedule (a3=10,000, a4=20,000, a5=30,000 as in SPEC §6) and
ratings built directly with the ORM (rounds, self-assessments, reviews, ratings), so the
ledger can be tested without walking the rating workflow.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ratings import rules as rating_rules
from ratings.models import Rating, Review, Round, SelfAssessment
from rewards.models import RewardSchedule
from settlements.models import User

YEAR = 2025
SPEC_AMOUNTS = {3: Decimal("10000.00"), 4: Decimal("20000.00"), 5: Decimal("30000.00")}
SCORE_FOR = {0: Decimal("60.0"), 3: Decimal("75.0"), 4: Decimal("85.0"), 5: Decimal("92.0")}


def schedule(
    year: int = YEAR, amounts: dict[int, Decimal] | None = None, settlement_class: int | None = None
):
    for star, amount in (amounts or SPEC_AMOUNTS).items():
        RewardSchedule.objects.create(
            year=year, settlement_class=settlement_class, star=star, amount=amount
        )


def round_of(year: int, quarter: int, rubric) -> Round:
    opened = rating_rules.round_dates(year, quarter)
    rnd, _ = Round.objects.get_or_create(
        year=year,
        quarter=quarter,
        defaults={
            "stage": rating_rules.DEFAULT_STAGE_BY_QUARTER[quarter],
            "opened_on": opened,
            "self_deadline": opened + dt.timedelta(days=10),
            "review_deadline": opened + dt.timedelta(days=30),
            "rubric": rubric,
        },
    )
    return rnd


def _reviewer() -> User:
    user, _ = User.objects.get_or_create(username="rewards-test-reviewer")
    return user


def rate(
    settlement, quarter: int, stars: int, *, rubric, year: int = YEAR, status: str = "effective"
) -> Rating:
    """The settlement's rating for that round, built row by row, effective by default."""
    rnd = round_of(year, quarter, rubric)
    reviewer = _reviewer()
    assessment = SelfAssessment.objects.create(
        round=rnd,
        settlement=settlement,
        settlement_class=settlement.settlement_class,
        rubric=rubric,
        status="submitted",
        score=SCORE_FOR[stars],
        star_applied=stars,
        deadline=rnd.self_deadline,
    )
    review = Review.objects.create(
        self_assessment=assessment,
        assessor=reviewer,
        status="final",
        score=SCORE_FOR[stars],
    )
    return Rating.objects.create(
        settlement=settlement,
        round=rnd,
        review=review,
        stage=rnd.stage,
        rubric=rubric,
        settlement_class=settlement.settlement_class,
        score=SCORE_FOR[stars],
        awarded_stars=stars,
        stars=stars,
        status=status,
        notice_ends_on=rnd.review_deadline + dt.timedelta(days=7),
        decided_by=reviewer,
    )


def lower(rating: Rating, stars: int) -> Rating:
    """A downgrade (or, with 0, a revocation) of an effective rating, as the workflow records it."""
    rating.stars = stars
    rating.save(update_fields=["stars"])
    return rating


@pytest.fixture
def spec_schedule(db):
    schedule()


@pytest.fixture
def ledger(settlement_a, settlement_b, rubric, spec_schedule):
    """Township A: 幸福苑 3★→4★ over Q1–Q2 (4,000 + top-up 4,000 + re 6,000);
    township B: 安居园 5★ at Q1 (12,000). All proposed, none approved."""
    from rewards import services

    rows = []
    for settlement, path in ((settlement_a, (3, 4)), (settlement_b, (5,))):
        for quarter, stars in enumerate(path, start=1):
            rating = rate(settlement, quarter, stars, rubric=rubric)
            rows += services.disbursements_propose(
                settlement_id=settlement.pk, year=YEAR, rating_id=rating.pk
            )
    return rows
