"""Real concurrency on PostgreSQL: threads with connections of their own racing the services.

Each race widens its window on purpose (the plan step sleeps), so without the settlement
and budget row locks every thread would read the same empty ledger or budget and the
assertions below would fail (a unique violation, a double approval, or missing flags).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from decimal import Decimal as D
from typing import Any

import pytest
from django.db import connection, connections

from rewards import services
from rewards.models import Disbursement, YearBudget
from tests import factories as f
from tests.conftest import require_service

from .conftest import YEAR, rate, schedule

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def needs_postgres():
    require_service(
        "PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL to a PostgreSQL database"
    )


@pytest.fixture
def slow_plan(monkeypatch):
    real = services.plan

    def slow(**kwargs: Any):
        result = real(**kwargs)
        time.sleep(0.3)  # every racer is between reading the ledger and writing to it
        return result

    monkeypatch.setattr(services, "plan", slow)


def race(calls: Sequence[Callable[..., Any]]) -> tuple[list[Any], list[BaseException]]:
    """Run the calls at the same instant, one thread (and database connection) each."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            value = call()
            with lock:
                results.append(value)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a racer is stuck (deadlock?)"
    return results, errors


def test_four_workers_proposing_for_one_settlement_write_each_row_once(
    settlement_a, rubric, slow_plan
):
    schedule()
    rate(settlement_a, 1, 3, rubric=rubric)
    q2 = rate(settlement_a, 2, 5, rubric=rubric)

    def propose():
        return services.disbursements_propose(
            settlement_id=settlement_a.pk, year=YEAR, rating_id=q2.pk
        )

    results, errors = race([propose] * 4)
    assert errors == []
    assert sorted(len(rows) for rows in results) == [0, 0, 0, 3]
    rows = Disbursement.objects.filter(settlement=settlement_a).order_by("pk")
    assert [(r.kind, r.amount) for r in rows] == [
        ("initial", D("4000.00")),
        ("top_up", D("8000.00")),
        ("re", D("9000.00")),
    ]


def test_proposals_for_many_settlements_at_once_flag_the_budget_exactly(
    village_a, rubric, slow_plan
):
    schedule()
    YearBudget.objects.create(year=YEAR, amount=D("30000.00"))
    settlements = [f.settlement(village_a) for _ in range(4)]
    ratings = [rate(s, 1, 5, rubric=rubric) for s in settlements]
    calls = [
        (
            lambda s=s, r=r: services.disbursements_propose(
                settlement_id=s.pk, year=YEAR, rating_id=r.pk
            )
        )
        for s, r in zip(settlements, ratings, strict=True)
    ]
    results, errors = race(calls)
    assert errors == []
    rows = list(Disbursement.objects.order_by("pk"))
    assert len(rows) == 4
    # Committed after each proposal: 12,000, 24,000, 36,000, 48,000 against 30,000.
    assert [r.over_budget for r in rows] == [False, False, True, True]


def test_two_secretaries_approving_past_the_budget_at_once_cannot_both_succeed(
    village_a, rubric, secretary
):
    schedule()
    YearBudget.objects.create(year=YEAR, amount=D("20000.00"))
    rows = []
    for settlement in (f.settlement(village_a), f.settlement(village_a)):
        rating = rate(settlement, 1, 5, rubric=rubric)
        rows += services.disbursements_propose(
            settlement_id=settlement.pk, year=YEAR, rating_id=rating.pk
        )
    other = f.secretary("secretary2")
    results, errors = race(
        [
            lambda: services.disbursement_approve(disbursement=rows[0], by=secretary),
            lambda: services.disbursement_approve(disbursement=rows[1], by=other),
        ]
    )
    assert len(results) == 1
    assert len(errors) == 1 and isinstance(errors[0], services.OverBudget)
    assert Disbursement.objects.filter(status="approved").count() == 1


def test_approving_one_row_twice_at_once_records_one_approval(village_a, rubric, secretary):
    schedule()
    settlement = f.settlement(village_a)
    rating = rate(settlement, 1, 4, rubric=rubric)
    (row,) = services.disbursements_propose(
        settlement_id=settlement.pk, year=YEAR, rating_id=rating.pk
    )
    other = f.secretary("secretary2")
    results, errors = race(
        [
            lambda: services.disbursement_approve(disbursement=row, by=secretary),
            lambda: services.disbursement_approve(disbursement=row, by=other),
        ]
    )
    assert errors == []
    row.refresh_from_db()
    assert row.status == "approved"
    assert [h.status for h in row.history.order_by("history_date")] == ["proposed", "approved"]
