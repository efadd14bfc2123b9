"""Reading what county staff upload: an xlsx from Excel/WPS, or a CSV saved in GBK or UTF-8.

Bytes become a ``tablib.Dataset`` or are refused with a Chinese message
(``SpreadsheetError``); uploads stay under ``settings.IMPORT_MAX_BYTES``. Dataset row i
is spreadsheet row i + 1 (the header is row 1), so messages name the row Excel shows.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, Any
from xml.parsers import expat

import tablib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.formats.base_formats import Format

from .codes import SpreadsheetRefusal
from .xlsx import XlsxError, xlsx_rows

# ----------------------------------------------------------------------------- errors


class SpreadsheetError(ValidationError):
    """A whole file is refused; the message is shown to the user as it is, and ``code``
    (a ``SpreadsheetRefusal``) says why, for pages and tests."""

    code: SpreadsheetRefusal

    def __init__(self, message: Any, *, code: SpreadsheetRefusal) -> None:
        super().__init__(message, code=code)
        self.code = code


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
            % {"size": format_bytes(size), "limit": format_bytes(limit)},
            code=SpreadsheetRefusal.FILE_TOO_LARGE,
        )
    if size == 0:
        raise SpreadsheetError(_("文件是空的。"), code=SpreadsheetRefusal.FILE_EMPTY)


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
                % {"pos": exc.start + len(UTF8_BOM) + 1, "hint": SAVE_AS_HINT},
                code=SpreadsheetRefusal.BAD_UTF8,
            ) from exc
    for bom, name in OTHER_BOMS:
        if data.startswith(bom):
            raise SpreadsheetError(
                _("文件编码为 %(name)s，系统只接受 UTF-8 或 GBK 编码的 CSV。%(hint)s")
                % {"name": name, "hint": SAVE_AS_HINT},
                code=SpreadsheetRefusal.UNSUPPORTED_ENCODING,
            )
    if b"\x00" in data:
        raise SpreadsheetError(
            _("文件含有空字符，不是 UTF-8 或 GBK 编码的 CSV（可能是 UTF-16 编码）。%(hint)s")
            % {"hint": SAVE_AS_HINT},
            code=SpreadsheetRefusal.NUL_BYTES,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(
            _(
                "无法识别文件编码：只接受 UTF-8（可带 BOM）或 GBK 编码的 CSV，以及 xlsx 工作簿。%(hint)s"
            )
            % {"hint": SAVE_AS_HINT},
            code=SpreadsheetRefusal.UNKNOWN_ENCODING,
        ) from exc


def _clean_cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    return value


def is_blank(values: Any) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


CHUNK = 64 * 1024


def csv_encoding(stream: IO[bytes]) -> str:
    """The encoding of a CSV read in chunks (memory stays flat): ``utf-8-sig`` when it
    starts with a BOM, ``utf-8`` when every byte decodes, else ``gb18030`` (GBK's
    superset, so rare place-name characters WPS saves beyond GBK still read); refused
    with the same messages as ``decode_csv``. The stream is left at its start.
    """
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    for bom, name in OTHER_BOMS:
        if head.startswith(bom):
            raise SpreadsheetError(
                _("文件编码为 %(name)s，系统只接受 UTF-8 或 GBK 编码的 CSV。%(hint)s")
                % {"name": name, "hint": SAVE_AS_HINT},
                code=SpreadsheetRefusal.UNSUPPORTED_ENCODING,
            )
    has_bom = head.startswith(UTF8_BOM)
    candidates = ["utf-8"] if has_bom else ["utf-8", "gb18030"]
    for name in candidates:
        decoder = codecs.getincrementaldecoder(name)()
        stream.seek(0)
        position = 0
        try:
            while chunk := stream.read(CHUNK):
                if b"\x00" in chunk:
                    raise SpreadsheetError(
                        _(
                            "文件含有空字符，不是 UTF-8 或 GBK 编码的 CSV（可能是 UTF-16 编码）。%(hint)s"
                        )
                        % {"hint": SAVE_AS_HINT},
                        code=SpreadsheetRefusal.NUL_BYTES,
                    )
                decoder.decode(chunk)
                position += len(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            if has_bom:
                stream.seek(0)
                raise SpreadsheetError(
                    _(
                        "文件标明为 UTF-8 编码，但第 %(pos)s 个字节起的内容不是有效的 UTF-8。%(hint)s"
                    )
                    % {"pos": position + exc.start + 1, "hint": SAVE_AS_HINT},
                    code=SpreadsheetRefusal.BAD_UTF8,
                ) from exc
            continue
        stream.seek(0)
        return "utf-8-sig" if has_bom else name
    stream.seek(0)
    raise SpreadsheetError(
        _("无法识别文件编码：只接受 UTF-8（可带 BOM）或 GBK 编码的 CSV，以及 xlsx 工作簿。%(hint)s")
        % {"hint": SAVE_AS_HINT},
        code=SpreadsheetRefusal.UNKNOWN_ENCODING,
    )


def _csv_rows(stream: IO[bytes]) -> Iterator[list[Any]]:
    text = io.TextIOWrapper(stream, encoding=csv_encoding(stream), newline="")
    try:
        yield from csv.reader(text)
    except csv.Error as exc:
        raise SpreadsheetError(
            _("CSV 文件格式有误：%(error)s") % {"error": exc}, code=SpreadsheetRefusal.BAD_CSV
        ) from exc
    finally:
        with contextlib.suppress(ValueError):  # already closed when collected unfinished
            text.detach()  # the caller owns the stream


def _xlsx_rows(stream: IO[bytes]) -> Iterator[list[Any]]:
    try:
        with zipfile.ZipFile(stream) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise SpreadsheetError(
            _("xlsx 文件已损坏，无法打开。") + str(SAVE_AS_HINT),
            code=SpreadsheetRefusal.BROKEN_XLSX,
        ) from exc
    if inflated > MAX_INFLATION * settings.IMPORT_MAX_BYTES:
        raise SpreadsheetError(
            _("xlsx 文件解压后过大，拒绝导入。"), code=SpreadsheetRefusal.XLSX_INFLATES_TOO_MUCH
        )
    stream.seek(0)
    # Streamed with expat (core.spreadsheets.xlsx): rows are parsed from the zip as they
    # are asked for, never all at once, about ten times faster than openpyxl's read-only mode.
    rows = xlsx_rows(stream)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except (
            XlsxError,
            KeyError,
            ValueError,
            IndexError,
            EOFError,
            zlib.error,
            zipfile.BadZipFile,
            expat.ExpatError,
        ) as exc:
            raise SpreadsheetError(
                _("无法读取 xlsx 文件，它可能已损坏或不是 Excel 工作簿。") + str(SAVE_AS_HINT),
                code=SpreadsheetRefusal.UNREADABLE_XLSX,
            ) from exc
        yield row


def too_many_rows(limit: int) -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "文件超过 %(limit)s 行数据，已停止读取。请拆分为每个不超过 %(limit)s 行的文件后分批导入。"
        )
        % {"limit": limit},
        code=SpreadsheetRefusal.TOO_MANY_ROWS,
    )


class SheetRows:
    """The rows of an uploaded xlsx or CSV, read as they come (memory stays flat).

    ``headers`` are read on opening (whole-file problems are refused at once);
    iterating yields ``(spreadsheet row number, cells)`` for every data row, blank
    rows included (so row numbers stay those Excel shows) but trailing blank rows
    dropped, cells stripped and padded to the header's width. The row limit
    (``IMPORT_MAX_ROWS``) is checked while reading: the first row over it stops the
    read with a ``SpreadsheetError``.
    """

    def __init__(self, stream: IO[bytes], *, max_rows: int | None = None) -> None:
        head = stream.read(4)
        stream.seek(0)
        if head.startswith(XLSX_MAGIC):
            raw = _xlsx_rows(stream)
        elif head.startswith(OLE_MAGIC):
            raise SpreadsheetError(
                _("不支持 Excel 97-2003（.xls）格式。") + str(SAVE_AS_HINT),
                code=SpreadsheetRefusal.XLS_NOT_SUPPORTED,
            )
        else:
            raw = _csv_rows(stream)
        self.max_rows = settings.IMPORT_MAX_ROWS if max_rows is None else max_rows
        self._raw = raw
        first = next(raw, None)
        if first is None or is_blank(first):
            raise SpreadsheetError(
                _("第 1 行应为表头（列名），但它是空的。"), code=SpreadsheetRefusal.NO_HEADER
            )
        headers = [str(_clean_cell(h)) for h in first]
        while headers and headers[-1] == "":
            headers.pop()
        seen: set[str] = set()
        for h in headers:
            if h and h in seen:
                raise SpreadsheetError(
                    _("表头中“%(name)s”列出现了两次。") % {"name": h},
                    code=SpreadsheetRefusal.DUPLICATE_COLUMN,
                )
            seen.add(h)
        # An unnamed column in the middle still needs a distinct name.
        self.headers = [
            h or gettext("（第%(n)s列无列名）") % {"n": i + 1} for i, h in enumerate(headers)
        ]

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        width = len(self.headers)
        pending_blank: list[int] = []  # blank rows held back until a data row follows
        data_rows = 0
        for number, raw in enumerate(self._raw, start=2):
            # _clean_cell, inline: text stripped, empty cells "" (so a blank row is all "").
            row = [v.strip() if isinstance(v, str) else "" if v is None else v for v in raw]
            if row.count("") == len(row):
                pending_blank.append(number)
                continue
            extra = row[width:]
            if extra.count("") != len(extra):
                raise SpreadsheetError(
                    _(
                        "第 %(row)s 行在表头之外还有数据（第 %(col)s 列），请检查是否多了列或少了表头。"
                    )
                    % {
                        "row": number,
                        "col": width + 1 + next(i for i, v in enumerate(extra) if v != ""),
                    },
                    code=SpreadsheetRefusal.DATA_BEYOND_HEADER,
                )
            data_rows += 1
            if data_rows > self.max_rows:
                raise too_many_rows(self.max_rows)
            for blank in pending_blank:
                yield blank, [""] * width
            pending_blank.clear()
            yield number, row[:width] + [""] * (width - len(row))


def read_spreadsheet(data: bytes) -> tablib.Dataset:
    """The first sheet of an xlsx, or a CSV, as a Dataset with a stripped header row.

    Blank rows inside the data are kept (as blank rows, which resources skip) so that
    dataset row i is spreadsheet row i + 1 and error messages name the row Excel shows.
    Small files only (a page's own form); imports read through ``SheetRows``.
    """
    check_size(len(data))
    rows = SheetRows(io.BytesIO(data))
    dataset = tablib.Dataset(headers=rows.headers)
    for _number, cells in rows:
        dataset.append(cells)
    return dataset


def spreadsheet_row(number: int) -> int:
    """The row Excel shows for dataset row ``number`` (1-based; the header is row 1)."""
    return number + 1


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
