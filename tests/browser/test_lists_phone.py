"""At 390 px (issue 15): the county dashboard's class table keeps its last columns (合计,
五星占比) on the screen or within a sideways scroll, the charts keep their axis labels,
and the list pages do not overflow the phone."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.dashboards.conftest import build_county

pytestmark = pytest.mark.browser


@pytest.fixture
def county_phone(page, live_server, assessor):
    build_county(townships=3, per_township=8, rounds=2)
    call_command("stats_rebuild", verbosity=0)  # the stored aggregates and the live figures
    client = Client()
    client.force_login(assessor)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return live_server.url, page


def test_class_tables_last_column_is_reachable_at_390px(county_phone, screenshot):
    base, page = county_phone
    page.goto(base + reverse("dashboard:county"))
    table = page.locator(
        "table.stat-table", has=page.locator("caption", has_text="各类别现有星级分布")
    )
    last = table.locator("thead th").last
    assert last.inner_text().strip() == "五星占比"
    assert table.locator("tbody tr").count() > 0  # real rows, not an empty table
    # The page itself never scrolls sideways: what is wide scrolls inside its own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    last.scroll_into_view_if_needed()
    box = last.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    cell = table.locator("tbody tr").first.locator("td").last
    cell.scroll_into_view_if_needed()
    assert cell.is_visible() and cell.inner_text().strip().endswith("%")
    screenshot("county-dashboard-390")


def test_chart_keeps_its_axis_labels_at_390px(county_phone):
    base, page = county_phone
    page.goto(base + reverse("dashboard:county"))
    page.wait_for_function("window.echarts && document.querySelector('.chart canvas, .chart svg')")
    shown = page.evaluate(
        """() => {
          const el = document.querySelector('.chart[data-chart="by_class"]');
          const chart = window.echarts.getInstanceByDom(el);
          const label = chart.getOption().xAxis[0].axisLabel;
          return {interval: label.interval, categories: chart.getOption().xAxis[0].data.length};
        }"""
    )
    assert shown["interval"] == 0 and shown["categories"] >= 1  # every category labelled


def test_list_pages_fit_the_phone(county_phone):
    base, page = county_phone
    for name in (
        "settlements:list",
        "ratings:queue",
        "ratings:rectification_list",
        "dashboard:league",
    ):
        page.goto(base + reverse(name))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
        assert page.locator("a[data-export]").count() == 1, name
