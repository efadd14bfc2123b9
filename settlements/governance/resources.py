"""Households and point entries as spreadsheets (SPEC §8), on the project's import base.

Imports are all-or-nothing with every bad row reported (core.spreadsheets).
Settlements, households and categories are resolved from dictionaries loaded once per
import, limited to the settlements the importer may change: an official cannot import
into another township's settlement, and is told so without learning whether it exists.
Exports mask ID numbers and write them as text cells.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext
from import_export.fields import Field
from import_export.instance_loaders import BaseInstanceLoader

from core.spreadsheets import (
    BATCH,
    ChineseDateWidget,
    CountWidget,
    DecimalNumberWidget,
    DerivedField,
    SpreadsheetResource,
    TextWidget,
    cell_text,
)

from ..models import Household, PointCategory, PointEntry, Settlement
from . import rules
from .selectors import settlements_editable_by
from .services import ID_PROBLEM_MESSAGES, POINTS_PROBLEM_MESSAGES

SETTLEMENT_COLUMN = "聚居点代码"
ID_COLUMN = "身份证号"
HEAD_ID_COLUMN = "户主身份证号"


class NewRowsOnly(BaseInstanceLoader):
    """No lookup by the library: the resources find existing rows themselves."""

    def get_instance(self, row: Any) -> None:
        return None


def _by_code(user: Any, codes: set[str]) -> dict[str, Settlement]:
    found: dict[str, Settlement] = {}
    keys = sorted(codes)
    editable = settlements_editable_by(user)
    for start in range(0, len(keys), BATCH):
        for s in editable.filter(code__in=keys[start : start + BATCH]):
            found[s.code] = s
    return found


def _out_of_scope(code: str) -> str:
    # The same words whether the code exists elsewhere or not at all.
    return gettext("聚居点代码“%(code)s”不存在，或不在您可以管理的范围内。") % {"code": code}


class SettlementCodeWidget(TextWidget):
    """The 聚居点代码 column, resolved from the importer's editable settlements."""

    def __init__(self) -> None:
        super().__init__(required=True)
        self.settlements: dict[str, Settlement] = {}

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Settlement:  # type: ignore[override]  # the cell resolved to the row's object
        code = super().clean(value)
        settlement = self.settlements.get(code)
        if settlement is None:
            raise ValueError(_out_of_scope(code))
        return settlement

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return value.code if value is not None else ""


def clean_id_cell(value: Any) -> str:
    text = rules.normalise_id_number(cell_text(value))
    if not text:
        raise ValueError(gettext("不能为空。"))
    if "*" in text:
        raise ValueError(gettext("身份证号已脱敏（含*），请填写完整的18位身份证号。"))
    problem = rules.id_number_problem(text)
    if problem:
        raise ValueError(str(ID_PROBLEM_MESSAGES[problem]))
    return text


class IdNumberWidget(TextWidget):
    """Read: a full, valid ID number. Write: masked, as text (never a number)."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        return clean_id_cell(value)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return rules.mask_id_number(value or "")


class HouseholdResource(SpreadsheetResource):
    settlement = Field(
        attribute="settlement", column_name=SETTLEMENT_COLUMN, widget=SettlementCodeWidget()
    )
    settlement_name = DerivedField(
        attribute="settlement__name", column_name="聚居点", widget=TextWidget()
    )
    head_name = Field(attribute="head_name", column_name="户主姓名", widget=TextWidget())
    id_number = Field(attribute="id_number", column_name=ID_COLUMN, widget=IdNumberWidget())
    phone = Field(attribute="phone", column_name="联系电话", widget=TextWidget(required=False))
    members = Field(attribute="members", column_name="家庭人口", widget=CountWidget())
    base_score = Field(
        attribute="base_score", column_name="基础分", widget=DecimalNumberWidget(required=False)
    )
    balance = DerivedField(
        attribute="balance", column_name="当前积分", widget=DecimalNumberWidget()
    )

    required_columns = (SETTLEMENT_COLUMN, "户主姓名", ID_COLUMN, "家庭人口")

    class Meta(SpreadsheetResource.Meta):
        model = Household
        name = "居民户"
        fields = (
            "settlement",
            "settlement_name",
            "head_name",
            "id_number",
            "phone",
            "members",
            "base_score",
            "balance",
        )
        import_order = fields
        export_order = fields
        import_id_fields = ()
        instance_loader_class = NewRowsOnly

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        codes = {cell_text(c) for c in dataset[SETTLEMENT_COLUMN]} - {""}
        settlements = _by_code(self.user, codes)
        self.fields["settlement"].widget.settlements = settlements
        # Full, valid keys only; a bad cell is reported by its widget.
        self._keys: dict[tuple[str, str], list[int]] = defaultdict(list)
        for number, (code, raw_id) in enumerate(
            zip(dataset[SETTLEMENT_COLUMN], dataset[ID_COLUMN], strict=True), start=2
        ):
            try:
                self._keys[(cell_text(code), clean_id_cell(raw_id))].append(number)
            except ValueError:
                continue
        ids_by_settlement: dict[int, list[str]] = defaultdict(list)
        for code, id_number in self._keys:
            if code in settlements:
                ids_by_settlement[settlements[code].pk].append(id_number)
        self._existing: dict[tuple[int, str], Household] = {}
        for settlement_id, ids in ids_by_settlement.items():
            for start in range(0, len(ids), BATCH):
                for h in Household.objects.filter(
                    settlement_id=settlement_id, id_number__in=ids[start : start + BATCH]
                ):
                    self._existing[(settlement_id, h.id_number)] = h

    def get_instance(self, instance_loader: Any, row: Any) -> Household | None:
        settlement = self.fields["settlement"].widget.settlements.get(
            cell_text(row.get(SETTLEMENT_COLUMN))
        )
        if settlement is None:
            return None
        try:
            id_number = clean_id_cell(row.get(ID_COLUMN))
        except ValueError:
            return None
        return self._existing.get((settlement.pk, id_number))

    def after_init_instance(self, instance: Household, new: bool, row: Any, **kwargs: Any) -> None:
        instance._fixed_base = None if new else instance.base_score

    def import_field(
        self, field: Any, instance: Any, row: Any, is_m2m: bool = False, **kwargs: Any
    ) -> None:
        # A blank 基础分 means the default for a new household and "unchanged" for an existing one.
        if field.attribute == "base_score" and not cell_text(row.get(field.column_name)):
            if instance.pk is None:
                instance.base_score = rules.DEFAULT_BASE_SCORE
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def row_errors(self, instance: Household, failed: set[str]) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        if not failed & {"settlement", "id_number"}:
            rows = self._keys.get((instance.settlement.code, instance.id_number), [])
            if len(rows) > 1:
                errors["id_number"] = gettext(
                    "该聚居点的身份证号在文件中重复出现（第 %(rows)s 行）。"
                ) % {"rows": "、".join(str(n) for n in rows)}
        fixed = getattr(instance, "_fixed_base", None)
        if "base_score" not in failed and fixed is not None and instance.base_score != fixed:
            errors["base_score"] = gettext(
                "已登记户的基础分（%(old)s）不能修改；积分变动请录入积分记录。"
            ) % {"old": fixed}
        if "members" not in failed and instance.members is not None and instance.members < 1:
            errors["members"] = gettext("家庭人口至少为1。")
        if (
            "base_score" not in failed
            and instance.base_score is not None
            and instance.base_score < 0
        ):
            errors["base_score"] = gettext("基础分不能为负数。")
        return errors

    def before_save_instance(self, instance: Household, row: Any, **kwargs: Any) -> None:
        instance._history_user = self.user


class HouseholdKeyWidget(TextWidget):
    """户主身份证号 read with the row's 聚居点代码: the household the entry belongs to."""

    def __init__(self) -> None:
        super().__init__(required=True)
        self.settlements: dict[str, Settlement] = {}
        self.households: dict[tuple[int, str], Household] = {}

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Household:  # type: ignore[override]  # the cell resolved to the row's object
        id_number = clean_id_cell(value)
        code = cell_text((row or {}).get(SETTLEMENT_COLUMN))
        if not code:
            raise ValueError(gettext("请同时填写聚居点代码。"))
        settlement = self.settlements.get(code)
        if settlement is None:
            raise ValueError(_out_of_scope(code))
        household = self.households.get((settlement.pk, id_number))
        if household is None:
            raise ValueError(
                gettext("聚居点“%(code)s”没有登记身份证号为 %(id)s 的户主，请先导入居民户。")
                % {"code": code, "id": rules.mask_id_number(id_number)}
            )
        return household

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return rules.mask_id_number(value.id_number) if value is not None else ""


class CategoryWidget(TextWidget):
    def __init__(self) -> None:
        super().__init__(required=True)
        self.categories: dict[str, PointCategory] = {}

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> PointCategory:  # type: ignore[override]  # the cell resolved to the row's object
        name = super().clean(value)
        category = self.categories.get(name)
        if category is None:
            allowed = "、".join(self.categories)
            raise ValueError(
                gettext("积分类别“%(name)s”不存在或已停用（可选：%(allowed)s）。")
                % {"name": name, "allowed": allowed}
            )
        return category

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return value.name if value is not None else ""


class PointEntryResource(SpreadsheetResource):
    """Point entries: imported as new entries only (the ledger is insert-only)."""

    settlement = DerivedField(
        attribute="household__settlement__code", column_name=SETTLEMENT_COLUMN, widget=TextWidget()
    )
    household = Field(
        attribute="household", column_name=HEAD_ID_COLUMN, widget=HouseholdKeyWidget()
    )
    head_name = DerivedField(
        attribute="household__head_name", column_name="户主姓名", widget=TextWidget()
    )
    category = Field(attribute="category", column_name="积分类别", widget=CategoryWidget())
    points = Field(attribute="points", column_name="分值", widget=DecimalNumberWidget())
    reason = Field(attribute="reason", column_name="事由", widget=TextWidget())
    occurred_on = Field(
        attribute="occurred_on", column_name="发生日期", widget=ChineseDateWidget(required=True)
    )
    recorded_by = DerivedField(attribute="recorded_by", column_name="记录人", widget=TextWidget())
    reversal = DerivedField(attribute="is_reversal", column_name="冲正", widget=TextWidget())

    required_columns = (SETTLEMENT_COLUMN, HEAD_ID_COLUMN, "积分类别", "分值", "事由", "发生日期")

    class Meta(SpreadsheetResource.Meta):
        model = PointEntry
        name = "积分记录"
        fields = (
            "settlement",
            "household",
            "head_name",
            "category",
            "points",
            "reason",
            "occurred_on",
            "recorded_by",
            "reversal",
        )
        import_order = fields
        export_order = fields
        import_id_fields = ()
        instance_loader_class = NewRowsOnly
        skip_unchanged = False

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        codes = {cell_text(c) for c in dataset[SETTLEMENT_COLUMN]} - {""}
        settlements = _by_code(self.user, codes)
        ids: dict[int, set[str]] = defaultdict(set)
        for code, raw_id in zip(dataset[SETTLEMENT_COLUMN], dataset[HEAD_ID_COLUMN], strict=True):
            settlement = settlements.get(cell_text(code))
            if settlement is None:
                continue
            try:
                ids[settlement.pk].add(clean_id_cell(raw_id))
            except ValueError:
                continue
        households: dict[tuple[int, str], Household] = {}
        for settlement_id, wanted in ids.items():
            keys = sorted(wanted)
            for start in range(0, len(keys), BATCH):
                for h in Household.objects.filter(
                    settlement_id=settlement_id, id_number__in=keys[start : start + BATCH]
                ):
                    households[(settlement_id, h.id_number)] = h
        widget: HouseholdKeyWidget = self.fields["household"].widget
        widget.settlements = settlements
        widget.households = households
        self.fields["category"].widget.categories = {
            c.name: c for c in PointCategory.objects.filter(is_active=True)
        }
        self._today = timezone.localdate()

    def after_init_instance(self, instance: PointEntry, new: bool, row: Any, **kwargs: Any) -> None:
        instance.recorded_by = self.user

    def row_errors(self, instance: PointEntry, failed: set[str]) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        if "points" not in failed and isinstance(instance.points, Decimal):
            problem = rules.point_value_problem(instance.points)
            if problem:
                errors["points"] = str(POINTS_PROBLEM_MESSAGES[problem])
        if (
            "occurred_on" not in failed
            and instance.occurred_on
            and instance.occurred_on > self._today
        ):
            errors["occurred_on"] = gettext("发生日期不能晚于今天。")
        return errors

    def dehydrate_reversal(self, entry: PointEntry) -> str:
        return gettext("是") if entry.reverses_id else ""

    def dehydrate_recorded_by(self, entry: PointEntry) -> str:
        return str(entry.recorded_by)
