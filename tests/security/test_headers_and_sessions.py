"""Content-Security-Policy without inline script, and sessions that end with the browser
and after a bounded idle time (shared township office computers)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from config.sessions import STAMP
from tests.conftest import PASSWORD

ROOT = Path(settings.BASE_DIR)


# ------------------------------------------------------------------------------ CSP


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/login/", "/", "/settlements/", "/admin/", "/admin/login/"])
def test_every_page_carries_a_csp_without_inline_script(client, secretary, url):
    if url not in ("/login/", "/admin/login/"):
        client.force_login(secretary)
    response = client.get(url, follow=True)
    assert response.status_code == 200
    directives = csp_directives(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in directives["default-src"]


def project_templates() -> list[Path]:
    found = []
    for base in [
        ROOT / "templates",
        *(ROOT / app / "templates" for app in ("settlements", "ratings", "rewards")),
    ]:
        if base.is_dir():
            found.extend(sorted(base.rglob("*.html")))
    return found


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)
EVENT_HANDLER = re.compile(r"<[^>]*\s(on[a-z]+)\s*=", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def test_templates_hold_no_inline_script_or_event_handler():
    templates = project_templates()
    assert len(templates) > 20  # the scan really looks at the project's templates
    problems = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT)
        for attrs, body in SCRIPT_TAG.findall(text):
            data_block = re.search(r"""type\s*=\s*["']application/(ld\+)?json["']""", attrs)
            if "src=" not in attrs and not data_block:
                problems.append(f"{name}: inline <script>")
            elif body.strip() and not data_block:
                problems.append(f"{name}: <script src> with a body")
        problems += [f"{name}: {m.group(1)}= handler" for m in EVENT_HANDLER.finditer(text)]
        problems += [f"{name}: javascript: URL" for _ in JS_URL.finditer(text)]
    assert problems == []


def test_scan_catches_what_it_is_meant_to_catch():
    assert EVENT_HANDLER.search('<button type="button" onclick="window.print()">')
    assert EVENT_HANDLER.search('<select name="x"\n  onchange="this.form.submit()">')
    assert not EVENT_HANDLER.search("<button data-print>")
    assert SCRIPT_TAG.search("<script>alert(1)</script>")


# --------------------------------------------------------------------------- sessions


def test_session_settings():
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE == 2 * 60 * 60
    assert settings.SESSION_REFRESH_SECONDS < settings.SESSION_COOKIE_AGE


def real_login(client, username="official_a"):
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return response


@pytest.mark.django_db
def test_session_cookie_ends_with_the_browser(client, official_a):
    response = real_login(client)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == ""
    assert cookie["max-age"] == ""
    assert client.session[STAMP]  # the login stamped the session


@contextmanager
def at(moment):
    """The clock at ``moment``: the database's expiry dates and the cache's timeouts alike
    (sessions are read through the cache: an idle session must end in both)."""
    with (
        mock.patch("django.utils.timezone.now", return_value=moment),
        mock.patch("django.core.cache.backends.locmem.time.time", return_value=moment.timestamp()),
    ):
        yield


@pytest.mark.django_db
def test_session_ends_after_two_idle_hours(client, official_a):
    start = timezone.now()
    with at(start):
        real_login(client)
    with at(start + timedelta(hours=1, minutes=59)):
        assert client.get(reverse("settlements:list")).status_code == 200
    # Activity at 1:59 pushed the expiry to 3:59; activity at 3:58 pushes it to 5:58, so
    # 6:00 comes after two idle hours.
    with at(start + timedelta(hours=3, minutes=58)):
        assert client.get(reverse("settlements:list")).status_code == 200
    with at(start + timedelta(hours=6)):
        response = client.get(reverse("settlements:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_idle_session_without_activity_expires(client, official_a):
    start = timezone.now()
    with at(start):
        real_login(client)
    with at(start + timedelta(hours=2, seconds=1)):
        response = client.get(reverse("settlements:list"))
    assert response.status_code == 302


@pytest.mark.django_db
def test_activity_refreshes_the_session_at_most_every_few_minutes(client, official_a):
    start = timezone.now()
    with at(start):
        real_login(client)
    key = client.session.session_key
    expiry_after_login = Session.objects.get(pk=key).expire_date
    with at(start + timedelta(minutes=1)):
        client.get(reverse("settlements:list"))
    assert Session.objects.get(pk=key).expire_date == expiry_after_login  # no write
    with at(start + timedelta(minutes=10)):
        client.get(reverse("settlements:list"))
    assert Session.objects.get(pk=key).expire_date == expiry_after_login + timedelta(minutes=10)


@pytest.mark.django_db
def test_force_login_session_is_not_rewritten(client, official_a):
    client.force_login(official_a)
    client.get(reverse("settlements:list"))
    assert STAMP not in client.session
    assert SESSION_KEY in client.session
