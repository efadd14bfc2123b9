"""Spreadsheet import and export shared by every import/export in the project.

What county staff actually upload is an xlsx from Excel/WPS or a CSV that Chinese
Excel/WPS saved in GBK (or UTF-8, with or without a BOM). The pieces:

- ``reading``: bytes → ``tablib.Dataset`` (xlsx or CSV, encoding detected) or
  ``SpreadsheetError`` with a Chinese message; the size limit; the one upload format.
- ``export``: ``neutralise`` (CSV/formula injection) and the ``XLSXExport`` /
  ``CSVExport`` formats.
- ``widgets``: cell widgets (text, counts, decimals, Chinese dates, choice labels, 是/否).
- ``resources``: ``SpreadsheetResource``, a ModelResource base that is all-or-nothing,
  checks the header row, skips blank rows and reports every bad row ("第 N 行：reason").
- ``admin``: ``SpreadsheetAdminMixin`` for a ModelAdmin, and ``forms``:
  ``SpreadsheetUploadForm`` for an import page (both imported from their modules, so
  that reading a spreadsheet needs neither the admin nor forms).

The names below are the package's public API.
"""

from .codes import SpreadsheetRefusal
from .export import (
    CSVExport,
    XLSXExport,
    neutralise,
    neutralise_dataset,
    neutralise_formula,
    unneutralise,
)
from .reading import (
    SAVE_AS_HINT,
    SheetRows,
    SpreadsheetError,
    SpreadsheetImportFormat,
    check_size,
    decode_csv,
    format_bytes,
    read_spreadsheet,
    spreadsheet_row,
)
from .resources import (
    BATCH,
    CachedKeyLoader,
    DerivedField,
    RowProblem,
    SpreadsheetResource,
    import_summary,
    row_problems,
    values_in,
)
from .widgets import (
    ChineseDateWidget,
    ChoiceLabelWidget,
    CountWidget,
    DecimalNumberWidget,
    ListWidget,
    TextWidget,
    YesNoWidget,
    cell_text,
)

__all__ = [
    "BATCH",
    "CSVExport",
    "CachedKeyLoader",
    "ChineseDateWidget",
    "ChoiceLabelWidget",
    "CountWidget",
    "DecimalNumberWidget",
    "DerivedField",
    "ListWidget",
    "RowProblem",
    "SAVE_AS_HINT",
    "SheetRows",
    "SpreadsheetError",
    "SpreadsheetRefusal",
    "SpreadsheetImportFormat",
    "SpreadsheetResource",
    "TextWidget",
    "XLSXExport",
    "YesNoWidget",
    "cell_text",
    "check_size",
    "decode_csv",
    "format_bytes",
    "import_summary",
    "neutralise",
    "neutralise_dataset",
    "neutralise_formula",
    "read_spreadsheet",
    "row_problems",
    "spreadsheet_row",
    "unneutralise",
    "values_in",
]
