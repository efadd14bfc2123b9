"""core.bulk writes what Django's bulk methods write (COPY on PostgreSQL, Django's own
methods elsewhere; CI runs this on PostgreSQL): rows with their pks, history rows with
user and type, updates by pk, upserts on a unique field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core.bulk import history_rows, insert_with_history, update_rows, upsert_rows
from settlements.models import Settlement, SettlementGaps

pytestmark = pytest.mark.django_db


def _new(village, n: int) -> list[Settlement]:
    return [
        Settlement(code=f"BK{i:03}", name=f"点{i}", village=village, households=10, residents=40)
        for i in range(n)
    ]


def test_insert_sets_pks_and_writes_a_plus_history_row_by_the_user(village_a, secretary):
    objs = _new(village_a, 3)
    with transaction.atomic():
        insert_with_history(Settlement, objs, by=secretary)

    assert all(o.pk for o in objs)
    stored = {s.pk: s for s in Settlement.objects.filter(code__startswith="BK")}
    assert set(stored) == {o.pk for o in objs}
    assert stored[objs[1].pk].name == "点1" and stored[objs[1].pk].klass is not None
    history = Settlement.history.filter(code__startswith="BK")
    assert sorted(history.values_list("id", "history_type", "history_user")) == sorted(
        (o.pk, "+", secretary.pk) for o in objs
    )


def test_update_writes_only_the_named_fields_and_a_tilde_history_row(village_a, secretary):
    objs = _new(village_a, 2)
    with transaction.atomic():
        insert_with_history(Settlement, objs, by=secretary)
    for o in objs:
        o.name = o.name + "（新）"
        o.households = 20  # not among the fields written
    with transaction.atomic():
        update_rows(Settlement, objs, ["name"])
        history_rows(Settlement, objs, by=secretary, update=True)

    rows = Settlement.objects.filter(pk__in=[o.pk for o in objs]).order_by("code")
    assert [(s.name, s.households) for s in rows] == [("点0（新）", 10), ("点1（新）", 10)]
    latest = Settlement.history.filter(id=objs[0].pk).latest()
    assert (latest.history_type, latest.name, latest.history_user) == ("~", "点0（新）", secretary)


def test_upsert_inserts_and_updates_on_the_unique_field(settlement_a, settlement_b):
    earlier = timezone.now() - timedelta(days=1)
    SettlementGaps.objects.create(
        settlement=settlement_a, codes=",old,", missing_roles="", counted_at=earlier
    )
    now = timezone.now()
    with transaction.atomic():
        upsert_rows(
            SettlementGaps,
            [
                SettlementGaps(
                    settlement=settlement_a, codes=",a,", missing_roles="", counted_at=now
                ),
                SettlementGaps(
                    settlement=settlement_b, codes="", missing_roles=",x,", counted_at=now
                ),
            ],
            unique_fields=["settlement"],
            update_fields=["codes", "missing_roles", "counted_at"],
        )

    got = dict(SettlementGaps.objects.values_list("settlement_id", "codes"))
    assert got == {settlement_a.pk: ",a,", settlement_b.pk: ""}
    assert SettlementGaps.objects.get(settlement=settlement_a).counted_at == now
