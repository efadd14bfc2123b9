"""Request types for views behind ``login_required``.

Django types ``request.user`` as "a user or AnonymousUser"; behind ``login_required`` it is
always a signed-in ``User``. Views annotate ``request: AuthenticatedHttpRequest`` so the
type checker knows it (django-stubs' documented pattern); ``acting_user`` checks it at run
time where no decorator does (admin actions).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User


def acting_user(request: HttpRequest) -> User:
    """The signed-in user making ``request``; refuses an anonymous one."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise PermissionDenied
    return user
