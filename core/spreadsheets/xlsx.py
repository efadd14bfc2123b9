"""The first sheet's cell values of an xlsx, streamed straight from the zip with expat.

What ``openpyxl.load_workbook(read_only=True, data_only=True)`` and
``iter_rows(values_only=True)`` give, about ten times faster: openpyxl builds an element
tree and a cell object per cell, this reader keeps only the values. Rows come as they
are parsed (the sheet's XML is fed in 64 KB pieces), so memory stays flat whatever the
sheet's length; only the shared strings (held by any reader) and the styles are loaded
first.

Values are typed as openpyxl types them (the import's widgets read both): numbers as
int or float, cells styled as dates as datetime (or timedelta), booleans, shared, inline
and formula strings as str, formulas as their cached value (``data_only``), errors as
their text (``#N/A``). Rows missing from the XML come as empty rows, missing cells as
None, so row i is the sheet's row i and Excel's row numbers hold. The workbook's active
sheet is read (as openpyxl's ``book.active``).

A document type declaration (never in a workbook Excel or WPS writes) is refused, so no
entity can expand.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any
from xml.parsers import expat

from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import (
    CALENDAR_MAC_1904,
    CALENDAR_WINDOWS_1900,
    from_excel,
    from_ISO8601,
)

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CHUNK = 64 * 1024


class XlsxError(Exception):
    """The archive is not a workbook this reader understands."""


def _local(name: str) -> str:
    # expat with namespace_separator=" " names elements "namespace local".
    return name.rpartition(" ")[2]


def _parser(
    start: Callable[[str, dict[str, str]], None] | None = None,
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
) -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.buffer_size = CHUNK

    def refuse(*_args: Any) -> None:
        raise XlsxError("document type declarations are not allowed")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    if start is not None:
        parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    return parser


def _parse_whole(archive: zipfile.ZipFile, path: str, parser: expat.XMLParserType) -> None:
    with archive.open(path) as stream:
        while chunk := stream.read(CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)


def _rels(archive: zipfile.ZipFile, path: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type's last segment, target path inside the archive)."""
    folder, name = posixpath.split(path)
    rels_path = posixpath.join(folder, "_rels", name + ".rels")
    found: dict[str, tuple[str, str]] = {}
    if rels_path not in archive.namelist():
        return found

    def start(tag: str, attrs: dict[str, str]) -> None:
        if _local(tag) == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            target = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join(folder, target))
            )
            found[attrs.get("Id", "")] = (attrs.get("Type", "").rpartition("/")[2], target)

    _parse_whole(archive, rels_path, _parser(start))
    return found


class _Workbook:
    """workbook.xml: the active sheet's part, the date system, and the parts it relates to."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        root = next(
            (target for kind, target in _rels(archive, "").values() if kind == "officeDocument"),
            "xl/workbook.xml",
        )
        self.sheets: list[str] = []
        self.active = 0
        self.epoch = CALENDAR_WINDOWS_1900

        def start(tag: str, attrs: dict[str, str]) -> None:
            name = _local(tag)
            if name == "sheet":
                self.sheets.append(attrs.get(f"{REL} id", ""))
            elif name == "workbookView":
                self.active = int(attrs.get("activeTab", "0") or 0)
            elif name == "workbookPr" and attrs.get("date1904", "0").lower() in ("1", "true"):
                self.epoch = CALENDAR_MAC_1904

        _parse_whole(archive, root, _parser(start))
        rels = _rels(archive, root)
        if not self.sheets:
            raise XlsxError("the workbook has no sheet")
        rid = self.sheets[self.active if 0 <= self.active < len(self.sheets) else 0]
        if rid not in rels:
            raise XlsxError("the active sheet's part is missing")
        self.sheet_path = rels[rid][1]
        self.strings_path = next((t for k, t in rels.values() if k == "sharedStrings"), None)
        self.styles_path = next((t for k, t in rels.values() if k == "styles"), None)


def _shared_strings(archive: zipfile.ZipFile, path: str | None) -> list[str]:
    """Each <si>'s text: its <t>, or its runs' <t> joined; phonetic runs (<rPh>) left out."""
    strings: list[str] = []
    if path is None or path not in archive.namelist():
        return strings
    parts: list[str] = []
    state = {"in_t": False, "in_rph": False}

    def start(tag: str, attrs: dict[str, str]) -> None:
        name = _local(tag)
        if name == "t" and not state["in_rph"]:
            state["in_t"] = True
        elif name == "rPh":
            state["in_rph"] = True
        elif name == "si":
            parts.clear()

    def end(tag: str) -> None:
        name = _local(tag)
        if name == "t":
            state["in_t"] = False
        elif name == "rPh":
            state["in_rph"] = False
        elif name == "si":
            strings.append("".join(parts).replace("x005F_", ""))

    def text(data: str) -> None:
        if state["in_t"]:
            parts.append(data)

    _parse_whole(archive, path, _parser(start, end, text))
    return strings


def _date_styles(archive: zipfile.ZipFile, path: str | None) -> tuple[set[int], set[int]]:
    """Indexes of the cell formats (``s``) that show dates, and those that show durations."""
    dates: set[int] = set()
    durations: set[int] = set()
    if path is None or path not in archive.namelist():
        return dates, durations
    custom: dict[int, str] = {}
    formats: list[int] = []
    depth = {"cellXfs": False}

    def start(tag: str, attrs: dict[str, str]) -> None:
        name = _local(tag)
        if name == "numFmt":
            custom[int(attrs.get("numFmtId", "0"))] = attrs.get("formatCode", "")
        elif name == "cellXfs":
            depth["cellXfs"] = True
        elif name == "xf" and depth["cellXfs"]:
            formats.append(int(attrs.get("numFmtId", "0") or 0))

    def end(tag: str) -> None:
        if _local(tag) == "cellXfs":
            depth["cellXfs"] = False

    _parse_whole(archive, path, _parser(start, end))
    for index, number_format in enumerate(formats):
        code = custom.get(number_format) or builtin_format_code(number_format)
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return dates, durations


def _cast_number(value: str) -> int | float:
    if "." in value or "E" in value or "e" in value:
        return float(value)
    return int(value)


_COLUMNS: dict[str, int] = {}


def _column_index(reference: str) -> int:
    """1-based column of a cell reference such as "AB12"."""
    letters = reference.rstrip("0123456789")
    column = _COLUMNS.get(letters)
    if column is None:
        column = 0
        for char in letters.upper():
            column = column * 26 + ord(char) - 64
        _COLUMNS[letters] = column
    return column


class _SheetParser:
    """Turns the sheet's XML, fed piece by piece, into finished rows (``ready``)."""

    def __init__(
        self, strings: list[str], dates: set[int], durations: set[int], epoch: Any
    ) -> None:
        self.strings = strings
        self.dates = dates
        self.durations = durations
        self.epoch = epoch
        self.ready: list[tuple[int, list[Any]]] = []
        self.row_number = 0
        self.cells: list[Any] = []
        self.column = 0
        self.kind = "n"
        self.style = 0
        self.text: list[str] = []
        self.collect = False  # inside <v>, or an inline string's <t>
        self.in_rph = False
        self.inline: list[str] | None = None
        self.value: str | None = None
        self.names: dict[str, str] = {}  # full tag → local name (a few tags, met 10⁶ times)
        self.parser = _parser(self.start, self.end, self.data)

    def name(self, tag: str) -> str:
        self.names[tag] = _local(tag)
        return self.names[tag]

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        name = self.names.get(tag) or self.name(tag)
        if name == "c":
            reference = attrs.get("r")
            self.column = _column_index(reference) if reference else self.column + 1
            self.kind = attrs.get("t", "n")
            style = attrs.get("s")
            self.style = int(style) if style else 0
            self.value = None
            self.inline = None
        elif name == "v":
            self.collect = True
            self.text = []
        elif name == "row":
            number = attrs.get("r")
            self.row_number = int(number) if number else self.row_number + 1
            self.cells = []
            self.column = 0
        elif name == "is":
            self.inline = []
        elif name == "t" and self.inline is not None and not self.in_rph:
            self.collect = True
            self.text = []
        elif name == "rPh":
            self.in_rph = True

    def data(self, text: str) -> None:
        if self.collect:
            self.text.append(text)

    def end(self, tag: str) -> None:
        name = self.names.get(tag) or self.name(tag)
        if name == "v":
            self.collect = False
            self.value = "".join(self.text)
        elif name == "c":
            value = self.cell_value()
            if value is not None:
                cells = self.cells
                while len(cells) < self.column - 1:
                    cells.append(None)
                if len(cells) == self.column - 1:
                    cells.append(value)
                else:  # a cell named out of order: place it where it says
                    cells[self.column - 1] = value
        elif name == "row":
            self.ready.append((self.row_number, self.cells))
        elif name == "t" and self.inline is not None:
            self.collect = False
            self.inline.append("".join(self.text))
        elif name == "rPh":
            self.in_rph = False

    def cell_value(self) -> Any:
        kind, value = self.kind, self.value
        if kind == "inlineStr":
            return "".join(self.inline) if self.inline is not None else None
        if not value:
            return None
        if kind == "n":
            number = _cast_number(value)
            if self.style in self.dates:
                try:
                    return from_excel(number, self.epoch, timedelta=self.style in self.durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return self.strings[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            return from_ISO8601(value)
        return value  # "str" (a formula's text), "e" (an error such as #N/A)


def xlsx_rows(stream: IO[bytes]) -> Iterator[list[Any]]:
    """The active sheet's rows, from row 1, each a list of values (None for an empty cell).

    Raises ``XlsxError`` (or ``zipfile.BadZipFile``, ``KeyError``, ``expat.ExpatError``) on a
    file that is not a readable workbook.
    """
    with zipfile.ZipFile(stream) as archive:
        book = _Workbook(archive)
        strings = _shared_strings(archive, book.strings_path)
        dates, durations = _date_styles(archive, book.styles_path)
        sheet = _SheetParser(strings, dates, durations, book.epoch)
        expected = 1
        with archive.open(book.sheet_path) as source:
            while True:
                chunk = source.read(CHUNK)
                sheet.parser.Parse(chunk, not chunk)
                for number, cells in sheet.ready:
                    while expected < number:  # rows the XML leaves out are empty rows
                        yield []
                        expected += 1
                    if number == expected:
                        yield cells
                        expected += 1
                sheet.ready.clear()
                if not chunk:
                    break
