"""The quarterly workflow in the browser (SPEC §3–5, §9).

Every view parses input, fetches through a scoped selector (another township's object
is a 404), calls the service that does the write, and renders. Where one click makes
several writes (save + upload evidence + submit) they run in one transaction, so a
refused step leaves nothing half-saved.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ratings import rules, selectors, services
from ratings.forms import (
    STAR_CHOICES,
    ObjectionDecideForm,
    ObjectionFileForm,
    QueueFilterForm,
    RatingChangeForm,
    RectificationAnswerForm,
    RectificationCheckForm,
    RectificationDismissForm,
    RectificationFilterForm,
    RectificationIssueForm,
    ReviewForm,
    SelfAssessmentForm,
    SendBackForm,
    add_service_error,
)
from ratings.models import (
    Area,
    AssessmentStatus,
    Evidence,
    ItemKind,
    ObjectionOutcome,
    RatingStatus,
    RectificationStatus,
    ReviewStatus,
    Round,
    RubricItem,
    SelfAssessment,
)
from settlements.county import county_settings
from settlements.roles import is_official, sees_all_settlements
from settlements.selectors import townships_visible_to

QUEUE_PAGE_SIZE = 50
ROUND_PAGE_SIZE = 100


class _FieldRefused(Exception):
    """A service refused one upload: carries the field to show the message next to."""

    def __init__(self, field_name: str, error: ValidationError) -> None:
        super().__init__(field_name)
        self.field_name = field_name
        self.error = error


def is_county(user: Any) -> bool:
    """County work (reviews, send-backs, objections, rectifications): assessors, and the
    secretary who administers them, exactly as the services allow."""
    return sees_all_settlements(user)


def _require_county(user: Any) -> None:
    if not is_county(user):
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


def score_of(items: Iterable[RubricItem], occurrences: Mapping[int, int], bonus_cap: Decimal) -> tuple[Decimal, bool]:
    """(score, vetoed) of occurrences per item, by the rule the services score with."""
    _points_each, total, vetoed = rules.score_sheet(
        ((item.kind, item.points, item.cap, occurrences.get(item.pk, 0)) for item in items), bonus_cap=bonus_cap
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

    gap_limit = county_settings().item_gap_needs_reason if with_county else rules.ITEM_GAP_NEEDS_REASON
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

    self_losses = rules.area_losses((r.item.area, r.item.kind, r.self_points) for r in rows.values())
    county_losses = (
        rules.area_losses((r.item.area, r.item.kind, r.county_points or Decimal(0)) for r in rows.values())
        if review
        else None
    )
    by_area: OrderedDict[str, list[ItemRow]] = OrderedDict((code, []) for code, _label in Area.choices)
    for row in rows.values():
        by_area.setdefault(row.item.area, []).append(row)
    groups = [
        AreaGroup(
            code=code,
            label=str(Area(code).label) if code in Area.values else code,
            rows=area_rows,
            self_lost=self_losses.get(code, Decimal("0")),
            county_lost=county_losses.get(code, Decimal("0")) if county_losses is not None else None,
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


def self_deadline_passed(assessment: SelfAssessment) -> bool:
    return timezone.localdate() > assessment.deadline


def self_editable_ids(assessment: SelfAssessment, items: list[RubricItem], user: Any) -> set[int]:
    """Items the form offers for editing; the service enforces the same and refuses the rest."""
    if not is_official(user) or user.township_id != assessment.settlement.village.township_id:
        return set()
    if self_deadline_passed(assessment):
        return set()
    if assessment.status in (AssessmentStatus.NOT_STARTED, AssessmentStatus.DRAFT):
        return {item.pk for item in items}
    if assessment.status == AssessmentStatus.RETURNED:
        return {row.item_id for row in assessment.items.all() if row.returned}
    return set()


def _lock_reason(assessment: SelfAssessment, editable: set[int]) -> str:
    if editable:
        return ""
    if assessment.status == AssessmentStatus.SUBMITTED:
        return _("自评已提交，不能再修改。")
    if assessment.status == AssessmentStatus.OVERDUE:
        return _("已过截止日期，自评被标记为逾期未报，不能再填报。")
    if self_deadline_passed(assessment):
        return _("已过截止日期（%(date)s），自评已锁定。") % {"date": assessment.deadline.isoformat()}
    return _("你只能查看这份自评。")


# --------------------------------------------------------------------------- round page


@login_required
def round_page(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The township's settlements in a round, with status and days left."""
    # Rounds are county-wide facts, not scoped; what is inside them is.
    round_ = selectors.current_round() if pk is None else get_object_or_404(Round, pk=pk)
    if round_ is None:
        return render(request, "ratings/round.html", {"round": None, "page": None})
    qs = (
        selectors.self_assessments_visible_to(request.user)
        .filter(round=round_)
        .select_related("settlement__village__township", "review")
        .order_by("settlement__code")
    )
    page = Paginator(qs, ROUND_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ratings/round.html",
        {"round": round_, "page": page, "today": timezone.localdate(), "is_official": is_official(request.user)},
    )


# --------------------------------------------------------------------- self-assessment


@login_required
def self_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _prefetched_assessment(request.user, pk, with_review=False)
    items = _rubric_items(assessment)
    editable = self_editable_ids(assessment, items, request.user)
    stored = {row.item_id: row for row in assessment.items.all()}
    status = 200

    if request.method == "POST":
        form = SelfAssessmentForm(
            request.POST, request.FILES, items=items, stored=stored, editable_ids=editable,
            initial={"version": assessment.version, "star_applied": assessment.star_applied},
        )
        if not editable:
            form.add_error(None, _lock_reason(assessment, editable))
        if form.is_valid():
            submit = request.POST.get("action") == "submit"
            try:
                with transaction.atomic():
                    saved = services.self_assessment_save(
                        assessment=assessment,
                        by=request.user,
                        items=form.items_payload(),
                        star_applied=form.cleaned_data["star_applied"] or 0,
                        expected_version=form.cleaned_data["version"],
                    )
                    _add_uploads(form.uploads(), request.user, side=Evidence.SIDE_SELF, assessment=saved)
                    if submit:
                        services.self_assessment_submit(
                            assessment=saved, by=request.user, expected_version=saved.version
                        )
            except _FieldRefused as refused:
                form.add_error(refused.field_name, refused.error)
            except services.WorkflowError as exc:
                add_service_error(form, exc, field_for_key={str(i.pk): f"occ_{i.pk}" for i in items})
            else:
                messages.success(request, _("自评已提交，等待县考评组现场考评。") if submit else _("草稿已保存。"))
                return redirect(assessment.get_absolute_url())
        status = _refusal_status(form)
        # Show what is stored now next to what the user typed.
        assessment = _prefetched_assessment(request.user, pk, with_review=False)
    else:
        form = SelfAssessmentForm(
            items=items, stored=stored, editable_ids=editable,
            initial={"version": assessment.version, "star_applied": assessment.star_applied},
        )

    groups, rows = build_rows(assessment, items, with_county=False, editable_ids=editable)
    attach_fields(rows, form, {"occ": "occ_", "note": "note_", "evidence": "evidence_"})
    occurrences = {row.item_id: row.occurrences for row in assessment.items.all()}
    preview, preview_veto = score_of(items, occurrences, assessment.rubric.bonus_cap)
    max_star = rules.max_star_applicable(preview, vetoed=preview_veto)
    context = {
        "assessment": assessment,
        "settlement": assessment.settlement,
        "form": form,
        "groups": groups,
        "editable": bool(editable),
        "returned_only": assessment.status == AssessmentStatus.RETURNED,
        "lock_reason": _lock_reason(assessment, editable),
        "preview": preview,
        "preview_veto": preview_veto,
        "preview_stars": rules.stars_awarded(score=preview, vetoed=preview_veto),
        "star_options": [(value, label, value > max_star) for value, label in STAR_CHOICES],
        "selected_star": _selected_star(form),
        "bonus_cap": assessment.rubric.bonus_cap,
        "has_result": _has_final_review(assessment),
    }
    return render(request, "ratings/self_assessment.html", context, status=status)


def _refusal_status(form: Any) -> int:
    """409 when someone else saved first, 403 when the role may not, else 400."""
    return getattr(form, "refusal_status", 400)


def _review_lock_reason(assessment: SelfAssessment, final: bool) -> str:
    if final:
        return _("县级考评已定分，不能再修改。")
    if assessment.status == AssessmentStatus.RETURNED:
        return _("自评已退回乡镇修改，待重新提交后再考评。")
    return _("乡镇尚未提交自评，提交（或截止后标记逾期未报）后才能进行现场考评。")


def _has_final_review(assessment: SelfAssessment) -> bool:
    review = getattr(assessment, "review", None)
    return bool(review and review.status == ReviewStatus.FINAL)


def _add_uploads(uploads: list[tuple[RubricItem, str, list]], user: Any, *, side: str, assessment: SelfAssessment) -> None:
    for item, field_name, files in uploads:
        for upload in files:
            try:
                services.evidence_add(by=user, file=upload, side=side, assessment=assessment, item=item)
            except services.WorkflowError as exc:
                raise _FieldRefused(field_name, exc) from exc


# -------------------------------------------------------------------------- result page


@login_required
def result(request: HttpRequest, pk: int) -> HttpResponse:
    """The county's result item by item beside the township's own, with what it means."""
    assessment = _prefetched_assessment(request.user, pk)
    items = _rubric_items(assessment)
    review = getattr(assessment, "review", None)
    final = bool(review and review.status == ReviewStatus.FINAL)
    groups, rows = build_rows(assessment, items, with_county=final)
    rating = None
    next_star = None
    if final:
        rating = (
            selectors.ratings_visible_to(request.user)
            .filter(review=review)
            .select_related("round")
            .prefetch_related("objections")
            .first()
        )
        next_star = rules.points_to_next_star(review.score) if review.score is not None else None
    return render(
        request,
        "ratings/result.html",
        {
            "assessment": assessment,
            "settlement": assessment.settlement,
            "review": review if final else None,
            "rating": rating,
            "groups": groups,
            "next_star": next_star,
            "total_gap": (review.score - assessment.score) if final and assessment.score is not None else None,
        },
    )


# ------------------------------------------------------------------------------ queue


@login_required
def queue(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The county's review queue for a round: filterable, with self-scores, paginated."""
    if not sees_all_settlements(request.user):
        raise PermissionDenied(_("只有县考评组和管理员可以查看考评队列。"))
    round_ = selectors.current_round() if pk is None else get_object_or_404(Round, pk=pk)
    townships = townships_visible_to(request.user).order_by("code")
    filters = QueueFilterForm(request.GET or None, townships=townships)
    if round_ is None:
        return render(request, "ratings/queue.html", {"round": None, "filters": filters, "page": None})
    cd = filters.cleaned_data if filters.is_valid() else {}
    qs = selectors.review_queue(
        request.user,
        round=round_,
        township_id=cd["township"].pk if cd.get("township") else None,
        settlement_class=cd.get("klass"),
        status=cd.get("status") or None,
    ).select_related("review__assessor")
    if cd.get("review") == "todo":
        qs = qs.filter(review__isnull=True)
    elif cd.get("review") in (ReviewStatus.DRAFT, ReviewStatus.FINAL):
        qs = qs.filter(review__status=cd["review"])
    page = Paginator(qs, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "ratings/queue.html",
        {"round": round_, "filters": filters, "page": page, "query": query.urlencode()},
    )


# ----------------------------------------------------------------------- county review


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    if not sees_all_settlements(request.user):
        # An official of this township may see the settlement but never the county's form;
        # another township's assessment stays a 404.
        get_object_or_404(selectors.self_assessments_visible_to(request.user), pk=pk)
        raise PermissionDenied(_("只有县考评组成员可以进行现场考评。"))
    assessment = _prefetched_assessment(request.user, pk)
    items = _rubric_items(assessment)
    existing = getattr(assessment, "review", None)
    final = bool(existing and existing.status == ReviewStatus.FINAL)
    locked = final or assessment.status not in services.REVIEWABLE
    stored = {row.item_id: row for row in existing.items.all()} if existing else {}
    initial = {
        "version": existing.version if existing else 0,
        "visit_date": existing.visit_date if existing else timezone.localdate(),
        "team_members": existing.team_members if existing else "",
        "notes": existing.notes if existing else "",
        "total_gap_reason": existing.total_gap_reason if existing else "",
    }
    status = 200
    if request.method == "POST":
        _require_county(request.user)
        form = ReviewForm(request.POST, request.FILES, items=items, stored=stored, locked=locked, initial=initial)
        if locked:
            form.add_error(None, _review_lock_reason(assessment, final))
        if form.is_valid():
            finalise = request.POST.get("action") == "finalise"
            cd = form.cleaned_data
            try:
                with transaction.atomic():
                    saved = services.review_save(
                        assessment=assessment,
                        by=request.user,
                        items=form.items_payload(),
                        visit_date=cd["visit_date"],
                        team_members=cd["team_members"],
                        notes=cd["notes"],
                        total_gap_reason=cd["total_gap_reason"],
                        expected_version=cd["version"],
                    )
                    _add_uploads(form.uploads(), request.user, side=Evidence.SIDE_COUNTY, assessment=assessment)
                    rating = services.review_finalise(review=saved, by=request.user) if finalise else None
            except _FieldRefused as refused:
                form.add_error(refused.field_name, refused.error)
            except services.WorkflowError as exc:
                add_service_error(form, exc, field_for_key=form.field_for_service_key())
            else:
                if rating is not None:
                    messages.success(
                        request,
                        _("已定分：%(score)s 分，进入公示，%(until)s。")
                        % {"score": rating.score, "until": services.notice_until_text(rating)},
                    )
                    return redirect("ratings:rating", pk=rating.pk)
                messages.success(request, _("考评记录已保存。"))
                return redirect("ratings:review", pk=assessment.pk)
        status = _refusal_status(form)
        assessment = _prefetched_assessment(request.user, pk)
    else:
        form = ReviewForm(items=items, stored=stored, locked=locked, initial=initial)

    groups, rows = build_rows(assessment, items, with_county=True)
    attach_fields(rows, form, {"occ": "county_occ_", "note": "county_note_", "gap": "gap_reason_", "photos": "photos_"})
    existing = getattr(assessment, "review", None)
    county_occurrences = {item_id: (row.county_occurrences or 0) for item_id, row in rows.items()}
    preview, preview_veto = score_of(items, county_occurrences, assessment.rubric.bonus_cap)
    rating = selectors.ratings_visible_to(request.user).filter(review=existing).first() if existing else None
    send_back = None
    if assessment.status == AssessmentStatus.SUBMITTED and not final:
        send_back = SendBackForm(items=items, initial={"deadline": timezone.localdate() + _days(5)})
    return render(
        request,
        "ratings/review.html",
        {
            "assessment": assessment,
            "settlement": assessment.settlement,
            "review": existing,
            "rating": rating,
            "form": form,
            "groups": groups,
            "locked": locked,
            "lock_reason": _review_lock_reason(assessment, final) if locked else "",
            "send_back": send_back,
            "bonus_cap": assessment.rubric.bonus_cap,
            "self_score": assessment.score,
            "total_gap_limit": county_settings().total_gap_needs_reason,
            "preview": preview,
            "preview_veto": preview_veto,
            "preview_stars": rules.stars_awarded(score=preview, vetoed=preview_veto),
        },
        status=status,
    )


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@login_required
@require_POST
def send_back(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = get_object_or_404(_assessment_queryset(request.user), pk=pk)
    _require_county(request.user)
    items = _rubric_items(assessment)
    form = SendBackForm(request.POST, items=items)
    if form.is_valid():
        try:
            services.self_assessment_send_back(
                assessment=assessment,
                by=request.user,
                item_ids=form.item_ids(),
                reason=form.cleaned_data["reason"],
                deadline=form.cleaned_data["deadline"],
            )
        except services.WorkflowError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已退回 %(n)d 个条目，乡镇可在新的截止日期前修改。") % {"n": len(form.item_ids())})
            return redirect("ratings:review", pk=assessment.pk)
    for error in form.errors.values():
        for message in error:
            messages.error(request, message)
    return redirect("ratings:review", pk=assessment.pk)


# ----------------------------------------------------------- rating, notice, objections


def _rating_queryset(user: Any):
    return selectors.ratings_visible_to(user).select_related(
        "round", "settlement__village__township", "review__self_assessment", "decided_by"
    )


@login_required
def rating_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rating = get_object_or_404(_rating_queryset(request.user), pk=pk)
    return _render_rating(request, rating)


def _render_rating(request: HttpRequest, rating: Any, *, forms_: Mapping[str, Any] | None = None, status: int = 200) -> HttpResponse:
    forms_ = dict(forms_ or {})
    user = request.user
    objections = list(rating.objections.select_related("heard_by", "recorded_by").order_by("filed_at"))
    county = is_county(user)
    # The reviewer and whoever decided the score never hear an objection to it; the
    # service also refuses anyone else who saved the review.
    reviewers = {rating.review.assessor_id, rating.decided_by_id}
    own_township = is_official(user) and user.township_id == rating.settlement.village.township_id
    if (county or own_township) and rating.status == RatingStatus.NOTICE:
        forms_.setdefault("file", ObjectionFileForm())
    decide_forms = {}
    for objection in objections:
        if county and objection.outcome == ObjectionOutcome.PENDING and user.pk not in reviewers:
            decide_forms[objection.pk] = forms_.get(f"decide_{objection.pk}") or ObjectionDecideForm(prefix=f"o{objection.pk}")
    if county and rating.status == RatingStatus.EFFECTIVE and rating.stars > 0:
        forms_.setdefault("change", RatingChangeForm(initial={"expected_stars": rating.stars}))
    changes = list(rating.changes.select_related("by", "rating__round").order_by("-at", "-pk"))
    rectifications = list(rating.rectifications.order_by("-created_at"))
    certificate = selectors.certificates_visible_to(user).filter(rating=rating).first()
    return render(
        request,
        "ratings/rating.html",
        {
            "rating": rating,
            "settlement": rating.settlement,
            "objections": [(o, decide_forms.get(o.pk)) for o in objections],
            "pending_for_reviewer": county and user.pk in reviewers and any(
                o.outcome == ObjectionOutcome.PENDING for o in objections
            ),
            "file_form": forms_.get("file"),
            "change_form": forms_.get("change"),
            "changes": changes,
            "rectifications": rectifications,
            "certificate": certificate,
            "next_star": rules.points_to_next_star(rating.score),
        },
        status=status,
    )


@login_required
@require_POST
def objection_file(request: HttpRequest, pk: int) -> HttpResponse:
    # The county and the settlement's own township may record one (the service checks which).
    rating = get_object_or_404(_rating_queryset(request.user), pk=pk)
    form = ObjectionFileForm(request.POST)
    if form.is_valid():
        try:
            services.objection_file(
                rating=rating, by=request.user,
                filed_by_name=form.cleaned_data["filed_by_name"], text=form.cleaned_data["text"],
            )
        except services.WorkflowError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("异议已登记，将由未参与考评的考评组成员处理。"))
            return redirect("ratings:rating", pk=rating.pk)
    return _render_rating(request, rating, forms_={"file": form}, status=_refusal_status(form))


@login_required
@require_POST
def objection_decide(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(selectors.objections_visible_to(request.user), pk=pk)
    _require_county(request.user)
    form = ObjectionDecideForm(request.POST, prefix=f"o{objection.pk}")
    if form.is_valid():
        try:
            services.objection_decide(
                objection=objection, by=request.user,
                outcome=form.cleaned_data["outcome"], reasons=form.cleaned_data["reasons"],
            )
        except services.WorkflowError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("异议处理结果已记录。"))
            return redirect("ratings:rating", pk=objection.rating_id)
    rating = get_object_or_404(_rating_queryset(request.user), pk=objection.rating_id)
    return _render_rating(request, rating, forms_={f"decide_{objection.pk}": form}, status=_refusal_status(form))


@login_required
@require_POST
def rating_change(request: HttpRequest, pk: int) -> HttpResponse:
    """Direct downgrade or revocation (a major problem allows it at once)."""
    rating = get_object_or_404(_rating_queryset(request.user), pk=pk)
    _require_county(request.user)
    form = RatingChangeForm(request.POST)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if form.cleaned_data["action"] == "downgrade":
                services.rating_downgrade(
                    rating=rating, by=request.user, reason=reason, expected_stars=form.cleaned_data["expected_stars"]
                )
            else:
                # Revoking twice ends in the same place (no star): nothing to guard.
                services.rating_revoke(rating=rating, by=request.user, reason=reason)
        except services.WorkflowError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("星级已调整，变动已记入评定历史。"))
            return redirect("ratings:rating", pk=rating.pk)
    return _render_rating(request, rating, forms_={"change": form}, status=_refusal_status(form))


# ----------------------------------------------------------------------- rectifications


def _rectification_queryset(user: Any):
    return selectors.rectifications_visible_to(user).select_related(
        "settlement__village__township", "rating__round"
    )


def _overdue_q(today: Any) -> Q:
    return Q(status=RectificationStatus.ISSUED, deadline__lt=today)


@login_required
def rectification_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    filters = RectificationFilterForm(request.GET or None)
    qs = _rectification_queryset(request.user).order_by("-created_at", "-pk")
    wanted = filters.cleaned_data.get("status") if filters.is_valid() else ""
    if wanted == "overdue":
        qs = qs.filter(_overdue_q(today))
    elif wanted == "issued":
        qs = qs.filter(status=RectificationStatus.ISSUED).exclude(_overdue_q(today))
    elif wanted == "closed":
        qs = qs.filter(status__in=[RectificationStatus.PASSED, RectificationStatus.DOWNGRADED,
                                   RectificationStatus.REVOKED, RectificationStatus.DISMISSED])
    elif wanted:
        qs = qs.filter(status=wanted)
    page = Paginator(qs, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "ratings/rectification_list.html",
        {"page": page, "filters": filters, "today": today, "query": f"status={wanted}" if wanted else ""},
    )


@login_required
def rectification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rectification = get_object_or_404(_rectification_queryset(request.user), pk=pk)
    return _render_rectification(request, rectification)


def _render_rectification(request: HttpRequest, rectification: Any, *, form: Any = None, status: int = 200) -> HttpResponse:
    """Each party sees the form for the step that is theirs now; the services check it again."""
    user = request.user
    today = timezone.localdate()
    county = is_county(user)
    overdue = (
        rectification.status == RectificationStatus.ISSUED
        and rectification.deadline is not None
        and rectification.deadline < today
    )
    own_township = is_official(user) and user.township_id == rectification.settlement.village.township_id

    def pick(cls: type, make: Callable[[], Any]) -> Any:
        return form if isinstance(form, cls) else make()

    forms_: dict[str, Any] = {}
    if county and rectification.status == RectificationStatus.PROPOSED:
        forms_["issue"] = pick(RectificationIssueForm, lambda: RectificationIssueForm(
            initial={"deadline": today + _days(30), "requirements": rectification.trigger}
        ))
        forms_["dismiss"] = pick(RectificationDismissForm, RectificationDismissForm)
    if own_township and rectification.status in (RectificationStatus.ISSUED, RectificationStatus.ANSWERED) and not overdue:
        forms_["answer"] = pick(RectificationAnswerForm, lambda: RectificationAnswerForm(
            initial={"answer": rectification.answer}
        ))
    if county and (rectification.status == RectificationStatus.ANSWERED or overdue):
        forms_["check"] = pick(RectificationCheckForm, RectificationCheckForm)
    return render(
        request,
        "ratings/rectification.html",
        {
            "rectification": rectification,
            "settlement": rectification.settlement,
            "evidence": list(rectification.evidence.order_by("uploaded_at")),
            "overdue": overdue,
            **{f"{k}_form": v for k, v in forms_.items()},
        },
        status=status,
    )


@login_required
@require_POST
def rectification_issue(request: HttpRequest, pk: int) -> HttpResponse:
    rectification = get_object_or_404(_rectification_queryset(request.user), pk=pk)
    _require_county(request.user)
    form = RectificationIssueForm(request.POST)
    if form.is_valid():
        try:
            services.rectification_issue(
                rectification=rectification, by=request.user,
                deadline=form.cleaned_data["deadline"], requirements=form.cleaned_data["requirements"],
            )
        except services.WorkflowError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("整改通知已下达。"))
            return redirect(rectification.get_absolute_url())
    return _render_rectification(request, rectification, form=form, status=_refusal_status(form))


@login_required
@require_POST
def rectification_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    rectification = get_object_or_404(_rectification_queryset(request.user), pk=pk)
    _require_county(request.user)
    form = RectificationDismissForm(request.POST)
    if form.is_valid():
        try:
            services.rectification_dismiss(
                rectification=rectification, by=request.user, reason=form.cleaned_data["reason"]
            )
        except services.WorkflowError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("已决定不予下达整改。"))
            return redirect(rectification.get_absolute_url())
    return _render_rectification(request, rectification, form=form, status=_refusal_status(form))


@login_required
@require_POST
def rectification_answer(request: HttpRequest, pk: int) -> HttpResponse:
    rectification = get_object_or_404(_rectification_queryset(request.user), pk=pk)
    if not is_official(request.user):
        raise PermissionDenied(_("只有本乡镇干部可以答复整改通知。"))
    form = RectificationAnswerForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                services.rectification_answer(
                    rectification=rectification, by=request.user, answer=form.cleaned_data["answer"]
                )
                for upload in form.cleaned_data["evidence"]:
                    try:
                        services.evidence_add(
                            by=request.user, file=upload, side=Evidence.SIDE_RECTIFICATION,
                            rectification=rectification,
                        )
                    except services.WorkflowError as exc:
                        raise _FieldRefused("evidence", exc) from exc
        except _FieldRefused as refused:
            form.add_error(refused.field_name, refused.error)
        except services.WorkflowError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("整改情况已提交，等待县考评组复查。"))
            return redirect(rectification.get_absolute_url())
    return _render_rectification(request, rectification, form=form, status=_refusal_status(form))


@login_required
@require_POST
def rectification_check(request: HttpRequest, pk: int) -> HttpResponse:
    rectification = get_object_or_404(_rectification_queryset(request.user), pk=pk)
    _require_county(request.user)
    form = RectificationCheckForm(request.POST)
    if form.is_valid():
        try:
            services.rectification_check(
                rectification=rectification, by=request.user,
                outcome=form.cleaned_data["outcome"], notes=form.cleaned_data["notes"],
            )
        except services.WorkflowError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("复查结果已记录。"))
            return redirect(rectification.get_absolute_url())
    return _render_rectification(request, rectification, form=form, status=_refusal_status(form))


# ---------------------------------------------------------------------------- evidence


@login_required
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """Media is never served directly: only a user who may see the settlement gets the file."""
    evidence = get_object_or_404(selectors.evidence_visible_to(request.user), pk=pk)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("文件不存在。")) from exc
    content_type = evidence.content_type or mimetypes.guess_type(evidence.original_name)[0] or "application/octet-stream"
    inline = content_type in ("image/jpeg", "image/png", "application/pdf")
    response = FileResponse(
        handle, content_type=content_type, as_attachment=not inline, filename=evidence.original_name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=0"
    return response


# -------------------------------------------------------------------------- certificates


def _certificate_queryset(user: Any):
    return selectors.certificates_visible_to(user).select_related(
        "settlement__village__township", "rating__round"
    )


def _certificate_context(cert: Any) -> dict[str, Any]:
    # The signature names the county from its settings (全县设置).
    return {"certificate": cert, "settlement": cert.settlement, "issuer": county_settings().certificate_issuer}


@login_required
def certificate(request: HttpRequest, pk: int) -> HttpResponse:
    cert = get_object_or_404(_certificate_queryset(request.user), pk=pk)
    return render(request, "ratings/certificate.html", _certificate_context(cert))


@login_required
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from ratings.pdf import certificate_pdf_bytes

    cert = get_object_or_404(_certificate_queryset(request.user), pk=pk)
    if cert.revoked_at is not None:
        # A voided plaque is not printed again; the page says why.
        return render(
            request, "ratings/certificate.html", _certificate_context(cert), status=410
        )
    response = HttpResponse(certificate_pdf_bytes(cert, request=request), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{cert.number}.pdf"'
    return response

