"""The dashboards' arithmetic, without a database: boundaries on both sides."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal

import pytest

from dashboards import rules as r
from dashboards.templatetags.dashboard_format import format_movement, format_percent, format_points


def test_share_rounds_half_up_to_four_places_and_is_zero_for_nothing():
    assert r.share(1, 3) == Decimal("0.3333")
    assert r.share(2, 3) == Decimal("0.6667")
    assert r.share(0, 0) == Decimal("0")
    with pytest.raises(ValueError):
        r.share(-1, 3)


def test_percent_has_one_place():
    assert r.percent(Decimal("0.4012")) == Decimal("40.1")
    assert r.percent(Decimal("0.40005")) == Decimal("40.0")
    assert format_percent(Decimal("0.4")) == "40.0%"
    assert format_percent(None) == "—"


def _progress(five: int, total: int, today: dt.date = dt.date(2021, 6, 1)) -> r.TargetProgress:
    return r.target_progress(
        five_star=five,
        total=total,
        target=Decimal("0.40"),
        deadline=dt.date(2021, 6, 30),
        today=today,
    )


def test_target_is_met_at_exactly_the_share_and_not_one_below():
    assert _progress(40, 100).met
    assert _progress(40, 100).still_needed == 0
    assert not _progress(39, 100).met
    assert _progress(39, 100).still_needed == 1


def test_target_still_needed_rounds_up_a_fractional_settlement():
    # 40% of 283 is 113.2: 113 five-star settlements are not yet 40%.
    assert _progress(113, 283).still_needed == 1
    assert not _progress(113, 283).met
    assert _progress(114, 283).met


def test_target_bar_is_the_way_to_the_target_capped_at_100():
    assert _progress(20, 100).bar_percent == Decimal("50.0")
    assert _progress(80, 100).bar_percent == Decimal("100")


def test_target_days_left_counts_down_and_goes_negative_after_the_deadline():
    assert _progress(1, 10, today=dt.date(2021, 6, 30)).days_left == 0
    assert _progress(1, 10, today=dt.date(2021, 7, 1)).days_left == -1
    assert _progress(1, 10, today=dt.date(2021, 6, 29)).days_left == 1


def test_no_settlements_never_meets_the_target():
    assert not _progress(0, 0).met


def test_more_five_star_than_settlements_is_refused():
    with pytest.raises(ValueError):
        _progress(11, 10)


def test_movement_is_places_gained_and_none_when_new():
    assert r.movement(rank=3, previous_rank=7) == 4
    assert r.movement(rank=7, previous_rank=3) == -4
    assert r.movement(rank=5, previous_rank=5) == 0
    assert r.movement(rank=5, previous_rank=None) is None
    assert format_movement(4) == "↑4"
    assert format_movement(-4) == "↓4"
    assert format_movement(0) == "持平"
    assert format_movement(None) == "新"


def test_drift_matches_the_population_mean_and_standard_deviation():
    gaps = [Decimal("-3.5"), Decimal("1.0"), Decimal("-0.5"), Decimal("-6.0"), Decimal("2.5")]
    d = r.drift(
        reviews=len(gaps),
        gap_sum=sum(gaps, Decimal(0)),
        gap_square_sum=sum((g * g for g in gaps), Decimal(0)),
    )
    assert d.mean == Decimal(str(statistics.fmean(gaps))).quantize(Decimal("0.01"))
    assert d.spread == Decimal(str(statistics.pstdev([float(g) for g in gaps]))).quantize(
        Decimal("0.01")
    )
    assert d.reviews == 5


def test_drift_of_identical_gaps_has_no_spread():
    d = r.drift(reviews=4, gap_sum=Decimal("-8.0"), gap_square_sum=Decimal("16.00"))
    assert d.mean == Decimal("-2.00")
    assert d.spread == Decimal("0.00")


def test_drift_needs_a_review():
    with pytest.raises(ValueError):
        r.drift(reviews=0, gap_sum=Decimal(0), gap_square_sum=Decimal(0))


def test_on_time_is_on_or_before_the_deadline():
    deadline = dt.date(2026, 4, 11)
    assert r.on_time(deadline, deadline)
    assert not r.on_time(deadline + dt.timedelta(days=1), deadline)
    assert not r.on_time(None, deadline)


def test_points_keep_their_sign_and_two_places():
    assert format_points(Decimal("1.2")) == "+1.20"
    assert format_points(Decimal("-0.5")) == "−0.50"
    assert format_points(Decimal("0")) == "0.00"
    assert format_points(None) == "—"


def test_quarter_label():
    assert r.quarter_label(2026, 3) == "2026Q3"
