"""What the workflow pages share: item rows side by side, scoped querysets, lock reasons."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from ratings import rules, selectors, services
from ratings.codes import Refusal
from ratings.forms import SelfAssessmentForm
from ratings.models import (
    Area,
    AssessmentStatus,
    Evidence,
    ItemKind,
    ReviewStatus,
    RubricItem,
    SelfAssessment,
)
from ratings.permissions import may_review, self_assessment_editable_ids
from settlements.county import county_settings

QUEUE_PAGE_SIZE = 50
ROUND_PAGE_SIZE = 100


def _require_county(user: Any) -> None:
    if not may_review(user):
        raise PermissionDenied(_("只有县考评组成员可以进行此操作。"))


# --------------------------------------------------------------------- scoring preview


@dataclass
class ItemRow:
    """One rubric item as a page shows it: the township's and the county's entries side by side."""

    item: RubricItem
    self_occurrences: int = 0
    self_points: Decimal = Decimal("0")
    self_note: str = ""
    returned: bool = False
    county_occurrences: int | None = None
    county_points: Decimal | None = None
    county_note: str = ""
    gap_reason: str = ""
    self_evidence: list[Evidence] = field(default_factory=list)
    county_evidence: list[Evidence] = field(default_factory=list)
    editable: bool = False
    # The county's item gap that needs a reason (全县设置), set where the county's entries show.
    gap_limit: Decimal = rules.ITEM_GAP_NEEDS_REASON
    # Bound form fields for this row ({"occ": …, "note": …}), set by the view that renders a form.
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def flagged_evidence(self) -> int:
        """How many of this item's photos (either side) the server's photo checks flagged."""
        return sum(1 for ev in (*self.self_evidence, *self.county_evidence) if ev.flagged)

    @property
    def has_errors(self) -> bool:
        return any(f.errors for f in self.fields.values())

    @property
    def gap(self) -> Decimal | None:
        if self.county_points is None:
            return None
        return self.county_points - self.self_points

    @property
    def score_gap(self) -> Decimal | None:
        """What the county's entry does to the score compared with the township's (+ helps, − costs)."""
        gap = self.gap
        if gap is None:
            return None
        return gap if self.item.kind == ItemKind.BONUS else -gap

    @property
    def gap_needs_reason(self) -> bool:
        return self.county_points is not None and rules.gap_needs_reason(
            self.self_points, self.county_points, limit=self.gap_limit
        )


@dataclass
class AreaGroup:
    code: str
    label: str
    rows: list[ItemRow]
    self_lost: Decimal = Decimal("0")
    county_lost: Decimal | None = None

    @property
    def open(self) -> bool:
        """Sections start folded on a phone, except where something needs the user's eye."""
        return any(r.has_errors or (r.returned and r.editable) for r in self.rows)


def score_of(
    items: Iterable[RubricItem], occurrences: Mapping[int, int], bonus_cap: Decimal
) -> tuple[Decimal, bool]:
    """(score, vetoed) of occurrences per item, by the rule the services score with."""
    _points_each, total, vetoed = rules.score_sheet(
        ((item.kind, item.points, item.cap, occurrences.get(item.pk, 0)) for item in items),
        bonus_cap=bonus_cap,
    )
    return total, vetoed


def build_rows(
    assessment: SelfAssessment,
    items: list[RubricItem],
    *,
    with_county: bool,
    editable_ids: set[int] | None = None,
) -> tuple[list[AreaGroup], dict[int, ItemRow]]:
    """Rows per area for a self-assessment (and its review when with_county)."""
    self_items = {row.item_id: row for row in assessment.items.all()}
    review = getattr(assessment, "review", None) if with_county else None
    county_items = {row.item_id: row for row in review.items.all()} if review else {}
    evidence_self: dict[int | None, list[Evidence]] = {}
    evidence_county: dict[int | None, list[Evidence]] = {}
    for ev in assessment.evidence.all():
        target = evidence_county if ev.side == Evidence.SIDE_COUNTY else evidence_self
        target.setdefault(ev.item_id, []).append(ev)

    gap_limit = (
        county_settings().item_gap_needs_reason if with_county else rules.ITEM_GAP_NEEDS_REASON
    )
    rows: dict[int, ItemRow] = {}
    for item in items:
        s = self_items.get(item.pk)
        c = county_items.get(item.pk)
        rows[item.pk] = ItemRow(
            item=item,
            self_occurrences=s.occurrences if s else 0,
            self_points=s.points if s else Decimal("0"),
            self_note=s.note if s else "",
            returned=bool(s and s.returned),
            county_occurrences=c.occurrences if c else (0 if review else None),
            county_points=c.points if c else (Decimal("0") if review else None),
            county_note=c.note if c else "",
            gap_reason=c.gap_reason if c else "",
            self_evidence=evidence_self.get(item.pk, []),
            county_evidence=evidence_county.get(item.pk, []) if with_county else [],
            editable=item.pk in (editable_ids or set()),
            gap_limit=gap_limit,
        )

    self_losses = rules.area_losses(
        (r.item.area, r.item.kind, r.self_points) for r in rows.values()
    )
    county_losses = (
        rules.area_losses(
            (r.item.area, r.item.kind, r.county_points or Decimal(0)) for r in rows.values()
        )
        if review
        else None
    )
    by_area: OrderedDict[str, list[ItemRow]] = OrderedDict(
        (code, []) for code, _label in Area.choices
    )
    for row in rows.values():
        by_area.setdefault(row.item.area, []).append(row)
    groups = [
        AreaGroup(
            code=code,
            label=str(Area(code).label) if code in Area.values else code,
            rows=area_rows,
            self_lost=self_losses.get(code, Decimal("0")),
            county_lost=county_losses.get(code, Decimal("0"))
            if county_losses is not None
            else None,
        )
        for code, area_rows in by_area.items()
        if area_rows
    ]
    return groups, rows


def attach_fields(rows: Mapping[int, ItemRow], form: Any, names: Mapping[str, str]) -> None:
    """Give each row its bound fields: names maps a short key to a field prefix."""
    for item_id, row in rows.items():
        row.fields = {key: form[f"{prefix}{item_id}"] for key, prefix in names.items()}


def _selected_star(form: SelfAssessmentForm) -> int:
    try:
        return int(form["star_applied"].value() or 0)
    except (TypeError, ValueError):
        return 0


def _assessment_queryset(user: Any):
    return selectors.self_assessments_visible_to(user).select_related(
        "round", "rubric", "settlement__village__township", "submitted_by"
    )


def _rubric_items(assessment: SelfAssessment) -> list[RubricItem]:
    return list(assessment.rubric.items.order_by("position", "code"))


def _prefetched_assessment(user: Any, pk: int, *, with_review: bool = True) -> SelfAssessment:
    qs = _assessment_queryset(user).prefetch_related("items", "evidence")
    if with_review:
        qs = qs.select_related("review__assessor").prefetch_related("review__items")
    return get_object_or_404(qs, pk=pk)


# --------------------------------------------------------------------- state for the UI


def self_editable_ids(assessment: SelfAssessment, items: list[RubricItem], user: Any) -> set[int]:
    """Items the form offers for editing: the services' own answer."""
    return self_assessment_editable_ids(
        assessment=assessment, by=user, item_ids=[item.pk for item in items]
    )


def _lock_reason(assessment: SelfAssessment, editable: set[int]) -> str:
    if editable:
        return ""
    lock = services.self_assessment_lock(assessment, timezone.localdate())
    code = lock.code if lock is not None else None
    if code == Refusal.SELF_SUBMITTED:
        return _("自评已提交，不能再修改。")
    if code == Refusal.SELF_OVERDUE:
        return _("已过截止日期，自评被标记为逾期未报，不能再填报。")
    if code == Refusal.SELF_DEADLINE_PASSED:
        return self_deadline_passed(assessment.deadline)
    return _("你只能查看这份自评。")


def _refusal_status(form: Any) -> int:
    """409 when someone else saved first, 403 when the role may not, else 400."""
    return getattr(form, "refusal_status", 400)


def _review_lock_reason(
    assessment: SelfAssessment, final: bool, deadline: services.ReviewDeadline | None = None
) -> str:
    if final:
        return _("县级考评已定分，不能再修改。")
    if assessment.status == AssessmentStatus.RETURNED:
        return _("自评已退回乡镇修改，待重新提交后再考评。")
    if deadline is not None and not deadline.is_open(timezone.localdate()):
        return review_deadline_passed(deadline.date)
    return _("乡镇尚未提交自评，提交（或截止后标记逾期未报）后才能进行现场考评。")


def review_deadline_passed(date: dt.date) -> str:
    """Why a county review is locked once its deadline ``date`` has passed."""
    return _(
        "县级考评截止日期（%(date)s）已过，考评已锁定，不能再保存或定分。"
        "党组织书记可在管理后台延长这份考评（或整轮）的截止日期，须填写原因；"
        "公示异议成立时，考评也会重新开放。"
    ) % {"date": date.isoformat()}


def self_deadline_passed(date: dt.date) -> str:
    """Why a self-assessment is locked once its deadline ``date`` has passed."""
    return _("已过截止日期（%(date)s），自评已锁定。") % {"date": date.isoformat()}


def _has_final_review(assessment: SelfAssessment) -> bool:
    review = getattr(assessment, "review", None)
    return bool(review and review.status == ReviewStatus.FINAL)


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)
