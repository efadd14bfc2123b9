from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from . import selectors
from .roles import is_assessor, is_official, is_secretary
from .selectors import settlements_visible_to


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its overview (issue 6): an official on their township's view (with
    the current round's work), assessors and secretaries on the county dashboard.

    URLs are named, not imported: settlements does not depend on ratings.
    """
    if is_official(request.user):
        return redirect("dashboard:township", request.user.township_id)
    if is_assessor(request.user) or is_secretary(request.user):
        return redirect("dashboard:county")
    return render(request, "home.html", {})


@login_required
def settlement_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    page = selectors.settlement_page(request.user, q=q, page=request.GET.get("page"))
    return render(request, "settlements/list.html", {"page": page, "q": q})


@login_required
def settlement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    settlement = get_object_or_404(settlements_visible_to(request.user), pk=pk)
    return render(request, "settlements/detail.html", {"settlement": settlement})
