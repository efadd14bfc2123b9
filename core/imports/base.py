"""What an app writes for each kind of spreadsheet import, and the registry of them.

An ``Importer`` reads one row at a time into plain field values (``check_row``),
looks existing rows up in batches (``existing``: one query per 2,000 keys, never one
per row), and writes in bulk with their history rows (``write``). Lookups the checks
need (places, categories …) are loaded once in ``prepare``. The pipeline
(core.imports.services) does the rest: reading, progress, counts, the plan, the race
check, all-or-nothing.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db.models import Field, Model, QuerySet
from django.utils.translation import gettext

from core.bulk import history_rows, insert_with_history, new_instance, update_rows
from core.spreadsheets.widgets import cell_text

BATCH = 2000  # keys per IN (…) query: under SQLite's parameter limit at any size of file


@dataclass(frozen=True)
class Problem:
    """One reason a row (or, with ``row`` None, the whole file) is refused; ``code``, when
    set, says why in a stable word (pages and tests read it, people read the message)."""

    row: int | None
    column: str
    message: str
    code: str = ""

    def __str__(self) -> str:
        text = f"{self.column}：{self.message}" if self.column else self.message
        if self.row is None:
            return text
        return gettext("第 %(row)s 行：%(text)s") % {"row": self.row, "text": text}

    def as_json(self) -> dict[str, Any]:
        found = {"row": self.row, "column": self.column, "message": self.message}
        return {**found, "code": self.code} if self.code else found


class RowRefused(Exception):  # noqa: N818 - a refusal, not a programming error
    """A row's cells do not make a valid record: (column, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


class ApplyRefused(Exception):  # noqa: N818 - a refusal, not a programming error
    """The whole import can no longer be applied (raised from ``before_apply``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def validation_messages(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(str(m).rstrip("。.") for m in exc.messages) + "。"
    return str(exc)


class Importer:
    """One kind of import. Subclasses set the class attributes and the hooks below."""

    kind: ClassVar[str]
    title: ClassVar[Any]
    model: ClassVar[type[Model]]
    # Columns read, in order; those that must be present.
    # (an instance attribute: an importer whose columns depend on its parameters sets them in __init__)
    columns: tuple[str, ...]
    required_columns: ClassVar[tuple[str, ...]] = ()
    # Model attnames the import sets (compared to see whether a row changed).
    fields: ClassVar[tuple[str, ...]]
    # The column naming the row's key, for duplicate messages; None: rows have no key
    # (insert-only imports).
    key_column: ClassVar[str | None] = None

    def __init__(self, *, user: Any, params: dict[str, Any] | None = None) -> None:
        self.user = user
        self.params = params or {}

    # -- who --------------------------------------------------------------------

    @classmethod
    def allowed(cls, user: Any) -> bool:
        """May ``user`` import this kind at all (scope is checked row by row)."""
        raise NotImplementedError

    @classmethod
    def back_url(cls, params: dict[str, Any]) -> str:
        """Where the job page links back to (the page that uploads this kind)."""
        return ""

    # -- the whole file ---------------------------------------------------------

    def file_problems(self, headers: list[str]) -> list[str]:
        missing = [c for c in self.required_columns if c not in headers]
        if missing:
            return [
                gettext("表头缺少这些列：%(missing)s。请使用导出的表格作为模板。")
                % {"missing": "、".join(missing)}
            ]
        return []

    def prepare(self) -> None:
        """Load the lookups ``check_row`` needs, once per import."""

    # -- one row ----------------------------------------------------------------

    def check_row(self, number: int, row: dict[str, Any]) -> tuple[Hashable, dict[str, Any]]:
        """(key, {attname: value}) for a valid row, or ``RowRefused``."""
        raise NotImplementedError

    @staticmethod
    def cell(row: dict[str, Any], column: str) -> str:
        return cell_text(row.get(column))

    def check_model_fields(
        self, values: dict[str, Any], errors: list[tuple[str, str]], columns: dict[str, str]
    ) -> None:
        """Django's own field checks (lengths, digits, choices) without ``full_clean``'s queries.

        The fields' validators are looked up once per set of columns and called directly; a
        value one of them refuses is checked again through the field (``run_validators``,
        ``validate``) for Django's own wording of every reason."""
        refused = {c for c, _m in errors}
        for attname, column, field, validators, by_choices, longest in self._field_checks(columns):
            value = values.get(attname)
            if value is None or column in refused:
                continue
            if longest is not None and type(value) is str:
                if len(value) <= longest and "\x00" not in value:
                    continue  # what a text field's validators check, in two comparisons
            try:
                if value not in field.empty_values:
                    for validator in validators:
                        validator(value)
                if by_choices:
                    field.validate(value, None)
            except ValidationError:
                try:
                    field.run_validators(value)
                    if by_choices:
                        field.validate(value, None)
                except ValidationError as exc:
                    errors.append((column, validation_messages(exc)))

    def _field_checks(
        self, columns: dict[str, str]
    ) -> list[tuple[str, str, Field[Any, Any], list[Any], bool, int | None]]:
        cache: dict[tuple[tuple[str, str], ...], Any] = self.__dict__.setdefault(
            "_field_checks_cache", {}
        )
        key = tuple(columns.items())
        checks = cache.get(key)
        if checks is None:
            checks = []
            for attname, column in columns.items():
                field = _column_field(self.model, attname)
                by_choices = bool(field.choices) and not field.null
                validators = list(field.validators)
                longest = None if by_choices else _longest(validators)
                checks.append((attname, column, field, validators, by_choices, longest))
            cache[key] = checks
        return checks

    # -- the rows as a whole ----------------------------------------------------

    def duplicate_message(self, key: Hashable, rows: list[int]) -> str:
        return gettext("“%(key)s”在文件中重复出现（第 %(rows)s 行）。") % {
            "key": key,
            "rows": "、".join(str(n) for n in rows),
        }

    def file_checks(self, keys: dict[Hashable, list[int]]) -> dict[int, list[tuple[str, str]]]:
        """Problems only the whole file shows: by default, a key on two rows."""
        problems: dict[int, list[tuple[str, str]]] = {}
        for key, rows in keys.items():
            if len(rows) > 1:
                for number in rows:
                    problems.setdefault(number, []).append(
                        (self.key_column or "", self.duplicate_message(key, rows))
                    )
        return problems

    def resolve(self, rows: list[Any]) -> dict[int, list[tuple[str, str]]]:
        """Lookups too large to load whole (a county's households), for a batch of checked
        rows (``.number``, ``.values``) in a few queries; may fill ``values``. Problems by row."""
        return {}

    def existing(self, keys: list[Hashable], *, lock: bool = False) -> dict[Hashable, Model]:
        """The existing rows among ``keys`` (at most BATCH of them), within the importer's scope."""
        return {}

    def reconcile(self, values: dict[str, Any], current: Model | None) -> list[tuple[str, str]]:
        """Rules that compare a row with the record it would change (may fill ``values``)."""
        return []

    def current_values(self, obj: Model) -> dict[str, Any]:
        return {f: getattr(obj, f) for f in self.fields}

    def differs(
        self, values: dict[str, Any], current: Model, stored: dict[str, Any] | None = None
    ) -> bool:
        """Would ``values`` change ``current``? (``stored``: its ``current_values``, if known.)"""
        now = self.current_values(current) if stored is None else stored
        return any(values[f] != now[f] for f in values)

    def fingerprint(self, obj: Model | None, stored: dict[str, Any] | None = None) -> str | None:
        """What the row looked like when previewed; a different one at confirm is a conflict.

        A digest of the values' ``repr`` (the same stored values read the same way give the
        same text: str, int, Decimal, date …), 80 bits: enough to tell a change, short in
        the plan."""
        if obj is None:
            return None
        now = self.current_values(obj) if stored is None else stored
        text = repr((obj.pk, *now.values()))
        return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()

    def describe(self, obj: Model | None, key: Hashable) -> str:
        """The row's record, by name, for a refusal."""
        return f"“{obj}”" if obj is not None else f"“{key}”"

    def key_from_json(self, value: Any) -> Hashable:
        return tuple(value) if isinstance(value, list) else value

    def export(self) -> tuple[int, bytes]:
        """(rows, xlsx bytes) of what the user may see, in the columns this import reads."""
        raise NotImplementedError

    # -- writing ----------------------------------------------------------------

    def recheck(self, rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, str, str]]:
        """Inside the apply, the rows about to be written ((row, values)): what the preview
        relied on and may have changed since (a category switched off …), as
        (row, column, message); any refuses the whole import."""
        return []

    def before_apply(self) -> None:
        """Inside the apply's transaction, before the rows are locked: re-check (and lock)
        what the whole import depends on; raise ``ApplyRefused`` to refuse it."""

    def build(self, values: dict[str, Any]) -> Model:
        return new_instance(self.model, values)  # model(**values), without its per-keyword work

    def write(self, new: list[Model], changed: list[Model], fields: list[str], *, by: Any) -> None:
        """Bulk writes with their history rows; called inside the apply's transaction
        (core.bulk: COPY on PostgreSQL, Django's bulk methods elsewhere)."""
        insert_with_history(self.model, new, by=by)
        if changed:
            update_rows(self.model, changed, fields)
            history_rows(self.model, changed, by=by, update=True)


def _longest(validators: list[Any]) -> int | None:
    """For a text field whose validators are only Django's length and NUL checks, the
    length they allow (a text that short, without NUL, passes them all); else None."""
    longest = sys.maxsize
    for validator in validators:
        if type(validator) is ProhibitNullCharactersValidator:
            continue
        if type(validator) is not MaxLengthValidator or callable(validator.limit_value):
            return None
        longest = min(longest, validator.limit_value)
    return longest


def _column_field(model: type[Model], name: str) -> Field[Any, Any]:
    """The model's own field called ``name``: a column, never a reverse relation or a generic key
    (importers map spreadsheet columns to columns only)."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


# ---------------------------------------------------------------------------- registry

_IMPORTERS: dict[str, type[Importer]] = {}
_SUPERVISORS: list[Callable[[Any], bool]] = []


def register_importer(importer: type[Importer]) -> type[Importer]:
    _IMPORTERS[importer.kind] = importer
    return importer


def importer_for(kind: str) -> type[Importer] | None:
    return _IMPORTERS.get(kind)


def importers() -> Iterable[type[Importer]]:
    return _IMPORTERS.values()


def register_import_supervisor(predicate: Callable[[Any], bool]) -> None:
    """Users for whom ``predicate(user)`` holds see every import job, not only their own."""
    _SUPERVISORS.append(predicate)


def supervises_imports(user: Any) -> bool:
    return any(p(user) for p in _SUPERVISORS)


def in_batches(items: list[Any], size: int = BATCH) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def locked(queryset: QuerySet, lock: bool) -> QuerySet:
    # ``of=("self",)``: lock the rows imported, not the places joined for scope.
    return queryset.select_for_update(of=("self",)) if lock else queryset
