"""Rubric items imported through the pipeline (core.imports) into one chosen rubric
version, which must not be frozen: refused before any row is read, and checked again,
under a lock on the version, when the import is applied (a round may open meanwhile)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.imports.base import ApplyRefused, Importer, RowRefused, locked
from core.spreadsheets import DerivedField

from .models import Rubric, RubricItem
from .resources import RubricItemResource


def _frozen_message(rubric: Rubric) -> str:
    return gettext("评分细则“%(rubric)s”已被使用并冻结，不能导入条目；请先“复制为新版本”。") % {
        "rubric": rubric
    }


class RubricItemImporter(Importer):
    kind = "rubric_items"
    title = _("评分条目")
    model = RubricItem
    fields = ("rubric_id", "area", "code", "text", "kind", "points", "cap", "flagged", "position")
    required_columns = RubricItemResource.required_columns
    key_column = "条目编号"

    @classmethod
    def allowed(cls, user: Any) -> bool:
        return bool(user.has_perm("ratings.import_rubricitem"))

    @classmethod
    def back_url(cls, params: dict[str, Any]) -> str:
        return reverse("admin:ratings_rubricitem_import")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        pk = str(self.params.get("rubric") or "")
        self.rubric = Rubric.objects.filter(pk=pk).first() if pk.isdigit() else None
        resource = RubricItemResource(rubric=self.rubric)
        self.cells = [
            (f.attribute, f.column_name, f.widget)
            for f in resource.fields.values()
            if not f.readonly and not isinstance(f, DerivedField)
        ]
        self.columns = tuple(c for _a, c, _w in self.cells)
        self.column_of = {a: c for a, c, _w in self.cells}

    def file_problems(self, headers: list[str]) -> list[str]:
        problems = super().file_problems(headers)
        if self.rubric is None:
            problems.append(gettext("请选择要导入到哪个评分细则版本。"))
        elif self.rubric.frozen_at is not None:
            problems.append(_frozen_message(self.rubric))
        self.cells = [(a, c, w) for a, c, w in self.cells if c in headers]
        return problems

    def check_row(self, number: int, row: dict[str, Any]) -> tuple[Hashable, dict[str, Any]]:
        values: dict[str, Any] = {"rubric_id": self.rubric.pk}  # type: ignore[union-attr]
        errors: list[tuple[str, str]] = []
        for attname, column, widget in self.cells:
            try:
                values[attname] = widget.clean(row.get(column), row=row)
            except ValueError as exc:
                errors.append((column, str(exc)))
        if "position" in values and values["position"] is None:
            values["position"] = 0
        self.check_model_fields(
            values,
            errors,
            {
                a: self.column_of[a]
                for a in ("code", "text", "points", "cap")
                if a in self.column_of
            },
        )
        failed = {a for a, c in self.column_of.items() if any(c == col for col, _m in errors)}
        points, cap = values.get("points"), values.get("cap")
        if "points" not in failed and points is not None and points < 0:
            errors.append((self.column_of["points"], gettext("每次分值不能为负数。")))
        if (
            not failed & {"points", "cap"}
            and points is not None
            and cap is not None
            and cap < points
        ):
            errors.append(
                (
                    self.column_of["cap"],
                    gettext("条目上限（%(cap)s）不能小于每次分值（%(points)s）。")
                    % {"cap": cap, "points": points},
                )
            )
        if errors:
            raise RowRefused(errors)
        return values["code"], values

    def duplicate_message(self, key: Hashable, rows: list[int]) -> str:
        return gettext("条目编号“%(code)s”在文件中重复出现（第 %(rows)s 行）。") % {
            "code": key,
            "rows": "、".join(str(n) for n in rows),
        }

    def existing(self, keys: list[Hashable], *, lock: bool = False) -> dict[Hashable, Any]:
        if self.rubric is None:
            return {}
        return {
            i.code: i
            for i in locked(RubricItem.objects.filter(rubric=self.rubric, code__in=keys), lock)
        }

    def describe(self, obj: Any, key: Hashable) -> str:
        return gettext("条目“%(code)s”") % {"code": key}

    def before_apply(self) -> None:
        # Lock the version: a round opening now waits, and one opened since is seen.
        rubric = (
            Rubric.objects.select_for_update().filter(pk=self.rubric.pk).first()
            if self.rubric is not None
            else None
        )
        if rubric is None:
            raise ApplyRefused(gettext("评分细则版本已不存在。"))
        if rubric.frozen_at is not None:
            raise ApplyRefused(_frozen_message(rubric))

    def write(self, new: list[Any], changed: list[Any], fields: list[str], *, by: Any) -> None:
        # Rubric items keep no history table; the version's freeze protects used items.
        if new:
            RubricItem.objects.bulk_create(new, batch_size=1000)
        if changed:
            RubricItem.objects.bulk_update(changed, fields, batch_size=1000)
