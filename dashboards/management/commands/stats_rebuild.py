"""`manage.py stats_rebuild [--year Y]`: recount the dashboards' stored aggregates and league
tables, then the live figures (dashboards.live).

For a backfill, or after a logged "statistics not refreshed" error. Idempotent.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dashboards.live import live_counts_refresh
from dashboards.stats import round_leagues_build, round_stats_rebuild
from ratings.models import Round


class Command(BaseCommand):
    help = "按星级评定重新统计各轮次的看板数据（可重复运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, default=None, help="只统计该年度的轮次")

    def handle(self, *args: Any, year: int | None, **options: Any) -> None:
        rounds = Round.objects.order_by("year", "quarter")
        if year is not None:
            rounds = rounds.filter(year=year)
        for rnd in rounds:
            rows = round_stats_rebuild(round=rnd)
            round_leagues_build(round=rnd)
            self.stdout.write(f"{rnd}: {rows}")
        live_counts_refresh()
        self.stdout.write(self.style.SUCCESS("统计已重建 / statistics rebuilt"))
