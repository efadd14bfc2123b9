"""A round's own deadlines: set when it is opened, changed later by the secretary with a reason,
and no opening before the quarter has ended without an explicit confirmation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ratings import services
from ratings.models import AssessmentStatus, Round, SelfAssessment

OPEN_URL = reverse("admin:ratings_round_open")
Q4_LAST_DAY = dt.date(2031, 12, 31)
Q4_DAY_AFTER = dt.date(2032, 1, 1)


@pytest.fixture
def on_day(monkeypatch):
    def _set(day: dt.date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)

    return _set


# --------------------------------------------------------------- opening early


def test_opening_on_the_quarters_last_day_is_refused_without_confirmation(
    secretary, rubric, settlement_a
):
    with pytest.raises(services.WorkflowError) as refused:
        services.round_open(year=2031, quarter=4, by=secretary, today=Q4_LAST_DAY)
    assert refused.value.error_list[0].code == "round_quarter_not_ended"
    assert not Round.objects.exists()
    rnd, created = services.round_open(
        year=2031, quarter=4, by=secretary, today=Q4_LAST_DAY, allow_early=True
    )
    assert created and rnd.opened_on == Q4_LAST_DAY


def test_opening_the_day_after_the_quarter_needs_no_confirmation(secretary, rubric, settlement_a):
    rnd, created = services.round_open(year=2031, quarter=4, by=secretary, today=Q4_DAY_AFTER)
    assert created and rnd.opened_on == Q4_DAY_AFTER


def test_admin_open_form_refuses_early_unless_confirmed(
    login, secretary, rubric, settlement_a, on_day
):
    client = login(secretary)
    on_day(Q4_LAST_DAY)
    response = client.post(OPEN_URL, {"year": 2031, "quarter": 4})
    assert response.status_code == 200 and "提前开启须勾选确认" in " ".join(
        response.context["form"].non_field_errors()
    )
    assert not Round.objects.exists()
    response = client.post(OPEN_URL, {"year": 2031, "quarter": 4, "confirm_early": "on"})
    assert response.status_code == 302 and Round.objects.get().opened_on == Q4_LAST_DAY


def test_admin_open_form_sets_the_rounds_own_deadlines(
    login, secretary, rubric, settlement_a, on_day
):
    on_day(Q4_DAY_AFTER)
    response = login(secretary).post(
        OPEN_URL,
        {
            "year": 2031,
            "quarter": 4,
            "self_deadline": "2032-01-20",
            "review_deadline": "2032-02-28",
            "notice_working_days": "7",
        },
    )
    assert response.status_code == 302
    rnd = Round.objects.get()
    assert (rnd.self_deadline, rnd.review_deadline, rnd.notice_working_days) == (
        dt.date(2032, 1, 20),
        dt.date(2032, 2, 28),
        7,
    )
    assert SelfAssessment.objects.get().deadline == dt.date(2032, 1, 20)


# --------------------------------------------------------------- changing later


@pytest.fixture
def q1(secretary, rubric, settlement_a, settlement_b) -> Round:
    return services.round_open(year=2031, quarter=1, by=secretary, today=dt.date(2031, 4, 1))[0]


def change(
    rnd,
    by,
    *,
    self_deadline=dt.date(2031, 4, 20),
    review_deadline=dt.date(2031, 5, 15),
    reason="汛期延长",
    today=dt.date(2031, 4, 12),
):
    return services.round_deadlines_change(
        round=rnd,
        by=by,
        self_deadline=self_deadline,
        review_deadline=review_deadline,
        reason=reason,
        today=today,
    )


def test_secretary_moves_deadlines_with_a_recorded_reason(q1, secretary):
    services.self_assessments_mark_overdue(round=q1, today=dt.date(2031, 4, 12))
    assert set(SelfAssessment.objects.values_list("status", flat=True)) == {
        AssessmentStatus.OVERDUE
    }
    rnd = change(q1, secretary)
    assert (rnd.self_deadline, rnd.review_deadline) == (dt.date(2031, 4, 20), dt.date(2031, 5, 15))
    entry = rnd.history.first()
    assert (entry.history_user, entry.history_change_reason) == (
        secretary,
        "修改截止日期：汛期延长",
    )
    assert entry.prev_record.self_deadline == dt.date(2031, 4, 11)  # the old value is kept
    # Assessments on the old deadline move with it and reopen: the new deadline is ahead.
    assert set(SelfAssessment.objects.values_list("deadline", "status")) == {
        (dt.date(2031, 4, 20), "draft")
    }


def test_a_deadline_moved_into_the_past_does_not_reopen(q1, secretary):
    services.self_assessments_mark_overdue(round=q1, today=dt.date(2031, 4, 12))
    change(q1, secretary, self_deadline=dt.date(2031, 4, 11), today=dt.date(2031, 4, 12))
    assert set(SelfAssessment.objects.values_list("status", flat=True)) == {
        AssessmentStatus.OVERDUE
    }


@pytest.mark.parametrize("who", ["assessor", "official_a"])
def test_only_the_secretary_moves_deadlines(request, q1, who):
    with pytest.raises(services.WorkflowPermissionDenied):
        change(q1, request.getfixturevalue(who))
    assert Round.objects.get().self_deadline == dt.date(2031, 4, 11)


def test_moving_deadlines_needs_a_reason_and_an_order(q1, secretary):
    with pytest.raises(services.WorkflowError):
        change(q1, secretary, reason="  ")
    with pytest.raises(services.WorkflowError) as refused:
        change(
            q1, secretary, self_deadline=dt.date(2031, 5, 16), review_deadline=dt.date(2031, 5, 15)
        )
    assert refused.value.error_list[0].code == "round_deadlines_order"
    change(
        q1, secretary, self_deadline=dt.date(2031, 5, 15), review_deadline=dt.date(2031, 5, 15)
    )  # equal is fine


def test_admin_deadlines_page_round_trip(login, secretary, q1):
    client = login(secretary)
    page_url = reverse("admin:ratings_round_deadlines", args=[q1.pk])
    page = client.get(page_url)
    assert page.status_code == 200 and page.context["form"].initial["self_deadline"] == dt.date(
        2031, 4, 11
    )
    response = client.post(
        page_url, {"self_deadline": "2031-04-20", "review_deadline": "2031-05-15", "reason": "汛期"}
    )
    assert response.status_code == 302
    assert client.get(page_url).context["form"].initial["review_deadline"] == dt.date(2031, 5, 15)


@pytest.mark.parametrize("who", ["assessor", "official_a"])
def test_outsiders_cannot_open_the_deadlines_page(request, login, q1, who):
    user = request.getfixturevalue(who)
    user.is_staff = True
    user.save()
    page_url = reverse("admin:ratings_round_deadlines", args=[q1.pk])
    client = login(user)
    assert client.get(page_url).status_code == 403
    data = {"self_deadline": "2031-04-20", "review_deadline": "2031-05-15", "reason": "x"}
    assert client.post(page_url, data).status_code == 403
    assert Round.objects.get().self_deadline == dt.date(2031, 4, 11)


def test_queued_opening_is_refused_early_unless_confirmed(secretary, rubric, on_day):
    on_day(Q4_LAST_DAY)
    with pytest.raises(services.WorkflowError) as refused:
        services.round_open_queue(year=2031, quarter=4, by=secretary)
    assert refused.value.error_list[0].code == "round_quarter_not_ended"
    on_day(Q4_DAY_AFTER)
    assert services.round_open_queue(year=2031, quarter=4, by=secretary) is True
