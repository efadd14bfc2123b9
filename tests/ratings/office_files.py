"""Word and Excel files as the evidence checks see them: zips whose parts say what they are."""

from __future__ import annotations

import io
import zipfile

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def office_zip(parts: dict[str, str], *, main_type: str | None, main_part: str = "") -> bytes:
    overrides = (
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/>' if main_type else ""
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f"{overrides}</Types>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return office_zip(
        {"word/document.xml": "<w:document/>"}, main_type=DOCX_MAIN, main_part="word/document.xml"
    )


def xlsx_bytes() -> bytes:
    """A real workbook, as Excel or WPS saves it."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["台账", 3])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docm_bytes() -> bytes:
    return office_zip(
        {"word/document.xml": "<w:document/>"}, main_type=DOCM_MAIN, main_part="word/document.xml"
    )


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photos/a.txt", "not office")
    return buffer.getvalue()


def docx_parts_with_xlsx_type() -> bytes:
    # Parts of a Word file, but the content types of none: refused.
    return office_zip(
        {"word/document.xml": "<w:document/>"}, main_type=XLSX_MAIN, main_part="xl/workbook.xml"
    )
