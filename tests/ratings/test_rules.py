import datetime as dt
from decimal import Decimal as D

import pytest

from ratings import rules


@pytest.mark.parametrize(
    ("score", "stars"),
    [
        ("0", 0),
        ("69.9", 0),
        ("70", 3),
        ("70.0", 3),
        ("79.9", 3),
        ("80", 4),
        ("89.9", 4),
        ("90", 5),
        ("110", 5),
    ],
)
def test_star_bands_on_both_sides(score, stars):
    assert rules.star_level(D(score)) == stars


def test_total_score_base_bonus_and_deductions():
    assert rules.total_score(bonuses=[D("2"), D("3")], deductions=[D("4.5")]) == D("100.5")


def test_bonus_cap_limits_the_sum_of_bonuses():
    assert rules.total_score(bonuses=[D("6"), D("6")], deductions=[]) == D("110.0")
    assert rules.total_score(bonuses=[D("6"), D("6")], deductions=[], bonus_cap=D("5")) == D(
        "105.0"
    )


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


def _weekdays(day: dt.date) -> bool:
    return day.weekday() < 5


def test_working_days_skip_weekends():
    # 2026-11-27 is a Friday: five working days later is the next Friday.
    assert rules.add_working_days(dt.date(2026, 11, 27), 5, is_working_day=_weekdays) == dt.date(
        2026, 12, 4
    )


# A small table in the shape of 2026's National Day holiday: 1–7 October off, Saturday 10th worked.
SMALL_TABLE = {dt.date(2026, 10, d): False for d in range(1, 8)} | {dt.date(2026, 10, 10): True}


def _small_table(day: dt.date) -> bool:
    return SMALL_TABLE.get(day, day.weekday() < 5)


def test_working_days_follow_the_calendar_given():
    # Counting starts the day after finalising: 8th, 9th, Saturday 10th, 12th, 13th.
    assert rules.add_working_days(dt.date(2026, 9, 30), 5, is_working_day=_small_table) == dt.date(
        2026, 10, 13
    )
    # The day before the holiday table starts, the count is still weekday-only.
    assert rules.add_working_days(dt.date(2026, 9, 22), 5, is_working_day=_small_table) == dt.date(
        2026, 9, 29
    )
    assert rules.add_working_days(dt.date(2026, 9, 30), 0, is_working_day=_small_table) == dt.date(
        2026, 9, 30
    )


def test_working_days_propagate_an_unknown_year():
    def refuses_2027(day: dt.date) -> bool:
        if day.year == 2027:
            raise LookupError(day.year)
        return day.weekday() < 5

    # 2026-12-24 + 5 ends on Thursday 31 December: no 2027 day is asked.
    assert rules.add_working_days(dt.date(2026, 12, 24), 5, is_working_day=refuses_2027) == dt.date(
        2026, 12, 31
    )
    with pytest.raises(LookupError):
        rules.add_working_days(dt.date(2026, 12, 25), 5, is_working_day=refuses_2027)


def test_area_losses_count_only_deductions():
    losses = rules.area_losses(
        [
            ("safety", "deduction", D("4")),
            ("safety", "bonus", D("2")),
            ("environment", "deduction", D("1.5")),
        ]
    )
    assert losses == {"safety": D("4.0"), "environment": D("1.5")}


# --------------------------------------------------------- workflow rules (services use these)


def test_score_sheet_caps_items_and_bonus_and_reports_veto():
    lines = [
        ("bonus", D("2"), D("4"), 3),  # 6 capped at 4
        ("bonus", D("4"), D("8"), 2),  # 8; bonuses 12 capped at 10
        ("deduction", D("1.5"), D("3"), 1),
        ("veto", D("0"), D("0"), 0),
    ]
    points, total, vetoed = rules.score_sheet(lines, bonus_cap=D("10"))
    assert points == [D("4.0"), D("8.0"), D("1.5"), D("0.0")]
    assert total == D("108.5")
    assert vetoed is False


def test_score_sheet_veto_occurrence_sets_vetoed_without_points():
    points, total, vetoed = rules.score_sheet([("veto", D("0"), D("0"), 1)])
    assert (points, total, vetoed) == ([D("0.0")], D("100.0"), True)


def test_score_sheet_refuses_unknown_kind():
    with pytest.raises(ValueError):
        rules.score_sheet([("gift", D("1"), D("1"), 1)])


@pytest.mark.parametrize(("stars", "lower"), [(5, 4), (4, 3), (3, 0)])
def test_one_star_lower(stars, lower):
    assert rules.one_star_lower(stars) == lower


@pytest.mark.parametrize("stars", [0, 1, 6])
def test_one_star_lower_refuses_no_star_and_invalid(stars):
    with pytest.raises(ValueError):
        rules.one_star_lower(stars)


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"GIF89a", None),
        (b"\xff\xd8", None),
        (b"", None),
        (b"PK\x03\x04", None),
    ],
)
def test_sniff_evidence_type_by_magic_bytes(head, content_type):
    assert rules.sniff_evidence_type(head) == content_type


def test_extension_must_fit_the_sniffed_type():
    assert rules.extension_matches("image/jpeg", "照片.JPG")
    assert rules.extension_matches("image/jpeg", "a.jpeg")
    assert not rules.extension_matches("image/jpeg", "a.png")
    assert not rules.extension_matches("application/pdf", "a.pdf.exe")
    assert rules.extension_matches("application/pdf", "报告.pdf")


def test_certificate_number_format():
    assert rules.certificate_number(year=2031, stars=5, serial=1) == "PS-2031-5-0001"
    assert rules.certificate_number(year=2031, stars=3, serial=12345) == "PS-2031-3-12345"
    with pytest.raises(ValueError):
        rules.certificate_number(year=2031, stars=0, serial=1)
    with pytest.raises(ValueError):
        rules.certificate_number(year=2031, stars=5, serial=0)


# ------------------------------------------------------------ county review deadline

ROUND_REVIEW_DEADLINE = dt.date(2031, 5, 1)


def test_review_deadline_is_the_rounds_without_a_reopening():
    assert rules.review_deadline(ROUND_REVIEW_DEADLINE) == ROUND_REVIEW_DEADLINE


def test_review_deadline_moves_only_later_with_a_reopening():
    later, earlier = dt.date(2031, 5, 10), dt.date(2031, 4, 20)
    assert rules.review_deadline(ROUND_REVIEW_DEADLINE, [later]) == later
    assert rules.review_deadline(ROUND_REVIEW_DEADLINE, [earlier]) == ROUND_REVIEW_DEADLINE
    assert rules.review_deadline(ROUND_REVIEW_DEADLINE, [earlier, later]) == later


@pytest.mark.parametrize(
    ("today", "is_open"),
    [
        (dt.date(2031, 4, 30), True),
        (dt.date(2031, 5, 1), True),  # the last day counts in full
        (dt.date(2031, 5, 2), False),
    ],
)
def test_review_is_open_up_to_and_including_its_deadline(today, is_open):
    assert rules.review_open(today, deadline=ROUND_REVIEW_DEADLINE) is is_open
