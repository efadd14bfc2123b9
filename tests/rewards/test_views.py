"""Who sees which money: officials their own township read-only, secretaries everything,
assessors nothing unless they are secretaries too; the outsider gets a 404."""

from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from rewards.models import YearBudget
from settlements.roles import SECRETARY

from .conftest import YEAR

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(client, ledger):
    response = client.get(reverse("rewards:list"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_official_sees_only_own_townships_rewards(login, official_a, ledger):
    response = login(official_a).get(reverse("rewards:list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "幸福苑" in page and "安居园" not in page
    assert [d.settlement.name for d in response.context["page"]] == ["幸福苑"] * 3
    assert response.context["totals"]["committed"] == D("14000.00")
    assert response.context["budget"] is None  # the county budget is the secretaries' business
    assert "rewards/voucher" not in page  # read-only: no voucher links


def test_official_reads_own_settlement_rewards(login, official_a, settlement_a, ledger):
    response = login(official_a).get(reverse("rewards:settlement", args=[settlement_a.pk]))
    assert response.status_code == 200
    [year] = response.context["years"]
    assert (year["year"], year["total"], len(year["rows"])) == (YEAR, D("14000.00"), 3)
    assert "升星补差" in response.content.decode()


def test_official_cannot_open_other_townships_settlement_rewards(
    login, official_b, settlement_a, ledger
):
    response = login(official_b).get(reverse("rewards:settlement", args=[settlement_a.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        lambda s, d: reverse("rewards:list"),
        lambda s, d: reverse("rewards:settlement", args=[s.pk]),
        lambda s, d: reverse("rewards:voucher", args=[d.pk]),
        lambda s, d: reverse("rewards:vouchers") + f"?id={d.pk}",
        lambda s, d: reverse("rewards:ledger_export") + f"?year={YEAR}",
    ],
)
def test_assessor_sees_no_money(login, assessor, settlement_a, ledger, url):
    assert login(assessor).get(url(settlement_a, ledger[0])).status_code == 403


def test_assessor_who_is_also_secretary_sees_the_money(login, assessor, ledger):
    assessor.groups.add(Group.objects.get(name=SECRETARY))
    response = login(assessor).get(reverse("rewards:list"))
    assert response.status_code == 200
    assert len(response.context["page"]) == 4


@pytest.mark.parametrize("name", ["rewards:voucher", "rewards:ledger_export"])
def test_official_gets_no_vouchers_or_ledger(login, official_a, ledger, name):
    url = (
        reverse(name, args=[ledger[0].pk])
        if name == "rewards:voucher"
        else reverse(name) + f"?year={YEAR}"
    )
    assert login(official_a).get(url).status_code == 403


def test_secretary_sees_budget_and_over_budget_rows_in_red(
    login, secretary, ledger, settlement_a, rubric
):
    YearBudget.objects.filter(year=YEAR).update(amount=D("20000.00"))
    from rewards import services

    from .conftest import rate

    rating = rate(settlement_a, 4, 5, rubric=rubric)
    services.disbursements_propose(settlement_id=settlement_a.pk, year=YEAR, rating_id=rating.pk)
    response = login(secretary).get(reverse("rewards:list") + f"?year={YEAR}")
    budget = response.context["budget"]
    assert (budget["budget"], budget["committed"], budget["over_committed"]) == (
        D("20000.00"),
        D("42000.00"),
        True,
    )
    page = response.content.decode()
    assert 'class="over-budget"' in page and "超预算" in page


def test_status_filter_and_bad_filter(login, secretary, ledger):
    client = login(secretary)
    response = client.get(reverse("rewards:list") + f"?year={YEAR}&status=paid")
    assert list(response.context["page"]) == []
    bad = client.get(reverse("rewards:list") + "?year=abc&status=nonsense")
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"year", "status"}
    assert bad.context["page"] is None  # nothing listed under a filter that did not parse


def test_voucher_shows_the_amount_in_capitals(login, secretary, ledger):
    row = ledger[-1]  # 安居园 initial tranche, 12,000
    response = login(secretary).get(reverse("rewards:voucher", args=[row.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "12,000.00" in page and "人民币壹万贰仟元整" in page and row.voucher_number in page


def test_batch_vouchers_and_an_unknown_id(login, secretary, ledger):
    client = login(secretary)
    ids = "&".join(f"id={d.pk}" for d in ledger)
    response = client.get(reverse("rewards:vouchers") + "?" + ids)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 4 and response.context["total"] == D("26000.00")
    assert "人民币贰万陆仟元整" in response.content.decode()
    assert client.get(reverse("rewards:vouchers") + "?id=999999").status_code == 404
    assert client.get(reverse("rewards:vouchers") + "?id=x").status_code == 404


def test_ledger_export_needs_a_year(login, secretary, ledger):
    response = login(secretary).get(reverse("rewards:ledger_export"))
    assert response.status_code == 400 and "请指定要导出的年度" in response.content.decode()


# ------------------------------------------------------------------------------ query counts


def test_list_query_count_for_an_official(login, official_a, ledger, django_assert_num_queries):
    client = login(official_a)
    # user (with roles, bell), years, page count, page rows, totals, reward amounts set?
    with django_assert_num_queries(6):
        client.get(reverse("rewards:list"))


def test_list_query_count_for_a_secretary(login, secretary, ledger, django_assert_num_queries):
    client = login(secretary)
    # user (with roles, bell), years, page count, page rows, totals, budget row, budget totals,
    # reward amounts set?
    with django_assert_num_queries(8):
        response = client.get(reverse("rewards:list"))
    assert len(response.context["page"]) == 4


def test_settlement_rewards_query_count(
    login, official_a, settlement_a, ledger, django_assert_num_queries
):
    client = login(official_a)
    # user (with roles, bell), settlement, its rows (joined)
    with django_assert_num_queries(3):
        client.get(reverse("rewards:settlement", args=[settlement_a.pk]))


def test_secretary_is_warned_before_the_budget_is_exceeded(login, secretary, ledger):
    YearBudget.objects.filter(year=YEAR).update(amount=D("28000.00"))
    client = login(secretary)
    page = client.get(reverse("rewards:list")).content.decode()
    assert "90% 以上" in page
    admin_page = client.get(reverse("admin:rewards_disbursement_changelist")).content.decode()
    assert "90% 以上" in admin_page
