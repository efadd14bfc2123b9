"""The bell in the navigation bar: the signed-in user's unread count (one COUNT query)."""

from __future__ import annotations

from typing import Any

from django import template

from .. import rules, selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_badge(context: template.Context) -> dict[str, Any]:
    count = selectors.unread_count(context.get("user"))
    return {"count": count, "text": rules.badge(count)}
