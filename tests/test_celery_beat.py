"""The beat schedule in config/settings.py fires on the county's calendar, in Shanghai time.

Fire times are computed with the very crontab objects beat uses (bound to the project's
Celery app, as beat binds them), not with a re-statement of the schedule.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab, maybe_schedule
from django.conf import settings

from config.celery import app
from ratings import rules
from ratings.models import Round

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def entry(task: str) -> crontab:
    [schedule] = [
        e["schedule"] for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == task
    ]
    return maybe_schedule(schedule, app=app)


def next_fire(schedule: crontab, after: dt.datetime) -> dt.datetime:
    """The first time strictly after ``after`` at which beat runs ``schedule``."""
    start, delta, _now = schedule.remaining_delta(after)
    return (start + delta).astimezone(SHANGHAI)


def fires_between(schedule: crontab, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    fires, current = [], start
    while (current := next_fire(schedule, current)) < end:
        fires.append(current)
    return fires


QUARTERLY = "ratings.tasks.quarterly_job"
SEMIANNUAL = "ratings.tasks.semiannual_job"
ANNUAL = "ratings.tasks.annual_job"
DAILY = "ratings.tasks.daily_job"


def test_beat_reads_crontabs_in_shanghai_time():
    assert settings.CELERY_TIMEZONE == settings.TIME_ZONE == "Asia/Shanghai"
    assert app.timezone == SHANGHAI
    assert entry(QUARTERLY).tz == SHANGHAI


def test_every_scheduled_task_is_registered_under_its_name():
    app.loader.import_default_modules()
    for name, e in settings.CELERY_BEAT_SCHEDULE.items():
        assert e["task"] in app.tasks, name
    assert "ratings.tasks.round_open_task" in app.tasks
    task = app.tasks[QUARTERLY]
    assert task.acks_late is True
    assert task.autoretry_for and task.retry_backoff


@pytest.mark.parametrize(
    ("task", "after", "expected"),
    [
        (QUARTERLY, at(2026, 1, 15, 12, 0), at(2026, 4, 1, 0, 5)),
        (QUARTERLY, at(2026, 4, 1, 0, 5), at(2026, 10, 1, 0, 5)),
        (QUARTERLY, at(2026, 4, 2, 0, 0), at(2026, 10, 1, 0, 5)),
        (QUARTERLY, at(2026, 7, 1, 0, 0), at(2026, 10, 1, 0, 5)),
        (QUARTERLY, at(2026, 10, 1, 0, 5), at(2027, 4, 1, 0, 5)),
        (SEMIANNUAL, at(2026, 1, 15, 12, 0), at(2026, 7, 1, 0, 5)),
        (SEMIANNUAL, at(2026, 7, 1, 0, 5), at(2027, 7, 1, 0, 5)),
        (ANNUAL, at(2026, 1, 1, 0, 5), at(2027, 1, 1, 0, 5)),
        (ANNUAL, at(2026, 12, 31, 23, 59), at(2027, 1, 1, 0, 5)),
        (DAILY, at(2026, 3, 31, 23, 30), at(2026, 4, 1, 1, 30)),
        (DAILY, at(2026, 4, 1, 1, 30), at(2026, 4, 2, 1, 30)),
        (DAILY, at(2026, 4, 1, 1, 29), at(2026, 4, 1, 1, 30)),
    ],
)
def test_next_fire_time(task, after, expected):
    assert next_fire(entry(task), after) == expected


def test_quarterly_fires_just_after_shanghai_midnight_not_utc_midnight():
    # 2026-03-31 23:30 in Shanghai is still Q1; the quarterly job fires five minutes
    # into 1 April Shanghai time, which is 16:05 on 31 March in UTC.
    fire = next_fire(entry(QUARTERLY), at(2026, 3, 31, 23, 30))
    assert fire == at(2026, 4, 1, 0, 5)
    assert fire.astimezone(UTC) == dt.datetime(2026, 3, 31, 16, 5, tzinfo=UTC)
    # The same instant expressed in UTC gives the same answer.
    assert next_fire(entry(QUARTERLY), dt.datetime(2026, 3, 31, 15, 30, tzinfo=UTC)) == fire


def test_is_due_only_once_the_shanghai_day_has_begun():
    schedule = entry(QUARTERLY)
    last_run = at(2025, 10, 1, 0, 5)
    with mock.patch.object(schedule, "nowfun", lambda: at(2026, 3, 31, 23, 59)):
        due, _next = schedule.is_due(last_run)
        assert due is False
    with mock.patch.object(schedule, "nowfun", lambda: at(2026, 4, 1, 0, 5, 30)):
        due, _next = schedule.is_due(last_run)
        assert due is True
    # Having run at 00:05 on 1 April, it is not due again on 2 April.
    with mock.patch.object(schedule, "nowfun", lambda: at(2026, 4, 2, 0, 5, 30)):
        due, _next = schedule.is_due(at(2026, 4, 1, 0, 5))
        assert due is False


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        (
            QUARTERLY,
            [
                at(2026, 4, 1, 0, 5),
                at(2026, 10, 1, 0, 5),
                at(2027, 4, 1, 0, 5),
                at(2027, 10, 1, 0, 5),
            ],
        ),
        (SEMIANNUAL, [at(2026, 7, 1, 0, 5), at(2027, 7, 1, 0, 5)]),
        (ANNUAL, [at(2027, 1, 1, 0, 5)]),
    ],
)
def test_opening_jobs_fire_on_their_days_only(task, expected):
    # Guards against month_of_year="*/3" with the default day_of_month="*", which
    # fires every day of those months.
    assert fires_between(entry(task), at(2026, 1, 1, 0, 5), at(2028, 1, 1, 0, 0)) == expected


def test_daily_job_fires_once_every_day_including_leap_day():
    fires = fires_between(entry(DAILY), at(2027, 12, 31, 12, 0), at(2029, 1, 1, 0, 0))
    assert len(fires) == 366
    assert at(2028, 2, 29, 1, 30) in fires
    assert all(f.hour == 1 and f.minute == 30 for f in fires)


@pytest.mark.parametrize(
    ("task", "fire", "opens"),
    [
        (QUARTERLY, at(2026, 4, 1, 0, 5), (2026, 1)),
        (SEMIANNUAL, at(2026, 7, 1, 0, 5), (2026, 2)),
        (QUARTERLY, at(2026, 10, 1, 0, 5), (2026, 3)),
        (ANNUAL, at(2027, 1, 1, 0, 5), (2026, 4)),
    ],
)
def test_each_fire_opens_the_quarter_just_ended(task, fire, opens):
    assert rules.quarter_closed_before(fire.date()) == opens
    # One minute before the fire, in Shanghai, the quarter has not ended yet.
    assert rules.quarter_closed_before((fire - dt.timedelta(minutes=6)).date()) != opens


@pytest.mark.django_db
def test_beat_fire_at_shanghai_midnight_opens_the_ended_quarter(settlement_a, rubric):
    from ratings import tasks

    # 23:30 on 31 March (Shanghai) is still Q1: the job opens nothing that night.
    with mock.patch(
        "django.utils.timezone.now", return_value=at(2026, 3, 31, 23, 30).astimezone(UTC)
    ):
        tasks.quarterly_job()
    assert not Round.objects.exists()
    # Beat fires at 00:05 on 1 April Shanghai time (still 31 March in UTC): Q1 opens.
    fire = next_fire(entry(QUARTERLY), at(2026, 3, 31, 23, 30))
    with mock.patch("django.utils.timezone.now", return_value=fire.astimezone(UTC)):
        tasks.quarterly_job()
    rnd = Round.objects.get()
    assert (rnd.year, rnd.quarter, rnd.stage) == (2026, 1, rules.STAGE_INITIAL)
    assert rnd.opened_on == dt.date(2026, 4, 1)
