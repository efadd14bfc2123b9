"""The county's total of settlements, kept by the database (settlements.tally)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.urls import reverse

from core.bulk import insert_rows
from settlements.models import Settlement
from settlements.tally import SETTLEMENTS, TABLE, ensure_tally, settlements_total
from tests import factories as f
from tests.conftest import require_service

pytestmark = pytest.mark.django_db


def counted() -> int:
    return Settlement.objects.count()


def unsaved(village, code: str) -> Settlement:
    return Settlement(
        village=village,
        code=code,
        name=f"聚居点{code}",
        households=60,
        residents=180,
        party_members=3,
        klass=2,
    )


def test_the_total_follows_every_way_of_writing(village_a, village_b):
    assert Settlement._meta.db_table == SETTLEMENTS  # the table the triggers are on
    assert settlements_total() == counted() == 0
    first = f.settlement(village_a)
    assert settlements_total() == 1
    Settlement.objects.bulk_create([unsaved(village_b, f"BULK-{i}") for i in range(5)])
    assert settlements_total() == counted() == 6
    # The import's writer: COPY on PostgreSQL, bulk_create elsewhere.
    insert_rows(
        Settlement,
        [unsaved(village_a, f"COPY-{i}") for i in range(4)],
    )
    assert settlements_total() == counted() == 10
    first.delete()
    Settlement.objects.filter(code__startswith="BULK-").delete()
    assert settlements_total() == counted() == 4
    with connection.cursor() as cursor:  # written by hand, past the ORM
        cursor.execute(f"DELETE FROM {Settlement._meta.db_table} WHERE code = 'COPY-0'")
    assert settlements_total() == counted() == 3


def test_a_rolled_back_write_leaves_the_total(village_a):
    f.settlement(village_a)
    with pytest.raises(RuntimeError), transaction.atomic():
        f.settlement(village_a)
        assert settlements_total() == 2
        raise RuntimeError("refused")
    assert settlements_total() == counted() == 1


def test_migrate_remakes_lost_triggers_and_recounts(village_a):
    """SQLite drops a table's triggers when a migration remakes the table: the next
    migrate (post_migrate) makes them again and recounts."""
    f.settlement(village_a)
    with connection.cursor() as cursor:
        for trigger in ("insert", "delete"):
            on = "" if connection.vendor == "sqlite" else f" ON {Settlement._meta.db_table}"
            cursor.execute(f"DROP TRIGGER {TABLE}_{trigger}{on}")
        cursor.execute(f"UPDATE {TABLE} SET settlements = 40 WHERE id = 1")
    f.settlement(village_a)
    assert settlements_total() == 40  # unkept
    ensure_tally()
    assert settlements_total() == counted() == 2
    f.settlement(village_a)
    assert settlements_total() == counted() == 3


def test_a_total_below_zero_is_refused_by_the_database(village_a):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET settlements = -1 WHERE id = 1")


def test_the_county_list_reads_the_kept_total_and_a_filtered_list_counts(
    client, login, assessor, official_a, village_a, village_b, django_assert_num_queries
):
    for i in range(3):
        f.settlement(village_a, code=f"A-{i}", households=120)
    f.settlement(village_b, code="B-0", households=60)
    page = reverse("settlements:list")
    client = login(assessor)
    client.get(page)
    with django_assert_num_queries(3) as captured:  # user, total, rows
        response = client.get(page)
    assert response.context["page"].paginator.count == 4
    assert not any("COUNT(*)" in q["sql"].upper() for q in captured.captured_queries)
    assert any(TABLE in q["sql"] for q in captured.captured_queries)
    # A filter, a search or a township's own list counts what it shows.
    for query, expected in (({"klass": 1}, 3), ({"q": "B-"}, 1), ({"klass": 3}, 0)):
        with django_assert_num_queries(3) as captured:
            response = client.get(page, query)
        assert response.context["page"].paginator.count == expected, query
        assert any("COUNT(*)" in q["sql"].upper() for q in captured.captured_queries)
    assert login(official_a).get(page).context["page"].paginator.count == 3


def test_the_total_after_a_flush_is_zero(village_a):
    """``flush`` (TRUNCATE on PostgreSQL, DELETE on SQLite) empties the settlements: the
    total follows, though flush never touches the tally table."""
    f.settlement(village_a)
    from django.core.management.color import no_style

    statements = connection.ops.sql_flush(
        no_style(), [Settlement._meta.db_table], allow_cascade=True
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # this test's insert checks its keys first
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for sql in statements:
            cursor.execute(sql)
    assert settlements_total() == counted() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_writers_at_once_each_add_their_own_rows(village_a, village_b):
    """The second writer's trigger waits for the first's row lock and adds to the total
    the first committed: neither insert is lost. The first commits only once the second
    is seen waiting (pg_locks), so the two always overlap."""
    require_service(
        "PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL to a PostgreSQL database"
    )
    start = settlements_total()
    inserted, second_done = threading.Event(), threading.Event()
    waited: list[bool] = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                f.settlement(village_a, code="RACE-1")
                inserted.set()
                with connection.cursor() as cursor:
                    while not second_done.is_set():  # until the second writer waits
                        cursor.execute(
                            "SELECT count(*) FROM pg_locks WHERE NOT granted"
                            " AND pid <> pg_backend_pid()"
                        )
                        if cursor.fetchone()[0]:
                            waited.append(True)
                            break
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            assert inserted.wait(60)
            with transaction.atomic():
                f.settlement(village_b, code="RACE-2")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            second_done.set()
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer is stuck"
    assert not errors, errors
    assert waited, "the second writer never waited for the first: no race was run"
    assert settlements_total() == counted() == start + 2
