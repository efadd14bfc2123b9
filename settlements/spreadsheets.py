"""Spreadsheet import and export shared by every import/export in the project.

What county staff actually upload is an xlsx from Excel/WPS or a CSV that Chinese
Excel/WPS saved in GBK (or UTF-8, with or without a BOM). This module turns those bytes
into a ``tablib.Dataset`` or refuses them with a Chinese message, keeps uploads under
``settings.IMPORT_MAX_BYTES``, neutralises formula-like cells on export (CSV/formula
injection), and formats import problems as "第 N 行：reason" using the row numbers
Excel shows (the header is row 1).

Pieces:
- ``read_spreadsheet(data)`` → Dataset (xlsx or CSV, encoding detected), or SpreadsheetError.
- ``neutralise(value)`` and the export formats ``XLSXExport`` / ``CSVExport``.
- ``SpreadsheetResource``: a ModelResource base that is all-or-nothing, checks the
  header row, skips blank rows and reports every bad row in Chinese.
- ``SpreadsheetAdminMixin``: the admin side (size limit, one upload format that
  detects xlsx/CSV, Chinese messages, a failed confirm never reports success).
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import tablib
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import resources, widgets
from import_export.admin import ImportExportMixin
from import_export.fields import Field
from import_export.formats.base_formats import CSV, XLSX, Format
from import_export.forms import ImportForm
from import_export.instance_loaders import BaseInstanceLoader
from import_export.results import Result, RowResult

# ----------------------------------------------------------------------------- errors


class SpreadsheetError(ValidationError):
    """A whole file is refused; the message is shown to the user as it is."""


def format_bytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def check_size(size: int) -> None:
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise SpreadsheetError(
            _("文件过大（%(size)s），导入文件不能超过 %(limit)s。请拆分后分批导入。")
            % {"size": format_bytes(size), "limit": format_bytes(limit)}
        )
    if size == 0:
        raise SpreadsheetError(_("文件是空的。"))


# --------------------------------------------------------------------------- reading

UTF8_BOM = b"\xef\xbb\xbf"
# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
OTHER_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97–2003 .xls, old .et
# An xlsx is a zip: refuse archives that inflate beyond this many times the upload limit.
MAX_INFLATION = 20

SAVE_AS_HINT = _("请在 Excel 或 WPS 中“另存为” xlsx 工作簿或 “CSV UTF-8” 后再导入。")


def decode_csv(data: bytes) -> str:
    """Text of a CSV saved by Chinese Excel/WPS: UTF-8 (BOM or not) or GBK; else refused.

    GBK is decoded as GB 18030, its superset, so the rare characters of place names
    that WPS may save beyond GBK still read correctly.
    """
    if data.startswith(UTF8_BOM):
        try:
            return data[len(UTF8_BOM) :].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SpreadsheetError(
                _("文件标明为 UTF-8 编码，但第 %(pos)s 个字节起的内容不是有效的 UTF-8。%(hint)s")
                % {"pos": exc.start + len(UTF8_BOM) + 1, "hint": SAVE_AS_HINT}
            ) from exc
    for bom, name in OTHER_BOMS:
        if data.startswith(bom):
            raise SpreadsheetError(
                _("文件编码为 %(name)s，系统只接受 UTF-8 或 GBK 编码的 CSV。%(hint)s")
                % {"name": name, "hint": SAVE_AS_HINT}
            )
    if b"\x00" in data:
        raise SpreadsheetError(
            _("文件含有空字符，不是 UTF-8 或 GBK 编码的 CSV（可能是 UTF-16 编码）。%(hint)s")
            % {"hint": SAVE_AS_HINT}
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(
            _("无法识别文件编码：只接受 UTF-8（可带 BOM）或 GBK 编码的 CSV，以及 xlsx 工作簿。%(hint)s")
            % {"hint": SAVE_AS_HINT}
        ) from exc


def _clean_cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    return value


def _is_blank(values: Any) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _csv_rows(data: bytes) -> list[list[Any]]:
    text = decode_csv(data)
    try:
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise SpreadsheetError(_("CSV 文件格式有误：%(error)s") % {"error": exc}) from exc


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    import openpyxl  # imported here: only xlsx uploads need it

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise SpreadsheetError(_("xlsx 文件已损坏，无法打开。") + str(SAVE_AS_HINT)) from exc
    if inflated > MAX_INFLATION * settings.IMPORT_MAX_BYTES:
        raise SpreadsheetError(_("xlsx 文件解压后过大，拒绝导入。"))
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a bad workbook
        raise SpreadsheetError(_("无法读取 xlsx 文件，它可能已损坏或不是 Excel 工作簿。") + str(SAVE_AS_HINT)) from exc
    try:
        sheet = book.active
        return [list(r) for r in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def read_spreadsheet(data: bytes) -> tablib.Dataset:
    """The first sheet of an xlsx, or a CSV, as a Dataset with a stripped header row.

    Blank rows inside the data are kept (as blank rows, which resources skip) so that
    dataset row i is spreadsheet row i + 1 and error messages name the row Excel shows.
    """
    check_size(len(data))
    if data.startswith(XLSX_MAGIC):
        rows = _xlsx_rows(data)
    elif data.startswith(OLE_MAGIC):
        raise SpreadsheetError(_("不支持 Excel 97-2003（.xls）格式。") + str(SAVE_AS_HINT))
    else:
        rows = _csv_rows(data)
    rows = [[_clean_cell(v) for v in row] for row in rows]
    while rows and _is_blank(rows[-1]):
        rows.pop()
    if not rows or _is_blank(rows[0]):
        raise SpreadsheetError(_("第 1 行应为表头（列名），但它是空的。"))

    headers = [str(h) if h != "" else "" for h in rows[0]]
    while headers and headers[-1] == "":
        headers.pop()
    seen: set[str] = set()
    for h in headers:
        if h and h in seen:
            raise SpreadsheetError(_("表头中“%(name)s”列出现了两次。") % {"name": h})
        seen.add(h)
    # An unnamed column in the middle still needs a distinct name for tablib.
    headers = [h or gettext("（第%(n)s列无列名）") % {"n": i + 1} for i, h in enumerate(headers)]
    width = len(headers)

    dataset = tablib.Dataset(headers=headers)
    for number, row in enumerate(rows[1:], start=2):
        extra = row[width:]
        if not _is_blank(extra):
            raise SpreadsheetError(
                _("第 %(row)s 行在表头之外还有数据（第 %(col)s 列），请检查是否多了列或少了表头。")
                % {"row": number, "col": width + 1 + next(i for i, v in enumerate(extra) if v != "")}
            )
        row = row[:width] + [""] * (width - len(row))
        dataset.append(row)
    return dataset


def spreadsheet_row(number: int) -> int:
    """The row Excel shows for dataset row ``number`` (1-based; the header is row 1)."""
    return number + 1


# ------------------------------------------------------------------------- exporting

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading quote; other values pass.

    Numbers, dates and booleans keep their type (a negative longitude is a number, not a
    formula), so xlsx exports keep numbers as numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# The name other modules (the rewards ledger export) look for.
neutralise_formula = neutralise


def neutralise_dataset(dataset: tablib.Dataset) -> tablib.Dataset:
    out = tablib.Dataset(headers=[neutralise(h) for h in dataset.headers or []])
    out.title = dataset.title
    for row in dataset:
        out.append([neutralise(v) for v in row])
    return out


class XLSXExport(XLSX):
    """xlsx with numbers kept as numbers and formula-like text neutralised."""

    native_types = True

    def get_title(self) -> str:
        return "xlsx"

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> bytes:
        # Not the library's escaping: it turns every cell into text and only drops "=".
        return neutralise_dataset(dataset).export("xlsx", **kwargs)


class CSVExport(CSV):
    """UTF-8 CSV with a BOM, so Excel opens Chinese text cleanly; formulas neutralised."""

    native_types = False
    CONTENT_TYPE = "text/csv; charset=utf-8"

    def get_title(self) -> str:
        return "csv"

    def is_binary(self) -> bool:
        return True  # export_data returns the encoded bytes itself

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> bytes:
        return neutralise_dataset(dataset).export("csv", **kwargs).encode("utf-8-sig")


class SpreadsheetImportFormat(Format):
    """The one upload format: an xlsx workbook or a CSV, recognised from the bytes."""

    def __init__(self, encoding: str | None = None) -> None:
        self.encoding = None

    def get_title(self) -> str:
        return gettext("xlsx 或 csv（自动识别）")

    def create_dataset(self, in_stream: bytes) -> tablib.Dataset:
        if isinstance(in_stream, str):  # pragma: no cover - storages hand us bytes
            in_stream = in_stream.encode("utf-8")
        return read_spreadsheet(in_stream)

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"

    def get_extension(self) -> str:
        return "xlsx"

    def can_import(self) -> bool:
        return True

    def can_export(self) -> bool:
        return False


# --------------------------------------------------------------------------- widgets

REQUIRED = _("不能为空。")


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed as a number in Excel: 1001.0 → "1001"
    return str(value).strip()


class TextWidget(widgets.Widget):
    def __init__(self, *, required: bool = True) -> None:
        super().__init__(coerce_to_string=True)
        self.required = required

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = cell_text(value)
        if self.required and not text:
            raise ValueError(REQUIRED)
        return text

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else str(value)


class CountWidget(widgets.Widget):
    """A non-negative whole number (户数, 人口数 …); 12.5 or -1 is an error, not rounded."""

    def __init__(self, *, required: bool = True) -> None:
        super().__init__(coerce_to_string=True)
        self.required = required

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int | None:
        text = cell_text(value)
        if not text:
            if self.required:
                raise ValueError(REQUIRED)
            return None
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation as exc:
            raise ValueError(gettext("“%(value)s”不是整数。") % {"value": text}) from exc
        if number != number.to_integral_value() or number < 0:
            raise ValueError(gettext("“%(value)s”应为不小于 0 的整数。") % {"value": text})
        return int(number)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if kwargs.get("force_native_type"):
            return value
        return "" if value is None else str(value)


class DecimalNumberWidget(widgets.Widget):
    def __init__(self, *, required: bool = True) -> None:
        super().__init__(coerce_to_string=True)
        self.required = required

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Decimal | None:
        if isinstance(value, float):
            value = repr(value)  # 0.1 stays 0.1, not 0.1000000000000000055…
        text = cell_text(value)
        if not text:
            if self.required:
                raise ValueError(REQUIRED)
            return None
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation as exc:
            raise ValueError(gettext("“%(value)s”不是数字。") % {"value": text}) from exc
        if not number.is_finite():
            raise ValueError(gettext("“%(value)s”不是数字。") % {"value": text})
        return number

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if kwargs.get("force_native_type"):
            return value
        return "" if value is None else str(value)


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


class ChineseDateWidget(widgets.Widget):
    """Dates as Excel cells or typed as 2019-06-30, 2019/6/30, 2019年6月30日."""

    def __init__(self, *, required: bool = False) -> None:
        super().__init__(coerce_to_string=True)
        self.required = required

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> date | None:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = cell_text(value)
        if not text:
            if self.required:
                raise ValueError(REQUIRED)
            return None
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
            except ValueError:
                continue
        raise ValueError(gettext("“%(value)s”不是日期，请写成 2019-06-30。") % {"value": text})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if kwargs.get("force_native_type"):
            return value
        return value.isoformat() if value else ""


class ChoiceLabelWidget(widgets.Widget):
    """A choice imported and exported by its Chinese label (the stored code is accepted too)."""

    def __init__(self, choices: Any, *, blank: str | None = None) -> None:
        super().__init__(coerce_to_string=True)
        self.choices = list(choices)
        self.blank = blank

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = cell_text(value)
        if not text:
            if self.blank is not None:
                return self.blank
            raise ValueError(REQUIRED)
        for code, label in self.choices:
            if text in (str(label), str(code)):
                return code
        allowed = "、".join(str(label) for _code, label in self.choices)
        raise ValueError(gettext("“%(value)s”不是可选值（可选：%(allowed)s）。") % {"value": text, "allowed": allowed})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        for code, label in self.choices:
            if code == value:
                return str(label)
        return "" if value is None else str(value)


class YesNoWidget(widgets.Widget):
    YES = ("是", "Y", "YES", "TRUE", "1", "√")
    NO = ("否", "N", "NO", "FALSE", "0", "")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = cell_text(value).upper()
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(gettext("“%(value)s”应填“是”或“否”。") % {"value": cell_text(value)})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "是" if value else "否"


class ListWidget(widgets.Widget):
    """Export-only: a list of labels joined in one cell."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "；".join(str(v) for v in value or [])


# ------------------------------------------------------------------------- resources

BATCH = 2000  # keys per IN (…) query: under SQLite's parameter limit at any size of file


def values_in(queryset: Any, field_name: str, keys: Any) -> set[Any]:
    """The values of ``field_name`` among ``keys`` that exist in ``queryset``, in batches."""
    keys = sorted(set(keys))
    found: set[Any] = set()
    for start in range(0, len(keys), BATCH):
        batch = keys[start : start + BATCH]
        found.update(queryset.filter(**{f"{field_name}__in": batch}).values_list(field_name, flat=True))
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

    def import_data(  # type: ignore[override]
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
                result.append_base_error(self.get_error_result_class()(SpreadsheetError(problem)))
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

    def skip_row(self, instance: Any, original: Any, row: Any, import_validation_errors: Any = None) -> bool:
        if _is_blank(row.values()):
            return True
        return super().skip_row(instance, original, row, import_validation_errors)

    def validate_instance(self, instance: Any, import_validation_errors: Any = None, validate_unique: bool = True) -> None:
        errors: dict[str, Any] = dict(import_validation_errors or {})
        try:
            instance.full_clean(
                exclude=[*errors, *self.resolved_fields], validate_unique=False, validate_constraints=False
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
        return gettext("数据库拒绝保存这一行（与现有数据冲突或违反约束）：%(error)s") % {"error": error}
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


# ----------------------------------------------------------------------------- admin


class SpreadsheetImportForm(ImportForm):
    """The upload form: refuses oversized or empty files before anything is read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["import_file"].label = _("要导入的文件")
        self.fields["import_file"].help_text = _(
            "xlsx 工作簿，或 UTF-8（可带 BOM）/ GBK 编码的 CSV，不超过 %(limit)s。第 1 行为表头。"
        ) % {"limit": format_bytes(settings.IMPORT_MAX_BYTES)}
        self.fields["format"].label = _("格式")

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        try:
            check_size(upload.size)
        except SpreadsheetError as exc:
            raise forms.ValidationError(exc.messages) from exc
        return upload


class SpreadsheetAdminMixin(ImportExportMixin):
    """Import (preview, then confirm) and export for a ModelAdmin, the project's way.

    The ModelAdmin's ``get_queryset`` is already scoped to the user, so exports are
    too; resources receive ``user`` so imports check the same scope.
    """

    import_form_class = SpreadsheetImportForm
    import_template_name = "admin/spreadsheets/import.html"
    import_error_display = ("message",)

    def get_import_formats(self) -> list[type]:
        return [SpreadsheetImportFormat]

    def get_export_formats(self) -> list[type]:
        return [XLSXExport, CSVExport]

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"user": request.user}

    def get_export_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"user": request.user}

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.pop("form", None)
        kwargs.pop("request", None)
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def add_data_read_fail_error_to_form(self, form: forms.Form, e: Exception) -> None:
        if isinstance(e, ValidationError):
            for message in e.messages:
                form.add_error("import_file", message)
        else:
            form.add_error("import_file", _("无法读取这个文件。") + str(SAVE_AS_HINT))

    def _fields_list(self, request: HttpRequest) -> list[tuple[str, list[str]]]:
        """The columns each resource reads, listed on the import page."""
        resources = [cls(**self.get_import_resource_kwargs(request)) for cls in self.get_import_resource_classes(request)]
        return [(r.get_display_name(), [f.column_name for f in r.get_user_visible_fields()]) for r in resources]

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        if context is None:
            return response
        if context.get("result") is not None:
            context["row_problems"] = row_problems(context["result"])
            context["import_summary"] = import_summary(context["result"])
        if not context.get("fields_list") or not any(cols for _name, cols in context["fields_list"]):
            # The library leaves the column list empty when the file could not be read:
            # exactly when the person most needs to see which columns are expected.
            context["fields_list"] = self._fields_list(request)
        return response

    def process_result(self, result: Result, request: HttpRequest) -> HttpResponse:
        # The confirm step imports again; if the data changed since the preview and a row
        # now fails, the import was rolled back: say so, list why, never "finished".
        if result.has_errors() or result.has_validation_errors():
            messages.error(request, _("导入未完成，没有写入任何数据。请修正下列问题后重新上传。"))
            context = self.admin_site.each_context(request)
            form = self.get_import_form_class(request)(
                self.get_import_formats(), self.get_import_resource_classes(request)
            )
            context.update(
                {
                    "title": _("导入"),
                    "form": form,
                    "opts": self.model._meta,
                    "result": result,
                    "row_problems": row_problems(result),
                    "import_error_display": self.import_error_display,
                    "fields_list": self._fields_list(request),
                    "media": self.media + form.media,
                }
            )
            request.current_app = self.admin_site.name
            return TemplateResponse(request, [self.import_template_name], context)
        return super().process_result(result, request)

    def add_success_message(self, result: Result, request: HttpRequest) -> None:
        messages.success(
            request,
            _("导入完成（%(name)s）：%(summary)s")
            % {"name": self.model._meta.verbose_name_plural, "summary": import_summary(result)},
        )

    def get_export_data(self, file_format: Any, request: HttpRequest, queryset: Any, **kwargs: Any) -> bytes:
        if not self.has_export_permission(request):
            raise PermissionDenied
        data = self.get_data_for_export(
            request, queryset, force_native_type=getattr(file_format, "native_types", False), **kwargs
        )
        return file_format.export_data(data)
