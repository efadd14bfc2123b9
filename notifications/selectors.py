"""Reads of the inbox: a user sees only their own notifications."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from .models import Notification


def notifications_of(user: Any) -> QuerySet[Notification]:
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=user.pk)


# The signed-in user's unread count, read with the user (settlements.auth) for the bell.
UNREAD_ATTRIBUTE = "unread_notifications"


def unread_subquery() -> Any:
    """The unread count of the user at ``OuterRef("pk")``, over the partial index."""
    unread = (
        Notification.objects.filter(recipient_id=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), Value(0))


def unread_count(user: Any) -> int:
    """The bell: the count read with the signed-in user, else one COUNT over the partial
    index of the user's unread rows."""
    if not getattr(user, "is_authenticated", False):
        return 0
    loaded = getattr(user, UNREAD_ATTRIBUTE, None)
    if loaded is not None:
        return int(loaded)
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()
