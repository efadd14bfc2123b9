"""The import base: ``SpreadsheetResource`` (all-or-nothing, every bad row reported in Chinese)
and the problem report ("第 N 行：reason") built from an import result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError
from django.utils.translation import gettext
from import_export import resources
from import_export.fields import Field
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import Result, RowResult

from .codes import SpreadsheetRefusal
from .export import neutralise
from .reading import SpreadsheetError, is_blank, spreadsheet_row
from .widgets import cell_text

# ------------------------------------------------------------------------- resources

BATCH = 2000  # keys per IN (…) query: under SQLite's parameter limit at any size of file


def values_in(queryset: Any, field_name: str, keys: Any) -> set[Any]:
    """The values of ``field_name`` among ``keys`` that exist in ``queryset``, in batches."""
    keys = sorted(set(keys))
    found: set[Any] = set()
    for start in range(0, len(keys), BATCH):
        batch = keys[start : start + BATCH]
        found.update(
            queryset.filter(**{f"{field_name}__in": batch}).values_list(field_name, flat=True)
        )
    return found


class DerivedField(Field):
    """An export-only column computed from the row (class, gaps …).

    In the import preview it is computed from the imported values; when those are
    missing or invalid (already reported on their own column) it shows blank.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("readonly", True)
        super().__init__(**kwargs)

    def get_value(self, instance: Any) -> Any:
        try:
            return super().get_value(instance)
        except (TypeError, ValueError, ArithmeticError):
            return None


class CachedKeyLoader(BaseInstanceLoader):
    """Every existing row the file names, loaded in a few queries through the resource's
    (scoped) ``get_queryset``; a row outside it is simply not found.

    Unlike the library's CachedInstanceLoader it tolerates blank or bad keys (they are
    reported per row by the widgets) and queries in batches (SQLite's parameter limit).
    """

    def __init__(self, resource: Any, dataset: tablib.Dataset | None = None) -> None:
        super().__init__(resource, dataset)
        key_field = resource.fields[resource.get_import_id_fields()[0]]
        self.column = key_field.column_name
        self.attribute = key_field.attribute
        self.instances: dict[str, Any] = {}
        if dataset is None or self.column not in (dataset.headers or []):
            return
        keys = sorted({cell_text(v) for v in dataset[self.column]} - {""})
        queryset = resource.get_queryset()
        for start in range(0, len(keys), BATCH):
            batch = keys[start : start + BATCH]
            for obj in queryset.filter(**{f"{self.attribute}__in": batch}):
                self.instances[getattr(obj, self.attribute)] = obj

    def get_instance(self, row: Any) -> Any:
        return self.instances.get(cell_text(row.get(self.column)))


class SpreadsheetResource(resources.ModelResource):
    """Base for the project's imports: all-or-nothing, every bad row reported in Chinese.

    Subclasses set ``required_columns`` and implement ``row_errors(instance)`` for the
    checks that need the whole file or the importer's scope (duplicates, out-of-scope
    rows, the invariants the database also enforces). Django's per-row unique and
    constraint queries are skipped: those checks are done here from data loaded once,
    and the database constraints stay the last line of defence.
    """

    required_columns: tuple[str, ...] = ()
    # Foreign keys the resource resolves itself from rows loaded once: full_clean need not
    # query each one again ("does this village exist?" is one SELECT per row otherwise).
    resolved_fields: tuple[str, ...] = ()

    class Meta:
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        instance_loader_class = CachedKeyLoader

    def __init__(self, *, user: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user

    # -- import ------------------------------------------------------------------

    def import_data(
        self,
        dataset: tablib.Dataset,
        dry_run: bool = False,
        raise_errors: bool = False,
        use_transactions: bool | None = None,
        collect_failed_rows: bool = False,
        rollback_on_validation_errors: bool = True,
        **kwargs: Any,
    ) -> Result:
        # One bad row means nothing is written, validation errors included. A problem
        # with the whole file stops here, before a row is read.
        problems = self.file_errors(dataset)
        if problems:
            result = self.get_result_class()()
            result.total_rows = len(dataset)
            for problem in problems:
                result.append_base_error(
                    self.get_error_result_class()(
                        SpreadsheetError(problem, code=SpreadsheetRefusal.RESOURCE_REFUSED)
                    )
                )
            result.columns = self.column_names()
            return result
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=use_transactions,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=rollback_on_validation_errors,
            **kwargs,
        )

    def file_errors(self, dataset: tablib.Dataset) -> list[str]:
        """Problems with the whole file (missing columns …); subclasses may add their own."""
        missing = [c for c in self.required_columns if c not in (dataset.headers or [])]
        if missing:
            return [
                gettext("表头缺少这些列：%(missing)s。请使用导出的表格作为模板。")
                % {"missing": "、".join(missing)}
            ]
        return []

    def after_import(self, dataset: tablib.Dataset, result: Result, **kwargs: Any) -> None:
        super().after_import(dataset, result, **kwargs)
        result.columns = self.column_names()

    def column_names(self) -> dict[str, str]:
        """Model field or error key → the column header users see."""
        names: dict[str, str] = {}
        for name, f in self.fields.items():
            names.setdefault(name, f.column_name)
            if f.attribute:
                names.setdefault(f.attribute.removesuffix("_id"), f.column_name)
        return names

    def skip_row(
        self, instance: Any, original: Any, row: Any, import_validation_errors: Any = None
    ) -> bool:
        if is_blank(row.values()):
            return True
        return super().skip_row(instance, original, row, import_validation_errors)

    def validate_instance(
        self, instance: Any, import_validation_errors: Any = None, validate_unique: bool = True
    ) -> None:
        errors: dict[str, Any] = dict(import_validation_errors or {})
        try:
            instance.full_clean(
                exclude=[*errors, *self.resolved_fields],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for key, message in self.row_errors(instance, failed=set(errors)).items():
            errors.setdefault(key, []).append(message)
        if errors:
            raise ValidationError(errors)

    def row_errors(self, instance: Any, failed: set[str]) -> dict[str, Any]:
        """Checks of this resource: key → Chinese message. ``failed`` fields already have errors."""
        return {}

    def get_user_visible_fields(self) -> list[Any]:
        # The import page lists the columns it reads; derived columns are export-only.
        return [f for f in self.get_import_fields() if not isinstance(f, DerivedField)]

    # -- export ------------------------------------------------------------------

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        return neutralise(super().export_field(field, instance, **kwargs))


# ------------------------------------------------------------------- problem report


@dataclass
class RowProblem:
    row: int | None  # spreadsheet row (header = 1); None for a problem with the whole file
    messages: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = "；".join(m.rstrip("。") for m in self.messages) + "。"
        if self.row is None:
            return text
        return gettext("第 %(row)s 行：%(text)s") % {"row": self.row, "text": text}


def _error_message(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        return "；".join(str(m) for m in error.messages)
    if isinstance(error, DatabaseError):
        # The database's own guard caught what the checks did not (e.g. two people
        # importing at once): say so plainly; the raw text helps whoever supports it.
        return gettext("数据库拒绝保存这一行（与现有数据冲突或违反约束）：%(error)s") % {
            "error": error
        }
    return str(error) or error.__class__.__name__


def row_problems(result: Result) -> list[RowProblem]:
    """Every problem of an import, file-level first, then each bad row in order."""
    columns: dict[str, str] = getattr(result, "columns", {}) or {}
    problems = [RowProblem(None, [_error_message(e.error)]) for e in result.base_errors]
    by_row: dict[int, RowProblem] = {}
    for invalid in result.invalid_rows:
        problem = by_row.setdefault(invalid.number, RowProblem(spreadsheet_row(invalid.number)))
        for key, msgs in invalid.error_dict.items():
            for msg in msgs:
                if key == NON_FIELD_ERRORS:
                    problem.messages.append(str(msg))
                else:
                    problem.messages.append(f"{columns.get(key, key)}：{msg}")
    for error_row in result.error_rows:
        problem = by_row.setdefault(error_row.number, RowProblem(spreadsheet_row(error_row.number)))
        problem.messages.extend(_error_message(e.error) for e in error_row.errors)
    problems.extend(by_row[n] for n in sorted(by_row))
    return problems


def import_summary(result: Result) -> str:
    totals = result.totals
    return gettext("新增 %(new)s 条，更新 %(update)s 条，未变化 %(skip)s 条。") % {
        "new": totals[RowResult.IMPORT_TYPE_NEW],
        "update": totals[RowResult.IMPORT_TYPE_UPDATE],
        "skip": totals[RowResult.IMPORT_TYPE_SKIP],
    }
