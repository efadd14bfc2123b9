"""The disbursement ledger as an xlsx workbook for the finance office.

Amounts are numeric cells formatted ``#,##0.00`` (the finance office sums them), each
township's rows end with a subtotal row and the sheet with a grand total, and a second
sheet sums per township. Text that a spreadsheet would read as a formula is neutralised.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core.spreadsheets import neutralise_formula

from .models import Disbursement, DisbursementStatus

MONEY_FORMAT = "#,##0.00"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(text: str) -> str:
    """Text cells never start a formula (the project's shared rule for every export)."""
    return neutralise_formula(text)


def _local(value: dt.datetime | None) -> dt.datetime | None:
    # Excel has no time zones: write the county's wall-clock time (Asia/Shanghai).
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def ledger_rows(qs: Any) -> list[Disbursement]:
    return list(
        qs.select_related(
            "settlement__village__township", "rating__round", "tops_up", "approved_by", "paid_by"
        ).order_by("settlement__village__township__code", "settlement__code", "pk")
    )


COLUMNS: list[tuple[str, Any]] = [
    ("voucher", _lazy("凭证号")),
    ("year", _lazy("年度")),
    ("township", _lazy("乡镇")),
    ("village", _lazy("村")),
    ("code", _lazy("聚居点代码")),
    ("name", _lazy("聚居点名称")),
    ("class", _lazy("类别")),
    ("kind", _lazy("款项")),
    ("tops_up", _lazy("补差对应凭证号")),
    ("round", _lazy("依据评定")),
    ("star", _lazy("计发星级")),
    ("amount", _lazy("金额（元）")),
    ("capitals", _lazy("金额大写")),
    ("status", _lazy("状态")),
    ("over_budget", _lazy("超出预算")),
    ("approved_by", _lazy("审批人")),
    ("approved_at", _lazy("审批时间")),
    ("paid_by", _lazy("发放登记人")),
    ("paid_at", _lazy("发放时间")),
]
KEYS = [key for key, _label in COLUMNS]
AMOUNT_COLUMN = KEYS.index("amount") + 1


def _row_values(row: Disbursement) -> list[Any]:
    settlement = row.settlement
    return [
        row.voucher_number,
        row.year,
        neutralise(settlement.village.township.name),
        neutralise(settlement.village.name),
        neutralise(settlement.code),
        neutralise(settlement.name),
        str(row.get_settlement_class_display()),
        str(row.get_kind_display()),
        row.tops_up.voucher_number if row.tops_up is not None else "",
        f"{row.rating.round.year}年第{row.rating.round.quarter}季度",
        row.star_basis,
        row.amount,
        row.amount_in_capitals,
        str(row.get_status_display()),
        _("是") if row.over_budget else "",
        neutralise(str(row.approved_by)) if row.approved_by_id else "",
        _local(row.approved_at),
        neutralise(str(row.paid_by)) if row.paid_by_id else "",
        _local(row.paid_at),
    ]


def ledger_workbook(rows: Iterable[Disbursement]) -> bytes:
    """The ledger of ``rows`` (already ordered by township) as xlsx bytes."""
    rows = list(rows)
    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = _("奖励发放台账")
    ws.append([str(label) for _key, label in COLUMNS])
    for cell in ws[1]:
        cell.font = bold
    ws.freeze_panes = "A2"

    def total_row(label: str, amount: Decimal) -> None:
        values: list[Any] = [""] * len(COLUMNS)
        values[KEYS.index("township")] = label
        values[AMOUNT_COLUMN - 1] = amount
        ws.append(values)
        for cell in ws[ws.max_row]:
            cell.font = bold

    per_township: dict[str, dict[str, Any]] = {}
    current: str | None = None
    for row in rows:
        township = row.settlement.village.township.name
        if current is not None and township != current:
            total_row(
                _("%(name)s 小计") % {"name": neutralise(current)},
                per_township[current]["committed"],
            )
        current = township
        ws.append(_row_values(row))
        figures = per_township.setdefault(
            township,
            {
                "count": 0,
                "committed": Decimal("0.00"),
                "approved": Decimal("0.00"),
                "paid": Decimal("0.00"),
            },
        )
        figures["count"] += 1
        figures["committed"] += row.amount
        if row.status in (DisbursementStatus.APPROVED, DisbursementStatus.PAID):
            figures["approved"] += row.amount
        if row.status == DisbursementStatus.PAID:
            figures["paid"] += row.amount
    if current is not None:
        total_row(
            _("%(name)s 小计") % {"name": neutralise(current)}, per_township[current]["committed"]
        )
    total_row(_("合计"), sum((f["committed"] for f in per_township.values()), Decimal("0.00")))

    for cells in ws.iter_rows(min_row=2, min_col=AMOUNT_COLUMN, max_col=AMOUNT_COLUMN):
        cells[0].number_format = MONEY_FORMAT
    for column in (KEYS.index("approved_at") + 1, KEYS.index("paid_at") + 1):
        for cells in ws.iter_rows(min_row=2, min_col=column, max_col=column):
            cells[0].number_format = DATETIME_FORMAT
    widths = {
        1: 16,
        3: 12,
        4: 12,
        5: 14,
        6: 18,
        8: 16,
        9: 16,
        10: 16,
        12: 16,
        13: 30,
        17: 18,
        19: 18,
    }
    for column, width in widths.items():
        ws.column_dimensions[get_column_letter(column)].width = width

    summary = wb.create_sheet(_("乡镇汇总"))
    summary.append(
        [_("乡镇"), _("笔数"), _("承诺金额（元）"), _("已审批金额（元）"), _("已发放金额（元）")]
    )
    for cell in summary[1]:
        cell.font = bold
    for township, figures in per_township.items():
        summary.append(
            [
                neutralise(township),
                figures["count"],
                figures["committed"],
                figures["approved"],
                figures["paid"],
            ]
        )
    summary.append(
        [
            _("合计"),
            sum(f["count"] for f in per_township.values()),
            *(
                sum((f[k] for f in per_township.values()), Decimal("0.00"))
                for k in ("committed", "approved", "paid")
            ),
        ]
    )
    for cell in summary[summary.max_row]:
        cell.font = bold
    for cells in summary.iter_rows(min_row=2, min_col=3, max_col=5):
        for cell in cells:
            cell.number_format = MONEY_FORMAT
    summary.column_dimensions["A"].width = 14
    for letter in "CDE":
        summary.column_dimensions[letter].width = 18

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
