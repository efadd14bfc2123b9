"""Fixtures for end-to-end tests with a real Celery worker (loaded from tests/conftest.py).

The worker is celery.contrib.testing's embedded worker: the project's own app, in a
thread of the test process, consuming from the configured broker — Redis when REDIS_URL
is set (CI), kombu's in-process memory transport otherwise (settings under TESTING).
Tests that use it need committed data the worker can see: transaction=True.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import close_old_connections

from config.celery import app as celery_app

from .conftest import require_service

T = TypeVar("T")


def redis_answers(url: str) -> tuple[bool, str]:
    if not url:
        return False, "REDIS_URL is not set"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as error:
        return False, f"{url} does not answer: {error}"
    return True, ""


@pytest.fixture
def redis_broker() -> str:
    """The Redis broker URL; skips locally without Redis, fails under CI=true."""
    ok, why = redis_answers(settings.REDIS_URL)
    require_service("Redis", ok, why)
    assert celery_app.conf.broker_url == settings.REDIS_URL
    return settings.REDIS_URL


def queued_messages(queue: str | None = None) -> int:
    """Messages waiting in the broker's queue (the real Redis list on Redis)."""
    name = queue or celery_app.conf.task_default_queue
    with celery_app.connection_for_read() as conn:
        return conn.default_channel.queue_declare(queue=name).message_count


@contextmanager
def running_worker() -> Iterator[Any]:
    """A real worker on the project's app, consuming in a thread until the block ends."""
    celery_app.loader.import_default_modules()
    with start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        loglevel="WARNING",
        shutdown_timeout=30,
    ) as worker:
        yield worker
    close_old_connections()


@pytest.fixture
def empty_queue(transactional_db: Any) -> None:
    # Tasks queued by earlier tests (or an earlier run, on Redis) are not this test's.
    celery_app.loader.import_default_modules()
    celery_app.control.purge()


@pytest.fixture
def celery_worker(empty_queue: None) -> Iterator[Any]:
    """A real worker consuming the project's queue until the test ends."""
    with running_worker() as worker:
        yield worker


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """wait_for(probe, timeout=20) polls probe() until it returns something truthy."""

    def _wait_for(probe: Callable[[], T], timeout: float = 20.0) -> T:
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                pytest.fail(f"Nothing happened within {timeout}s: the worker did not run the task.")
            time.sleep(0.1)

    return _wait_for
