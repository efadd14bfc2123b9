"""A public notice counted in China's working days; one that runs into an unknown year stays pending.

The story years 2031–2032 are in the county's table (tests/conftest.py); 2033 is not.
"""

import datetime as dt

import pytest
from django.urls import reverse

from ratings import services
from ratings.models import RatingStatus
from ratings.services import cycle
from settlements.models import CalendarDay
from tests.ratings.workflow import finalise, fresh

pytest_plugins = ["tests.ratings.workflow_fixtures"]

# Thursday 23 December 2032 + 5 working days = Thursday 30 December, inside 2032.
LAST_KNOWN = dt.date(2032, 12, 23)
# Tuesday 28 December 2032: 29, 30, 31 December, then 2033, which nobody has entered.
RUNS_INTO_2033 = dt.date(2032, 12, 28)


@pytest.fixture(autouse=True)
def _q1_reviews_open_until_2033(q1, secretary):
    """These stories finalise Q1 2031 reviews in December 2032: the county review step locks
    at its deadline, so the secretary has extended the round (as a county would, with a reason)."""
    services.round_deadlines_change(
        round=q1,
        by=secretary,
        self_deadline=q1.self_deadline,
        review_deadline=dt.date(2033, 3, 31),
        reason="补评历史轮次",
        today=q1.opened_on,
    )


def test_notice_inside_a_known_year_gets_its_end(q1_submitted_a, assessor):
    rating = finalise(q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1}, today=LAST_KNOWN)
    assert (rating.notice_ends_on, rating.finalised_on) == (dt.date(2032, 12, 30), LAST_KNOWN)


def test_notice_into_an_unknown_year_is_pending_not_guessed(q1_submitted_a, assessor):
    rating = finalise(q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1}, today=RUNS_INTO_2033)
    assert (rating.status, rating.notice_ends_on, rating.finalised_on) == (
        RatingStatus.NOTICE,
        None,
        RUNS_INTO_2033,
    )
    assert "待定" in rating.changes.get().reason


def test_pending_notice_takes_objections_and_does_not_take_effect(
    q1_submitted_a, assessor, official_a
):
    rating = finalise(q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1}, today=RUNS_INTO_2033)
    with pytest.raises(services.WorkflowError) as refused:
        services.rating_take_effect(rating=rating, today=dt.date(2033, 3, 1))
    assert refused.value.error_list[0].code == "notice_end_pending"
    assert services.ratings_take_effect_due(today=dt.date(2033, 3, 1)) == 0
    objection = services.objection_file(
        rating=rating,
        by=official_a,
        filed_by_name="王五",
        text="有遗漏",
        today=dt.date(2033, 1, 20),
    )
    assert objection.outcome == "pending"


def test_daily_job_sets_the_end_once_the_county_enters_the_year(q1_submitted_a, assessor):
    rating = finalise(q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1}, today=RUNS_INTO_2033)
    report = cycle.daily_job(today=dt.date(2033, 1, 2))
    assert report.notice_ends_set == 0 and fresh(rating).notice_ends_on is None
    CalendarDay.objects.create(date=dt.date(2033, 1, 3), kind="rest", note="元旦调休")
    report = cycle.daily_job(today=dt.date(2033, 1, 4))
    # 29, 30, 31 December, (3 January off), 4 and 5 January.
    assert report.notice_ends_set == 1 and fresh(rating).notice_ends_on == dt.date(2033, 1, 5)
    assert (
        fresh(rating).history.first().history_change_reason == "节假日安排已录入，确定公示截止日期"
    )
    assert (
        cycle.daily_job(today=dt.date(2033, 1, 4)).notice_ends_set == 0
    )  # a second run changes nothing
    assert cycle.daily_job(today=dt.date(2033, 1, 6)).took_effect == 1


def test_rating_page_warns_of_a_pending_end(q1_submitted_a, assessor, login):
    pending = finalise(q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1}, today=RUNS_INTO_2033)
    page = login(assessor).get(reverse("ratings:rating", args=[pending.pk]))
    assert page.status_code == 200
    assert 'data-code="notice_end_pending"' in page.content.decode()


def test_rating_page_has_no_warning_with_a_known_end(q1_notice_a, assessor, login):
    page = login(assessor).get(reverse("ratings:rating", args=[q1_notice_a.pk]))
    assert page.status_code == 200
    assert 'data-code="notice_end_pending"' not in page.content.decode()
