"""Real headless Chromium (Debian's /usr/bin/chromium) driven by pytest-playwright.

``playwright install`` cannot download browsers here, so the launch points at the
system Chromium. Without it the tests skip on a developer machine and fail under
CI=true (tests.conftest.require_service). Pages are served by pytest-django's
``live_server`` (transactional database).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import require_service

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
# still plain synchronous code, so Django's async-safety guard must not refuse them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require_service("Chromium", os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is not installed")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A phone: 390×844, touch, Chinese, Shanghai time."""
    return {
        **browser_context_args,
        "viewport": PHONE,
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
    }


@pytest.fixture(autouse=True)
def _browser_world(settings, tmp_path, transactional_db):
    """What the migrations put in the database, whatever ran before.

    The browser modules use serialized_rollback, which restores the migrated data (the
    default rubric, the role groups); a transactional test elsewhere without it flushes
    them, so both are ensured again here (each call is idempotent). Uploaded files go to
    a temporary MEDIA_ROOT; passwords use a fast hasher.
    """
    from ratings.models import Rubric, RubricItem
    from ratings.rubric_loader import install_default_rubric
    from settlements.roles import sync_role_permissions

    install_default_rubric(Rubric, RubricItem)
    sync_role_permissions()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def screenshot(page):
    """screenshot("name") saves tests/screenshots/<name>.png (the full page, or what the
    phone's screen shows with full_page=False) and returns its path."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def _shot(name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return _shot


@pytest.fixture
def log_in(page, live_server):
    from tests.conftest import PASSWORD

    def _log_in(user) -> None:
        page.goto(f"{live_server.url}/login/")
        page.fill('input[name="username"]', user.username)
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"].primary')
        page.wait_for_load_state()

    return _log_in
