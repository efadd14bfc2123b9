"""What the offline field tests share (今日考评 and 离线自评): a camera photo with EXIF, saving a
pack to the phone, a phone without the service worker (so every upload can be cut), the
no-sideways-scroll check."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.photos import photo_bytes


def camera_photo(seed: int = 5) -> dict:
    taken = dt.datetime.now().replace(microsecond=0)  # noqa: DTZ005 - camera local time
    return {
        "name": "IMG_0001.jpg",
        "mimeType": "image/jpeg",
        "buffer": photo_bytes(seed=seed, taken=taken, lat=28.1, lon=104.6),
    }


def save_to_phone(page, live_server, pk: int, path: str = "/ratings/field/") -> None:
    page.goto(f"{live_server.url}{path}")
    page.check(f'[data-candidate="{pk}"]')
    page.click("[data-download]")
    expect(page.locator(f'[data-pack="{pk}"]')).to_be_visible()


def no_horizontal_scroll(page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"page is {overflow}px wider than the phone"


def log_in_on(page, live_server, user) -> None:
    from tests.conftest import PASSWORD

    page.goto(f"{live_server.url}/login/")
    page.fill('input[name="username"]', user.username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"].primary')
    page.wait_for_load_state()


def lose_first_answers(context, pattern: str) -> dict[str, int]:
    """The first draft upload and the first photo upload reach the server, which stores
    them, but their answers never reach the phone. Returns the count of answers lost per
    kind ("draft", "photo"), raised only once the server has answered."""
    lost = {"draft": 0, "photo": 0}
    started: set[str] = set()

    def lose_first_answer(route):
        kind = "photo" if "/sync/photo/" in route.request.url else "draft"
        if kind not in started:
            started.add(kind)
            route.fetch()  # the server stores it…
            lost[kind] += 1  # …only now counted, so the checks never race the server
            route.abort("connectionreset")  # …and the answer never reaches the phone
        else:
            route.continue_()

    context.route(pattern, lose_first_answer)
    return lost


def wait_until_lost(page, lost: dict[str, int]) -> None:
    for _ in range(150):  # route handlers run while Playwright waits
        if lost == {"draft": 1, "photo": 1}:
            break
        page.wait_for_timeout(100)
    assert lost == {"draft": 1, "photo": 1}  # both answers lost


@pytest.fixture
def no_worker_page(browser):
    """A phone without the service worker, so Playwright can see (and cut) every upload."""
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        service_workers="block",
    )
    yield context, context.new_page()
    context.close()
