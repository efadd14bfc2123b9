"""The finance office's ledger, read back with openpyxl: numbers are numbers."""

import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.urls import reverse

from rewards import exports, services
from tests import factories as f

from .conftest import YEAR, rate

pytestmark = pytest.mark.django_db
HOSTILE_NAME = '=HYPERLINK("http://x","点我")'


@pytest.fixture
def workbook(login, secretary, ledger, village_a, rubric):
    hostile = f.settlement(village_a, name=HOSTILE_NAME, code="SA9")
    rating = rate(hostile, 1, 3, rubric=rubric)
    services.disbursements_propose(settlement_id=hostile.pk, year=YEAR, rating_id=rating.pk)
    services.disbursement_approve(disbursement=ledger[0], by=secretary)
    services.disbursement_mark_paid(disbursement=ledger[0], by=secretary)
    response = login(secretary).get(reverse("rewards:ledger_export"), {"year": YEAR})
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert f"rewards-ledger-{YEAR}.xlsx" in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content))


def rows_of(sheet):
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


def test_ledger_rows_subtotals_per_township_and_grand_total(workbook):
    rows = rows_of(workbook["奖励发放台账"])
    story = [
        (r["乡镇"].value, r["聚居点名称"].value, r["款项"].value, D(str(r["金额（元）"].value)))
        for r in rows
    ]
    assert story == [
        ("甲镇", "幸福苑", "初评奖补（40%）", D("4000")),
        ("甲镇", "幸福苑", "升星补差", D("4000")),
        ("甲镇", "幸福苑", "复评奖补（30%）", D("6000")),
        ("甲镇", "'" + HOSTILE_NAME, "初评奖补（40%）", D("4000")),
        ("甲镇 小计", None, None, D("18000")),
        ("乙镇", "安居园", "初评奖补（40%）", D("12000")),
        ("乙镇 小计", None, None, D("12000")),
        ("合计", None, None, D("30000")),
    ]


def test_amounts_are_numeric_cells_formatted_as_money(workbook):
    for row in rows_of(workbook["奖励发放台账"]):
        cell = row["金额（元）"]
        assert cell.data_type == "n" and isinstance(cell.value, int | float)
        assert cell.number_format == "#,##0.00"


def test_formula_looking_text_is_neutralised(workbook):
    sheet = workbook["奖励发放台账"]
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    rows = rows_of(sheet)
    assert rows[3]["聚居点名称"].data_type == "s"


def test_ledger_row_details(workbook):
    first = rows_of(workbook["奖励发放台账"])[0]
    assert first["状态"].value == "已发放"
    assert first["审批人"].value == "secretary" and first["发放登记人"].value == "secretary"
    assert first["审批时间"].is_date and first["发放时间"].is_date
    assert first["金额大写"].value == "肆仟元整"
    top_up = rows_of(workbook["奖励发放台账"])[1]
    assert top_up["补差对应凭证号"].value == first["凭证号"].value
    assert top_up["依据评定"].value == f"{YEAR}年第2季度" and top_up["计发星级"].value == 4


def test_summary_sheet_totals_per_township(workbook):
    rows = rows_of(workbook["乡镇汇总"])
    summary = [
        (
            r["乡镇"].value,
            r["笔数"].value,
            *(
                D(str(r[k].value))
                for k in ("承诺金额（元）", "已审批金额（元）", "已发放金额（元）")
            ),
        )
        for r in rows
    ]
    assert summary == [
        ("甲镇", 4, D("18000"), D("4000"), D("4000")),
        ("乙镇", 1, D("12000"), D("0"), D("0")),
        ("合计", 5, D("30000"), D("4000"), D("4000")),
    ]
    assert all(r["承诺金额（元）"].number_format == "#,##0.00" for r in rows)


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+86", "'+86"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("幸福苑", "幸福苑"),
        ("", ""),
    ],
)
def test_neutralise(text, safe):
    assert exports.neutralise(text) == safe
