"""The county's number of settlements, kept by the database itself.

The county's settlement list shows the total and the number of pages; counting 35,000
rows for it was the largest cost of the list's first page (about 2 ms of PostgreSQL on
every request). The total is kept instead in a one-row table, ``settlements_tally``,
that triggers on ``settlements_settlement`` update in the same transaction as every
insert and delete, whatever wrote them: the admin, the import's COPY, ``bulk_create``,
the demo builders, a raw SQL statement. A total can therefore never be stale, and no
code path has to remember to retire a cache.

- PostgreSQL: statement-level triggers add the rows a statement inserted and subtract
  those it deleted (transition tables); TRUNCATE sets zero. Two transactions inserting
  at once each add their own rows: the second waits for the first's row lock and adds to
  the committed total.
- SQLite (one writer at a time): a row trigger adds or subtracts one.

The table and triggers are (re)made after every ``migrate`` (``ensure_tally``, connected
to ``post_migrate``), and the total recounted there: SQLite remakes a table to alter it
and drops its triggers with the old one, so a later migration of ``Settlement`` cannot
leave the total unkept. The table is not a Django model: ``dumpdata``/``loaddata`` and
``flush`` never copy a total that the triggers would then count twice.
"""

from __future__ import annotations

from typing import Any

from django.db import connections, transaction

TABLE = "settlements_tally"
SETTLEMENTS = "settlements_settlement"  # Settlement._meta.db_table (checked by the tests)

# Literal SQL: the names are fixed (TABLE, SETTLEMENTS above); nothing is interpolated.
_POSTGRESQL = [
    "CREATE TABLE IF NOT EXISTS settlements_tally ("
    " id smallint PRIMARY KEY CHECK (id = 1),"
    " settlements bigint NOT NULL CHECK (settlements >= 0))",
    """CREATE OR REPLACE FUNCTION settlements_tally_inserted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE settlements_tally SET settlements = settlements + (SELECT count(*) FROM inserted)
        WHERE id = 1;
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION settlements_tally_deleted() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE settlements_tally SET settlements = settlements - (SELECT count(*) FROM deleted)
        WHERE id = 1;
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION settlements_tally_truncated() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE settlements_tally SET settlements = 0 WHERE id = 1;
        RETURN NULL;
    END $$""",
    "DROP TRIGGER IF EXISTS settlements_tally_insert ON settlements_settlement",
    "DROP TRIGGER IF EXISTS settlements_tally_delete ON settlements_settlement",
    "DROP TRIGGER IF EXISTS settlements_tally_truncate ON settlements_settlement",
    "CREATE TRIGGER settlements_tally_insert AFTER INSERT ON settlements_settlement"
    " REFERENCING NEW TABLE AS inserted"
    " FOR EACH STATEMENT EXECUTE FUNCTION settlements_tally_inserted()",
    "CREATE TRIGGER settlements_tally_delete AFTER DELETE ON settlements_settlement"
    " REFERENCING OLD TABLE AS deleted"
    " FOR EACH STATEMENT EXECUTE FUNCTION settlements_tally_deleted()",
    "CREATE TRIGGER settlements_tally_truncate AFTER TRUNCATE ON settlements_settlement"
    " FOR EACH STATEMENT EXECUTE FUNCTION settlements_tally_truncated()",
]

_SQLITE = [
    "CREATE TABLE IF NOT EXISTS settlements_tally ("
    " id integer PRIMARY KEY CHECK (id = 1),"
    " settlements integer NOT NULL CHECK (settlements >= 0))",
    "CREATE TRIGGER IF NOT EXISTS settlements_tally_insert AFTER INSERT ON settlements_settlement"
    " BEGIN UPDATE settlements_tally SET settlements = settlements + 1 WHERE id = 1; END",
    "CREATE TRIGGER IF NOT EXISTS settlements_tally_delete AFTER DELETE ON settlements_settlement"
    " BEGIN UPDATE settlements_tally SET settlements = settlements - 1 WHERE id = 1; END",
]

_RECOUNT = [
    "DELETE FROM settlements_tally",
    "INSERT INTO settlements_tally (id, settlements)"
    " SELECT 1, count(*) FROM settlements_settlement",
]


def ensure_tally(using: str = "default", **_kwargs: Any) -> None:
    """Make the table and its triggers if missing and recount the total (a ``post_migrate``
    receiver: cheap, and idempotent)."""
    connection = connections[using]
    statements = {"postgresql": _POSTGRESQL, "sqlite": _SQLITE}.get(connection.vendor)
    if statements is None:
        raise NotImplementedError(f"settlements_tally: no triggers for {connection.vendor}")
    if SETTLEMENTS not in connection.introspection.table_names():
        return  # migrating backwards to before the settlements table
    # One transaction: on PostgreSQL the trigger statements lock the settlements against
    # writers until the recount commits, so no row is inserted uncounted meanwhile.
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for sql in (*statements, *_RECOUNT):
            cursor.execute(sql)


def settlements_total(using: str = "default") -> int | None:
    """Every settlement of the county (the kept total); None if the table has no row (a
    database migrated without ``post_migrate``: count instead)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT settlements FROM settlements_tally WHERE id = 1")
        row = cursor.fetchone()
    return None if row is None else int(row[0])
