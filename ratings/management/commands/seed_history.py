"""`manage.py seed_history [--rounds R]`: rating history for every existing settlement, in bulk.

Thin: the work is ratings.demo_history.build_history. Run seed_demo first for the places.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ratings import demo_history, demo_live


class Command(BaseCommand):
    help = "为现有聚居点生成最近若干季度的考评历史（自评、县级考评、星级、整改、证书）及统计。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rounds",
            type=int,
            default=demo_history.DEFAULT_ROUNDS,
            help=f"季度轮次数（默认 {demo_history.DEFAULT_ROUNDS}）",
        )
        parser.add_argument(
            "--item-rounds",
            type=int,
            default=demo_history.DEFAULT_ITEM_ROUNDS,
            help="最近几轮生成逐项评分（默认 1）",
        )
        parser.add_argument(
            "--today", type=dt.date.fromisoformat, default=None, help="以该日期为今天（YYYY-MM-DD）"
        )
        parser.add_argument("--seed", default="demo-history", help="随机种子")
        parser.add_argument(
            "--live",
            action="store_true",
            help="演示用：最新一轮在“今天”正在进行（截止日期顺延），并通过业务服务把演示带到今天",
        )

    def handle(
        self,
        *args: Any,
        rounds: int,
        item_rounds: int,
        today: dt.date | None,
        seed: str,
        live: bool = False,
        **options: Any,
    ) -> None:
        started = time.monotonic()
        try:
            result = demo_history.build_history(
                rounds=rounds, item_rounds=item_rounds, today=today, seed=seed, live=live
            )
            if live:
                moved = demo_live.make_live(today=today or timezone.localdate())
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"考评历史已就绪 / history ready: 新建轮次 {result.rounds}、自评 {result.self_assessments}、"
                f"星级评定 {result.ratings}、整改 {result.rectifications}、证书 {result.certificates}"
                f"（{time.monotonic() - started:.1f} 秒）"
            )
        )
        if live:
            self.stdout.write(
                f"演示带到今天 / brought forward: 逾期 {moved.marked_overdue}、生效 {moved.took_effect}、"
                f"下达整改 {moved.orders_issued}、登记异议 {moved.objections_filed}"
            )
