"""Rubric items as a spreadsheet: the same Chinese headers as ratings/data/default_rubric.csv.

Items are imported into one chosen rubric version, which must not be frozen; a frozen
version is refused before any row is read (and the model layer refuses it again).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from import_export.fields import Field

from core.spreadsheets import (
    ChoiceLabelWidget,
    CountWidget,
    DecimalNumberWidget,
    DerivedField,
    SpreadsheetResource,
    TextWidget,
    YesNoWidget,
    cell_text,
)

from .models import Area, ItemKind, Rubric, RubricItem

COLUMNS = ("area", "code", "text", "kind", "points", "cap", "flagged", "position", "version")


class RubricItemResource(SpreadsheetResource):
    area = Field(attribute="area", column_name="领域", widget=ChoiceLabelWidget(Area.choices))
    code = Field(attribute="code", column_name="条目编号", widget=TextWidget())
    text = Field(attribute="text", column_name="内容", widget=TextWidget())
    kind = Field(attribute="kind", column_name="类型", widget=ChoiceLabelWidget(ItemKind.choices))
    points = Field(attribute="points", column_name="每次分值", widget=DecimalNumberWidget())
    cap = Field(attribute="cap", column_name="条目上限", widget=DecimalNumberWidget())
    flagged = Field(attribute="flagged", column_name="重点关注", widget=YesNoWidget())
    position = Field(
        attribute="position", column_name="排序", widget=CountWidget(required=False), default=0
    )
    # Export only: which version a row came from; an import goes to the version chosen.
    version = DerivedField(attribute="rubric__version", column_name="版本", widget=CountWidget())

    required_columns = ("领域", "条目编号", "内容", "类型", "每次分值", "条目上限")
    resolved_fields = ("rubric",)  # the chosen version, checked once in file_errors

    class Meta(SpreadsheetResource.Meta):
        model = RubricItem
        name = "评分条目"
        fields = COLUMNS
        import_order = COLUMNS
        export_order = COLUMNS
        import_id_fields = ("code",)

    def __init__(self, *, rubric: Rubric | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rubric = rubric

    def get_queryset(self) -> Any:
        if self.rubric is None:
            return RubricItem.objects.select_related("rubric")
        return RubricItem.objects.filter(rubric=self.rubric).select_related("rubric")

    def init_instance(self, row: Any = None) -> RubricItem:
        return RubricItem(rubric=self.rubric)

    def file_errors(self, dataset: Any) -> list[str]:
        problems = super().file_errors(dataset)
        if self.rubric is None:
            problems.append(gettext("请选择要导入到哪个评分细则版本。"))
        elif Rubric.objects.filter(pk=self.rubric.pk, frozen_at__isnull=False).exists():
            problems.append(
                gettext("评分细则“%(rubric)s”已被使用并冻结，不能导入条目；请先“复制为新版本”。")
                % {"rubric": self.rubric}
            )
        return problems

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        counts: dict[str, list[int]] = {}
        for number, code in enumerate(dataset[self.fields["code"].column_name], start=2):
            if cell_text(code):
                counts.setdefault(cell_text(code), []).append(number)
        self._duplicates = {code: rows for code, rows in counts.items() if len(rows) > 1}

    def row_errors(self, instance: RubricItem, failed: set[str]) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        if instance.code in self._duplicates:
            errors["code"] = gettext("条目编号“%(code)s”在文件中重复出现（第 %(rows)s 行）。") % {
                "code": instance.code,
                "rows": "、".join(str(n) for n in self._duplicates[instance.code]),
            }
        if "points" not in failed and instance.points is not None and instance.points < 0:
            errors["points"] = gettext("每次分值不能为负数。")
        if (
            not failed & {"points", "cap"}
            and instance.points is not None
            and instance.cap is not None
        ):
            if instance.cap < instance.points:
                errors["cap"] = gettext("条目上限（%(cap)s）不能小于每次分值（%(points)s）。") % {
                    "cap": instance.cap,
                    "points": instance.points,
                }
        return errors
