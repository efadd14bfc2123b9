"""The county's list of field photos whose time, place or originality needs a second look."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ratings import selectors
from ratings.models import EvidenceFlag
from settlements.roles import sees_all_settlements

PAGE_SIZE = 50


@login_required
def evidence_flagged(request: HttpRequest) -> HttpResponse:
    if not sees_all_settlements(request.user):
        raise PermissionDenied(_("只有县考评组和管理员可以查看需核查的照片。"))
    flag = request.GET.get("flag") or ""
    if flag not in EvidenceFlag.values:
        flag = ""
    qs = selectors.flagged_evidence_visible_to(request.user, flag=flag or None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "ratings/evidence_flagged.html",
        {
            "page": page,
            "flag": flag,
            "flags": EvidenceFlag.choices,
            "query": f"flag={flag}" if flag else "",
        },
    )
