"""Celery door to the daily reminders (thin: one service call)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import services


@shared_task(
    name="notifications.tasks.daily_reminders",
    acks_late=True,
    autoretry_for=(OperationalError,),
    retry_backoff=10,
    max_retries=6,
)
def daily_reminders(day: str | None = None) -> int:
    today = dt.date.fromisoformat(day) if day else timezone.localdate()
    return services.reminders_send(today=today)
