"""Settlements imported through the pipeline (core.imports): the admin's import and
``manage.py import_spreadsheet settlements``.

Cells are read by the same widgets as the spreadsheet resource declares (one set of
Chinese messages); townships and villages come from dictionaries loaded once, existing
settlements from one query per 2,000 codes, and the writes go in bulk with their
history rows. Scope: an official imports only into their township; a code used by
another township's settlement is refused without rewriting it.
"""

from __future__ import annotations

from collections.abc import Hashable
from decimal import Decimal
from typing import Any

from django.db.models import F, Model
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.bulk import AnyOf, loaded
from core.imports.base import Importer, RowRefused, in_batches, locked
from core.spreadsheets import DerivedField, XLSXExport

from .models import Settlement, SettlementGaps
from .resources import TOWNSHIP_COLUMN, VILLAGE_COLUMN, SettlementResource, VillageWidget
from .roles import sees_all_settlements
from .selectors import settlements_visible_to, townships_visible_to, villages_visible_to

_GAP_FACTS = ("households", "party_members", "party_org", "self_management")


def _gap_facts(settlement: Any) -> tuple[Any, ...]:
    """What of a settlement's own columns its organisation gaps are counted from (the rest
    are its organisation, committee and team, which no import changes)."""
    return tuple(getattr(settlement, name) for name in _GAP_FACTS)


def settlement_row_errors(values: dict[str, Any], failed: set[str]) -> list[tuple[str, str]]:
    """The same invariants as the database constraints, with messages people can act on.
    ``values`` holds attnames; ``failed`` the attnames whose cells were already refused."""
    errors: list[tuple[str, str]] = []
    households, residents, members = (
        values.get(k) for k in ("households", "residents", "party_members")
    )
    if (
        not failed & {"households", "residents"}
        and households
        and residents is not None
        and residents < households
    ):
        errors.append(
            (
                "residents",
                gettext("人口数（%(residents)s）不能少于户数（%(households)s）。")
                % {"residents": residents, "households": households},
            )
        )
    if (
        not failed & {"party_members", "residents"}
        and members is not None
        and residents is not None
        and members > residents
    ):
        errors.append(
            (
                "party_members",
                gettext("党员数（%(members)s）不能多于人口数（%(residents)s）。")
                % {"members": members, "residents": residents},
            )
        )
    for attr, limit in (("latitude", Decimal(90)), ("longitude", Decimal(180))):
        value = values.get(attr)
        if attr not in failed and value is not None and not -limit <= value <= limit:
            errors.append((attr, gettext("应在 -%(limit)s 到 %(limit)s 之间。") % {"limit": limit}))
    return errors


class SettlementImporter(Importer):
    kind = "settlements"
    title = _("聚居点")
    model = Settlement
    fields = (
        "code",
        "name",
        "village_id",
        "households",
        "residents",
        "party_members",
        "moved_in_on",
        "party_org",
        "self_management",
        "latitude",
        "longitude",
    )
    required_columns = SettlementResource.required_columns
    key_column = "代码"

    @classmethod
    def allowed(cls, user: Any) -> bool:
        return bool(user.has_perm("settlements.import_settlement"))

    @classmethod
    def back_url(cls, params: dict[str, Any]) -> str:
        return reverse("admin:settlements_settlement_import")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        resource = SettlementResource(user=self.user)
        # (attname, column, widget) of every column the import reads.
        self.cells = [
            (
                f.attribute + "_id" if f.attribute == "village" else f.attribute,
                f.column_name,
                f.widget,
            )
            for f in resource.fields.values()
            if not f.readonly and not isinstance(f, DerivedField)
        ]
        # 乡镇 is read together with 村 (by the village's widget).
        self.columns = tuple(
            c
            for _a, col, _w in self.cells
            for c in ((TOWNSHIP_COLUMN, col) if col == VILLAGE_COLUMN else (col,))
        )
        self.column_of = {a: c for a, c, _w in self.cells}
        # Checked by the model's own validators too (lengths, digits).
        self.model_checked = {
            a: self.column_of[a] for a in ("code", "name", "latitude", "longitude")
        }
        self._taken: set[str] = set()
        # The gap facts of the rows the apply locked, as they were before it changed them.
        self._facts_before: dict[int, tuple[Any, ...]] = {}

    def file_problems(self, headers: list[str]) -> list[str]:
        # A column left out of the file is left as it is (new rows get the default).
        self.cells = [(a, c, w) for a, c, w in self.cells if c in headers]
        return super().file_problems(headers)

    def prepare(self) -> None:
        village_widget = next(w for _a, _c, w in self.cells if isinstance(w, VillageWidget))
        visible = list(townships_visible_to(self.user).values_list("name", flat=True))
        village_widget.townships = set(visible)
        village_widget.sees_all = sees_all_settlements(self.user)
        village_widget.own_townships = "、".join(f"“{n}”" for n in visible)
        village_widget.villages = {
            (v.township.name, v.name): v for v in villages_visible_to(self.user)
        }
        self.sees_all = village_widget.sees_all

    def check_row(self, number: int, row: dict[str, Any]) -> tuple[Hashable, dict[str, Any]]:
        values: dict[str, Any] = {}
        errors: list[tuple[str, str]] = []
        failed: set[str] = set()
        for attname, column, widget in self.cells:
            try:
                value = widget.clean(row.get(column), row=row)
            except ValueError as exc:
                # The 村 cell is read with its 乡镇: a blank or unknown 乡镇 is that column's fault.
                township_fault = getattr(widget, "township_failed", False)
                errors.append((TOWNSHIP_COLUMN if township_fault else column, str(exc)))
                failed.add(attname)
                continue
            values[attname] = value.pk if attname == "village_id" else value
        self.check_model_fields(values, errors, self.model_checked)
        if errors:
            failed |= {a for a, c in self.column_of.items() if any(c == col for col, _m in errors)}
        errors.extend((self.column_of[a], m) for a, m in settlement_row_errors(values, failed))
        if errors:
            raise RowRefused(errors)
        return values["code"], values

    def duplicate_message(self, key: Hashable, rows: list[int]) -> str:
        return gettext("代码“%(code)s”在文件中重复出现（第 %(rows)s 行）。") % {
            "code": key,
            "rows": "、".join(str(n) for n in rows),
        }

    def existing(self, keys: list[Hashable], *, lock: bool = False) -> dict[Hashable, Any]:
        # The settlements alone (their places are not needed: scope is a join in WHERE),
        # so 35,000 existing rows build 35,000 objects, not three times as many.
        visible = settlements_visible_to(self.user).select_related(None)
        found = {s.code: s for s in loaded(locked(visible.filter(AnyOf(F("code"), keys)), lock))}
        if lock:  # the apply's rows, about to change: what their stored gaps were counted from
            self._facts_before.update((s.pk, _gap_facts(s)) for s in found.values())
        if not getattr(self, "sees_all", sees_all_settlements(self.user)):
            # Codes used by settlements the importer may not touch: such a row would
            # otherwise look new and collide, or (worse) rewrite another township's row.
            missing = [k for k in keys if k not in found]
            if missing:
                self._taken |= set(
                    Settlement.objects.filter(AnyOf(F("code"), missing)).values_list(
                        "code", flat=True
                    )
                )
        return found

    def reconcile(self, values: dict[str, Any], current: Any) -> list[tuple[str, str]]:
        if current is None and values["code"] in self._taken:
            return [
                (
                    self.key_column,
                    gettext("代码“%(code)s”已被其他乡镇的聚居点使用，您无权修改该聚居点。")
                    % {"code": values["code"]},
                )
            ]
        return []

    def export(self) -> tuple[int, bytes]:
        queryset = settlements_visible_to(self.user).order_by("code")
        dataset = SettlementResource(user=self.user).export(queryset)
        return len(dataset), XLSXExport().export_data(dataset)

    def write(self, new: list[Model], changed: list[Model], fields: list[str], *, by: Any) -> None:
        super().write(new, changed, fields, by=by)
        # Households, Party members and forms decide the organisation gaps: store them anew
        # for the new rows and the rows whose facts changed (the nightly rebuild would
        # catch them too, a day late). A row changed otherwise (a name, a date) keeps its
        # stored gaps, unless it had none.
        from .governance.services import settlement_gaps_refresh

        same = [o.pk for o in changed if _gap_facts(o) == self._facts_before.get(o.pk)]
        counted: set[int] = set()
        for batch in in_batches(same):
            counted.update(
                SettlementGaps.objects.filter(AnyOf(F("settlement_id"), batch)).values_list(
                    "settlement_id", flat=True
                )
            )
        settlement_gaps_refresh(
            settlement_ids=[o.pk for o in [*new, *changed] if o.pk and o.pk not in counted]
        )

    def describe(self, obj: Any, key: Hashable) -> str:
        if obj is None:
            return gettext("代码为“%(code)s”的聚居点") % {"code": key}
        return gettext("聚居点“%(name)s”（代码 %(code)s）") % {"name": obj.name, "code": obj.code}


# Kept for the resource (admin export): one copy of the rules.
__all__ = ["TOWNSHIP_COLUMN", "SettlementImporter", "settlement_row_errors"]
