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


# ------------------------------------------------------------ reading and building fast


def test_any_of_finds_what_in_finds_at_any_length(settlement_a, settlement_b):
    from django.db.models import F

    from core.bulk import AnyOf

    codes = [settlement_a.code, "不存在", *(f"X{i}" for i in range(2500))]
    found = Settlement.objects.filter(AnyOf(F("code"), codes)).values_list("code", flat=True)
    assert list(found) == [settlement_a.code]
    by_pk = Settlement.objects.filter(AnyOf(F("pk"), [settlement_b.pk, None, 10**12]))
    assert [s.pk for s in by_pk] == [settlement_b.pk]
    assert not Settlement.objects.filter(AnyOf(F("code"), [])).exists()
    # A value longer than the column is compared whole, never cut down to a match.
    Settlement.objects.filter(pk=settlement_b.pk).update(code="C" * 32)
    assert not Settlement.objects.filter(AnyOf(F("code"), ["C" * 33])).exists()
    # In a bigger query (a join for scope), and locked as the apply locks it.
    with transaction.atomic():
        locked = Settlement.objects.filter(
            AnyOf(F("village_id"), [settlement_a.village_id]), village__township__name="甲镇"
        ).select_for_update(of=("self",))
        assert [s.code for s in locked] == [settlement_a.code]


def _fields(obj) -> dict:
    return {
        f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.generated
    }


def test_new_instance_is_the_object_the_model_builds(village_a):
    from django.db.models.signals import post_init

    from core.bulk import new_instance

    values = {
        "code": "N1",
        "name": "点",
        "village_id": village_a.pk,
        "households": 5,
        "residents": 9,
    }
    built = new_instance(Settlement, values)
    assert _fields(built) == _fields(Settlement(**values))
    assert built._state.adding and built.pk is None and built.party_org == "none"
    assert "klass" not in built.__dict__  # generated by the database, as Django leaves it

    # A related object by its field's name, or a model whose signals someone listens to:
    # Django's own constructor, the same object.
    assert new_instance(Settlement, {"code": "N2", "village": village_a}).village == village_a
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=Settlement)
    try:
        again = new_instance(Settlement, values)
    finally:
        post_init.disconnect(receiver, sender=Settlement)
    assert seen == [again] and _fields(again) == _fields(built)


def test_loaded_objects_are_those_the_orm_loads(settlement_a, settlement_b):
    from core.bulk import loaded

    queryset = Settlement.objects.order_by("code")
    fast, orm = loaded(queryset), list(queryset)
    assert [_fields(o) | {"klass": o.klass} for o in fast] == [
        _fields(o) | {"klass": o.klass} for o in orm
    ]
    assert all(not o._state.adding and o._state.db == "default" for o in fast)
    fast[0].name = "改名"
    fast[0].save(update_fields=["name"])  # a loaded object saves as an UPDATE of its row
    assert Settlement.objects.get(pk=fast[0].pk).name == "改名"
    assert Settlement.objects.count() == 2


def test_upsert_values_writes_what_upsert_rows_writes(settlement_a, settlement_b):
    from core.bulk import upsert_values

    earlier = timezone.now() - timedelta(days=1)
    SettlementGaps.objects.create(
        settlement=settlement_a, codes=",old,", missing_roles="", counted_at=earlier
    )
    now = timezone.now()
    with transaction.atomic():
        upsert_values(
            SettlementGaps,
            ["settlement_id", "codes", "missing_roles", "counted_at"],
            [(settlement_a.pk, ",a,", "", now), (settlement_b.pk, "", ",x,", now)],
            unique_fields=["settlement"],
            update_fields=["codes", "missing_roles", "counted_at"],
        )

    got = SettlementGaps.objects.values_list("settlement_id", "codes", "missing_roles")
    assert sorted(got) == sorted([(settlement_a.pk, ",a,", ""), (settlement_b.pk, "", ",x,")])
    assert SettlementGaps.objects.get(settlement=settlement_a).counted_at == now


def test_history_rows_record_the_rows_as_written(village_a, secretary):
    objs = _new(village_a, 2)
    with transaction.atomic():
        insert_with_history(Settlement, objs, by=secretary)
        for o in objs:
            o.name += "（新）"
        update_rows(Settlement, objs, ["name"])
        history_rows(Settlement, objs, by=secretary, update=True)

    for o in objs:
        latest = Settlement.history.filter(id=o.pk).latest()
        stored = Settlement.objects.get(pk=o.pk)
        assert (latest.history_type, latest.history_user, latest.name, latest.households) == (
            "~",
            secretary,
            stored.name,
            stored.households,
        )
        assert latest.village_id == village_a.pk and latest.history_change_reason in ("", None)
