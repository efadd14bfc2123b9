"""The rewards panel on ratings' dashboards: budget for secretaries, a township's money for
its officials, nothing for assessors or the outsider."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse

from dashboards.panels import Scope, dashboard_panels, rewards_panel
from rewards.models import YearBudget

from .conftest import YEAR

pytestmark = pytest.mark.django_db
TODAY = dt.date(YEAR, 12, 1)


def scope(user, township=None):
    return Scope(user=user, township_id=township.pk if township else None, year=YEAR, today=TODAY)


def test_secretary_sees_the_county_budget(secretary, ledger, django_assert_num_queries):
    # user's groups, budget row, totals, reward amounts set?
    with django_assert_num_queries(4):
        panel = rewards_panel(scope(secretary))
    assert dict(panel.rows)["已承诺"] == "¥26,000.00"
    assert dict(panel.rows)["预算余额"] == "¥4,974,000.00"
    assert panel.progress == D("0.5") and panel.warning == ""


def test_county_panel_warns_before_and_after_the_budget_is_exceeded(secretary, ledger):
    YearBudget.objects.filter(year=YEAR).update(amount=D("28000.00"))
    assert "90%" in rewards_panel(scope(secretary)).warning
    YearBudget.objects.filter(year=YEAR).update(amount=D("20000.00"))
    panel = rewards_panel(scope(secretary))
    assert "超出年度预算 ¥6,000.00" in panel.warning and panel.progress == D("100")


def test_official_sees_own_township_money_only(official_a, township_a, township_b, ledger):
    assert rewards_panel(scope(official_a)) is None  # the county budget is not theirs
    own = rewards_panel(scope(official_a, township_a))
    assert dict(own.rows) == {"已承诺": "¥14,000.00", "已审批": "¥0.00", "已发放": "¥0.00"}
    assert rewards_panel(scope(official_a, township_b)) is None


def test_assessor_sees_no_money_panel(assessor, township_a, ledger):
    assert rewards_panel(scope(assessor)) is None
    assert rewards_panel(scope(assessor, township_a)) is None


def test_the_dashboards_show_the_panel_to_those_who_see_money(secretary, assessor, ledger):
    assert any("奖励补助预算" in p.title for p in dashboard_panels(scope(secretary)))
    assert not any("奖励" in p.title for p in dashboard_panels(scope(assessor)))


def test_county_dashboard_page_shows_the_panel_to_secretaries_only(login, secretary, ledger):
    response = login(secretary).get(reverse("dashboard:county"))
    assert response.status_code == 200
    assert "奖励补助预算" in response.content.decode()
