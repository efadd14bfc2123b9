"""Page-level tags for templates outside the ratings app (navigation, the settlement page).

settlements never imports ratings (dependencies point one way), so the settlement page
loads this library to show the rating history. Every read goes through the ratings
selectors, scoped to the user, on a settlement the view already fetched through
settlements_visible_to.
"""

from __future__ import annotations

from typing import Any

from django import template

from ratings import dashboard, selectors
from ratings.models import StarChange
from settlements.roles import is_assessor, is_official, is_secretary

register = template.Library()


@register.simple_tag(takes_context=True)
def workflow_roles(context: template.Context) -> dict[str, bool]:
    """Which workflow links the signed-in user gets (one cached groups query per request)."""
    user = context.get("user")
    return {
        "official": is_official(user),
        "assessor": is_assessor(user),
        "secretary": is_secretary(user),
    }


@register.simple_tag(takes_context=True)
def settlement_history(context: template.Context, settlement: Any) -> dict[str, Any]:
    """The settlement's rating story: every star change, ratings, rectifications, latest self vs county."""
    user = context["request"].user
    latest = (
        selectors.self_assessments_visible_to(user)
        .filter(settlement=settlement)
        .select_related("round", "review")
        .order_by("-round__year", "-round__quarter")
        .first()
    )
    return {
        "changes": list(
            StarChange.objects.filter(settlement=settlement)
            .select_related("by", "rating__round")
            .order_by("-at", "-pk")
        ),
        "ratings": list(
            selectors.ratings_visible_to(user)
            .filter(settlement=settlement)
            .select_related("round")
            .order_by("-round__year", "-round__quarter")
        ),
        "rectifications": list(
            selectors.rectifications_visible_to(user)
            .filter(settlement=settlement)
            .select_related("rating__round")
            .order_by("-created_at", "-pk")
        ),
        "certificates": list(
            selectors.certificates_visible_to(user).filter(settlement=settlement).order_by("-year")
        ),
        "latest": latest,
        "latest_review": getattr(latest, "review", None) if latest else None,
        # Score and star over time, points per area: the settlement was fetched through
        # settlements_visible_to by the view, so the charts need no scoping of their own.
        "charts": dashboard.settlement_charts(settlement=settlement),
    }
