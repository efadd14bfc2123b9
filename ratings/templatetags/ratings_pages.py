"""Page-level tags for templates outside the ratings app (navigation)."""

from __future__ import annotations

from django import template

from settlements.permissions import is_assessor, is_official, is_secretary

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
