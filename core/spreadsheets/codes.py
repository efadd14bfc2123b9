"""Stable codes for every refusal of an uploaded spreadsheet as a whole.

Plain Python (no Django): ``SpreadsheetError`` carries one, pages may branch on it, tests
assert it. Messages are for people and may change; these values never do.
"""

from __future__ import annotations

import enum


class SpreadsheetRefusal(enum.StrEnum):
    """Why a whole file was refused. The values are stable: never rename one."""

    # Size
    FILE_TOO_LARGE = "file_too_large"
    FILE_EMPTY = "file_empty"
    XLSX_INFLATES_TOO_MUCH = "xlsx_inflates_too_much"
    # Format and encoding
    BAD_UTF8 = "bad_utf8"
    UNSUPPORTED_ENCODING = "unsupported_encoding"
    NUL_BYTES = "nul_bytes"
    UNKNOWN_ENCODING = "unknown_encoding"
    BAD_CSV = "bad_csv"
    BROKEN_XLSX = "broken_xlsx"
    UNREADABLE_XLSX = "unreadable_xlsx"
    XLS_NOT_SUPPORTED = "xls_not_supported"
    # Layout
    NO_HEADER = "no_header"
    DUPLICATE_COLUMN = "duplicate_column"
    DATA_BEYOND_HEADER = "data_beyond_header"
    TOO_MANY_ROWS = "too_many_rows"
    # A resource's own check of the whole file (``file_errors``: missing columns, a frozen target)
    RESOURCE_REFUSED = "resource_refused"
