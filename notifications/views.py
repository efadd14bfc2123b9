"""The inbox: the signed-in user's own notifications, newest first; mark one or all read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from settlements.http import AuthenticatedHttpRequest

from . import messages, selectors, services
from .models import Notification

PAGE_SIZE = 30


@login_required
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = selectors.notifications_of(request.user)
    only_unread = request.GET.get("unread") == "1"
    if only_unread:
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    items = [(row, messages.title(row.kind), messages.text(row.kind, row.params)) for row in page]
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "items": items, "only_unread": only_unread},
    )


@login_required
@require_POST
def mark_read(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Mark read; with ``open`` go on to what the message is about."""
    try:
        row = services.notification_mark_read(notification_id=pk, by=request.user)
    except Notification.DoesNotExist:
        raise Http404 from None
    if (
        request.POST.get("open")
        and row.link
        and url_has_allowed_host_and_scheme(row.link, allowed_hosts=None)
    ):
        return HttpResponseRedirect(row.link)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(by=request.user)
    return HttpResponseRedirect(reverse("notifications:inbox"))
