"""#15 Done when: from ``seed_demo`` on three dates — mid-quarter, the day after a quarter
ends, 1 January — the official, the assessor and the secretary each log in (at 390 px)
and find work waiting for them.

The demo is built relative to "today": the test makes that date today for the whole
process (the live server runs in a thread of it) by moving ``django.utils.timezone.now``
to the date, the clock still running; ``seed_demo --today`` seeds as of the same day.
One seed per date.
"""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SIZE = 36  # six townships of six: small enough to seed three times
SHANGHAI = ZoneInfo("Asia/Shanghai")
DATES = {
    "mid-quarter": dt.date(2026, 11, 16),
    "day-after-quarter": dt.date(2026, 10, 1),
    "1-january": dt.date(2027, 1, 1),
}


@pytest.fixture
def demo_today(request, monkeypatch):
    """The demo's date made today (09:30 Shanghai time, the clock running from there)."""
    day: dt.date = request.param
    real_now = timezone.now
    offset = dt.datetime.combine(day, dt.time(9, 30), tzinfo=SHANGHAI) - real_now()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + offset)
    assert timezone.localdate() == day
    call_command(
        "seed_demo", "--settlements", str(SIZE), "--today", day.isoformat(), stdout=StringIO()
    )
    return day


def _log_in(page, base: str, username: str) -> None:
    from settlements.demo import DEMO_PASSWORD

    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.click('button[type="submit"].primary')
    page.wait_for_load_state()
    expect(page.locator("a.bell")).to_be_visible()  # logged in: the navigation shows the bell


def _pending(page) -> dict[str, int]:
    """The dashboard's 待办 box: label -> count."""
    box = page.locator("section.kpi.pending")
    expect(box).to_be_visible()
    labels = box.locator("dt").all_inner_texts()
    values = box.locator("dd").all_inner_texts()
    return {
        label.strip(): int(re.sub(r"\D", "", v) or 0)
        for label, v in zip(labels, values, strict=True)
    }


def _unread(page) -> int:
    label = page.locator("a.bell").get_attribute("aria-label") or ""
    found = re.search(r"\((\d+)\)", label)
    return int(found.group(1)) if found else 0


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("demo_today", list(DATES.values()), ids=list(DATES), indirect=True)
def test_official_assessor_and_secretary_find_work_on_any_demo_date(
    demo_today, page, live_server, screenshot
):
    base = live_server.url
    page.set_default_timeout(30_000)
    tag = demo_today.isoformat()

    # The official: self-assessments to fill in this round, and a message waiting.
    _log_in(page, base, "official")
    pending = _pending(page)
    assert pending["自评未提交"] > 0, pending
    assert _unread(page) > 0
    page.goto(base + reverse("ratings:round_current"))
    todo = page.locator("td.actions a.primary")  # 开始自评 / 继续填报 / 修改退回条目
    assert todo.count() > 0
    _fits(page)
    screenshot(f"demo-{tag}-official-round")
    todo.first.click()
    page.wait_for_load_state()
    expect(page.locator("form.score-form")).to_be_visible()
    expect(page.locator('button[value="submit"]')).to_be_enabled()  # open for work, not locked
    # The organisation facts beside the 组织建设 items, within the phone's width.
    expect(page.locator("[data-organisation-facts]")).to_be_visible()
    _fits(page)
    screenshot(f"demo-{tag}-official-self-assessment")

    # The assessor: reviews waiting in the queue.
    _log_in(page, base, "assessor")
    pending = _pending(page)
    assert pending["待县级考评"] > 0, pending
    page.goto(base + reverse("ratings:queue") + "?review=todo")
    rows = page.locator("td.actions a.button.primary")  # 现场考评
    assert rows.count() > 0
    _fits(page)
    screenshot(f"demo-{tag}-assessor-queue")
    rows.first.click()
    page.wait_for_load_state()
    expect(page.locator('button[value="finalise"]')).to_be_enabled()
    expect(page.locator("[data-organisation-facts]")).to_be_visible()
    _fits(page)

    # The secretary: the county's to-do, and reward proposals waiting for approval.
    _log_in(page, base, "secretary")
    pending = _pending(page)
    assert sum(pending.values()) > 0, pending
    from rewards.models import Disbursement, DisbursementStatus

    year = (
        Disbursement.objects.filter(status=DisbursementStatus.PROPOSED)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
    )
    assert year is not None
    page.goto(base + reverse("rewards:list") + f"?year={year}&status=proposed")
    proposals = page.locator("span.badge.reward-proposed")
    assert proposals.count() > 0
    _fits(page)
    screenshot(f"demo-{tag}-secretary-rewards")
