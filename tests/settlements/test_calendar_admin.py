"""The holiday table in the admin (secretary only) and the unknown-year warnings it answers."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from settlements.models import CalendarDay

CHANGELIST = "admin:settlements_calendarday_changelist"
ADD = "admin:settlements_calendarday_add"
WARNING = 'data-code="calendar_year_unknown"'

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_day(monkeypatch):
    def _set(day: dt.date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)

    return _set


def test_secretary_enters_a_day_and_history_records_it(login, secretary):
    client = login(secretary)
    CalendarDay.objects.filter(date__year=2027).delete()
    response = client.post(
        reverse(ADD), {"date": "2027-10-09", "kind": "work", "note": "国庆节调休"}
    )
    assert response.status_code == 302
    day = CalendarDay.objects.get(date__year=2027)
    assert (day.date, day.kind, day.note) == (dt.date(2027, 10, 9), "work", "国庆节调休")
    assert day.history.get().history_user == secretary
    page = client.get(reverse("admin:settlements_calendarday_change", args=[day.pk]))
    assert page.status_code == 200 and "国庆节调休" in page.content.decode()  # the round trip


@pytest.mark.parametrize("who", ["assessor", "official_a"])
def test_outsiders_cannot_see_or_change_the_calendar(request, login, who):
    user = request.getfixturevalue(who)
    user.is_staff = True  # even with admin access
    user.save()
    client = login(user)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.post(reverse(ADD), {"date": "2027-10-09", "kind": "work"}).status_code == 403
    assert not CalendarDay.objects.filter(date=dt.date(2027, 10, 9)).exists()


def test_a_date_is_entered_once(login, secretary):
    client = login(secretary)
    CalendarDay.objects.filter(date__year=2027).delete()
    client.post(reverse(ADD), {"date": "2027-10-01", "kind": "rest", "note": "国庆节"})
    again = client.post(reverse(ADD), {"date": "2027-10-01", "kind": "work"})
    assert again.status_code == 200 and CalendarDay.objects.get(date__year=2027).kind == "rest"


@pytest.fixture
def without_2027(db):
    CalendarDay.objects.filter(date__year=2027).delete()  # the test county has not entered 2027


def test_admin_index_warns_from_the_first_of_november(login, secretary, on_day, without_2027):
    client = login(secretary)
    on_day(dt.date(2026, 10, 31))
    assert WARNING not in client.get(reverse("admin:index")).content.decode()
    on_day(dt.date(2026, 11, 1))
    page = client.get(reverse("admin:index")).content.decode()
    assert WARNING in page and "2027年的节假日安排尚未录入" in page
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), kind="rest", note="元旦")
    assert WARNING not in client.get(reverse("admin:index")).content.decode()


def test_county_dashboard_warns_from_the_first_of_november(login, assessor, on_day, without_2027):
    client = login(assessor)
    on_day(dt.date(2026, 10, 31))
    page = client.get(reverse("dashboard:county"))
    assert page.status_code == 200 and WARNING not in page.content.decode()
    on_day(dt.date(2026, 11, 1))
    assert "2027年的节假日安排尚未录入" in client.get(reverse("dashboard:county")).content.decode()
