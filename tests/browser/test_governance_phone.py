"""The governance pages in real headless Chromium at a phone's width (390px), and printed."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from settlements import rules
from settlements.governance import rules as governance_rules
from settlements.governance import services
from settlements.models import PointCategory

pytestmark = pytest.mark.browser

ID_1 = "11010519491231002X"


@pytest.fixture
def phone(page, live_server, official_a):
    """pytest-playwright's page (Debian Chromium at 390px, from tests/browser/conftest.py),
    logged in as the official through a session cookie."""
    client = Client()
    client.force_login(official_a)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return live_server.url, page


@pytest.fixture
def governed(settlement_a, official_a):
    # live_server flushes the database between tests, data migrations included.
    services.settlement_organisation_update(
        settlement=settlement_a,
        by=official_a,
        party_org=rules.PARTY_BRANCH,
        self_management=rules.SELF_EXECUTOR,
        party_leader_name="李书记",
        party_leader_phone="13900000001",
    )
    services.team_member_add(
        settlement=settlement_a,
        by=official_a,
        role=governance_rules.TEAM_GRID,
        name="王网格",
        phone="13900000002",
    )
    household = services.household_add(
        settlement=settlement_a,
        by=official_a,
        head_name="张三",
        id_number=ID_1,
        phone="13800000000",
    )
    services.point_entry_record(
        household=household,
        category=PointCategory.objects.get_or_create(name="爱护卫生")[0],
        points=Decimal("3"),
        reason="主动清扫公共楼道和绿化带垃圾",
        occurred_on=timezone.localdate(),
        by=official_a,
    )
    today = timezone.localdate()
    honour = services.honour_list_publish(
        settlement=settlement_a,
        period_start=today - datetime.timedelta(days=30),
        period_end=today,
        size=10,
        by=official_a,
    )
    return {"settlement": settlement_a, "household": household, "honour": honour}


def test_pages_fit_a_390px_phone(phone, governed):
    base, page = phone
    s = governed["settlement"].pk
    urls = [
        reverse("settlements:governance", args=[s]),
        reverse("settlements:organisation_edit", args=[s]),
        reverse("settlements:households", args=[s]),
        reverse("settlements:household", args=[s, governed["household"].pk]),
        reverse("settlements:honour_lists", args=[s]),
        reverse("settlements:honour_list", args=[s, governed["honour"].pk]),
        reverse("settlements:governance_gaps"),
        reverse("settlements:governance_import", args=["points"]),
    ]
    for url in urls:
        response = page.goto(base + url)
        assert response.status == 200, url
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{url} is {width}px wide at a 390px viewport"
    page.goto(base + reverse("settlements:governance", args=[s]))
    assert "“5员1长”队伍缺少角色" in page.inner_text("body")


def test_honour_list_prints_without_navigation(phone, governed):
    base, page = phone
    page.goto(
        base
        + reverse(
            "settlements:honour_list", args=[governed["settlement"].pk, governed["honour"].pk]
        )
    )
    page.emulate_media(media="print")
    assert not page.is_visible("header.topbar")
    assert not page.is_visible("text=打印")
    assert page.is_visible("text=居民积分红黑榜")
    assert page.pdf(format="A4")[:4] == b"%PDF"
