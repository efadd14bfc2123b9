"""The page a locked-out login gets (django-axes' AXES_LOCKOUT_CALLABLE), site and admin alike.

It says in the user's language what happened (too many wrong passwords for this username
from this computer) and when to try again: the lock ends AXES_COOLOFF_TIME after the last
failed attempt, and this page answers that attempt, so the time is now + cool-off.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off, get_failure_limit
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

LOCKED_OUT_STATUS = 429


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else 0
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": minutes,
        "retry_at": timezone.localtime(timezone.now() + cool_off) if cool_off else None,
        "code": "login_locked_out",
    }
    return render(request, "registration/locked_out.html", context, status=LOCKED_OUT_STATUS)
