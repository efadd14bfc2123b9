"""Issue 15 — the demo is live whatever the date.

``seed_demo --today D`` on three kinds of day (mid-quarter, the day after a quarter
ends, 1 January): the official, the assessor and the secretary each find work; every
score adds up from its items; every submission has a submitter; most settlements have
no organisation gap; a second run on a later day moves the demo forward and duplicates
nothing.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from notifications.models import Notification
from ratings import rules as rating_rules
from ratings.models import (
    AssessmentStatus,
    Objection,
    ObjectionOutcome,
    Rating,
    RatingStatus,
    Rectification,
    RectificationStatus,
    ReviewItem,
    Round,
    SelfAssessment,
    SelfAssessmentItem,
)
from rewards.models import Disbursement, DisbursementStatus, RewardSchedule
from settlements.governance.selectors import governance_gap_report
from settlements.models import Settlement, User

pytestmark = pytest.mark.django_db
SIZE = 60  # ten townships of six: small enough to seed three times in a test run

DATES = {
    "mid-quarter": dt.date(2026, 11, 16),
    "day after a quarter ends": dt.date(2026, 10, 1),
    "1 January": dt.date(2027, 1, 1),
}


def seed(today: dt.date) -> str:
    out = StringIO()
    call_command("seed_demo", "--settlements", str(SIZE), "--today", today.isoformat(), stdout=out)
    return out.getvalue()


def work_of_official(user: User, today: dt.date) -> dict[str, int]:
    newest = Round.objects.order_by("-year", "-quarter").first()
    mine = SelfAssessment.objects.filter(round=newest, settlement__village__township=user.township)
    return {
        "to_do": mine.filter(
            status__in=[
                AssessmentStatus.NOT_STARTED,
                AssessmentStatus.DRAFT,
                AssessmentStatus.RETURNED,
            ],
            deadline__gte=today,
        ).count(),
        "orders": Rectification.objects.filter(
            settlement__village__township=user.township,
            status=RectificationStatus.ISSUED,
            deadline__gte=today,
        ).count(),
    }


def work_of_assessor(today: dt.date) -> dict[str, int]:
    newest = Round.objects.order_by("-year", "-quarter").first()
    return {
        "reviews_due": SelfAssessment.objects.filter(
            round=newest, status=AssessmentStatus.SUBMITTED
        )
        .exclude(review__status="final")
        .count(),
        "objections": Objection.objects.filter(outcome=ObjectionOutcome.PENDING).count(),
    }


@pytest.mark.parametrize("today", list(DATES.values()), ids=list(DATES))
def test_every_role_finds_work_on_any_date(today, client):
    out = seed(today)
    newest = Round.objects.order_by("-year", "-quarter").first()
    assert (newest.year, newest.quarter) == rating_rules.quarter_closed_before(today)
    assert newest.opened_on <= today <= newest.self_deadline

    official, official2 = (
        User.objects.get(username="official"),
        User.objects.get(username="official2"),
    )
    for user in (official, official2):
        work = work_of_official(user, today)
        assert work["to_do"] > 0 and work["orders"] > 0, (user, work)
    # Each official's inbox already holds something: the deadline reminder at least.
    assert Notification.objects.filter(recipient=official, read_at__isnull=True).exists()

    assessor_work = work_of_assessor(today)
    assert assessor_work["reviews_due"] > 0 and assessor_work["objections"] == 1
    assert SelfAssessment.objects.filter(round=newest, status=AssessmentStatus.RETURNED).exists()
    in_notice = Rating.objects.filter(status=RatingStatus.NOTICE, notice_ends_on__gte=today)
    assert in_notice.exists()

    # The secretary: last year's rewards proposed, approved and paid; this year's amounts set;
    # proposals waiting for approval.
    last = Disbursement.objects.filter(year=today.year - 1)
    assert {
        DisbursementStatus.PROPOSED,
        DisbursementStatus.APPROVED,
        DisbursementStatus.PAID,
    } <= set(last.values_list("status", flat=True))
    assert RewardSchedule.objects.filter(year=today.year).exists()
    assert Disbursement.objects.filter(status=DisbursementStatus.PROPOSED).exists()

    # The pages say so, for each login.
    for username, url in (
        ("official", reverse("ratings:round_current")),
        ("official2", reverse("ratings:rectification_list")),
        ("assessor", reverse("ratings:queue")),
        ("assessor2", reverse("ratings:rating", args=[Objection.objects.get().rating_id])),
        ("secretary", reverse("rewards:list")),
    ):
        client.force_login(User.objects.get(username=username))
        assert client.get(url).status_code == 200, (username, url)
    assert "assessor2" in out and "official2" in out


def test_history_is_real_work_and_a_later_run_moves_it_forward():
    seed(DATES["mid-quarter"])
    # Every seeded submission has a submitter, every answered order an answerer.
    submitted = SelfAssessment.objects.filter(submitted_at__isnull=False)
    assert submitted.exists() and not submitted.filter(submitted_by__isnull=True).exists()
    assert not Rectification.objects.filter(
        answered_at__isnull=False, answered_by__isnull=True
    ).exists()
    # Every rating's total is the sum of its county items, in every round (the rules' own sum).
    for rating in Rating.objects.select_related("review", "rubric").order_by("pk")[:400]:
        items = {i.pk: i for i in rating.rubric.items.all()}
        occurrences = dict(
            ReviewItem.objects.filter(review=rating.review).values_list("item_id", "occurrences")
        )
        lines = [(i.kind, i.points, i.cap, occurrences.get(pk, 0)) for pk, i in items.items()]
        _points, score, vetoed = rating_rules.score_sheet(lines, bonus_cap=rating.rubric.bonus_cap)
        assert (score, vetoed) == (rating.score, rating.vetoed)
    assert SelfAssessmentItem.objects.filter(returned=True).exists()
    # Most settlements have no organisation gap.
    report = governance_gap_report(User.objects.get(username="assessor"))
    assert len(report.rows) < 0.3 * Settlement.objects.count()

    counts = (
        Round.objects.count(),
        Rating.objects.count(),
        Disbursement.objects.count(),
        Notification.objects.count(),
    )
    seed(DATES["mid-quarter"])  # the same day again: nothing new
    assert (
        Round.objects.count(),
        Rating.objects.count(),
        Disbursement.objects.count(),
        Notification.objects.count(),
    ) == counts

    later = DATES["1 January"]
    seed(later)  # six weeks on: the Q4 round opens, the Q3 round's late ones are closed
    newest = Round.objects.order_by("-year", "-quarter").first()
    assert (newest.year, newest.quarter) == (2026, 4)
    assert Round.objects.count() == counts[0] + 1
    q3 = Round.objects.get(year=2026, quarter=3)
    assert not SelfAssessment.objects.filter(
        round=q3,
        status__in=[AssessmentStatus.NOT_STARTED, AssessmentStatus.DRAFT],
        deadline__lt=later,
    ).exists()
    assert (
        not Rating.objects.filter(status=RatingStatus.NOTICE, notice_ends_on__lt=later)
        .exclude(objections__outcome=ObjectionOutcome.PENDING)
        .exists()
    )
    # No duplicates: one self-assessment per settlement and round, one rating per review.
    assert SelfAssessment.objects.count() == Round.objects.count() * Settlement.objects.count()
    for user in (User.objects.get(username="official"), User.objects.get(username="official2")):
        assert work_of_official(user, later)["to_do"] > 0
