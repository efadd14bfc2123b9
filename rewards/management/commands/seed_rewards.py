"""`manage.py seed_rewards [--today YYYY-MM-DD]`: the demo's reward amounts and ledger (rewards.demo)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from rewards import demo


class Command(BaseCommand):
    help = "为演示县设置去年和今年的奖励标准，生成奖励建议并模拟审批、发放；重复运行不会重复生成。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, default=None, help="以该日期为今天（YYYY-MM-DD）"
        )

    def handle(self, *args: Any, today: dt.date | None = None, **options: Any) -> None:
        quiet = logging.getLogger("rewards.services")
        level = quiet.level
        quiet.setLevel(logging.WARNING)  # one INFO line per proposal would bury the summary
        try:
            result = demo.seed_rewards(today=today or timezone.localdate())
        finally:
            quiet.setLevel(level)
        self.stdout.write(
            self.style.SUCCESS(
                f"奖励演示数据 / rewards: 新设标准 {result.schedules} 条、新建议 {result.proposed} 笔、"
                f"审批 {result.approved} 笔、发放 {result.paid} 笔"
            )
        )
