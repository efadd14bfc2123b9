"""`manage.py seed_inbox [--today YYYY-MM-DD]`: the demo's inbox after seed_demo.

Sends the day's deadline reminders (the daily job's service). Idempotent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from notifications import services


class Command(BaseCommand):
    help = "演示用：发送今天的截止提醒（自评、限期整改）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, default=None, help="以该日期为今天"
        )

    def handle(self, *args: Any, today: dt.date | None = None, **options: Any) -> None:
        reminders = services.reminders_send(today=today or timezone.localdate())
        self.stdout.write(f"消息 / inbox: 截止提醒 {reminders} 条")
