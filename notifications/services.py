"""Writes of the inbox: deliver (idempotent per user and event), mark read, remind.

``notify`` is called by the receivers (after the sender's transaction committed) and by
the daily reminder job. It creates at most one row per (recipient, key), and mails the
recipients that have an address through Django's email backend (console in development,
locmem in tests). A mail that fails is logged; the inbox row stays.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ratings.models import Rectification, SelfAssessment
from settlements.models import User

from . import messages, rules, selectors
from .models import Notification

logger = logging.getLogger(__name__)


def notify(
    *, recipients: Iterable[User], kind: str, key: str, params: dict[str, Any], link: str = ""
) -> list[Notification]:
    """One notification per recipient for this event; returns those created now."""
    if kind not in rules.KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    created: list[Notification] = []
    users = {u.pk: u for u in recipients if u is not None and u.is_active}
    if not users:
        return created
    have = set(
        Notification.objects.filter(recipient_id__in=users, key=key).values_list(
            "recipient_id", flat=True
        )
    )
    for pk, user in users.items():
        if pk in have:
            continue
        try:
            with transaction.atomic():
                created.append(
                    Notification.objects.create(
                        recipient=user, kind=kind, key=key, params=params, link=link
                    )
                )
        except IntegrityError:
            continue  # delivered by a concurrent run
    _email(created, users)
    return created


def _email(rows: list[Notification], users: dict[int, User]) -> None:
    outgoing = [row for row in rows if users[row.recipient_id].email]
    if not outgoing:
        return
    with translation.override(settings.LANGUAGE_CODE):
        site_url: str = getattr(settings, "SITE_URL", "")
        emails = [
            mail.EmailMessage(
                subject=_("【聚居点星级评定】%(title)s") % {"title": messages.title(row.kind)},
                body=messages.text(row.kind, row.params)
                + (f"\n\n{site_url.rstrip('/')}{row.link}" if row.link and site_url else ""),
                to=[users[row.recipient_id].email],
            )
            for row in outgoing
        ]
    try:
        with mail.get_connection() as connection:
            connection.send_messages(emails)
    except OSError:
        logger.exception("notifications: mail to %d recipient(s) failed", len(emails))
        return
    Notification.objects.filter(pk__in=[row.pk for row in outgoing]).update(
        emailed_at=timezone.now()
    )


def notification_mark_read(*, notification_id: int, by: User) -> Notification:
    """Mark one of the user's own notifications read (another user's is DoesNotExist -> 404)."""
    row = selectors.notifications_of(by).get(pk=notification_id)
    if row.read_at is None:
        row.read_at = timezone.now()
        row.save(update_fields=["read_at"])
    return row


def notifications_mark_all_read(*, by: User) -> int:
    return (
        selectors.notifications_of(by).filter(read_at__isnull=True).update(read_at=timezone.now())
    )


# ------------------------------------------------------------------ daily reminders


def reminders_send(*, today: dt.date) -> int:
    """Self-assessment deadlines and rectification deadlines within three days, once per deadline."""
    from . import recipients

    sent = 0
    horizon = today + dt.timedelta(days=rules.REMIND_DAYS)
    open_self = (
        SelfAssessment.objects.not_submitted()
        .filter(deadline__gte=today, deadline__lte=horizon)
        .select_related("settlement__village", "round")
        .order_by("pk")
    )
    for sa in open_self.iterator(chunk_size=500):
        sent += len(
            notify(
                recipients=recipients.officials_of(sa.settlement.village.township_id),
                kind=rules.DEADLINE_APPROACHING,
                key=f"deadline:{sa.pk}:{sa.deadline.isoformat()}",
                params={
                    "settlement": sa.settlement.name,
                    "round": str(sa.round),
                    "deadline": sa.deadline.isoformat(),
                    "days": rules.days_left(deadline=sa.deadline, today=today),
                },
                link=recipients.self_assessment_link(sa.pk),
            )
        )
    due = (
        Rectification.objects.open_in_time(today)
        .filter(deadline__lte=horizon)
        .select_related("settlement__village")
        .order_by("pk")
    )
    for rect in due.iterator(chunk_size=500):
        assert rect.deadline is not None  # filtered on the deadline above
        sent += len(
            notify(
                recipients=recipients.officials_of(rect.settlement.village.township_id),
                kind=rules.RECTIFICATION_DUE,
                key=f"rect-due:{rect.pk}:{rect.deadline.isoformat()}",
                params={
                    "settlement": rect.settlement.name,
                    "deadline": rect.deadline.isoformat(),
                    "days": rules.days_left(deadline=rect.deadline, today=today),
                },
                link=recipients.rectification_link(rect.pk),
            )
        )
    return sent
