import datetime as dt
from decimal import Decimal as D

import pytest

from ratings import rules


@pytest.mark.parametrize(
    ("score", "stars"),
    [("0", 0), ("69.9", 0), ("70", 3), ("70.0", 3), ("79.9", 3), ("80", 4), ("89.9", 4), ("90", 5), ("110", 5)],
)
def test_star_bands_on_both_sides(score, stars):
    assert rules.star_level(D(score)) == stars


def test_total_score_base_bonus_and_deductions():
    assert rules.total_score(bonuses=[D("2"), D("3")], deductions=[D("4.5")]) == D("100.5")


def test_bonus_cap_limits_the_sum_of_bonuses():
    assert rules.total_score(bonuses=[D("6"), D("6")], deductions=[]) == D("110.0")
    assert rules.total_score(bonuses=[D("6"), D("6")], deductions=[], bonus_cap=D("5")) == D("105.0")


def test_score_never_below_zero():
    assert rules.total_score(bonuses=[D("10")], deductions=[D("80"), D("60")]) == D("0.0")


def test_total_is_decimal_with_one_place():
    result = rules.total_score(bonuses=[], deductions=[D("0.25")])
    assert isinstance(result, D)
    assert result == D("99.8")


def test_item_points_respect_item_cap():
    assert rules.item_points(points_each=D("2"), occurrences=2, cap=D("6")) == D("4.0")
    assert rules.item_points(points_each=D("2"), occurrences=5, cap=D("6")) == D("6.0")
    with pytest.raises(ValueError):
        rules.item_points(points_each=D("2"), occurrences=-1, cap=D("6"))


def test_veto_means_no_star_whatever_the_score():
    assert rules.stars_awarded(score=D("98"), vetoed=True) == 0
    assert rules.stars_awarded(score=D("98"), vetoed=False) == 5


def test_points_to_next_star():
    assert rules.points_to_next_star(D("65")) == (3, D("5.0"))
    assert rules.points_to_next_star(D("79.9")) == (4, D("0.1"))
    assert rules.points_to_next_star(D("85")) == (5, D("5.0"))
    assert rules.points_to_next_star(D("90")) is None


def test_gap_needing_reason():
    assert rules.gap_needs_reason(D("0"), D("5")) is True
    assert rules.gap_needs_reason(D("0"), D("4.9")) is False
    assert rules.gap_needs_reason(D("95"), D("85"), total=True) is True
    assert rules.gap_needs_reason(D("95"), D("85.1"), total=True) is False


def test_round_opens_the_day_after_its_quarter():
    assert rules.round_dates(2031, 1) == dt.date(2031, 4, 1)
    assert rules.round_dates(2031, 2) == dt.date(2031, 7, 1)
    assert rules.round_dates(2031, 3) == dt.date(2031, 10, 1)
    assert rules.round_dates(2031, 4) == dt.date(2032, 1, 1)


def test_quarter_closed_before():
    assert rules.quarter_closed_before(dt.date(2031, 4, 1)) == (2031, 1)
    assert rules.quarter_closed_before(dt.date(2031, 3, 31)) == (2030, 4)
    assert rules.quarter_closed_before(dt.date(2032, 1, 1)) == (2031, 4)


def test_working_days_skip_weekends():
    # 2026-11-27 is a Friday: five working days later is the next Friday.
    assert rules.add_working_days(dt.date(2026, 11, 27), 5) == dt.date(2026, 12, 4)


def test_area_losses_count_only_deductions():
    losses = rules.area_losses([("safety", "deduction", D("4")), ("safety", "bonus", D("2")), ("environment", "deduction", D("1.5"))])
    assert losses == {"safety": D("4.0"), "environment": D("1.5")}
