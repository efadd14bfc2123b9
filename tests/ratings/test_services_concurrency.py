"""Two workers or two people at the same moment, on real PostgreSQL row locks.

SQLite serialises whole transactions, so these only mean something on PostgreSQL:
they skip on a developer's SQLite and fail under CI=true without it.
"""

import threading

import pytest
from django.db import connection, connections

from ratings import services
from ratings.models import Rating, Round, SelfAssessment, StarChange
from tests.conftest import require_service
from tests.ratings.workflow import AFTER_NOTICE, OPENED, fresh, self_items

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _postgres_only():
    require_service(
        "PostgreSQL", connection.vendor == "postgresql", "DATABASE_URL is not PostgreSQL"
    )


def race(*calls):
    """Run the calls in threads released together; returns each result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # the test inspects it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_workers_open_the_same_round_once(rubric, settlement_a, settlement_b):
    results = race(
        lambda: services.round_open(year=2031, quarter=1, today=OPENED),
        lambda: services.round_open(year=2031, quarter=1, today=OPENED),
    )
    assert sorted(created for _rnd, created in results) == [False, True]
    assert results[0][0].pk == results[1][0].pk
    assert Round.objects.count() == 1
    assert SelfAssessment.objects.count() == 2


def test_two_people_saving_the_same_version_one_is_refused(q1_sa_a, official_a):
    def save(counts):
        return lambda: services.self_assessment_save(
            assessment=q1_sa_a,
            by=official_a,
            items=self_items(q1_sa_a.rubric, counts),
            star_applied=0,
            expected_version=0,
            today=OPENED,
        )

    results = race(save({"ZZ02": 1}), save({"ZZ02": 3}))
    refused = [r for r in results if isinstance(r, services.StaleVersion)]
    saved = [r for r in results if isinstance(r, SelfAssessment)]
    assert (len(saved), len(refused)) == (1, 1)
    stored = fresh(q1_sa_a)
    assert stored.version == 1
    assert (
        stored.items.get(item__code="ZZ02").occurrences
        == saved[0].items.get(item__code="ZZ02").occurrences
    )


def test_two_workers_make_a_rating_take_effect_once(q1_notice_a):
    results = race(
        lambda: services.rating_take_effect(rating=q1_notice_a, today=AFTER_NOTICE),
        lambda: services.rating_take_effect(rating=q1_notice_a, today=AFTER_NOTICE),
    )
    assert sorted(results) == [False, True]
    assert Rating.objects.get(pk=q1_notice_a.pk).status == "effective"
    assert StarChange.objects.filter(rating=q1_notice_a, kind="effective").count() == 1
