"""The one navigation bar: which sections the signed-in user's roles open."""

from __future__ import annotations

from typing import Any

from django import template

from settlements.permissions import is_assessor, is_official, is_secretary

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_roles(context: template.Context) -> dict[str, Any]:
    """Role flags for the menu (one cached groups query per request, shared with the views)."""
    user = context.get("user")
    official = is_official(user)
    return {
        "official": official,
        "assessor": is_assessor(user),
        "secretary": is_secretary(user),
        "township_id": user.township_id if official and user is not None else None,
    }
