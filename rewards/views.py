"""Reward pages: township officials read their own settlements' rewards; secretaries read
everything, print vouchers and export the ledger. Assessors see no money (403) unless
they are secretaries too. Writes (approve, mark paid) live in the admin, through services.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from settlements.http import AuthenticatedHttpRequest
from settlements.selectors import settlements_visible_to

from . import exports, selectors
from .forms import LedgerExportForm, LedgerFilterForm
from .models import Disbursement
from .permissions import may_manage_money, may_see_money

PAGE_SIZE = 50


def _require_money_viewer(user: Any) -> None:
    if not may_see_money(user):
        raise PermissionDenied


def _require_secretary(user: Any) -> None:
    if not may_manage_money(user):
        raise PermissionDenied


@login_required
def reward_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_money_viewer(request.user)
    visible = selectors.disbursements_visible_to(request.user)
    form = LedgerFilterForm(request.GET or None)
    context: dict[str, Any] = {
        "form": form,
        "page": None,
        "may_manage_money": may_manage_money(request.user),
    }
    if form.is_bound and not form.is_valid():
        return render(request, "rewards/list.html", context, status=400)
    years = selectors.years_with_data(visible)
    filters = form.cleaned_data if form.is_bound else {}
    year = filters.get("year") or (years[0] if years else timezone.localdate().year)
    rows = visible.filter(year=year)
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    page = Paginator(
        rows.order_by("settlement__village__township__code", "settlement__code", "pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    context.update(
        years=years,
        year=year,
        status=filters.get("status", ""),
        page=page,
        totals=selectors.totals(rows),
        budget=selectors.budget_figures(year=year) if context["may_manage_money"] else None,
        amounts_missing=selectors.amounts_missing(year=year),
    )
    return render(request, "rewards/list.html", context)


@login_required
def settlement_rewards(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_money_viewer(request.user)
    settlement = get_object_or_404(settlements_visible_to(request.user), pk=pk)
    rows = list(
        selectors.disbursements_visible_to(request.user)
        .filter(settlement=settlement)
        .order_by("-year", "pk")
    )
    years: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = years.setdefault(row.year, {"year": row.year, "rows": [], "total": 0})
        entry["rows"].append(row)
        entry["total"] += row.amount
    return render(
        request,
        "rewards/settlement.html",
        {
            "settlement": settlement,
            "years": list(years.values()),
            "may_manage_money": may_manage_money(request.user),
        },
    )


def _voucher_rows(user: Any, ids: list[int]) -> list[Disbursement]:
    rows = list(
        selectors.disbursements_visible_to(user)
        .select_related("approved_by", "paid_by")
        .filter(pk__in=ids)
        .order_by("settlement__village__township__code", "settlement__code", "pk")
    )
    if not rows or len(rows) != len(set(ids)):
        raise Http404
    return rows


@login_required
def voucher(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_secretary(request.user)
    rows = _voucher_rows(request.user, [pk])
    return render(request, "rewards/voucher.html", {"rows": rows, "total": rows[0].amount})


@login_required
def vouchers(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A batch of vouchers, one per page when printed: ?id=1&id=2…"""
    _require_secretary(request.user)
    try:
        ids = [int(value) for value in request.GET.getlist("id")]
    except ValueError as exc:
        raise Http404 from exc
    rows = _voucher_rows(request.user, ids)
    return render(
        request, "rewards/voucher.html", {"rows": rows, "total": sum(r.amount for r in rows)}
    )


@login_required
def ledger_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The year's ledger as xlsx for the finance office."""
    _require_secretary(request.user)
    form = LedgerExportForm(request.GET)
    if not form.is_valid():
        return HttpResponse(
            " ".join(map(str, form.errors.get("year", []))),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    year = form.cleaned_data["year"]
    rows = exports.ledger_rows(selectors.disbursements_visible_to(request.user).filter(year=year))
    response = HttpResponse(exports.ledger_workbook(rows), content_type=exports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="rewards-ledger-{year}.xlsx"'
    return response
