"""Bulk writes of tens of thousands of rows on PostgreSQL with COPY, other databases through
Django's bulk methods: the same rows, the same history rows, a fraction of the time; and the
reads and objects that go with them (a filter on 35,000 keys, objects built without
``Model.__init__``).

Django's ``bulk_create`` prepares every value through its field (``get_db_prep_save``) and
psycopg then quotes it into the statement's text: at 35,000 settlements and their history
rows that was most of an import's apply. ``COPY … FROM STDIN`` hands psycopg the values
as they are. Ids of new rows are taken from the table's sequence in one query first, so
the objects (and their history rows) know their primary keys as after ``bulk_create``.

- ``insert_rows(model, objs)``: new rows; sets their pk.
- ``update_rows(model, objs, fields)``: these fields of existing rows, by pk.
- ``upsert_rows(model, objs, unique_fields, update_fields)``: insert, or update on conflict;
  ``upsert_values(model, names, rows, …)`` the same from plain values.
- ``history_rows(model, objs, by=…, update=…)``: their django-simple-history rows ("+"/"~"),
  on PostgreSQL copied by the database from the rows as stored.
- ``AnyOf(F("code"), keys)``: a filter on a long list of keys, sent as one array parameter on
  PostgreSQL (``code = ANY(%s)``) rather than one placeholder per key, which psycopg's
  client-side binding splits and quotes one by one (0.45 s for 35,000 codes, 0.1 s as an
  array); ``IN (…)`` elsewhere.
- ``new_instance(model, values)``: ``model(**values)`` without its per-keyword work;
  ``loaded(queryset)``: ``list(queryset)`` without ``Model.__init__`` per row.

Nothing here commits: callers run inside their own transaction.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import DEFERRED
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.lookups import In
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

BATCH = 1000  # rows per statement on the databases without COPY

# Fields whose Python value is what the column stores: psycopg adapts these as they are.
# Any other kind of field (JSON, custom) is prepared by Django first.
_PLAIN = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
    models.AutoField,
    models.BigAutoField,
    models.DecimalField,
    models.DateField,
    models.DateTimeField,
    models.BooleanField,
    models.ForeignKey,
)


class AnyOf(In):
    """``AnyOf(F("field"), values)`` in ``filter()``: the rows whose field is one of ``values``.

    ``IN (…)`` on other databases (callers keep lists under SQLite's parameter limit); on
    PostgreSQL one array parameter, cast to the column's type (without its length),
    however long the list.
    """

    lookup_name = "any_of"

    def as_postgresql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, Any]:
        if not self.rhs_is_direct_value():
            return self.as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = [
            field.get_db_prep_value(v, connection, prepared=True) for v in self.rhs if v is not None
        ]
        if not values:
            raise EmptyResultSet
        # The column's type without its length (varchar, numeric): a cast to varchar(32)
        # would cut a longer value down to one that matches.
        base_type = str(field.db_type(connection)).partition("(")[0]
        return f"{lhs_sql} = ANY(%s::{base_type}[])", (*lhs_params, values)


@functools.cache
def _positions(
    model: type[models.Model], names: tuple[str, ...]
) -> tuple[int, list[int], list[tuple[int, models.Field]]] | None:
    """Where each of ``names`` (attnames) goes among the model's concrete fields, and the
    fields left to their defaults; None when a name is not a concrete field's attname."""
    fields = list(model._meta.concrete_fields)
    index = {f.attname: i for i, f in enumerate(fields)}
    if any(n not in index for n in names):
        return None
    given = {index[n] for n in names}
    rest = [(i, f) for i, f in enumerate(fields) if i not in given]
    return len(fields), [index[n] for n in names], rest


@functools.cache
def _plain_attnames(model: type[models.Model]) -> tuple[str, ...] | None:
    """The concrete fields' attnames, if each is read and written as Django's plain
    deferred attribute (a field with a descriptor of its own, None)."""
    attnames = tuple(f.attname for f in model._meta.concrete_fields)
    plain = (DeferredAttribute, ForeignKeyDeferredAttribute)
    if all(type(model.__dict__.get(name)) in plain for name in attnames):
        return attnames
    return None


def new_instance(model: type[models.Model], values: dict[str, Any]) -> Any:
    """``model(**values)`` (``values`` by attname), built positionally as Django builds the
    rows it loads: the keyword path looks every field up, which cost 35,000 imported rows
    about a second. Fields not in ``values`` get their defaults (a generated column stays
    unset, as the keyword path leaves it); a name that is not a column's attname (a related
    object by its field's name …) takes the keyword path."""
    plan = _positions(model, tuple(values))
    if plan is None:
        return model(**values)
    width, positions, rest = plan
    if (
        _plain_attnames(model) is not None
        and not pre_init.has_listeners(model)
        and not post_init.has_listeners(model)
    ):
        # What Model.__init__ does when nobody listens to its signals and every field is
        # Django's plain attribute: a fresh state, each value in the instance's dict (a
        # new object has no cached relation to drop), a generated column left unset.
        obj = object.__new__(model)
        obj._state = ModelState()
        stored = obj.__dict__
        stored.update(values)
        for _i, field in rest:
            if not field.generated:
                stored[field.attname] = field.get_default()
        return obj
    args: list[Any] = [None] * width
    for i, value in zip(positions, values.values(), strict=True):
        args[i] = value
    for i, field in rest:
        args[i] = DEFERRED if field.generated else field.get_default()
    return model(*args)


def loaded(queryset: models.QuerySet[Any]) -> list[Any]:
    """``list(queryset)`` for tens of thousands of rows: every column read as a tuple and
    each object built as ``new_instance`` builds one (then marked as loaded from the
    database), not through ``Model.__init__`` row by row; the ORM's own way when the model
    has signal receivers or fields with descriptors of their own. Select-related objects
    and annotations are not loaded: the query's own rows only."""
    model: type[models.Model] = queryset.model
    attnames = _plain_attnames(model)
    if attnames is None or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return list(queryset)
    db = queryset.db
    objs = []
    for row in queryset.values_list(*attnames):
        obj = object.__new__(model)
        state = obj._state = ModelState()
        state.adding = False
        state.db = db
        obj.__dict__.update(zip(attnames, row, strict=True))
        objs.append(obj)
    return objs


def _connection(model: type[models.Model]) -> BaseDatabaseWrapper:
    return connections[router.db_for_write(model)]


def _uses_copy(connection: BaseDatabaseWrapper) -> bool:
    return connection.vendor == "postgresql"


def _columns(model: type[models.Model], names: Sequence[str] | None = None) -> list[models.Field]:
    """The stored columns (generated ones left out), or those with these attnames."""
    fields = [
        f
        for f in model._meta.concrete_fields
        if not getattr(f, "generated", False) and isinstance(f, models.Field)
    ]
    if names is None:
        return fields
    by_name = {f.attname: f for f in fields} | {f.name: f for f in fields}
    return [by_name[n] for n in names]


def _values(
    objs: Sequence[Any],
    fields: list[models.Field],
    connection: BaseDatabaseWrapper,
    *,
    adding: bool = False,
) -> list[Sequence[Any]]:
    # auto_now / auto_now_add stamp the object as bulk_create does (pre_save), on insert.
    stamped = [
        adding and bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
        for f in fields
    ]
    plain = [isinstance(f, _PLAIN) for f in fields]
    if fields and all(plain) and not any(stamped):
        # Every value as it is: read in C, a tuple per row.
        get = operator.attrgetter(*(f.attname for f in fields))
        if len(fields) == 1:
            return [(get(obj),) for obj in objs]
        return [get(obj) for obj in objs]
    rows: list[Sequence[Any]] = []
    for obj in objs:
        row = []
        for f, is_plain, stamp in zip(fields, plain, stamped, strict=True):
            value = f.pre_save(obj, True) if stamp else getattr(obj, f.attname)
            row.append(value if is_plain else f.get_db_prep_save(value, connection))
        rows.append(row)
    return rows


def _copy(
    connection: BaseDatabaseWrapper,
    table: str,
    fields: list[models.Field],
    rows: Sequence[Sequence[Any]],
) -> None:
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _allocate_ids(model: type[models.Model], n: int, connection: BaseDatabaseWrapper) -> list[int]:
    pk = model._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, n],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_rows(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    """Insert ``objs`` (their pks unset) and set their pks."""
    if not objs:
        return
    connection = _connection(model)
    if not _uses_copy(connection):
        model._default_manager.bulk_create(list(objs), batch_size=BATCH)
        return
    for obj, pk in zip(objs, _allocate_ids(model, len(objs), connection), strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    fields = _columns(model)
    _copy(connection, model._meta.db_table, fields, _values(objs, fields, connection, adding=True))


_TEMP_TABLES = itertools.count()


def _temp_table(
    connection: BaseDatabaseWrapper,
    model: type[models.Model],
    fields: list[models.Field],
    rows: Sequence[Sequence[Any]],
) -> str:
    """A temporary table with these columns (types as in the model's table), filled by COPY;
    dropped at the commit (callers are inside a transaction)."""
    quote = connection.ops.quote_name
    name = f"bulk_{next(_TEMP_TABLES)}_{model._meta.db_table}"[:60]
    names = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {quote(name)} ON COMMIT DROP AS "  # noqa: S608 - the model's own names
            f"SELECT {names} FROM {quote(model._meta.db_table)} WITH NO DATA"
        )
    _copy(connection, name, fields, rows)
    return name


def update_rows(
    model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]
) -> None:
    """Write these fields of ``objs`` (existing rows) by primary key."""
    if not objs or not fields:
        return
    connection = _connection(model)
    if not _uses_copy(connection):
        model._default_manager.bulk_update(list(objs), list(fields), batch_size=BATCH)
        return
    pk = model._meta.pk
    assert pk is not None
    columns = [f for f in _columns(model, fields) if f is not pk]
    all_columns = [pk, *columns]
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns)
    # The temporary table lives until the commit: inside a transaction, whatever the caller's.
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        temp = _temp_table(connection, model, all_columns, _values(objs, all_columns, connection))
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} AS t SET {sets} FROM {quote(temp)} AS v "  # noqa: S608 - the model's own names
            f"WHERE t.{quote(pk.column)} = v.{quote(pk.column)}"
        )


def upsert_rows(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
) -> None:
    """Insert ``objs``, or where a row with the same ``unique_fields`` exists, update
    ``update_fields`` (``bulk_create(update_conflicts=True)``)."""
    if not objs:
        return
    connection = _connection(model)
    if not _uses_copy(connection):
        model._default_manager.bulk_create(
            list(objs),
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=list(unique_fields),
            update_fields=list(update_fields),
        )
        return
    pk = model._meta.pk
    # An automatic primary key comes from its sequence; any other (a one-to-one) is data.
    fields = [f for f in _columns(model) if not (f is pk and getattr(f, "db_returning", False))]
    _upsert(
        connection,
        model,
        fields,
        _values(objs, fields, connection, adding=True),
        unique_fields,
        update_fields,
    )


def upsert_values(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
) -> None:
    """``upsert_rows`` for rows given as values of the columns ``names`` (attnames: every
    column the rows set), without an object per row on PostgreSQL (35,000 stored gaps
    built as objects cost an import a quarter of a second); other databases get objects."""
    if not rows:
        return
    connection = _connection(model)
    if not _uses_copy(connection):
        objs = [new_instance(model, dict(zip(names, row, strict=True))) for row in rows]
        upsert_rows(model, objs, unique_fields=unique_fields, update_fields=update_fields)
        return
    fields = _columns(model, names)
    prepared = [i for i, f in enumerate(fields) if not isinstance(f, _PLAIN)]
    if prepared:
        copies = [list(row) for row in rows]
        for copy in copies:
            for i in prepared:
                copy[i] = fields[i].get_db_prep_save(copy[i], connection)
        rows = copies
    _upsert(connection, model, fields, rows, unique_fields, update_fields)


def _upsert(
    connection: BaseDatabaseWrapper,
    model: type[models.Model],
    fields: list[models.Field],
    rows: Sequence[Sequence[Any]],
    unique_fields: Sequence[str],
    update_fields: Sequence[str],
) -> None:
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    conflict = ", ".join(quote(f.column) for f in _columns(model, unique_fields))
    sets = ", ".join(
        f"{quote(f.column)} = EXCLUDED.{quote(f.column)}" for f in _columns(model, update_fields)
    )
    with transaction.atomic(using=connection.alias, savepoint=False), connection.cursor() as cursor:
        temp = _temp_table(connection, model, fields, rows)
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({names}) SELECT {names} FROM {quote(temp)} "  # noqa: S608 - the model's own names
            f"ON CONFLICT ({conflict}) DO UPDATE SET {sets}"
        )


_HISTORY_OWN = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user_id",
}


def history_rows(
    model: type[models.Model],
    objs: Sequence[models.Model],
    *,
    by: Any,
    update: bool,
    when: datetime | None = None,
) -> None:
    """The django-simple-history rows of ``objs`` just written (inserted: ``+``, updated:
    ``~``), as ``bulk_history_create`` writes them (user ``by``, no change reason).

    On PostgreSQL the database copies them from the rows as stored, in one
    ``INSERT … SELECT`` by primary key: no value goes through Python again (35,000 history
    rows formatted for COPY cost an import about half a second)."""
    history = getattr(model, "history", None)
    if history is None or not objs or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    historical = history.model
    connection = _connection(historical)
    tracked = {f.attname for f in historical.tracked_fields}
    fields = [f for f in _columns(historical) if f.attname != "history_id"]
    stored = {f.attname: f for f in _columns(model)}
    pk = model._meta.pk
    if (
        not _uses_copy(connection)
        or connection.alias != _connection(model).alias
        or pk is None
        or any(
            f.attname not in _HISTORY_OWN and (f.attname not in tracked or f.attname not in stored)
            for f in fields
        )
    ):
        # Other databases, or a history model with fields of its own: simple-history's way.
        history.bulk_history_create(list(objs), batch_size=BATCH, update=update, default_user=by)
        return
    own = {
        "history_date": when or timezone.now(),
        "history_change_reason": "",
        "history_type": "~" if update else "+",
        "history_user_id": getattr(by, "pk", None),
    }
    quote = connection.ops.quote_name
    selected, params = [], []
    for f in fields:
        if f.attname in own:
            selected.append("%s")
            params.append(own[f.attname])
        else:
            selected.append(f"t.{quote(stored[f.attname].column)}")
    names = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(historical._meta.db_table)} ({names}) "  # noqa: S608 - the models' own names
            f"SELECT {', '.join(selected)} FROM {quote(model._meta.db_table)} AS t "
            f"WHERE t.{quote(pk.column)} = ANY(%s::{pk.db_type(connection)}[])",
            [*params, [obj.pk for obj in objs]],
        )


def insert_with_history(
    model: type[models.Model], objs: Sequence[models.Model], *, by: Any
) -> None:
    """``bulk_create_with_history``: the rows, then their "+" history rows."""
    if not objs:
        return
    if not _uses_copy(_connection(model)):
        bulk_create_with_history(list(objs), model, batch_size=BATCH, default_user=by)
        return
    insert_rows(model, objs)
    history_rows(model, objs, by=by, update=False)
