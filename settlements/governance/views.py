"""Pages of settlement governance (SPEC §2, §8). Thin: parse, fetch scoped, call a service.

Every settlement comes through ``governance_settlement`` (another township's is a 404).
Pages with names, phones or ID numbers, and every write, also need
``sees_personal_data`` (the settlement's own township officials and secretaries); an
assessor gets the counts on the governance page and a 403 on those pages.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import tablib
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.imports.selectors import job_token
from core.imports.services import ImportRefused, import_job_create
from core.locking import EditConflict
from core.models import ImportJob
from core.spreadsheets import (
    XLSXExport,
)
from core.spreadsheets.forms import SpreadsheetUploadForm
from settlements.http import AuthenticatedHttpRequest

from .. import rules as settlement_rules
from ..models import CommitteeMember, HonourKind, Household, PointEntry, Settlement, TeamMember
from ..permissions import may_manage_residents
from ..selectors import townships_visible_to
from . import rules, services
from .forms import (
    CommitteeMemberForm,
    HonourPublishForm,
    HouseholdForm,
    OrganisationForm,
    PointEntryForm,
    ReverseForm,
    TeamMemberForm,
)
from .importers import HouseholdImporter, PointEntryImporter
from .resources import HouseholdResource, PointEntryResource
from .selectors import (
    committee_of,
    entry_of,
    governance_gap_report,
    governance_settlement,
    honour_list_of,
    honour_lists_of,
    honour_rows,
    household_entries,
    household_of,
    households_with_balance,
    organisation_gaps_for,
    organisation_of,
    period_earned,
    points_summary,
    sees_personal_data,
    team_by_role,
)


def _personal_settlement(request: HttpRequest, pk: int) -> Settlement:
    """404 for a settlement the user cannot see; 403 if they may see it but not its people."""
    settlement = governance_settlement(request.user, pk)
    if not sees_personal_data(request.user, settlement):
        raise PermissionDenied(_("只有本乡镇干部和党组织书记可以查看和修改居民个人信息。"))
    return settlement


def _form_errors(form: Any, exc: ValidationError) -> int:
    """Put a refusal on the form; the status to answer with (409 when someone saved first)."""
    # The errors themselves, not their text: each keeps its code (tests and pages read it).
    errors = (
        [ValidationError(m) for m in exc.messages] if hasattr(exc, "error_dict") else exc.error_list
    )
    for error in errors:
        form.add_error(None, error)
    return 409 if isinstance(exc, EditConflict) else 200


def _governance_url(settlement: Settlement) -> str:
    return reverse("settlements:governance", args=[settlement.pk])


# ------------------------------------------------------------------ organisation


@login_required
def governance(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    settlement = governance_settlement(request.user, pk)
    personal = sees_personal_data(request.user, settlement)
    context = {
        "settlement": settlement,
        "personal": personal,
        "gaps": organisation_gaps_for(settlement),
        "organisation": organisation_of(settlement),
        "committee": committee_of(settlement),
        "team": team_by_role(settlement),
        "summary": points_summary(settlement),
        "required_party": _required_party_label(settlement),
        "required_self": _required_self_label(settlement),
    }
    return render(request, "settlements/governance/detail.html", context)


def _required_party_label(settlement: Settlement) -> str:
    return {
        settlement_rules.FORM_BRANCH: _("党支部"),
        settlement_rules.FORM_JOINT_OR_GROUP: _("联合党组织或党小组"),
        settlement_rules.FORM_STATION: _("党员先锋服务站（选派党员）"),
    }[settlement.required_party_form]


def _required_self_label(settlement: Settlement) -> str:
    return {
        settlement_rules.SELF_COMMITTEE: _("自主管理委员会"),
        settlement_rules.SELF_EXECUTOR: _("自主管理执行人"),
    }[settlement.required_self_management]


@login_required
def organisation_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    settlement = _personal_settlement(request, pk)
    organisation = organisation_of(settlement)
    initial = {
        "party_org": settlement.party_org,
        "self_management": settlement.self_management,
        "settlement_version": settlement.version,
    }
    form = OrganisationForm(request.POST or None, instance=organisation, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.settlement_organisation_update(
                    settlement=settlement,
                    by=request.user,
                    expected_version=data.pop("version"),
                    expected_settlement_version=data.pop("settlement_version"),
                    **data,
                )
            except ValidationError as exc:
                status = _form_errors(form, exc)
            else:
                messages.success(request, _("组织信息已保存。"))
                return redirect(_governance_url(settlement))
    return render(
        request,
        "settlements/governance/form.html",
        {
            "settlement": settlement,
            "form": form,
            "title": _("编辑党组织和自治组织"),
        },
        status=status,
    )


def _member_form_view(
    request: HttpRequest,
    pk: int,
    *,
    model: type,
    form_class: type,
    member_pk: int | None,
    add: Any,
    update: Any,
    title: str,
) -> HttpResponse:
    settlement = _personal_settlement(request, pk)
    member = get_object_or_404(model, pk=member_pk, settlement=settlement) if member_pk else None
    form = form_class(request.POST or None, instance=member)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if member is None:
                    add(settlement=settlement, by=request.user, **data)
                else:
                    update(
                        member=member, by=request.user, expected_version=data.pop("version"), **data
                    )
            except ValidationError as exc:
                status = _form_errors(form, exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect(_governance_url(settlement))
    context = {"settlement": settlement, "form": form, "title": title}
    return render(request, "settlements/governance/form.html", context, status=status)


@login_required
def committee_member_form(
    request: AuthenticatedHttpRequest, pk: int, member_pk: int | None = None
) -> HttpResponse:
    return _member_form_view(
        request,
        pk,
        model=CommitteeMember,
        form_class=CommitteeMemberForm,
        member_pk=member_pk,
        add=services.committee_member_add,
        update=services.committee_member_update,
        title=_("自主管理委员会成员"),
    )


@login_required
def team_member_form(
    request: AuthenticatedHttpRequest, pk: int, member_pk: int | None = None
) -> HttpResponse:
    return _member_form_view(
        request,
        pk,
        model=TeamMember,
        form_class=TeamMemberForm,
        member_pk=member_pk,
        add=services.team_member_add,
        update=services.team_member_update,
        title=_("“5员1长”队伍成员"),
    )


@login_required
@require_POST
def committee_member_remove(
    request: AuthenticatedHttpRequest, pk: int, member_pk: int
) -> HttpResponse:
    settlement = _personal_settlement(request, pk)
    member = get_object_or_404(CommitteeMember, pk=member_pk, settlement=settlement)
    services.committee_member_remove(member=member, by=request.user)
    messages.success(request, _("已移除 %(name)s。") % {"name": member.name})
    return redirect(_governance_url(settlement))


@login_required
@require_POST
def team_member_remove(request: AuthenticatedHttpRequest, pk: int, member_pk: int) -> HttpResponse:
    settlement = _personal_settlement(request, pk)
    member = get_object_or_404(TeamMember, pk=member_pk, settlement=settlement)
    services.team_member_remove(member=member, by=request.user)
    messages.success(request, _("已移除 %(name)s。") % {"name": member.name})
    return redirect(_governance_url(settlement))


@login_required
def gap_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every settlement short of SPEC §2, county-wide for assessors and secretaries."""
    townships = list(townships_visible_to(request.user).order_by("code"))
    township_id: int | None = None
    raw = request.GET.get("township", "")
    if raw:
        if not raw.isdigit() or int(raw) not in {t.pk for t in townships}:
            raise Http404(_("没有这个乡镇。"))
        township_id = int(raw)
    report = governance_gap_report(
        request.user, township_id=township_id, page=request.GET.get("page")
    )
    return render(
        request,
        "settlements/governance/gaps.html",
        {
            "report": report,
            "page": report.page,
            "townships": townships,
            "township_id": township_id,
        },
    )


# ------------------------------------------------------------------ households and points


@login_required
def household_list(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    settlement = _personal_settlement(request, pk)
    q = request.GET.get("q", "").strip()
    page = Paginator(households_with_balance(settlement, q=q), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "settlements/governance/households.html",
        {"settlement": settlement, "page": page, "q": q},
    )


@login_required
def household_form(
    request: AuthenticatedHttpRequest, pk: int, household_pk: int | None = None
) -> HttpResponse:
    settlement = _personal_settlement(request, pk)
    household = (
        get_object_or_404(Household, pk=household_pk, settlement=settlement)
        if household_pk
        else None
    )
    form = HouseholdForm(request.POST or None, instance=household)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if household is None:
                    household = services.household_add(
                        settlement=settlement, by=request.user, **data
                    )
                else:
                    services.household_update(
                        household=household,
                        by=request.user,
                        expected_version=data.pop("version"),
                        **data,
                    )
            except ValidationError as exc:
                status = _form_errors(form, exc)
            else:
                messages.success(request, _("居民户已保存。"))
                return redirect("settlements:household", settlement.pk, household.pk)
    title = _("编辑居民户") if household else _("登记居民户")
    context = {"settlement": settlement, "form": form, "title": title}
    return render(request, "settlements/governance/form.html", context, status=status)


def _household_page(
    request: HttpRequest,
    settlement: Settlement,
    household: Household,
    *,
    entry_form: PointEntryForm | None = None,
    reverse_form: ReverseForm | None = None,
    reverse_pk: int | None = None,
    status: int = 200,
) -> HttpResponse:
    entries = list(household_entries(household))
    return render(
        request,
        "settlements/governance/household.html",
        {
            "settlement": settlement,
            "household": household,
            "entries": entries,
            "entry_form": entry_form or PointEntryForm(),
            "reverse_form": reverse_form,
            "reverse_pk": reverse_pk,
        },
        status=status,
    )


@login_required
def household_detail(request: AuthenticatedHttpRequest, pk: int, household_pk: int) -> HttpResponse:
    settlement = _personal_settlement(request, pk)
    return _household_page(request, settlement, household_of(settlement, household_pk))


@login_required
@require_POST
def point_entry_add(request: AuthenticatedHttpRequest, pk: int, household_pk: int) -> HttpResponse:
    settlement = _personal_settlement(request, pk)
    household = household_of(settlement, household_pk)
    form = PointEntryForm(request.POST)
    if form.is_valid():
        try:
            services.point_entry_record(household=household, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("积分已记录。"))
            return redirect("settlements:household", settlement.pk, household.pk)
    return _household_page(request, settlement, household, entry_form=form, status=400)


@login_required
@require_POST
def point_entry_reverse(request: AuthenticatedHttpRequest, pk: int, entry_pk: int) -> HttpResponse:
    settlement = _personal_settlement(request, pk)
    entry = entry_of(settlement, entry_pk)
    form = ReverseForm(request.POST)
    if form.is_valid():
        try:
            services.point_entry_reverse(
                entry=entry, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已冲正。"))
            return redirect("settlements:household", settlement.pk, entry.household_id)
    household = household_of(settlement, entry.household_id)
    return _household_page(
        request, settlement, household, reverse_form=form, reverse_pk=entry.pk, status=400
    )


def _xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@login_required
def households_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    settlement = _personal_settlement(request, pk)
    queryset = households_with_balance(settlement).select_related("settlement")
    dataset = HouseholdResource(user=request.user).export(queryset=queryset, force_native_type=True)
    dataset.title = _("居民户积分")
    return _xlsx_response(XLSXExport().export_data(dataset), f"{settlement.code}-居民户积分.xlsx")


@login_required
def entries_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    settlement = _personal_settlement(request, pk)
    queryset = (
        PointEntry.objects.filter(household__settlement=settlement)
        .select_related("household__settlement", "category", "recorded_by")
        .order_by("occurred_on", "pk")
    )
    dataset = PointEntryResource(user=request.user).export(
        queryset=queryset, force_native_type=True
    )
    dataset.title = _("积分记录")
    return _xlsx_response(XLSXExport().export_data(dataset), f"{settlement.code}-积分记录.xlsx")


# ------------------------------------------------------------------ red/black lists


@login_required
def honour_lists(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    settlement = _personal_settlement(request, pk)
    preview = None
    if request.method == "POST":
        form = HonourPublishForm(request.POST)
        if form.is_valid():
            try:
                published = services.honour_list_publish(
                    settlement=settlement, by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("红黑榜已发布，发布后不再变动。"))
                return redirect("settlements:honour_list", settlement.pk, published.pk)
    elif "period_start" in request.GET:
        form = HonourPublishForm(request.GET)
        if form.is_valid():
            preview = _preview(settlement, form.cleaned_data)
    else:
        form = HonourPublishForm()
    return render(
        request,
        "settlements/governance/honour_lists.html",
        {
            "settlement": settlement,
            "form": form,
            "preview": preview,
            "lists": honour_lists_of(settlement),
        },
    )


def _preview(settlement: Settlement, data: dict[str, Any]) -> dict[str, Any]:
    ranking = rules.honour_ranking(
        period_earned(settlement, data["period_start"], data["period_end"]), data["size"]
    )
    names = dict(
        Household.objects.filter(pk__in=[r.key for r in ranking.red + ranking.black]).values_list(
            "pk", "head_name"
        )
    )
    return {
        "red": [(r.rank, names[r.key], r.points) for r in ranking.red],
        "black": [(r.rank, names[r.key], r.points) for r in ranking.black],
    }


@login_required
def honour_list_detail(request: AuthenticatedHttpRequest, pk: int, list_pk: int) -> HttpResponse:
    settlement = _personal_settlement(request, pk)
    honour_list = honour_list_of(settlement, list_pk)
    red, black = honour_rows(honour_list)
    return render(
        request,
        "settlements/governance/honour_list.html",
        {
            "settlement": settlement,
            "honour_list": honour_list,
            "red": red,
            "black": black,
        },
    )


@login_required
def honour_list_export(request: AuthenticatedHttpRequest, pk: int, list_pk: int) -> HttpResponse:
    settlement = _personal_settlement(request, pk)
    honour_list = honour_list_of(settlement, list_pk)
    red, black = honour_rows(honour_list)
    dataset = tablib.Dataset(
        headers=[_("榜别"), _("名次"), _("户主姓名"), _("身份证号"), _("期间积分")]
    )
    dataset.title = _("红黑榜")
    for row in red + black:
        dataset.append(
            [
                str(HonourKind(row.kind).label),
                row.rank,
                row.head_name,
                rules.mask_id_number(row.household.id_number),
                row.points,
            ]
        )
    name = f"{settlement.code}-红黑榜-{honour_list.period_start:%Y%m%d}-{honour_list.period_end:%Y%m%d}.xlsx"
    return _xlsx_response(XLSXExport().export_data(dataset), name)


# ------------------------------------------------------------------ imports

IMPORTS = {
    "households": (HouseholdImporter, gettext_lazy("导入居民户")),
    "points": (PointEntryImporter, gettext_lazy("导入积分记录")),
}


@login_required
def spreadsheet_import(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    """Upload → a background job checks the file (its page shows progress and the
    preview) → confirm on the job's page writes all rows or none (core.imports)."""
    if kind not in IMPORTS:
        raise Http404
    if not may_manage_residents(request.user):
        raise PermissionDenied(_("只有乡镇干部和党组织书记可以导入居民数据。"))
    importer, title = IMPORTS[kind]
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = import_job_create(
                kind=importer.kind, upload=form.cleaned_data["file"], by=request.user
            )
        except ImportRefused as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("imports:job", token=job_token(job))
    recent = ImportJob.objects.filter(kind=importer.kind, created_by=request.user)[:5]
    context = {
        "title": title,
        "kind": kind,
        "columns": importer.required_columns,
        "form": form,
        "recent_jobs": [(job, job_token(job)) for job in recent],
    }
    return render(request, "settlements/governance/import.html", context)
