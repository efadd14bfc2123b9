"""Settlements as a spreadsheet (django-import-export): Chinese headers, scoped to the importer.

Townships and villages are resolved from one dictionary loaded once per import (a
``ForeignKeyWidget`` would issue a SELECT per row; README, "Performance"). Class is derived
from households and exported only, never imported.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from import_export.fields import Field

from core.spreadsheets import (
    ChineseDateWidget,
    ChoiceLabelWidget,
    CountWidget,
    DecimalNumberWidget,
    DerivedField,
    ListWidget,
    SpreadsheetResource,
    TextWidget,
    cell_text,
    values_in,
)

from .models import PartyOrg, SelfManagement, Settlement
from .permissions import sees_all_settlements
from .selectors import settlements_visible_to, townships_visible_to, villages_visible_to

TOWNSHIP_COLUMN = "乡镇"
VILLAGE_COLUMN = "村"


class VillageWidget(TextWidget):
    """The 村 column, read together with the row's 乡镇 column, from a preloaded dict."""

    def __init__(self) -> None:
        super().__init__(required=True)
        self.villages: dict[tuple[str, str], Any] = {}
        self.townships: set[str] = set()
        self.own_townships: str = ""
        self.sees_all = False
        self.township_failed = False

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        # Whether the last refusal was about the 乡镇 cell: the resource then reports it
        # under 乡镇, not under this 村 column (import-export keys errors by field).
        self.township_failed = False
        village_name = super().clean(value)
        township_name = cell_text((row or {}).get(TOWNSHIP_COLUMN))
        self.township_failed = True
        if not township_name:
            raise ValueError(gettext("请同时填写乡镇。"))
        if township_name not in self.townships:
            if self.sees_all:
                raise ValueError(gettext("乡镇“%(name)s”不存在。") % {"name": township_name})
            raise ValueError(
                gettext("乡镇“%(name)s”不存在或不在您的管辖范围内（您只能导入%(own)s的聚居点）。")
                % {"name": township_name, "own": self.own_townships or gettext("本乡镇")}
            )
        self.township_failed = False
        village = self.villages.get((township_name, village_name))
        if village is None:
            raise ValueError(
                gettext("乡镇“%(township)s”下没有名为“%(village)s”的村。")
                % {"township": township_name, "village": village_name}
            )
        return village

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return value.name if value is not None else ""


COLUMNS = (
    "code",
    "name",
    "township",
    "village",
    "households",
    "residents",
    "party_members",
    "moved_in_on",
    "party_org",
    "self_management",
    "latitude",
    "longitude",
    "klass",
    "gaps",
    "current_star",
    "current_score",
)


class SettlementResource(SpreadsheetResource):
    code = Field(attribute="code", column_name="代码", widget=TextWidget())
    name = Field(attribute="name", column_name="名称", widget=TextWidget())
    # Read with 村 by VillageWidget; exported from the village's township.
    township = Field(
        attribute="village__township__name",
        column_name=TOWNSHIP_COLUMN,
        readonly=True,
        widget=TextWidget(),
    )
    village = Field(attribute="village", column_name=VILLAGE_COLUMN, widget=VillageWidget())
    households = Field(attribute="households", column_name="户数", widget=CountWidget())
    residents = Field(attribute="residents", column_name="人口数", widget=CountWidget())
    party_members = Field(attribute="party_members", column_name="党员数", widget=CountWidget())
    moved_in_on = Field(
        attribute="moved_in_on", column_name="搬迁入住日期", widget=ChineseDateWidget()
    )
    # A blank cell means none has been set up yet (尚未建立), which the gaps then show.
    party_org = Field(
        attribute="party_org",
        column_name="党组织形式",
        widget=ChoiceLabelWidget(PartyOrg.choices, blank=PartyOrg.NONE),
    )
    self_management = Field(
        attribute="self_management",
        column_name="自治组织形式",
        widget=ChoiceLabelWidget(SelfManagement.choices, blank=SelfManagement.NONE),
    )
    latitude = Field(
        attribute="latitude", column_name="纬度", widget=DecimalNumberWidget(required=False)
    )
    longitude = Field(
        attribute="longitude", column_name="经度", widget=DecimalNumberWidget(required=False)
    )
    # Export only (derived): shown in the preview from the imported households, never read.
    klass = DerivedField(attribute="class_label", column_name="类别", widget=TextWidget())
    gaps = DerivedField(
        attribute="organisation_gap_labels", column_name="组织短板", widget=ListWidget()
    )
    current_star = DerivedField(
        attribute="current_star", column_name="当前星级", widget=CountWidget()
    )
    current_score = DerivedField(
        attribute="current_score", column_name="当前得分", widget=DecimalNumberWidget()
    )

    required_columns = ("代码", "名称", TOWNSHIP_COLUMN, VILLAGE_COLUMN, "户数", "人口数", "党员数")

    def import_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.error_dict
            if "village" in errors and self.fields["village"].widget.township_failed:
                errors["township"] = errors.pop("village")
            raise ValidationError(errors) from exc

    resolved_fields = ("village",)

    class Meta(SpreadsheetResource.Meta):
        model = Settlement
        name = "聚居点"
        fields = COLUMNS
        import_order = COLUMNS
        export_order = COLUMNS
        import_id_fields = ("code",)

    def get_queryset(self) -> Any:
        # Existing rows are looked up only within the importer's scope.
        return settlements_visible_to(self.user)

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        widget: VillageWidget = self.fields["village"].widget
        visible_townships = list(townships_visible_to(self.user).values_list("name", flat=True))
        widget.townships = set(visible_townships)
        widget.sees_all = sees_all_settlements(self.user)
        widget.own_townships = "、".join(f"“{n}”" for n in visible_townships)
        widget.villages = {(v.township.name, v.name): v for v in villages_visible_to(self.user)}

        codes = [cell_text(c) for c in dataset[self.fields["code"].column_name]]
        counts: dict[str, list[int]] = {}
        for number, code in enumerate(codes, start=2):
            if code:
                counts.setdefault(code, []).append(number)
        self._duplicates = {code: rows for code, rows in counts.items() if len(rows) > 1}
        # Codes already used by settlements the importer may not touch: such a row would
        # otherwise look new and collide, or (worse) rewrite another township's row.
        self._taken_elsewhere = values_in(Settlement.objects.all(), "code", counts) - values_in(
            self.get_queryset(), "code", counts
        )

    def after_import(self, dataset: Any, result: Any, **kwargs: Any) -> None:
        super().after_import(dataset, result, **kwargs)
        if kwargs.get("dry_run") or result.has_errors() or result.has_validation_errors():
            return
        # Households, Party members and forms are gap facts: the stored gaps follow them.
        from .governance.services import settlement_gaps_refresh

        codes = sorted({cell_text(c) for c in dataset[self.fields["code"].column_name]} - {""})
        ids: list[int] = []
        for start in range(0, len(codes), 2000):
            chunk = codes[start : start + 2000]
            ids += self.get_queryset().filter(code__in=chunk).values_list("pk", flat=True)
        settlement_gaps_refresh(settlement_ids=ids)

    def row_errors(self, instance: Settlement, failed: set[str]) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        if instance.code in self._taken_elsewhere:
            errors["code"] = gettext(
                "代码“%(code)s”已被其他乡镇的聚居点使用，您无权修改该聚居点。"
            ) % {"code": instance.code}
        elif instance.code in self._duplicates:
            errors["code"] = gettext("代码“%(code)s”在文件中重复出现（第 %(rows)s 行）。") % {
                "code": instance.code,
                "rows": "、".join(str(n) for n in self._duplicates[instance.code]),
            }
        # The same invariants as the database constraints, with messages people can act on.
        if (
            not failed & {"households", "residents"}
            and instance.households
            and instance.residents < instance.households
        ):
            errors["residents"] = gettext(
                "人口数（%(residents)s）不能少于户数（%(households)s）。"
            ) % {
                "residents": instance.residents,
                "households": instance.households,
            }
        if (
            not failed & {"party_members", "residents"}
            and instance.party_members > instance.residents
        ):
            errors["party_members"] = gettext(
                "党员数（%(members)s）不能多于人口数（%(residents)s）。"
            ) % {
                "members": instance.party_members,
                "residents": instance.residents,
            }
        for attr, limit in (("latitude", Decimal(90)), ("longitude", Decimal(180))):
            value = getattr(instance, attr)
            if attr not in failed and value is not None and not -limit <= value <= limit:
                errors[attr] = gettext("应在 -%(limit)s 到 %(limit)s 之间。") % {"limit": limit}
        return errors
