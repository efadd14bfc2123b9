"""The daily job's reminder of a county review reopened past its round."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from ratings import services
from ratings.models import AssessmentStatus, Notice, Review, ReviewStatus, Round, SelfAssessment
from ratings.services import cycle

pytestmark = pytest.mark.django_db


@pytest.fixture
def q1_2031(settlement_a, settlement_b, assessor, assessor2, rubric) -> Round:
    report = cycle.quarterly_job(today=dt.date(2031, 4, 1))
    assert report.created
    return report.round


def submit(settlement, rnd: Round) -> None:
    SelfAssessment.objects.filter(round=rnd, settlement=settlement).update(
        status=AssessmentStatus.SUBMITTED, score=Decimal("92.0"), star_applied=5
    )


def test_a_review_reopened_past_its_round_is_reminded_before_its_own_last_day(
    q1_2031,
    settlement_a,
    settlement_b,
    assessor,
    assessor2,
    secretary,
    django_capture_on_commit_callbacks,
):
    """The round's reminder has gone with the round's deadline: a review the secretary
    reopened gets its own, once, before the reopening's last day, and none once final."""
    submit(settlement_a, q1_2031)
    submit(settlement_b, q1_2031)
    after = q1_2031.review_deadline + dt.timedelta(days=1)
    until = after + dt.timedelta(days=10)
    reopened_a, reopened_b = (
        SelfAssessment.objects.get(round=q1_2031, settlement=s)
        for s in (settlement_a, settlement_b)
    )
    for assessment in (reopened_a, reopened_b):
        services.review_deadline_extend(
            assessment=assessment,
            open_until=until,
            reason="补充现场核查",
            by=secretary,
            today=after,
        )
    Review.objects.create(self_assessment=reopened_b, assessor=assessor, status=ReviewStatus.FINAL)
    day = until - dt.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        cycle.daily_job(today=day - dt.timedelta(days=1))  # not yet within the lead time
    assert not Notice.objects.filter(key__startswith="review-reopened-due:").exists()
    for today in (day, day + dt.timedelta(days=1)):
        with django_capture_on_commit_callbacks(execute=True):
            cycle.daily_job(today=today)
    notices = Notice.objects.filter(key__startswith="review-reopened-due:")
    assert sorted(n.user_id for n in notices) == [assessor.pk, assessor2.pk]  # once each
    assert {n.key for n in notices} == {f"review-reopened-due:{reopened_a.pk}:{until.isoformat()}"}
    assert settlement_a.name in notices[0].text
    assert f"{until.year}年{until.month}月{until.day}日截止" in notices[0].text
    assert notices[0].url == reverse("ratings:review", args=[reopened_a.pk])
    assert not Notice.objects.filter(key__startswith="review-due:").exists()
