"""A county with a rating history, built the way seed_history builds it, at two sizes.

Query-count tests run at both sizes and expect the same count: pages must not grow
with the county.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from config.celery import app as celery_app
from ratings import demo_history
from tests import factories as f

TODAY = dt.date(2026, 11, 26)


def build_county(*, townships: int, per_township: int, rounds: int, today: dt.date = TODAY) -> list:
    """``townships`` townships (two villages each) with ``per_township`` settlements, then history."""
    made = []
    for i in range(townships):
        t = f.township(f"测试镇{i:02d}", code=f"HT{i:02d}")
        villages = [f.village(t, f"村{i:02d}{j}", code=f"HV{i:02d}{j}") for j in range(2)]
        for k in range(per_township):
            households = (120, 70, 30, 12)[k % 4]
            f.settlement(villages[k % 2], code=f"HS{i:02d}{k:03d}", households=households)
        made.append(t)
    demo_history.build_history(rounds=rounds, today=today, item_rounds=1)
    return made


@pytest.fixture
def small_county(db):
    return build_county(townships=2, per_township=4, rounds=2)


@pytest.fixture
def large_county(db):
    return build_county(townships=6, per_township=12, rounds=5)


@pytest.fixture(params=["small", "large"])
def county(request, db):
    """Both sizes, for tests that must not depend on N."""
    if request.param == "small":
        return build_county(townships=2, per_township=4, rounds=2)
    return build_county(townships=6, per_township=12, rounds=5)


@pytest.fixture(autouse=True)
def fresh_cache():
    """The dashboards keep live counts for a minute; every test starts without them."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def run_queued_tasks():
    """run_queued_tasks(callbacks): run on-commit callbacks with Celery tasks executed in
    this process (the league rebuild a recount queues on commit)."""

    def run(callbacks) -> None:
        celery_app.conf.task_always_eager = True
        try:
            for callback in callbacks:
                callback()
        finally:
            celery_app.conf.task_always_eager = False

    return run
