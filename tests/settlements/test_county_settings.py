"""全县设置: the county's own settings, edited by the Party secretary, read by the workflow."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from dashboards.models import FiveStarTarget
from ratings import rules, services
from ratings.models import Notice
from ratings.services import cycle
from settlements import rules as settlement_rules
from settlements.county import county_settings
from settlements.models import CountySettings

CHANGELIST = "admin:settlements_countysettings_changelist"


def set_county(**values) -> CountySettings:
    row, _created = CountySettings.objects.get_or_create(singleton=1)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


def form_data(**overrides) -> dict:
    data = {
        "county_name": "屏山县",
        "self_assessment_days": "12",
        "county_review_days": "35",
        "notice_working_days": "7",
        "reminder_days": "2",
        "objection_review_days": "10",
        "item_gap_needs_reason": "4.0",
        "total_gap_needs_reason": "8.0",
        "photo_max_distance_km": "3.5",
        "target_share": "0.45",
        "target_deadline": "2032-06-30",
        # The version the page was opened at (optimistic locking, core.admin.VersionedAdminMixin).
        "version": str(CountySettings.objects.get(singleton=1).version),
    }
    return data | overrides


# ------------------------------------------------------------------------- defaults


def test_code_constants_are_only_the_defaults():
    defaults = CountySettings()
    assert (
        defaults.self_assessment_days,
        defaults.county_review_days,
        defaults.notice_working_days,
    ) == (
        rules.SELF_ASSESSMENT_DAYS,
        rules.COUNTY_REVIEW_DAYS,
        rules.NOTICE_WORKING_DAYS,
    )
    assert defaults.reminder_days == cycle.REMINDER_DAYS
    assert (defaults.item_gap_needs_reason, defaults.total_gap_needs_reason) == (
        rules.ITEM_GAP_NEEDS_REASON,
        rules.TOTAL_GAP_NEEDS_REASON,
    )
    assert settlement_rules.DEFAULT_NOTICE_WORKING_DAYS == 5


@pytest.mark.django_db
def test_before_the_first_save_the_defaults_apply():
    assert county_settings().pk is None and county_settings().self_assessment_days == 10


def test_certificate_issuer_names_the_county():
    assert (
        CountySettings(county_name="屏山县").certificate_issuer
        == "屏山县聚居点星级评定工作领导小组"
    )
    assert CountySettings().certificate_issuer == "县聚居点星级评定工作领导小组"


def test_review_period_cannot_be_shorter_than_the_self_assessment_period():
    CountySettings(self_assessment_days=10, county_review_days=10).clean()  # equal is fine
    with pytest.raises(ValidationError) as refused:
        CountySettings(self_assessment_days=10, county_review_days=9).clean()
    assert refused.value.error_dict["county_review_days"][0].code == "review_before_self"


@pytest.mark.parametrize(("gap", "needs"), [(Decimal("2.9"), False), (Decimal("3.0"), True)])
def test_gap_rule_takes_the_county_limit(gap, needs):
    assert rules.gap_needs_reason(Decimal("90"), Decimal("90") - gap, limit=Decimal("3")) is needs


# ------------------------------------------------------------------------- admin


def test_secretary_edits_the_settings_page_with_history(login, secretary):
    client = login(secretary)
    assert (
        client.get(reverse(CHANGELIST)).status_code == 200
    )  # lists the county's one row, made on first visit
    row = CountySettings.objects.get()
    change = reverse("admin:settlements_countysettings_change", args=[row.pk])
    assert client.get(change).status_code == 200
    response = client.post(change, form_data())
    assert response.status_code == 302
    row.refresh_from_db()
    assert (
        row.county_name,
        row.self_assessment_days,
        row.county_review_days,
        row.notice_working_days,
    ) == (
        "屏山县",
        12,
        35,
        7,
    )
    assert (row.reminder_days, row.item_gap_needs_reason, row.total_gap_needs_reason) == (
        2,
        Decimal("4.0"),
        Decimal("8.0"),
    )
    assert row.photo_max_distance_km == Decimal("3.5")
    assert row.objection_review_days == 10
    target = FiveStarTarget.objects.get()
    assert (target.share, target.deadline) == (Decimal("0.45"), dt.date(2032, 6, 30))
    assert row.history.first().history_user == secretary
    again = client.get(change).content.decode()  # the round trip shows what was saved
    assert (
        'value="屏山县"' in again and 'value="0.45"' in again and 'value="2032/06/30"' in again
    )  # zh-hans date input format


def test_settings_page_refuses_a_review_period_shorter_than_self(login, secretary):
    client = login(secretary)
    client.get(reverse(CHANGELIST))
    url = reverse("admin:settlements_countysettings_change", args=[CountySettings.objects.get().pk])
    response = client.post(url, form_data(self_assessment_days="20", county_review_days="19"))
    assert response.status_code == 200
    assert (
        CountySettings.objects.get().county_review_days
        == settlement_rules.DEFAULT_COUNTY_REVIEW_DAYS
    )


@pytest.mark.parametrize("who", ["assessor", "official_a"])
def test_outsiders_cannot_open_or_change_the_settings(request, db, login, who):
    row = set_county(county_name="屏山县")
    user = request.getfixturevalue(who)
    user.is_staff = True
    user.save()
    client = login(user)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    change = reverse("admin:settlements_countysettings_change", args=[row.pk])
    assert client.post(change, form_data(county_name="别县")).status_code == 403
    assert CountySettings.objects.get().county_name == "屏山县"


# --------------------------------------------------------------------- the workflow


def test_round_open_uses_the_county_periods(secretary, rubric, settlement_a):
    set_county(self_assessment_days=12, county_review_days=35, notice_working_days=7)
    rnd, _created = services.round_open(
        year=2031, quarter=1, by=secretary, today=dt.date(2031, 4, 1)
    )
    assert (rnd.self_deadline, rnd.review_deadline, rnd.notice_working_days) == (
        dt.date(2031, 4, 13),
        dt.date(2031, 5, 6),
        7,
    )


@pytest.mark.parametrize(("days_before", "reminded"), [(2, False), (1, True)])
def test_reminders_use_the_county_lead_time(
    secretary, rubric, settlement_a, official_a, days_before, reminded
):
    set_county(reminder_days=1)
    rnd, _created = services.round_open(
        year=2031, quarter=1, by=secretary, today=dt.date(2031, 4, 1)
    )
    cycle.self_assessment_reminders_send(today=rnd.self_deadline - dt.timedelta(days=days_before))
    assert Notice.objects.filter(user=official_a).exists() is reminded
