"""The streaming xlsx reader (core.spreadsheets.xlsx) gives the values openpyxl's read-only
mode gives, for workbooks openpyxl writes and for the XML other programs (Excel, WPS)
write: shared, rich, inline and formula strings, numbers, dates, booleans, errors,
missing rows and cells, the 1904 date system, the active sheet."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta

import openpyxl
import pytest

from core.spreadsheets import SpreadsheetError
from core.spreadsheets.codes import SpreadsheetRefusal
from core.spreadsheets.reading import SheetRows
from core.spreadsheets.xlsx import XlsxError, xlsx_rows

# The hand-written workbooks carry no default cell style; openpyxl says so, and reads them.
pytestmark = pytest.mark.filterwarnings("ignore:Workbook contains no default style")


def _trimmed(rows: list[list[object]]) -> list[list[object]]:
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        out.append(row)
    return out


def _openpyxl_rows(data: bytes) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return _trimmed([list(r) for r in book.active.iter_rows(values_only=True)])
    finally:
        book.close()


def test_values_of_a_workbook_openpyxl_wrote_are_those_openpyxl_reads():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["代码", "名称", "户数", "纬度", "搬迁入住日期", "是否", "公式"])
    sheet.append(["JZD-001", "幸福小区", 120, 26.512345, date(2019, 6, 30), True, "=1+1"])
    sheet.append(["1001", "  空格  ", 0, -1.5e-3, datetime(2020, 1, 2, 3, 4, 5), False, None])
    sheet["A6"] = "after a gap"
    sheet["D7"] = 3
    sheet.cell(row=8, column=2).value = timedelta(hours=36)
    sheet.cell(row=8, column=2).number_format = "[h]:mm:ss"
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()

    mine = _trimmed(list(xlsx_rows(io.BytesIO(data))))

    assert mine == _openpyxl_rows(data)
    assert mine[1][4] == datetime(2019, 6, 30)
    assert mine[3:5] == [[], []]  # rows 4 and 5 are empty rows, so row numbers hold
    assert mine[6] == [None, None, None, 3]
    assert mine[7][1] == timedelta(hours=36)


def _workbook(
    sheet_xml: str,
    *,
    strings: str = "",
    styles: str = "",
    book_pr: str = "",
    sheets: int = 1,
    active: int = 0,
    prefix: str = "",
) -> bytes:
    """A minimal workbook written by hand (as other programs write them)."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    kind = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sheet_entries = "".join(
        f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, sheets + 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{kind}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, sheets + 1)
    )
    rels += f'<Relationship Id="rS" Type="{kind}/sharedStrings" Target="sharedStrings.xml"/>'
    rels += f'<Relationship Id="rT" Type="{kind}/styles" Target="/xl/styles.xml"/>'
    out = io.BytesIO()
    ct = "http://schemas.openxmlformats.org/package/2006/content-types"
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{office}.worksheet+xml"/>'
        for i in range(1, sheets + 1)
    )
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{ct}">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{office}.sharedStrings+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{office}.styles+xml"/>'
            f"{overrides}</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{pkg}"><Relationship Id="r1" '
            f'Type="{kind}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{ns}" xmlns:r="{rel_ns}">{book_pr}'
            f'<bookViews><workbookView activeTab="{active}"/></bookViews>'
            f"<sheets>{sheet_entries}</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{pkg}">{rels}</Relationships>'
        )
        archive.writestr("xl/sharedStrings.xml", f'<sst xmlns="{ns}">{strings}</sst>')
        archive.writestr("xl/styles.xml", f'<styleSheet xmlns="{ns}">{styles}</styleSheet>')
        for i in range(1, sheets + 1):
            body = (
                sheet_xml
                if i == active + 1
                else '<sheetData><row r="1"><c t="inlineStr"><is><t>other</t></is></c></row></sheetData>'
            )
            if prefix:
                archive.writestr(
                    f"xl/worksheets/sheet{i}.xml",
                    f'<{prefix}:worksheet xmlns:{prefix}="{ns}">{body}</{prefix}:worksheet>',
                )
            else:
                archive.writestr(
                    f"xl/worksheets/sheet{i}.xml", f'<worksheet xmlns="{ns}">{body}</worksheet>'
                )
    return out.getvalue()


STYLES = (
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
    '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs>'
)


def test_cell_kinds_other_programs_write_read_as_openpyxl_reads_them():
    strings = (
        "<si><t>代码</t></si>"
        '<si><r><rPr/><t>幸福</t></r><r><t xml:space="preserve">小区 </t></r>'
        '<rPh sb="0" eb="2"><t>xingfu</t></rPh></si>'
        "<si><t>a&amp;b</t></si>"
    )
    sheet = (
        "<sheetData>"
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>内联</t></is></c>'
        '<c r="B2" t="str"><f>A1&amp;"x"</f><v>代码x</v></c>'
        '<c r="C2" t="e"><v>#N/A</v></c><c r="D2" t="b"><v>1</v></c>'
        '<c r="E2" s="1"><v>43646</v></c><c r="F2" s="2"><v>43646.5</v></c>'
        '<c r="G2"><v>1E3</v></c><c r="H2"><f>1+1</f></c><c r="I2" t="n"><v></v></c></row>'
        '<row r="4"><c r="C4"><v>7</v></c></row>'
        "<row><c><v>8</v></c><c><v>9</v></c></row>"
        "</sheetData>"
    )
    data = _workbook(sheet, strings=strings, styles=STYLES)

    mine = _trimmed(list(xlsx_rows(io.BytesIO(data))))

    assert mine == _openpyxl_rows(data)
    assert mine[0] == ["代码", "幸福小区 ", "a&b"]
    assert mine[1] == [
        "内联",
        "代码x",
        "#N/A",
        True,
        datetime(2019, 6, 30),
        datetime(2019, 6, 30, 12),
        1000.0,
    ]
    assert mine[2] == []
    assert mine[3] == [None, None, 7]
    assert mine[4] == [8, 9]


def test_the_1904_date_system_the_active_sheet_and_prefixed_xml_are_followed():
    sheet = '<x:sheetData><x:row r="1"><x:c r="B1" s="1"><x:v>1</x:v></x:c></x:row></x:sheetData>'
    data = _workbook(
        sheet, styles=STYLES, book_pr='<workbookPr date1904="1"/>', sheets=2, active=1, prefix="x"
    )

    mine = _trimmed(list(xlsx_rows(io.BytesIO(data))))

    assert mine == [[None, datetime(1904, 1, 2)]]
    assert mine == _openpyxl_rows(data)


def test_a_document_type_declaration_is_refused():
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    data = _workbook("<sheetData/>")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = (
                    '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>'
                    f'<worksheet xmlns="{ns}"><sheetData><row r="1"><c t="inlineStr"><is><t>&a;</t></is></c></row></sheetData></worksheet>'
                ).encode()
            target.writestr(item, body)

    with pytest.raises(XlsxError):
        list(xlsx_rows(io.BytesIO(out.getvalue())))
    with pytest.raises(SpreadsheetError) as refused:
        list(SheetRows(io.BytesIO(out.getvalue())))
    assert refused.value.code == SpreadsheetRefusal.UNREADABLE_XLSX


def test_a_workbook_whose_sheet_is_missing_is_refused_as_unreadable():
    data = _workbook("<sheetData/>")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item.filename))

    with pytest.raises(SpreadsheetError) as refused:
        SheetRows(io.BytesIO(out.getvalue()))
    assert refused.value.code == SpreadsheetRefusal.UNREADABLE_XLSX
