"""Reward money in the township annual summary: secretaries and the township's own officials only."""

from decimal import Decimal as D

from django.urls import reverse

from dashboards.panels import rewards_summary_columns

from .conftest import YEAR


def test_secretary_gets_committed_and_paid_per_township(secretary, township_a, township_b, ledger):
    columns = rewards_summary_columns(secretary, [township_a.pk, township_b.pk], YEAR)
    assert columns.headers == ("奖励已承诺（元）", "奖励已发放（元）")
    assert columns.values[township_a.pk] == (D("14000.00"), D("0.00"))
    assert columns.values[township_b.pk] == (D("12000.00"), D("0.00"))


def test_official_sees_only_their_townships_money(official_a, township_a, township_b, ledger):
    columns = rewards_summary_columns(official_a, [township_a.pk, township_b.pk], YEAR)
    assert set(columns.values) == {township_a.pk}  # the outsider township's money is not there


def test_assessor_gets_no_money_columns(assessor, township_a, ledger):
    assert rewards_summary_columns(assessor, [township_a.pk], YEAR) is None


def test_summary_page_shows_rewards_to_the_secretary_not_the_assessor(
    login, secretary, assessor, township_a, ledger
):
    url = reverse("dashboard:township_summary", args=[township_a.pk]) + f"?year={YEAR}"
    assert "奖励已发放" in login(secretary).get(url).content.decode()
    assert "奖励已发放" not in login(assessor).get(url).content.decode()
