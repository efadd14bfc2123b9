"""Households and point entries imported through the pipeline (core.imports), from the
governance import pages (SPEC §8).

Cells are read by the resources' widgets (one set of Chinese messages). The settlements
the importer may change are loaded once (codes → ids); existing households are looked
up per batch of 2,000 rows; writes go in bulk (households with their history rows). An
official cannot import into another township's settlement and is told so without
learning whether it exists.
"""

from __future__ import annotations

from collections.abc import Hashable
from decimal import Decimal
from typing import Any, cast

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.imports.base import Importer, RowRefused, locked
from core.spreadsheets import ChineseDateWidget, CountWidget, DecimalNumberWidget, TextWidget

from ..models import Household, PointCategory, PointEntry
from ..roles import is_official, is_secretary
from . import rules
from .resources import HEAD_ID_COLUMN, ID_COLUMN, SETTLEMENT_COLUMN, _out_of_scope, clean_id_cell
from .selectors import settlements_editable_by
from .services import POINTS_PROBLEM_MESSAGES


class _GovernanceImporter(Importer):
    @classmethod
    def allowed(cls, user: Any) -> bool:
        return is_secretary(user) or is_official(user)

    def prepare(self) -> None:
        # Every settlement the importer may change, once: code → (id, name).
        self.settlements = {
            code: pk for code, pk in settlements_editable_by(self.user).values_list("code", "pk")
        }

    def settlement_of(self, row: dict[str, Any], errors: list[tuple[str, str]]) -> int | None:
        code = self.cell(row, SETTLEMENT_COLUMN)
        if not code:
            errors.append((SETTLEMENT_COLUMN, gettext("不能为空。")))
            return None
        pk = self.settlements.get(code)
        if pk is None:
            errors.append((SETTLEMENT_COLUMN, _out_of_scope(code)))
        return pk

    @staticmethod
    def read(errors: list[tuple[str, str]], column: str, clean: Any, value: Any) -> Any:
        try:
            return clean(value)
        except ValueError as exc:
            errors.append((column, str(exc)))
            return None


class HouseholdImporter(_GovernanceImporter):
    kind = "households"
    title = _("居民户")
    model = Household
    columns = (SETTLEMENT_COLUMN, "户主姓名", ID_COLUMN, "联系电话", "家庭人口", "基础分")
    required_columns = (SETTLEMENT_COLUMN, "户主姓名", ID_COLUMN, "家庭人口")
    fields = ("settlement_id", "id_number", "head_name", "phone", "members", "base_score")
    key_column = ID_COLUMN

    @classmethod
    def back_url(cls, params: dict[str, Any]) -> str:
        return reverse("settlements:governance_import", args=["households"])

    def check_row(self, number: int, row: dict[str, Any]) -> tuple[Hashable, dict[str, Any]]:
        errors: list[tuple[str, str]] = []
        settlement_id = self.settlement_of(row, errors)
        id_number = self.read(errors, ID_COLUMN, clean_id_cell, row.get(ID_COLUMN))
        values: dict[str, Any] = {
            "settlement_id": settlement_id,
            "id_number": id_number,
            "head_name": self.read(errors, "户主姓名", TextWidget().clean, row.get("户主姓名")),
            "members": self.read(errors, "家庭人口", CountWidget().clean, row.get("家庭人口")),
        }
        if "联系电话" in row:
            values["phone"] = self.read(
                errors, "联系电话", TextWidget(required=False).clean, row.get("联系电话")
            )
        base = self.cell(row, "基础分")
        # Blank: the default for a new household, "as it is" for an existing one (reconcile).
        values["base_score"] = (
            self.read(errors, "基础分", DecimalNumberWidget().clean, base) if base else None
        )
        if values["members"] is not None and values["members"] < 1:
            errors.append(("家庭人口", gettext("家庭人口至少为1。")))
        if values["base_score"] is not None and values["base_score"] < 0:
            errors.append(("基础分", gettext("基础分不能为负数。")))
        self.check_model_fields(
            values, errors, {"head_name": "户主姓名", "phone": "联系电话", "base_score": "基础分"}
        )
        if errors:
            raise RowRefused(errors)
        return (settlement_id, id_number), values

    def duplicate_message(self, key: Hashable, rows: list[int]) -> str:
        return gettext("该聚居点的身份证号在文件中重复出现（第 %(rows)s 行）。") % {
            "rows": "、".join(str(n) for n in rows)
        }

    def existing(self, keys: list[Hashable], *, lock: bool = False) -> dict[Hashable, Any]:
        # The keys this importer's key_and_values returns: (settlement id, ID number).
        wanted = cast(set[tuple[int, str]], set(keys))
        settlement_ids = sorted({s for s, _i in wanted})
        ids = sorted({i for _s, i in wanted})
        found = locked(
            Household.objects.filter(settlement_id__in=settlement_ids, id_number__in=ids), lock
        )
        return {
            (h.settlement_id, h.id_number): h
            for h in found
            if (h.settlement_id, h.id_number) in wanted
        }

    def reconcile(self, values: dict[str, Any], current: Any) -> list[tuple[str, str]]:
        if values["base_score"] is None:
            values["base_score"] = (
                rules.DEFAULT_BASE_SCORE if current is None else current.base_score
            )
        elif current is not None and values["base_score"] != current.base_score:
            return [
                (
                    "基础分",
                    gettext("已登记户的基础分（%(old)s）不能修改；积分变动请录入积分记录。")
                    % {"old": current.base_score},
                )
            ]
        return []

    def describe(self, obj: Any, key: Hashable) -> str:
        id_number = rules.mask_id_number(key[1])  # type: ignore[index]
        if obj is None:
            return gettext("身份证号为 %(id)s 的居民户") % {"id": id_number}
        return gettext("居民户“%(name)s”（%(id)s）") % {"name": obj.head_name, "id": id_number}


class PointEntryImporter(_GovernanceImporter):
    """Point entries: new entries only (the ledger is insert-only)."""

    kind = "points"
    title = _("积分记录")
    model = PointEntry
    columns = (SETTLEMENT_COLUMN, HEAD_ID_COLUMN, "积分类别", "分值", "事由", "发生日期")
    required_columns = columns
    fields = ("household_id", "category_id", "points", "reason", "occurred_on", "recorded_by_id")

    @classmethod
    def back_url(cls, params: dict[str, Any]) -> str:
        return reverse("settlements:governance_import", args=["points"])

    def prepare(self) -> None:
        super().prepare()
        self.categories = {c.name: c.pk for c in PointCategory.objects.filter(is_active=True)}
        self.today = timezone.localdate()

    def check_row(self, number: int, row: dict[str, Any]) -> tuple[Hashable, dict[str, Any]]:
        errors: list[tuple[str, str]] = []
        settlement_id = self.settlement_of(row, errors)
        id_number = self.read(errors, HEAD_ID_COLUMN, clean_id_cell, row.get(HEAD_ID_COLUMN))
        category = self.cell(row, "积分类别")
        category_id = self.categories.get(category)
        if not category:
            errors.append(("积分类别", gettext("不能为空。")))
        elif category_id is None:
            errors.append(
                (
                    "积分类别",
                    gettext("积分类别“%(name)s”不存在或已停用（可选：%(allowed)s）。")
                    % {"name": category, "allowed": "、".join(self.categories)},
                )
            )
        points = self.read(errors, "分值", DecimalNumberWidget().clean, row.get("分值"))
        if isinstance(points, Decimal):
            problem = rules.point_value_problem(points)
            if problem:
                errors.append(("分值", str(POINTS_PROBLEM_MESSAGES[problem])))
        occurred_on = self.read(
            errors, "发生日期", ChineseDateWidget(required=True).clean, row.get("发生日期")
        )
        if occurred_on and occurred_on > self.today:
            errors.append(("发生日期", gettext("发生日期不能晚于今天。")))
        values = {
            "household_key": [settlement_id, id_number],
            "category_id": category_id,
            "points": points,
            "reason": self.read(errors, "事由", TextWidget().clean, row.get("事由")),
            "occurred_on": occurred_on,
            "recorded_by_id": self.user.pk,
        }
        self.check_model_fields(values, errors, {"points": "分值", "reason": "事由"})
        if errors:
            raise RowRefused(errors)
        return None, values

    def resolve(self, rows: list[Any]) -> dict[int, list[tuple[str, str]]]:
        """The households the entries belong to, one query per batch of rows."""
        wanted = {tuple(r.values["household_key"]) for r in rows}
        found = {
            (h.settlement_id, h.id_number): h.pk
            for h in Household.objects.filter(
                settlement_id__in=sorted({s for s, _i in wanted}),
                id_number__in=sorted({i for _s, i in wanted}),
            ).only("pk", "settlement_id", "id_number")
        }
        codes = {pk: code for code, pk in self.settlements.items()}
        problems: dict[int, list[tuple[str, str]]] = {}
        for r in rows:
            settlement_id, id_number = r.values.pop("household_key")
            household_id = found.get((settlement_id, id_number))
            if household_id is None:
                problems[r.number] = [
                    (
                        HEAD_ID_COLUMN,
                        gettext(
                            "聚居点“%(code)s”没有登记身份证号为 %(id)s 的户主，请先导入居民户。"
                        )
                        % {
                            "code": codes.get(settlement_id, ""),
                            "id": rules.mask_id_number(id_number),
                        },
                    )
                ]
            r.values["household_id"] = household_id
        return problems

    def recheck(self, rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, str, str]]:
        active = set(PointCategory.objects.filter(is_active=True).values_list("pk", flat=True))
        names = dict(PointCategory.objects.values_list("pk", "name"))
        return [
            (
                number,
                "积分类别",
                gettext("积分类别“%(name)s”在预览之后已被停用。")
                % {"name": names.get(v["category_id"], "")},
            )
            for number, v in rows
            if v["category_id"] not in active
        ]

    def write(self, new: list[Any], changed: list[Any], fields: list[str], *, by: Any) -> None:
        # The ledger keeps no history table: the entries are the history.
        PointEntry.objects.bulk_create(new, batch_size=1000)
