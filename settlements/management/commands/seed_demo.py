"""`manage.py seed_demo [--settlements N]`: the demo county, idempotent and deterministic.

Thin: each step is a function in settlements/demo.py. Steps run in order; a later step
(for example a rating history) goes after ``build_places`` and ``ensure_users``.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from settlements import demo

HISTORY_ROUNDS = 6  # a year and a half of rounds, every one scored item by item


class Command(BaseCommand):
    help = "生成演示县（乡镇、村、聚居点与三个演示账号）；重复运行不会改变任何数据。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--settlements",
            type=int,
            default=demo.DEFAULT_SETTLEMENTS,
            help=f"聚居点数量（默认 {demo.DEFAULT_SETTLEMENTS}，与屏山县相同）",
        )
        parser.add_argument("--logins-only", action="store_true", help="只打印演示账号，不写数据库")
        parser.add_argument(
            "--no-history", action="store_true", help="只生成地点和账号，不生成考评历史"
        )
        parser.add_argument(
            "--today",
            type=dt.date.fromisoformat,
            default=None,
            help="以该日期为今天（YYYY-MM-DD，默认今天）：最新一轮在这一天正在进行",
        )

    def handle(
        self,
        *args: Any,
        settlements: int,
        logins_only: bool,
        no_history: bool = False,
        today: dt.date | None = None,
        **options: Any,
    ) -> None:
        if not logins_only:
            if settlements < 1:
                raise CommandError("--settlements 必须至少为 1。")
            started = time.monotonic()
            try:
                # One transaction: a failing step leaves nothing half-built.
                with transaction.atomic():
                    places = demo.build_places(settlements)
                    demo.ensure_users()
                    demo.ensure_township_officials()
                    demo.build_governance()
                    if not no_history:
                        # Rounds, ratings, rectifications and certificates, the newest round in
                        # progress on ``today``, every score from its items; then reward money.
                        # Called by name: settlements imports neither ratings nor rewards.
                        history = [
                            "--live",
                            "--item-rounds",
                            str(HISTORY_ROUNDS),
                            "--rounds",
                            str(HISTORY_ROUNDS),
                        ]
                        if today is not None:
                            history += ["--today", today.isoformat()]
                        call_command("seed_history", *history, stdout=self.stdout)
                        call_command(
                            "seed_rewards", *(history[-2:] if today else []), stdout=self.stdout
                        )
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            if not no_history:
                # After the commit: the workflow's notifications are delivered on commit.
                call_command(
                    "seed_inbox",
                    *(["--today", today.isoformat()] if today else []),
                    stdout=self.stdout,
                )
            self.stdout.write(
                self.style.SUCCESS(
                    f"演示县已就绪 / demo county ready: 新建乡镇 {places.townships}、村 {places.villages}、"
                    f"聚居点 {places.settlements}（{time.monotonic() - started:.1f} 秒）"
                )
            )
        self.print_logins()

    def print_logins(self) -> None:
        self.stdout.write(f"演示账号 / demo logins — 密码 password: {demo.DEMO_PASSWORD}")
        for username, note in demo.describe_logins():
            self.stdout.write(f"  {username:<10} {note}")
