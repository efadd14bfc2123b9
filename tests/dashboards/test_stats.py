"""The stored aggregates stay equal to a recount from the ratings, whatever happens to a rating."""

from __future__ import annotations

import io
import logging
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command

from dashboards import stats
from dashboards.models import (
    AssessorRoundStat,
    CountyRoundStat,
    LeagueBuild,
    LeagueEntry,
    RoundStat,
)
from ratings import rules
from ratings.models import Rating, RatingStatus, Round
from ratings.signals import rating_stars_changed, rating_took_effect, ratings_rewritten


def recount(rnd: Round) -> tuple[Counter, Counter, dict]:
    """An independent count, straight from the rating rows, in Python."""
    township: Counter[tuple[int, int, int]] = Counter()
    county: Counter[tuple[int, int]] = Counter()
    drift: dict = {}
    for rating in Rating.objects.filter(round=rnd, status=RatingStatus.EFFECTIVE).select_related(
        "settlement__village", "review__self_assessment"
    ):
        t = rating.settlement.village.township_id
        township[(t, rating.settlement_class, rating.stars)] += 1
        county[(rating.settlement_class, rating.stars)] += 1
        gap = rating.score - rating.review.self_assessment.score
        n, s, q = drift.get((t, rating.review.assessor_id), (0, Decimal(0), Decimal(0)))
        drift[(t, rating.review.assessor_id)] = (n + 1, s + gap, q + gap * gap)
    return township, county, drift


def stored(rnd: Round) -> tuple[Counter, Counter, dict]:
    township = Counter(
        {
            (x.township_id, x.settlement_class, x.stars): x.count
            for x in RoundStat.objects.filter(round=rnd)
        }
    )
    county = Counter(
        {(x.settlement_class, x.stars): x.count for x in CountyRoundStat.objects.filter(round=rnd)}
    )
    drift = {
        (x.township_id, x.assessor_id): (x.reviews, x.gap_sum, x.gap_square_sum)
        for x in AssessorRoundStat.objects.filter(round=rnd)
    }
    return township, county, drift


def assert_true_to_ratings() -> None:
    for rnd in Round.objects.all():
        assert stored(rnd) == recount(rnd), rnd


def test_seeded_history_builds_stats_equal_to_a_recount(large_county):
    assert RoundStat.objects.exists()
    assert_true_to_ratings()


def test_rebuild_is_idempotent_and_repairs_lost_rows(small_county):
    rnd = Round.objects.order_by("-year", "-quarter").first()
    before = stored(rnd)
    RoundStat.objects.filter(round=rnd).delete()
    CountyRoundStat.objects.filter(round=rnd).update(count=999)
    stats.round_stats_rebuild(round=rnd)
    assert stored(rnd) == before
    stats.round_stats_rebuild(round=rnd)
    assert stored(rnd) == before


def _effective_with_star() -> Rating:
    return (
        Rating.objects.filter(status=RatingStatus.EFFECTIVE, stars__gt=0)
        .select_related("settlement__village")
        .order_by("-round__year", "-round__quarter", "pk")
        .first()
    )


def test_a_downgrade_announced_by_signal_moves_one_settlement_between_star_counts(large_county):
    rating = _effective_with_star()
    township = rating.settlement.village.township_id
    before_t, before_c, _ = stored(rating.round)
    lower = rules.one_star_lower(rating.stars)
    Rating.objects.filter(pk=rating.pk).update(stars=lower)

    rating_stars_changed.send(sender=Rating, rating_id=rating.pk)

    after_t, after_c, _ = stored(rating.round)
    assert (
        after_t[(township, rating.settlement_class, rating.stars)]
        == before_t[(township, rating.settlement_class, rating.stars)] - 1
    )
    assert (
        after_t[(township, rating.settlement_class, lower)]
        == before_t[(township, rating.settlement_class, lower)] + 1
    )
    assert (
        after_c[(rating.settlement_class, rating.stars)]
        == before_c[(rating.settlement_class, rating.stars)] - 1
    )
    assert (
        after_c[(rating.settlement_class, lower)] == before_c[(rating.settlement_class, lower)] + 1
    )
    assert sum(after_c.values()) == sum(before_c.values())
    assert_true_to_ratings()


def test_a_rating_taking_effect_is_counted_once_however_often_announced(small_county):
    rating = Rating.objects.filter(status=RatingStatus.EFFECTIVE).order_by("pk").first()
    Rating.objects.filter(pk=rating.pk).update(status=RatingStatus.NOTICE)
    stats.round_stats_rebuild(round=rating.round)
    _, before_c, _ = stored(rating.round)

    Rating.objects.filter(pk=rating.pk).update(status=RatingStatus.EFFECTIVE)
    rating_took_effect.send(sender=Rating, rating_id=rating.pk)
    rating_took_effect.send(sender=Rating, rating_id=rating.pk)

    _, after_c, _ = stored(rating.round)
    assert sum(after_c.values()) == sum(before_c.values()) + 1
    assert (
        after_c[(rating.settlement_class, rating.stars)]
        == before_c[(rating.settlement_class, rating.stars)] + 1
    )
    assert_true_to_ratings()


def test_a_township_recount_leaves_other_townships_rows_alone(large_county):
    rating = _effective_with_star()
    other = RoundStat.objects.filter(round=rating.round).exclude(
        township_id=rating.settlement.village.township_id
    )
    ids_before = set(other.values_list("pk", flat=True))
    Rating.objects.filter(pk=rating.pk).update(stars=0)
    stats.rating_stats_refresh(rating_id=rating.pk)
    assert set(other.values_list("pk", flat=True)) == ids_before


def test_a_recount_for_a_missing_rating_reports_false(db):
    assert stats.rating_stats_refresh(rating_id=987654) is False


def test_a_failing_recount_is_logged_and_other_listeners_still_hear_the_signal(
    small_county, monkeypatch, caplog
):
    heard = []

    def rewards_like_listener(sender, rating_id, **kwargs):
        heard.append(rating_id)

    def broken(**kwargs):
        raise RuntimeError("database went away")

    rating_took_effect.connect(rewards_like_listener, dispatch_uid="test.listener")
    monkeypatch.setattr(stats, "rating_stats_refresh", broken)
    try:
        with caplog.at_level(logging.ERROR, logger="dashboards.stats"):
            rating_took_effect.send(sender=Rating, rating_id=42)
    finally:
        rating_took_effect.disconnect(dispatch_uid="test.listener")
    assert heard == [42]
    assert "stats_rebuild" in caplog.text and "42" in caplog.text


def test_stats_rebuild_command_restores_every_round(large_county):
    expected = {rnd.pk: stored(rnd) for rnd in Round.objects.all()}
    RoundStat.objects.all().delete()
    CountyRoundStat.objects.all().delete()
    AssessorRoundStat.objects.all().delete()
    call_command("stats_rebuild", stdout=io.StringIO())
    assert {rnd.pk: stored(rnd) for rnd in Round.objects.all()} == expected


def test_stats_rebuild_command_ranks_the_league_tables_too(small_county):
    built = set(LeagueBuild.objects.values_list("round_id", "settlement_class"))
    assert built
    LeagueBuild.objects.all().delete()
    LeagueEntry.objects.all().delete()
    call_command("stats_rebuild", stdout=io.StringIO())
    assert (
        set(LeagueBuild.objects.filter(stale=False).values_list("round_id", "settlement_class"))
        >= built
    )
    assert LeagueEntry.objects.exists()


@pytest.mark.django_db
def test_receivers_are_connected_by_the_app():
    receivers = [r[0][0] for r in rating_took_effect.receivers] + [
        r[0][0] for r in rating_stars_changed.receivers
    ]
    assert "dashboards.stats.took_effect" in receivers
    assert "dashboards.stats.stars_changed" in receivers
    assert "dashboards.stats.rewritten" in [r[0][0] for r in ratings_rewritten.receivers]


def test_the_workflow_services_keep_the_stats_true(
    db, assessor, django_capture_on_commit_callbacks
):
    """End to end: ratings taking effect after their notice, then a downgrade, through ratings.services."""
    import datetime as dt

    from ratings import services
    from tests.dashboards.conftest import build_county

    build_county(townships=3, per_township=8, rounds=2, today=dt.date(2026, 10, 28))
    in_notice = Rating.objects.filter(status=RatingStatus.NOTICE).count()
    assert in_notice > 0
    effective_before = Rating.objects.filter(status=RatingStatus.EFFECTIVE).count()

    with django_capture_on_commit_callbacks(execute=True):
        taken = services.ratings_take_effect_due(today=dt.date(2026, 11, 26))

    assert taken == in_notice
    assert sum(x.count for x in CountyRoundStat.objects.all()) == effective_before + in_notice
    assert_true_to_ratings()

    starred = (
        Rating.objects.filter(status=RatingStatus.EFFECTIVE, stars__gt=0).order_by("-pk").first()
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.rating_downgrade(
            rating=starred, by=assessor, reason="发生重大问题，降低星级等次。"
        )
    assert_true_to_ratings()
