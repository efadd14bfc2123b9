"""The governance admin: categories configurable, the ledger read-only, IDs masked."""

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from settlements.governance import services
from settlements.models import PointCategory, PointEntry

ID_1 = "11010519491231002X"


def test_secretary_sees_governance_admin_read_only_with_masked_ids(
    login, settlement_a, official_a, secretary
):
    household = services.household_add(
        settlement=settlement_a, by=official_a, head_name="张三", id_number=ID_1
    )
    entry = services.point_entry_record(
        household=household,
        category=PointCategory.objects.first(),
        points=Decimal("2"),
        reason="打扫",
        occurred_on=timezone.localdate(),
        by=official_a,
    )
    client = login(secretary)
    for name in (
        "household",
        "pointentry",
        "pointcategory",
        "teammember",
        "committeemember",
        "honourlist",
        "settlementorganisation",
    ):
        response = client.get(reverse(f"admin:settlements_{name}_changelist"))
        assert response.status_code == 200, name
    html = client.get(reverse("admin:settlements_household_changelist")).content.decode()
    assert "1101**********002X" in html and ID_1 not in html
    html = client.get(
        reverse("admin:settlements_household_change", args=[household.pk])
    ).content.decode()
    assert ID_1 not in html
    # The ledger cannot be changed or deleted from the admin.
    assert (
        client.post(
            reverse("admin:settlements_pointentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:settlements_pointentry_add")).status_code == 403
    assert PointEntry.objects.count() == 1


def test_categories_are_configurable_but_not_deletable(login, secretary):
    client = login(secretary)
    response = client.post(
        reverse("admin:settlements_pointcategory_add"),
        {"name": "邻里互助", "description": "", "is_active": "on", "position": 4},
    )
    assert response.status_code == 302
    assert PointCategory.objects.filter(name="邻里互助").exists()
    category = PointCategory.objects.get(name="参与管理")
    assert (
        client.post(
            reverse("admin:settlements_pointcategory_delete", args=[category.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert PointCategory.objects.filter(pk=category.pk).exists()
