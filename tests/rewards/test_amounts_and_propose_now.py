"""Issue 15: a year without reward amounts says so (rewards page, dashboard panel), and the
secretary can run the nightly proposal job on demand from the admin (立即生成奖励建议)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from dashboards.panels import Scope, rewards_panel
from rewards import selectors
from rewards.models import Disbursement, RewardSchedule

from .conftest import YEAR, rate, schedule

pytestmark = pytest.mark.django_db
SCHEDULES = reverse("admin:rewards_rewardschedule_changelist")


def test_amounts_missing_is_true_only_for_a_year_without_rows(spec_schedule):
    assert selectors.amounts_missing(year=YEAR) is False
    assert selectors.amounts_missing(year=YEAR + 1) is True


def test_rewards_page_warns_when_the_year_has_no_amounts(login, secretary, official_a):
    response = login(secretary).get(reverse("rewards:list"), {"year": YEAR})
    assert response.status_code == 200 and response.context["amounts_missing"] is True
    body = response.content.decode()
    assert "尚未设置奖励标准" in body and reverse("admin:rewards_rewardschedule_changelist") in body
    official_page = login(official_a).get(reverse("rewards:list"), {"year": YEAR}).content.decode()
    assert "尚未设置奖励标准" in official_page
    assert (
        reverse("admin:rewards_rewardschedule_changelist") not in official_page
    )  # not theirs to set


def test_rewards_page_is_quiet_when_amounts_exist(login, secretary, spec_schedule):
    response = login(secretary).get(reverse("rewards:list"), {"year": YEAR})
    assert response.context["amounts_missing"] is False
    assert "尚未设置奖励标准" not in response.content.decode()


def test_dashboard_panels_warn_when_the_year_has_no_amounts(secretary, official_a, township_a):
    today = dt.date(YEAR, 12, 1)
    county = rewards_panel(Scope(user=secretary, township_id=None, year=YEAR, today=today))
    assert "尚未设置奖励标准" in county.warning
    own = rewards_panel(Scope(user=official_a, township_id=township_a.pk, year=YEAR, today=today))
    assert "尚未设置奖励标准" in own.warning
    schedule()
    assert (
        rewards_panel(Scope(user=secretary, township_id=None, year=YEAR, today=today)).warning == ""
    )


def test_propose_now_runs_the_nightly_catch_up(login, secretary, settlement_a, rubric, monkeypatch):
    from rewards import services

    rate(settlement_a, 1, 4, rubric=rubric)  # took effect before any amounts existed
    assert not Disbursement.objects.exists()
    schedule()
    calls = []
    real = services.disbursements_catch_up

    def recorded(*, today):
        calls.append(today)
        return real(today=today)

    monkeypatch.setattr(services, "disbursements_catch_up", recorded)
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(YEAR, 12, 1))
    rows = list(RewardSchedule.objects.filter(year=YEAR))
    client = login(secretary)
    response = client.post(
        SCHEDULES,
        {"action": "propose_now", ACTION_CHECKBOX_NAME: [r.pk for r in rows]},
        follow=True,
    )
    assert response.status_code == 200
    assert calls == [dt.date(YEAR, 12, 1)]
    assert Disbursement.objects.filter(settlement=settlement_a, year=YEAR).count() == 1
    assert "已生成 1 笔奖励建议" in response.content.decode()
    again = client.post(
        SCHEDULES, {"action": "propose_now", ACTION_CHECKBOX_NAME: [rows[0].pk]}, follow=True
    )
    assert Disbursement.objects.count() == 1  # idempotent, as the nightly job is
    assert "没有需要新生成的奖励建议" in again.content.decode()


def test_propose_now_is_not_offered_to_non_secretaries(login, official_a, spec_schedule):
    response = login(official_a).get(SCHEDULES)
    assert response.status_code in (302, 403)
