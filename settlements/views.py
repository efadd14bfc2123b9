from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors


@login_required
def settlement_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    page = selectors.settlement_page(request.user, q=q, page=request.GET.get("page"))
    return render(request, "settlements/list.html", {"page": page, "q": q})
