"""Rows of the settlements spreadsheet as officials fill it in, and the files they save."""

from __future__ import annotations

import csv
import io

import openpyxl

HEADER = [
    "代码",
    "名称",
    "乡镇",
    "村",
    "户数",
    "人口数",
    "党员数",
    "搬迁入住日期",
    "党组织形式",
    "自治组织形式",
]


def row(
    code="SN1",
    name="新村苑",
    township="甲镇",
    village="甲村",
    households="60",
    residents="200",
    party_members="4",
    moved_in_on="2019-06-30",
    party_org="党支部",
    self_management="自主管理委员会",
):
    return [
        code,
        name,
        township,
        village,
        households,
        residents,
        party_members,
        moved_in_on,
        party_org,
        self_management,
    ]


def csv_bytes(rows, encoding="utf-8-sig", header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(header)
    for r in rows:
        book.active.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
