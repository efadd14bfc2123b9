"""Loads a rubric version from the shipped spreadsheet (CSV, Chinese headers), and makes
new versions of a frozen one.

Used by the data migration that installs the default rubric and by seed_demo; the item
list is data, not code (SPEC §3). The admin copies and switches versions through
``rubric_new_version`` / ``rubric_make_current``.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from .codes import Refusal

if TYPE_CHECKING:
    from settlements.models import User

    from .models import Rubric

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


# ------------------------------------------------------------------- new versions
# A frozen version never changes (SPEC §3): a change to the rubric is a new version,
# copied from the old one, edited while unfrozen, then made current.


@transaction.atomic
def rubric_new_version(*, rubric: Rubric, by: User) -> Rubric:
    """A new unfrozen version with the items of ``rubric`` (normally a frozen one).

    Repeated calls do not pile up drafts: while an unfrozen version newer than
    ``rubric`` exists, that draft is returned unchanged.
    """
    from .models import Rubric, RubricItem
    from .permissions import may_manage_rounds

    if by is not None and not may_manage_rounds(by):
        raise PermissionDenied(_("只有党组织书记可以新建评分细则版本。"))
    # Serialise concurrent copies: version numbers are unique and computed here.
    list(Rubric.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    draft = (
        Rubric.objects.filter(version__gt=rubric.version, frozen_at__isnull=True)
        .order_by("-version")
        .first()
    )
    if draft is not None:
        return draft
    latest = Rubric.objects.aggregate(latest=Max("version"))["latest"] or 0
    new = Rubric.objects.create(
        version=latest + 1, name=rubric.name, bonus_cap=rubric.bonus_cap, is_current=False
    )
    RubricItem.objects.bulk_create(
        [
            RubricItem(
                rubric=new,
                area=item.area,
                code=item.code,
                text=item.text,
                kind=item.kind,
                points=item.points,
                cap=item.cap,
                flagged=item.flagged,
                position=item.position,
            )
            for item in rubric.items.order_by("position", "code")
        ]
    )
    return new


@transaction.atomic
def rubric_make_current(*, rubric: Rubric, by: User) -> Rubric:
    """Make ``rubric`` the version the next round opens with (at most one is current)."""
    from .models import Rubric
    from .permissions import may_manage_rounds

    if by is not None and not may_manage_rounds(by):
        raise PermissionDenied(_("只有党组织书记可以设定当前评分细则版本。"))
    rubric = Rubric.objects.select_for_update().get(pk=rubric.pk)
    if rubric.is_current:
        return rubric
    if not rubric.items.exists():
        raise ValidationError(
            _("评分细则“%(rubric)s”还没有条目，不能设为当前版本。") % {"rubric": rubric},
            code=Refusal.RUBRIC_EMPTY,
        )
    # Moving the flag is the one change a frozen version allows (Rubric.save), done per
    # instance: the queryset update() refuses frozen rows on purpose.
    for old in Rubric.objects.select_for_update().filter(is_current=True):
        old.is_current = False
        old.save(update_fields=["is_current"])
    rubric.is_current = True
    rubric.save(update_fields=["is_current"])
    return rubric
