"""Login lockout (django-axes): per username+IP, on the site login and the admin login, a
Chinese page saying what happened and when to try again, lifted after the cool-off or by
the Party secretary in the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOCK_CODE = 'data-code="login_locked_out"'


def post_login(client, username, password, url=None):
    return client.post(url or reverse("login"), {"username": username, "password": password})


def logged_in(client) -> bool:
    return SESSION_KEY in client.session


def lock_out(client, username, url=None):
    for _ in range(30):
        post_login(client, username, "wrong-password", url)


def test_settings_lock_per_username_and_ip_for_a_cool_off():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


def test_thirty_wrong_passwords_then_the_right_one_is_refused_in_chinese(client, official_a):
    lock_out(client, "official_a")
    response = post_login(client, "official_a", PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCK_CODE in page
    assert "登录已暂时锁定" in page
    assert "连续 5 次密码错误" in page
    assert "请在 15 分钟后" in page
    assert not logged_in(client)


def test_below_the_limit_the_right_password_logs_in_and_resets(client, official_a):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert post_login(client, "official_a", "wrong").status_code == 200
    assert post_login(client, "official_a", PASSWORD).status_code == 302
    assert logged_in(client)
    assert not AccessAttempt.objects.filter(
        username="official_a", failures_since_start__gt=0
    ).exists()


def test_after_the_cool_off_the_right_password_logs_in(client, official_a):
    lock_out(client, "official_a")
    assert post_login(client, "official_a", PASSWORD).status_code == 429
    # Time passes: the last failure is now older than the cool-off.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time
        - settings.AXES_COOLOFF_TIME
        - timedelta(seconds=1)
    )
    response = post_login(client, "official_a", PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def test_trying_again_while_locked_restarts_the_cool_off(client, official_a):
    lock_out(client, "official_a")
    ten_minutes = timedelta(minutes=10)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - ten_minutes
    )
    assert (
        post_login(client, "official_a", "still-guessing").status_code == 429
    )  # restarts the clock
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - ten_minutes
    )
    # 20 minutes after the lockout, but only 10 after the last attempt: still locked.
    assert post_login(client, "official_a", PASSWORD).status_code == 429
    assert not logged_in(client)


def test_lock_is_per_username_and_ip(client, official_a, official_b):
    lock_out(client, "official_a")
    # Another user from the same computer is not locked out ...
    assert post_login(client, "official_b", PASSWORD).status_code == 302
    client.logout()
    # ... nor the same user from another computer.
    response = client.post(
        reverse("login"), {"username": "official_a", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 302


def test_admin_login_is_locked_too(client, secretary):
    url = reverse("admin:login")
    lock_out(client, "secretary", url)
    response = post_login(client, "secretary", PASSWORD, url)
    assert response.status_code == 429
    assert LOCK_CODE in response.content.decode()
    assert not logged_in(client)


def test_lockout_page_in_english(client, official_a):
    lock_out(client, "official_a")
    response = client.post(
        reverse("login"),
        {"username": "official_a", "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 429
    assert "Sign-in temporarily locked" in response.content.decode()


def test_secretary_sees_and_clears_the_lockout(client, official_a, secretary):
    lock_out(client, "official_a")
    attempt = AccessAttempt.objects.get(username="official_a")

    client.force_login(secretary)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    html = page.content.decode()
    assert "official_a" in html
    assert "登录锁定" in html and "连续失败次数" in html  # the admin speaks Chinese here too
    response = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()

    client.logout()
    assert post_login(client, "official_a", PASSWORD).status_code == 302


def test_official_cannot_see_or_clear_lockouts(client, official_a, official_b, township_a):
    lock_out(client, "official_b")
    attempt = AccessAttempt.objects.get(username="official_b")
    official_a.is_staff = True
    official_a.save(update_fields=["is_staff"])
    client.force_login(official_a)
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert client.get(changelist).status_code == 403
    response = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"}
    )
    assert response.status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()
    assert (
        client.get(reverse("admin:axes_accessattempt_delete", args=[attempt.pk])).status_code == 403
    )
