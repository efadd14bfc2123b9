"""Faults survived: a task delivered twice, PostgreSQL restarted under the web and the
worker, Redis unavailable for a while.

The double-delivery and Redis-down tests run everywhere (the real worker in a thread,
on kombu's memory transport locally and on the real Redis in CI). The PostgreSQL
restart tests need the real server and a command that restarts it: .ci/run exports it
as STARS_PG_RESTART; under CI=true a missing one fails, never skips.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from celery.signals import task_postrun
from django.conf import settings
from django.db import OperationalError, close_old_connections, connection, connections
from django.urls import reverse

from config.celery import app as celery_app
from core import queueing
from ratings import tasks
from ratings.models import Rating, RatingStatus, Round, SelfAssessment, StarChange
from ratings.services import cycle
from ratings.services import rounds as round_services
from rewards import tasks as reward_tasks
from rewards.models import Disbursement
from tests.conftest import require_service
from tests.ratings.test_cycle import rated
from tests.ratings.test_cycle import snapshot as cycle_snapshot
from tests.rewards.conftest import YEAR, rate, schedule

from .celery_conftest import running_worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
D = dt.date


def snapshot() -> tuple:
    """Everything these tasks may write, history included."""
    return (
        cycle_snapshot(),
        list(Disbursement.objects.order_by("pk").values_list("pk", "kind", "amount", "rating_id")),
        Disbursement.history.count(),
        Rating.history.count(),
        list(StarChange.objects.order_by("pk").values_list("pk")),
    )


@contextmanager
def finished() -> Iterator[list[tuple[str, str]]]:
    """(task name, task id) of every task run that has ended, in order."""
    done: list[tuple[str, str]] = []

    def on_postrun(sender=None, task_id=None, **kwargs):
        done.append((sender.name, task_id))

    task_postrun.connect(on_postrun, weak=False)
    try:
        yield done
    finally:
        task_postrun.disconnect(on_postrun)


def deliver_twice(task, args, wait_for, *, follow_up: str | None = None) -> tuple[tuple, tuple]:
    """Send the same message (same task id) twice, as a broker redelivers an unacknowledged
    one after its worker died; the state after each delivery, once the worker is idle."""
    task_id = str(uuid.uuid4())
    with finished() as done:
        task.apply_async(args=args, task_id=task_id)
        wait_for(lambda: (task.name, task_id) in done, timeout=60)
        if follow_up:
            wait_for(lambda: any(name == follow_up for name, _ in done), timeout=60)
        first = snapshot()
        count = len(done)
        task.apply_async(args=args, task_id=task_id)
        wait_for(lambda: done[count:].count((task.name, task_id)) == 1, timeout=60)
        second = snapshot()
    return first, second


# ---------------------------------------------------------------- delivered twice


def test_round_opening_delivered_twice_changes_nothing(
    celery_worker, wait_for, secretary, settlement_a, settlement_b, rubric
):
    # The secretary confirmed opening before the quarter ended (today is before 2031-04-01).
    first, second = deliver_twice(tasks.round_open_task, (2031, 1, secretary.pk, True), wait_for)
    assert Round.objects.filter(year=2031, quarter=1).count() == 1
    assert SelfAssessment.objects.count() == 2
    assert second == first


def test_taking_effect_delivered_twice_changes_nothing(
    celery_worker, wait_for, settlement_a, assessor, rubric
):
    rnd = cycle.quarterly_job(today=D(2031, 4, 1)).round
    rating = rated(settlement_a, rnd, assessor, score="92.0", notice_ends_on=D(2031, 4, 20))
    schedule(year=2031)

    first, second = deliver_twice(
        tasks.daily_job, ("2031-04-21",), wait_for, follow_up=reward_tasks.propose_for_rating.name
    )
    rating.refresh_from_db()
    assert rating.status == RatingStatus.EFFECTIVE
    assert Disbursement.objects.filter(rating=rating).exists()  # the follow-up proposal ran
    assert second == first


def test_reward_proposal_delivered_twice_changes_nothing(
    celery_worker, wait_for, settlement_a, rubric
):
    schedule()
    rating = rate(settlement_a, 1, 4, rubric=rubric)

    first, second = deliver_twice(reward_tasks.propose_for_rating, (rating.pk,), wait_for)
    assert [d.amount for d in Disbursement.objects.all()] == [Decimal("8000.00")]
    assert second == first


# ------------------------------------------------------------------ Redis unavailable


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: a Redis that is down
    return port


@contextmanager
def broker_down() -> Iterator[None]:
    """The app's broker is a Redis that refuses connections, until the block ends."""
    real_url = celery_app.conf.broker_url
    real_options = dict(celery_app.conf.broker_transport_options or {})

    def use(url: str, options: dict) -> None:
        celery_app.conf.broker_url = url
        celery_app.conf.broker_transport_options = options
        celery_app._after_fork()  # drop the pooled connections to the previous broker

    use(f"redis://127.0.0.1:{closed_port()}/0", {"socket_connect_timeout": 2, "socket_timeout": 5})
    try:
        yield
    finally:
        use(real_url, real_options)


def test_broker_waits_are_short():
    # What bounds a request's wait on a broker that is down or unreachable.
    assert settings.CELERY_BROKER_CONNECTION_TIMEOUT <= 2
    policy = settings.CELERY_TASK_PUBLISH_RETRY_POLICY
    assert policy["max_retries"] <= 2 and policy["interval_max"] <= 1
    if settings.REDIS_URL:
        assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"] <= 2


def test_redis_down_pages_work_and_the_daily_catch_up_does_the_missed_job(
    empty_queue, wait_for, client, assessor, settlement_a, rubric
):
    schedule()
    rating = rate(settlement_a, 1, 5, rubric=rubric)
    client.force_login(assessor)
    url = reverse("ratings:rating_change", args=[rating.pk])

    with broker_down():
        assert client.get(reverse("ratings:rating", args=[rating.pk])).status_code == 200
        response = client.post(
            url, {"action": "downgrade", "reason": "发生安全事故", "expected_stars": 5}, follow=True
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "星级已调整" in page  # what was saved is saved ...
        assert "后台任务暂时无法排队" in page  # ... and the person is told the rest comes later
        assert queueing.enqueue(reward_tasks.catch_up) is False
    rating.refresh_from_db()
    assert rating.stars == 4
    assert not Disbursement.objects.exists()  # the proposal could not be queued

    # Redis is back: the daily catch-up proposes what the lost task would have.
    with finished() as done, running_worker():
        assert queueing.enqueue(reward_tasks.catch_up, f"{YEAR + 1}-03-01") is True
        wait_for(lambda: any(name == reward_tasks.catch_up.name for name, _ in done), timeout=60)
    assert Disbursement.objects.filter(rating=rating).exists()


def test_enqueue_outside_a_request_reports_failure_without_raising():
    with broker_down():
        assert queueing.enqueue(reward_tasks.catch_up) is False


# ------------------------------------------------------------- PostgreSQL restarted


@pytest.fixture
def restart_postgres():
    require_service(
        "PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL to a PostgreSQL database"
    )
    command = os.environ.get("STARS_PG_RESTART", "")
    require_service(
        "a PostgreSQL restart command",
        bool(command),
        "STARS_PG_RESTART is not set (.ci/run sets it)",
    )

    def _restart() -> None:
        result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr

    yield _restart
    connections.close_all()  # the test thread's own connection died with the server too


def query_after_restart(probe):
    """A probe run from the test thread, which reconnects like a request does."""

    def _probe():
        close_old_connections()
        try:
            return probe()
        except OperationalError:
            connections.close_all()
            return None

    return _probe


def wsgi_get(path: str, session_key: str) -> int:
    """A GET through Django's real WSGI handler in this thread, as gunicorn serves it.

    The test client skips close_old_connections at request start and end (so a test's
    transaction survives); the real handler runs them, and they are what keeps or checks
    a persistent connection.
    """
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    environ = RequestFactory()._base_environ(  # type: ignore[attr-defined]  # the WSGI environ a browser sends
        PATH_INFO=path,
        REQUEST_METHOD="GET",
        HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}={session_key}",
    )
    status: list[str] = []
    body = WSGIHandler()(environ, lambda s, headers, exc_info=None: status.append(s))
    try:
        b"".join(body)
    finally:
        body.close()  # request_finished: the connection is kept (CONN_MAX_AGE) or closed
    return int(status[0].split()[0])


@pytest.mark.postgres
def test_postgres_restart_next_request_succeeds(restart_postgres, client, secretary, settlement_a):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    client.force_login(secretary)
    session_key = client.session.session_key
    url = reverse("settlements:list")
    assert wsgi_get(url, session_key) == 200
    kept = connection.connection
    assert kept is not None  # the request kept its connection (CONN_MAX_AGE)

    restart_postgres()

    assert wsgi_get(url, session_key) == 200
    assert connection.connection is not kept  # reconnected, not failed on the dead one


@pytest.mark.postgres
def test_postgres_restart_mid_task_is_retried_and_applies_once(
    restart_postgres,
    empty_queue,
    wait_for,
    monkeypatch,
    secretary,
    settlement_a,
    settlement_b,
    rubric,
):
    real_save = round_services._save  # type: ignore[attr-defined]  # patched where round_open uses it
    restarted: list[bool] = []

    def save_then_lose_the_server(*args, **kwargs):
        result = real_save(*args, **kwargs)
        if not restarted:  # the round row is written, the self-assessments are not yet
            restarted.append(True)
            restart_postgres()
        return result

    monkeypatch.setattr(round_services, "_save", save_then_lose_the_server)
    with finished() as done, running_worker():
        tasks.round_open_task.delay(2031, 1, secretary.pk, True)  # confirmed early opening
        wait_for(lambda: len(done) >= 2, timeout=90)  # the failed run, then its retry

    assert restarted == [True]
    rounds = wait_for(query_after_restart(lambda: list(Round.objects.filter(year=2031, quarter=1))))
    assert len(rounds) == 1
    assert SelfAssessment.objects.filter(round=rounds[0]).count() == 2
    assert Round.history.filter(year=2031, quarter=1).count() == 1
