"""Under the Content-Security-Policy, in real Chromium: no page logs a CSP violation, and
the behaviour moved out of inline handlers (language switch, print) still works."""

import pytest
from django.test import Client

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def violations(page):
    """Console messages Chromium writes when the policy blocks something."""
    seen: list[str] = []
    page.on(
        "console",
        lambda msg: seen.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return seen


def test_language_switch_works_without_inline_script(page, live_server, violations):
    page.goto(f"{live_server.url}/login/")
    assert page.locator("h1").inner_text() == "登录"
    page.select_option('select[name="language"]', "en")
    page.wait_for_load_state()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("h1").inner_text() != "登录"
    assert violations == []


def test_pages_with_scripts_and_charts_log_no_csp_violation(
    page, live_server, violations, secretary, settlement_a
):
    client = Client()
    client.force_login(secretary)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    for path in (
        "/",
        "/dashboard/",
        f"/settlements/{settlement_a.pk}/",
        "/admin/",
        "/admin/settlements/settlement/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    assert violations == []


def test_print_button_prints_once(
    page, live_server, violations, official_a, township_a, settlement_a
):
    client = Client()
    client.force_login(official_a)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/dashboard/townships/{township_a.pk}/summary/?print=1")
    page.wait_for_load_state("networkidle")
    page.evaluate("window.__printed = 0; window.print = () => { window.__printed += 1; }; 0")
    page.click("button[data-print]")
    assert page.evaluate("window.__printed") == 1  # once: one handler, in static/js/site.js
    assert violations == []
