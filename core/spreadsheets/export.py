"""Exporting: formula-like cells neutralised (CSV/formula injection), numbers kept numeric."""

from __future__ import annotations

from typing import Any

import tablib
from import_export.formats.base_formats import CSV, XLSX

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


def unneutralise(value: Any) -> Any:
    """What ``neutralise`` exported, read back: ``'=1+1`` is the text ``=1+1`` again.

    Only the apostrophe the export adds (before a formula-like character) is removed,
    so an exported file imported unchanged changes nothing.
    """
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
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
