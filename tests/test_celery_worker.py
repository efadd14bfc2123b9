"""End to end: a service queues a task on commit, a real Celery worker runs it, the DB shows it.

On a run without REDIS_URL the broker is kombu's in-process memory transport; with
REDIS_URL (CI) it is that Redis, and the Redis test proves the message sat in the real
Redis list before the worker took it. Under CI=true a missing Redis fails the Redis test.
"""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.celery import app as celery_app
from ratings import rules, services, tasks
from ratings.models import AssessmentStatus, Round

from .celery_conftest import queued_messages, running_worker

# The worker thread needs committed rows; serialized_rollback restores the data that
# migrations put in (default rubric, roles) for the tests that run after these.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def ended_quarter() -> tuple[int, int]:
    return rules.quarter_closed_before(timezone.localdate())


def assert_round_opened(rnd: Round, *, by, settlements) -> None:
    assert rnd.stage == rules.DEFAULT_STAGE_BY_QUARTER[rnd.quarter]
    assert rnd.opened_by == by
    assessments = rnd.self_assessments.all()
    assert {a.settlement_id for a in assessments} == {s.pk for s in settlements}
    assert {a.status for a in assessments} == {AssessmentStatus.NOT_STARTED}


def test_round_open_queued_on_commit_runs_in_real_worker(
    celery_worker, wait_for, secretary, settlement_a, settlement_b, rubric
):
    year, quarter = ended_quarter()
    with transaction.atomic():
        assert services.round_open_queue(year=year, quarter=quarter, by=secretary) is True
    rnd = wait_for(lambda: Round.objects.filter(year=year, quarter=quarter).first())
    assert_round_opened(rnd, by=secretary, settlements=[settlement_a, settlement_b])


def test_beat_task_with_a_date_runs_in_real_worker(celery_worker, wait_for, settlement_a, rubric):
    # What beat sends for a backfill or a retry: the task name and a date string.
    tasks.daily_job.delay("2031-07-15")
    opened = wait_for(lambda: Round.objects.filter(year=2031).count() == 2)
    assert opened
    assert sorted(Round.objects.values_list("quarter", "stage")) == [(1, "initial"), (2, "re")]


@pytest.mark.redis
def test_round_open_goes_through_real_redis(
    redis_broker, empty_queue, wait_for, secretary, settlement_a, rubric
):
    assert celery_app.connection_for_write().transport.driver_type == "redis"
    year, quarter = ended_quarter()
    with transaction.atomic():
        services.round_open_queue(year=year, quarter=quarter, by=secretary)
    # The message is in the real Redis list, waiting: nothing has consumed it yet.
    queue = celery_app.conf.task_default_queue
    assert redis.Redis.from_url(settings.REDIS_URL).llen(queue) == 1
    assert queued_messages() == 1
    assert not Round.objects.filter(year=year, quarter=quarter).exists()

    with running_worker():
        rnd = wait_for(lambda: Round.objects.filter(year=year, quarter=quarter).first())
    assert_round_opened(rnd, by=secretary, settlements=[settlement_a])
    assert queued_messages() == 0
