"""Reads scoped to the user. The only way views, admin, import and export get settlements."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Settlement, Township, Village
from .roles import is_official, sees_all_settlements


def townships_visible_to(user: Any) -> QuerySet[Township]:
    if sees_all_settlements(user):
        return Township.objects.all()
    if is_official(user):
        return Township.objects.filter(pk=user.township_id)
    return Township.objects.none()


def villages_visible_to(user: Any) -> QuerySet[Village]:
    if sees_all_settlements(user):
        return Village.objects.select_related("township")
    if is_official(user):
        return Village.objects.select_related("township").filter(township_id=user.township_id)
    return Village.objects.none()


def settlements_visible_to(user: Any) -> QuerySet[Settlement]:
    """Every settlement the user may see, with village and township joined."""
    qs = Settlement.objects.with_places()
    if sees_all_settlements(user):
        return qs
    if is_official(user):
        return qs.filter(village__township_id=user.township_id)
    return qs.none()
