"""core.spreadsheets: reading what Chinese Excel/WPS save, refusing the rest, safe exports."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
import tablib
from import_export.results import Result

from core.spreadsheets import (
    CSVExport,
    SpreadsheetError,
    SpreadsheetRefusal,
    XLSXExport,
    check_size,
    decode_csv,
    neutralise,
    read_spreadsheet,
    row_problems,
)
from tests.refusals import refused

HEADER = ["代码", "名称", "乡镇"]
ROWS = [["S1", "幸福苑", "甲镇"], ["S2", "安居园", "乙镇"]]


def csv_text(rows: list[list[str]]) -> str:
    return "\r\n".join(",".join(r) for r in rows) + "\r\n"


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_the_encodings_chinese_excel_and_wps_save_is_read(encoding):
    data = csv_text([HEADER, *ROWS]).encode(encoding)

    dataset = read_spreadsheet(data)

    assert dataset.headers == HEADER  # no BOM glued to the first header
    assert [list(r) for r in dataset] == ROWS


def test_bom_is_not_part_of_the_first_header():
    assert decode_csv("\ufeff代码,名称".encode()) == "代码,名称"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (csv_text([HEADER, *ROWS]).encode("utf-16"), "UTF-16"),
        (csv_text([HEADER, *ROWS]).encode("utf-16-le"), "UTF-16"),  # no BOM: NUL bytes give it away
        (csv_text([HEADER, *ROWS]).encode("utf-32"), "UTF-32"),
        # Shift-JIS half-width katakana followed by a comma: not valid GBK/GB 18030 either.
        ("名前,ｱｲｳ\nテスト,ｶ\n".encode("shift_jis"), "GBK"),
        ("name,ville\ncafé,Zürich\n".encode("latin-1"), "GBK"),
    ],
)
def test_other_encodings_are_refused_with_a_chinese_message(data, expected):
    with pytest.raises(SpreadsheetError) as exc:
        read_spreadsheet(data)

    message = " ".join(exc.value.messages)
    assert expected in message
    assert "另存为" in message  # tells people what to do


def test_a_utf8_bom_with_invalid_utf8_after_it_is_refused():
    with refused(SpreadsheetError, SpreadsheetRefusal.BAD_UTF8):
        decode_csv(b"\xef\xbb\xbf" + "代码".encode("gbk"))


def test_old_xls_and_broken_xlsx_are_refused():
    with refused(SpreadsheetError, SpreadsheetRefusal.XLS_NOT_SUPPORTED):
        read_spreadsheet(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with refused(SpreadsheetError, SpreadsheetRefusal.BROKEN_XLSX):
        read_spreadsheet(b"PK\x03\x04" + b"garbage" * 10)


# ------------------------------------------------------------------------- limits


def test_oversized_and_empty_files_are_refused(settings):
    settings.IMPORT_MAX_BYTES = 1000
    check_size(1000)
    with refused(SpreadsheetError, SpreadsheetRefusal.FILE_TOO_LARGE):
        check_size(1001)
    with refused(SpreadsheetError, SpreadsheetRefusal.FILE_EMPTY):
        check_size(0)
    with refused(SpreadsheetError, SpreadsheetRefusal.FILE_TOO_LARGE):
        read_spreadsheet(b"a" * 1001)


def test_xlsx_that_inflates_far_beyond_the_limit_is_refused(settings):
    settings.IMPORT_MAX_BYTES = 20_000
    data = xlsx_bytes([HEADER, *[["S", "x" * 30_000, "y"]] * 20])  # compresses very well
    assert len(data) < 20_000

    with refused(SpreadsheetError, SpreadsheetRefusal.XLSX_INFLATES_TOO_MUCH):
        read_spreadsheet(data)


# ---------------------------------------------------------------------- structure


def test_xlsx_keeps_types_and_blank_rows_so_row_numbers_match_excel():
    data = xlsx_bytes(
        [
            [" 代码 ", "户数", "搬迁入住日期"],
            ["S1", 120, datetime(2019, 6, 30)],
            [None, None, None],
            ["S2", 30, "2019/7/1"],
            [None, None, None],  # trailing blank rows are dropped
        ]
    )

    dataset = read_spreadsheet(data)

    assert dataset.headers == ["代码", "户数", "搬迁入住日期"]
    assert len(dataset) == 3  # data rows at Excel rows 2, 3 (blank), 4
    assert dataset[0] == ("S1", 120, datetime(2019, 6, 30))
    assert dataset[1] == ("", "", "")
    assert dataset[2] == ("S2", 30, "2019/7/1")


def test_header_row_problems_are_refused():
    with refused(SpreadsheetError, SpreadsheetRefusal.NO_HEADER):
        read_spreadsheet(b"\r\nS1,x\r\n")
    with refused(SpreadsheetError, SpreadsheetRefusal.DUPLICATE_COLUMN):
        read_spreadsheet("代码,代码\r\nS1,S2\r\n".encode())
    with refused(SpreadsheetError, SpreadsheetRefusal.DATA_BEYOND_HEADER):
        read_spreadsheet("代码,名称\r\nS1,a\r\nS2,b,extra\r\n".encode())


def test_short_rows_are_padded_and_trailing_empty_columns_ignored():
    dataset = read_spreadsheet("代码,名称,,\r\nS1\r\nS2,b,,\r\n".encode())

    assert dataset.headers == ["代码", "名称"]
    assert list(dataset) == [("S1", ""), ("S2", "b")]


# ------------------------------------------------------------------- neutralising


@pytest.mark.parametrize(
    "text", ["=1+2", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")']
)
def test_formula_like_text_gets_a_leading_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize(
    "value", ["幸福苑", "", "a=b", "'=already", 12, Decimal("-103.5"), -7, date(2020, 1, 1), None]
)
def test_other_values_pass_unchanged_and_keep_their_type(value):
    assert neutralise(value) == value
    assert type(neutralise(value)) is type(value)


def _dataset() -> tablib.Dataset:
    ds = tablib.Dataset(headers=["名称", "户数", "经度"])
    ds.append(["=cmd|' /C calc'!A0", 120, Decimal("-104.123456")])
    ds.append(["@SUM(1)", 30, Decimal("104.5")])
    return ds


def test_xlsx_export_neutralises_formulas_and_keeps_numbers_numbers():
    data = XLSXExport().export_data(_dataset())

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("名称", "户数", "经度")
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
    assert rows[2][0] == "'@SUM(1)"
    assert rows[1][1] == 120 and isinstance(rows[1][1], int)
    assert rows[1][2] == pytest.approx(-104.123456)  # a negative number is not a formula
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_csv_export_is_utf8_with_bom_and_neutralised():
    data = CSVExport().export_data(_dataset())

    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "名称,户数,经度"
    assert "'=cmd|' /C calc'!A0" in text
    assert "'@SUM(1)" in text
    assert "-104.123456" in text and "'-104" not in text


# --------------------------------------------------------------------- reporting


def test_row_problems_name_the_excel_row_and_the_column():
    from django.core.exceptions import ValidationError

    result = Result()
    result.columns = {"households": "户数"}
    result.diff_headers = []
    result.append_invalid_row(
        2, {}, ValidationError({"households": ["不能为空。"], "__all__": ["整行有误"]})
    )
    result.append_invalid_row(1, {}, ValidationError({"code": ["重复"]}))

    problems = [str(p) for p in row_problems(result)]

    assert problems == ["第 2 行：code：重复。", "第 3 行：户数：不能为空；整行有误。"]
