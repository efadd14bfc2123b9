"""Run one of the county's calendar jobs as of a date (operations and backfill).

    python manage.py run_cycle quarterly --date 2031-04-01   # opens 2031 Q1 (初评)
    python manage.py run_cycle semiannual --date 2031-07-01  # opens 2031 Q2 (复评)
    python manage.py run_cycle annual --date 2032-01-01      # opens 2031 Q4 (定评)
    python manage.py run_cycle daily --date 2031-04-12       # deadlines, reminders, notices

The same services the beat tasks call; running a job twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from ratings.services import cycle


class _Report(Protocol):
    def lines(self) -> Iterable[str]: ...


RUNNERS: dict[str, Callable[..., _Report]] = {
    cycle.QUARTERLY: cycle.quarterly_job,
    cycle.SEMIANNUAL: cycle.semiannual_job,
    cycle.ANNUAL: cycle.annual_job,
    cycle.DAILY: cycle.daily_job,
}
FIRST_DAY = dt.date(2001, 1, 1)  # rounds are kept for the years 2000–2100
LAST_DAY = dt.date(2100, 12, 31)


def parse_day(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("日期格式不正确：“%(value)s”。请写成 YYYY-MM-DD，例如 2031-04-01。")
            % {"value": value}
        ) from None
    if len(value) != 10:
        # fromisoformat also takes 20310401; operators must write the date unambiguously.
        raise CommandError(
            _("日期格式不正确：“%(value)s”。请写成 YYYY-MM-DD，例如 2031-04-01。")
            % {"value": value}
        )
    if not FIRST_DAY <= day <= LAST_DAY:
        raise CommandError(
            _("日期超出范围：%(value)s。只能在 %(first)s 至 %(last)s 之间。")
            % {"value": value, "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
        )
    return day


class Command(BaseCommand):
    help = _(
        "按指定日期运行考评周期任务：quarterly（季度）、semiannual（半年）、annual（年度）、daily（每日）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=list(RUNNERS), help=_("要运行的任务"))
        parser.add_argument(
            "--date",
            dest="day",
            default=None,
            help=_("按哪一天运行，格式 YYYY-MM-DD；省略则为今天（北京时间）"),
        )

    def handle(self, *args: Any, job: str, day: str | None, **options: Any) -> None:
        today = parse_day(day) if day is not None else timezone.localdate()
        try:
            report = RUNNERS[job](today=today)
        except ValidationError as error:
            raise CommandError("；".join(error.messages)) from error
        for line in report.lines():
            self.stdout.write(line)
