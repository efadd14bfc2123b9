"""Bounded idle time for logged-in sessions, without a database write on every request.

SESSION_SAVE_EVERY_REQUEST would push the expiry forward on every page view, at the cost
of one UPDATE each time. This middleware stamps the session when it is saved anyway (a
login) and re-saves it only when the stamp is older than SESSION_REFRESH_SECONDS, so a
session idle for SESSION_COOKIE_AGE ends, and an active one costs one write per few
minutes. It reads the session only when the request has already loaded it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

STAMP = "_last_refresh"


class IdleSessionRefreshMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.accessed or SESSION_KEY not in session:
            return response
        now = int(timezone.now().timestamp())
        stamp = session.get(STAMP)
        if session.modified or (
            isinstance(stamp, int) and now - stamp >= settings.SESSION_REFRESH_SECONDS
        ):
            session[STAMP] = now
        return response
