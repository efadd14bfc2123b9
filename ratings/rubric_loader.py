"""Loads a rubric version from the shipped spreadsheet (CSV, Chinese headers).

Used by the data migration that installs the default rubric and by seed_demo; the item
list is data, not code (SPEC §3).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

DEFAULT_RUBRIC_CSV = Path(__file__).resolve().parent / "data" / "default_rubric.csv"

AREA_BY_LABEL = {
    "组织建设": "organisation",
    "居民自治": "self_governance",
    "管理服务": "services",
    "文明和谐": "civility",
    "环境整治": "environment",
    "安全稳定": "safety",
    "制度健全": "institutions",
}
KIND_BY_LABEL = {"加分": "bonus", "扣分": "deduction", "一票否决": "veto"}


def read_rubric_rows(path: Path = DEFAULT_RUBRIC_CSV) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = []
        for raw in csv.DictReader(fh):
            rows.append(
                {
                    "area": AREA_BY_LABEL[raw["领域"].strip()],
                    "code": raw["条目编号"].strip(),
                    "text": raw["内容"].strip(),
                    "kind": KIND_BY_LABEL[raw["类型"].strip()],
                    "points": Decimal(raw["每次分值"]),
                    "cap": Decimal(raw["条目上限"]),
                    "flagged": raw["重点关注"].strip() == "是",
                    "position": int(raw["排序"]),
                }
            )
        return rows


def install_default_rubric(rubric_model: Any, item_model: Any) -> Any:
    """Create version 1 from the CSV unless a rubric already exists (idempotent)."""
    if rubric_model.objects.exists():
        return None
    rubric = rubric_model.objects.create(version=1, name="聚居点星级评定评分细则", is_current=True)
    item_model.objects.bulk_create([item_model(rubric=rubric, **row) for row in read_rubric_rows()])
    return rubric
