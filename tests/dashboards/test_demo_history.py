"""seed_history: a believable, dated, idempotent history written in bulk."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from ratings import demo_history, rules
from ratings.models import (
    AssessmentStatus,
    Certificate,
    Rating,
    RatingStatus,
    Rectification,
    ReviewItem,
    Round,
    SelfAssessment,
    StarChange,
)
from settlements.models import Settlement
from tests.dashboards.conftest import TODAY, build_county


def test_quarters_until_counts_back_from_the_last_closed_quarter():
    assert demo_history.quarters_until(dt.date(2026, 11, 26), 3) == [
        (2026, 1),
        (2026, 2),
        (2026, 3),
    ]
    assert demo_history.quarters_until(dt.date(2026, 1, 1), 2) == [(2025, 3), (2025, 4)]
    with pytest.raises(ValueError):
        demo_history.quarters_until(TODAY, 0)


def test_every_settlement_gets_a_self_assessment_per_round_and_most_a_rating(small_county):
    settlements = Settlement.objects.count()
    assert Round.objects.count() == 2
    assert SelfAssessment.objects.count() == 2 * settlements
    ratings = Rating.objects.count()
    submitted = SelfAssessment.objects.filter(status=AssessmentStatus.SUBMITTED).count()
    assert 0 < ratings <= submitted
    # Every rating's stars follow the rules from its score, unless lowered afterwards.
    for rating in Rating.objects.all():
        assert rating.awarded_stars == rules.stars_awarded(score=rating.score, vetoed=rating.vetoed)
        assert rating.stars <= rating.awarded_stars


def test_a_second_run_adds_nothing(small_county):
    counts = (Round.objects.count(), Rating.objects.count(), StarChange.objects.count())
    result = demo_history.build_history(rounds=2, today=TODAY)
    assert result == demo_history.HistoryResult(0, 0, 0, 0, 0)
    assert (Round.objects.count(), Rating.objects.count(), StarChange.objects.count()) == counts


def test_history_cannot_be_inserted_before_existing_rounds(small_county):
    with pytest.raises(ValueError, match="更晚"):
        demo_history.build_history(rounds=4, today=TODAY)


def test_nothing_is_dated_after_today_and_the_newest_round_can_be_in_progress(db):
    today = dt.date(2026, 10, 9)  # the Q3 round opened on 1 October
    build_county(townships=2, per_township=6, rounds=3, today=today)
    newest = Round.objects.order_by("-year", "-quarter").first()
    assert (newest.year, newest.quarter) == (2026, 3)
    # Some reviews may already be done (ratings in public notice), none can have taken effect:
    # five working days of notice have not passed since the round opened.
    assert not Rating.objects.filter(round=newest).exclude(status=RatingStatus.NOTICE).exists()
    assert (
        SelfAssessment.objects.filter(round=newest)
        .exclude(status=AssessmentStatus.SUBMITTED)
        .exists()
    )
    now = dt.datetime.combine(today, dt.time(0), tzinfo=demo_history.LOCAL)
    assert not SelfAssessment.objects.filter(submitted_at__gte=now).exists()
    assert not Rating.objects.filter(effective_at__gte=now).exists()
    assert not StarChange.objects.filter(at__gte=now).exists()
    assert not Rectification.objects.filter(created_at__gte=now).exists()


def test_current_star_and_score_are_those_of_the_newest_effective_rating(large_county):
    for settlement in Settlement.objects.all():
        newest = (
            Rating.objects.filter(settlement=settlement, status=RatingStatus.EFFECTIVE)
            .order_by("-round__year", "-round__quarter")
            .first()
        )
        if newest is None:
            assert settlement.current_star == 0
        else:
            assert (settlement.current_star, settlement.current_score) == (
                newest.stars,
                newest.score,
            )


def test_the_newest_rounds_scores_add_up_from_their_items(small_county):
    newest = Round.objects.order_by("-year", "-quarter").first()
    items = {i.pk: i for i in newest.rubric.items.all()}
    checked = 0
    for rating in Rating.objects.filter(round=newest).select_related("review"):
        occurrences = dict(
            ReviewItem.objects.filter(review=rating.review).values_list("item_id", "occurrences")
        )
        lines = [(i.kind, i.points, i.cap, occurrences.get(pk, 0)) for pk, i in items.items()]
        _points, score, vetoed = rules.score_sheet(lines, bonus_cap=newest.rubric.bonus_cap)
        assert (score, vetoed) == (rating.score, rating.vetoed)
        checked += 1
    assert checked > 0


def test_certificates_only_for_final_ratings_with_a_star(large_county):
    """A certificate is named at a final rating with a star; one reissued (换发) when a
    star is lowered replaces a voided one of the same year at fewer stars, on the rating
    that was lowered (a quarterly one too), as ratings.services does."""
    assert Certificate.objects.filter(reissued=False).exists()
    for cert in Certificate.objects.select_related("rating", "replaces"):
        if not cert.reissued:
            assert cert.rating.stage == rules.STAGE_FINAL
            assert cert.stars == cert.rating.awarded_stars > 0
            if cert.rating.stars < cert.rating.awarded_stars:
                assert cert.revoked_at is not None
        else:
            replaced = cert.replaces
            assert replaced is not None and replaced.revoked_at is not None
            assert cert.year == replaced.year and 0 < cert.stars < replaced.stars
            assert cert.stars <= cert.rating.stars or cert.revoked_at is not None


def test_a_rating_is_lowered_exactly_when_a_downgrade_or_revocation_is_recorded(large_county):
    assert Rectification.objects.exists()
    lowered = set(Rating.objects.filter(stars__lt=F("awarded_stars")).values_list("pk", flat=True))
    recorded = set(
        StarChange.objects.filter(kind__in=["downgraded", "revoked"]).values_list(
            "rating_id", flat=True
        )
    )
    assert lowered == recorded


def test_command_reports_and_refuses_without_settlements(db):
    with pytest.raises(CommandError, match="没有聚居点"):
        call_command("seed_history", rounds=2, today=TODAY, stdout=io.StringIO())


def test_command_builds_history(db):
    from tests import factories as f

    t = f.township("命令镇", code="CMD")
    v = f.village(t, "命令村", code="CMDV")
    for k in range(3):
        f.settlement(v, code=f"CMD{k}", households=60)
    out = io.StringIO()
    call_command("seed_history", "--rounds", "2", "--today", "2026-11-26", stdout=out)
    assert "新建轮次 2" in out.getvalue()
    assert Rating.objects.exists()
    assert Settlement.objects.filter(current_score__gt=Decimal(0)).exists()
