"""The secretaries' admin: bulk actions through the services, the over-budget confirmation
page, the budget summary and filters, and schedules frozen once money is proposed."""

from decimal import Decimal as D

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from rewards.models import Disbursement, RewardSchedule, YearBudget
from tests import factories as f

from .conftest import YEAR

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:rewards_disbursement_changelist")


def act(client, action, rows, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [r.pk for r in rows], **extra}
    return client.post(CHANGELIST, data)


def test_changelist_shows_budget_summary_and_filters(login, secretary, ledger, township_a):
    client = login(secretary)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    [budget] = response.context["budgets"]
    assert (budget["year"], budget["committed"], budget["budget"]) == (
        YEAR,
        D("26000.00"),
        D("5000000.00"),
    )
    assert "年度预算执行" in response.content.decode()
    by_township = client.get(
        CHANGELIST, {"settlement__village__township__id__exact": township_a.pk}
    )
    assert by_township.context["cl"].result_count == 3
    by_status = client.get(CHANGELIST, {"status__exact": "paid", "year__exact": YEAR})
    assert by_status.context["cl"].result_count == 0


def test_changelist_query_count_does_not_grow_with_rows(
    login, secretary, ledger, village_a, rubric
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rewards import services

    from .conftest import rate

    client = login(secretary)
    # Ours: years with rows, that year's budget row and totals (the summary), townships
    # (filter), count, total count, rows with settlement/township/rating/round/tranche/
    # approver/payer joined, years (filter). The rest is the admin's chrome (session, user,
    # groups, permissions, every registered app's add permission), the same on every page.
    with CaptureQueriesContext(connection) as small:
        client.get(CHANGELIST)
    for _ in range(10):
        settlement = f.settlement(village_a)
        rating = rate(settlement, 1, 5, rubric=rubric)
        services.disbursements_propose(settlement_id=settlement.pk, year=YEAR, rating_id=rating.pk)
    with CaptureQueriesContext(connection) as large:
        response = client.get(CHANGELIST)
    assert response.context["cl"].result_count == 14
    assert len(large.captured_queries) == len(small.captured_queries) <= 20


@pytest.mark.parametrize("who", ["official_a", "assessor"])
def test_non_secretaries_have_no_ledger_admin(client, who, request, ledger):
    user = request.getfixturevalue(who)
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 403


def test_bulk_approve_goes_through_the_service_with_history(login, secretary, ledger):
    response = act(login(secretary), "approve_selected", ledger)
    assert response.status_code == 302
    for row in Disbursement.objects.all():
        assert (row.status, row.approved_by) == ("approved", secretary)
        last = row.history.latest()
        assert (last.history_user, last.history_change_reason) == (secretary, "审批")


def test_bulk_approve_past_the_budget_asks_for_confirmation_first(login, secretary, ledger):
    YearBudget.objects.filter(year=YEAR).update(amount=D("20000.00"))
    client = login(secretary)
    response = act(client, "approve_selected", ledger)
    assert response.status_code == 200
    page = response.content.decode()
    assert "确认超预算审批" in page and "超出预算 6,000.00 元" in page
    assert not Disbursement.objects.exclude(status="proposed").exists()  # nothing approved yet
    confirmed = act(client, "approve_selected", ledger, confirm_over_budget="yes")
    assert confirmed.status_code == 302
    assert Disbursement.objects.filter(status="approved").count() == 4
    assert Disbursement.objects.filter(approved_over_budget=True).count() == 1


def test_bulk_mark_paid_refuses_unapproved_rows_with_a_message(login, secretary, ledger):
    client = login(secretary)
    act(client, "approve_selected", ledger[:2])
    response = act(client, "mark_paid_selected", ledger)
    assert response.status_code == 302
    statuses = dict(Disbursement.objects.values_list("pk", "status"))
    assert [statuses[r.pk] for r in ledger] == ["paid", "paid", "proposed", "proposed"]
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("已登记 2 笔" in m for m in messages)
    assert sum("尚未审批" in m for m in messages) == 2


def test_export_action_returns_xlsx(login, secretary, ledger):
    response = act(login(secretary), "export_ledger", ledger)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:2] == b"PK"


def test_print_action_opens_the_batch_vouchers(login, secretary, ledger):
    response = act(login(secretary), "print_vouchers", ledger[:2])
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("rewards:vouchers") + f"?id={ledger[0].pk}&id={ledger[1].pk}"
    )


def test_ledger_rows_cannot_be_added_edited_or_deleted(login, secretary, ledger):
    client = login(secretary)
    row = ledger[0]
    assert client.get(reverse("admin:rewards_disbursement_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:rewards_disbursement_delete", args=[row.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    change = client.post(
        reverse("admin:rewards_disbursement_change", args=[row.pk]), {"amount": "1"}
    )
    assert change.status_code == 403
    row.refresh_from_db()
    assert row.amount == D("4000.00")


def test_frozen_schedule_cannot_be_changed_in_the_admin(login, secretary, ledger):
    client = login(secretary)
    schedule = RewardSchedule.objects.get(year=YEAR, star=3, settlement_class=None)
    url = reverse("admin:rewards_rewardschedule_change", args=[schedule.pk])
    assert client.post(url, {"year": YEAR, "star": 3, "amount": "1"}).status_code == 403
    added = client.post(
        reverse("admin:rewards_rewardschedule_add"),
        {"year": YEAR, "settlement_class": 1, "star": 5, "amount": "50000"},
    )
    assert added.status_code == 200
    assert "不能再修改" in added.content.decode()
    assert RewardSchedule.objects.filter(year=YEAR).count() == 3


def test_budget_admin_lists_committed_money(login, secretary, ledger):
    response = login(secretary).get(reverse("admin:rewards_yearbudget_changelist"))
    assert response.status_code == 200
    assert "26,000.00" in response.content.decode()
