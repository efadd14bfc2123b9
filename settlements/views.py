from functools import partial

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core import lists

from . import selectors
from .forms import SettlementFilterForm
from .roles import sees_all_settlements


@login_required
def settlement_list(request: HttpRequest) -> HttpResponse:
    county = sees_all_settlements(request.user)
    filters = SettlementFilterForm(
        request.GET or None,
        townships=selectors.townships_visible_to(request.user) if county else None,
        options=partial(selectors.township_options, request.user) if county else None,
    )
    wanted = filters.selector_filters()
    if lists.wants_xlsx(request):
        found = selectors.settlements_filtered(request.user, **wanted)[: lists.EXPORT_MAX]
        return lists.xlsx_response(
            filename=_("聚居点"),
            title=_("聚居点"),
            headers=[
                _("代码"),
                _("名称"),
                _("乡镇"),
                _("村"),
                _("类别"),
                _("户数"),
                _("人口数"),
                _("当前星级"),
            ],
            rows=(
                [
                    s.code,
                    s.name,
                    s.village.township.name,
                    s.village.name,
                    s.class_label,
                    s.households,
                    s.residents,
                    s.current_star,
                ]
                for s in found
            ),
        )
    per_page = lists.PRINT_MAX if lists.wants_print(request) else selectors.SETTLEMENTS_PER_PAGE
    page = selectors.settlement_page(
        request.user,
        page=1 if lists.wants_print(request) else request.GET.get("page"),
        per_page=per_page,
        **wanted,
    )
    return render(
        request,
        "settlements/list.html",
        {
            "page": page,
            "q": wanted["q"],
            "filters": filters,
            "query": lists.list_query(request),
            "printing": lists.wants_print(request),
        },
    )
