"""Dashboard and report pages, the landing page and the settlement page: parse the query
string, read through a scoped selector, render.

Login-protected except the honour roll (public, no personal data) and the health check.
Another township's page is a 404; county-only pages are a 403 for officials.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import tablib
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import lists
from core.spreadsheets import neutralise_dataset
from settlements.http import AuthenticatedHttpRequest
from settlements.models import SettlementClass
from settlements.permissions import is_county, is_official, sees_all_settlements
from settlements.selectors import settlements_visible_to, townships_visible_to

from . import selectors as dashboard
from . import versions
from .forms import HonourFilter, LeagueFilter, TownshipFilter, YearFilter, errors_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _invalid(request: HttpRequest, form: forms.Form) -> HttpResponse:
    return render(request, "dashboards/invalid.html", {"message": errors_text(form)}, status=400)


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The floor the benchmark compares pages with: no session, no database."""
    return HttpResponse("ok", content_type="text/plain")


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each role lands on its overview (issue 6): an official on their township's view (with
    the current round's work), assessors and secretaries on the county dashboard.
    """
    if is_official(request.user):
        return redirect("dashboard:township", request.user.township_id)
    if is_county(request.user):
        return redirect("dashboard:county")
    return render(request, "dashboards/home.html", {})


@login_required
def settlement_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The settlement's facts and its rating story (history read here, not in the template)."""
    place = get_object_or_404(settlements_visible_to(request.user), pk=pk)
    history = dashboard.settlement_history(user=request.user, settlement=place)
    return render(
        request, "dashboards/settlement_detail.html", {"settlement": place, "history": history}
    )


@login_required
@require_GET
def county(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not sees_all_settlements(request.user):
        if is_official(request.user):
            return redirect("dashboard:township", request.user.township_id)
        raise PermissionDenied(_("只有县考评组和党组织书记可以查看全县看板。"))
    today, page = timezone.localdate(), request.GET.get("page")
    vary, top_cached = _fragment_vary("county", page, today)
    vary_bottom, bottom_cached = _fragment_vary("county-bottom", page, today)
    data: Any
    if top_cached and bottom_cached:
        # Both rendered parts are cached under the stats version: only the panels are read
        # (the data stays lazy, read only should a part drop out of the cache meanwhile).
        data = SimpleLazyObject(
            lambda: dashboard.county_dashboard(user=request.user, today=today, page=page)
        )
        panels = dashboard.county_panels(user=request.user, today=today)
    else:
        data = dashboard.county_dashboard(user=request.user, today=today, page=page)
        panels = data.panels
    return render(
        request,
        "dashboards/county.html",
        {
            "d": data,
            "panels": panels,
            "headers": dashboard.star_headers(),
            "fragment_vary": vary,
            "fragment_vary_bottom": vary_bottom,
        },
    )


def _fragment_vary(*parts: object) -> tuple[str, bool]:
    """The vary-on value of a cached part ({% cache 600 dashboard fragment_vary %}) and
    whether it is cached now. Keyed by the stats version (bumped on commit of what the
    parts show), the language and the page's own parameters (the viewer's scope included
    by the caller where the page depends on it)."""
    vary = ":".join(str(p) for p in (versions.stats_version(), translation.get_language(), *parts))
    return vary, make_template_fragment_key("dashboard", [vary]) in cache


def _scope(user: Any) -> str:
    """What a user may see, as a cache key part: the county, one township, or nothing."""
    if sees_all_settlements(user):
        return "county"
    if is_official(user):
        return f"township{user.township_id}"
    return "none"


@login_required
@require_GET
def township(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    place = get_object_or_404(townships_visible_to(request.user), pk=pk)
    data = dashboard.township_dashboard(
        user=request.user, township=place, today=timezone.localdate()
    )
    return render(
        request, "dashboards/township.html", {"d": data, "headers": dashboard.star_headers()}
    )


@login_required
@require_GET
def league(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = LeagueFilter(request.GET)
    if not form.is_valid():
        return _invalid(request, form)
    f = form.cleaned_data
    options = {
        "user": request.user,
        "round_id": f["round"],
        "settlement_class": f["klass"],
        "township_id": f["township"],
        "after": f["after"],
    }
    # Export and print take the whole (filtered, scoped) table from the top, not a page.
    if lists.wants_xlsx(request) or lists.wants_print(request):
        options["after"] = None
        options["size"] = lists.EXPORT_MAX if lists.wants_xlsx(request) else lists.PRINT_MAX
    printing = lists.wants_print(request)
    vary, cached = _fragment_vary(
        "league", _scope(request.user), f["round"], f["klass"], f["township"], f["after"], printing
    )
    table: Any
    if cached and not lists.wants_xlsx(request):
        # The rendered table is in the cache: read nothing unless the template asks.
        table = SimpleLazyObject(lambda: dashboard.league_table(**options))
    else:
        try:
            # Only reads: the table is ranked by a task queued when the ratings change.
            table = dashboard.league_table(**options)
        except LookupError:
            raise Http404(_("没有这个轮次或乡镇。")) from None
    if lists.wants_xlsx(request):
        return lists.xlsx_response(
            filename=_("同档比拼"),
            title=str(table.round or _("同档比拼")),
            headers=[
                _("名次"),
                _("代码"),
                _("聚居点"),
                _("乡镇"),
                _("得分"),
                _("星级"),
                _("上轮名次"),
                _("升降"),
            ],
            rows=(
                [
                    row.rank,
                    row.code,
                    row.name,
                    row.township,
                    row.score,
                    row.stars,
                    row.previous_rank,
                    row.movement,
                ]
                for row in table.rows
            ),
        )

    def query() -> str:
        return urlencode(
            {
                "round": table.round.pk if table.round else "",
                "klass": table.settlement_class,
                "township": table.township_id or "",
            }
        )

    return render(
        request,
        "dashboards/league.html",
        {
            "league": table,
            "classes": SettlementClass.choices,
            "query": SimpleLazyObject(query),
            "printing": printing,
            "fragment_vary": vary,
        },
    )


@login_required
@require_GET
def settlement(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    place = get_object_or_404(settlements_visible_to(request.user), pk=pk)
    charts = dashboard.settlement_charts(settlement=place)
    return render(request, "dashboards/settlement.html", {"settlement": place, "charts": charts})


def _year(request: HttpRequest) -> tuple[YearFilter, int | None, list[int]]:
    form = YearFilter(request.GET)
    years = dashboard.summary_years(timezone.localdate())
    if not form.is_valid():
        return form, None, years
    return form, form.cleaned_data["year"] or years[0], years


@login_required
@require_GET
def summary(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The county's list of township summaries for a year, a page of townships at a time."""
    if not sees_all_settlements(request.user):
        if is_official(request.user):
            return redirect("dashboard:township_summary", request.user.township_id)
        raise PermissionDenied(_("没有可查看的乡镇。"))
    form, year, years = _year(request)
    if year is None:
        return _invalid(request, form)
    paginator = Paginator(
        townships_visible_to(request.user).order_by("code"), dashboard.TOWNSHIPS_PER_PAGE
    )
    page = paginator.get_page(request.GET.get("page"))
    table = dashboard.township_summaries(
        user=request.user,
        townships=list(page.object_list),
        year=year,
        years=years,
        today=timezone.localdate(),
    )
    return render(request, "dashboards/summary.html", {"table": table, "page": page})


@login_required
@require_GET
def township_summary(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    place = get_object_or_404(townships_visible_to(request.user), pk=pk)
    form, year, years = _year(request)
    if year is None:
        return _invalid(request, form)
    table = dashboard.township_summaries(
        user=request.user, townships=[place], year=year, years=years, today=timezone.localdate()
    )
    template = (
        "dashboards/summary_print.html"
        if request.GET.get("print")
        else "dashboards/township_summary.html"
    )
    return render(request, template, {"table": table, "row": table.rows[0], "township": place})


@login_required
@require_GET
def summary_xlsx(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Every township the user may see, one row each, for the year: numbers stay numbers."""
    form, year, years = _year(request)
    if year is None:
        return _invalid(request, form)
    townships = list(townships_visible_to(request.user).order_by("code"))
    if not townships:
        raise PermissionDenied(_("没有可查看的乡镇。"))
    table = dashboard.township_summaries(
        user=request.user, townships=townships, year=year, years=years, today=timezone.localdate()
    )
    sheet = tablib.Dataset(*table.spreadsheet_rows(), headers=table.headers(), title=f"{year}")
    response = HttpResponse(neutralise_dataset(sheet).export("xlsx"), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="township-summary-{year}.xlsx"'
    return response


@login_required
@require_GET
def model_villages(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = TownshipFilter(request.GET)
    if not form.is_valid():
        return _invalid(request, form)
    township_id = form.cleaned_data["township"]
    if township_id is not None:
        get_object_or_404(townships_visible_to(request.user), pk=township_id)
    page = dashboard.model_villages(
        user=request.user, township_id=township_id, page=request.GET.get("page")
    )
    return render(
        request, "dashboards/model_villages.html", {"page": page, "township_id": township_id}
    )


@login_required
@require_GET
def drift(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, year, years = _year(request)
    if year is None:
        return _invalid(request, form)
    chosen = form.cleaned_data["year"]
    lines = dashboard.assessor_drift(user=request.user, year=chosen)
    return render(
        request, "dashboards/drift.html", {"lines": lines, "year": chosen, "years": years}
    )


@require_GET
def honour_roll(request: HttpRequest) -> HttpResponse:
    """Public: star settlements by class with their certificate numbers; no personal data."""
    form = HonourFilter(request.GET)
    if not form.is_valid():
        return _invalid(request, form)
    roll = dashboard.honour_roll(
        settlement_class=form.cleaned_data["klass"], after=form.cleaned_data["after"]
    )
    return render(request, "dashboards/honour.html", {"roll": roll})
