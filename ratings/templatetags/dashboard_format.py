"""Formatting filters for the dashboards and reports.

Each filter wraps a plain function defined here (no database, no request), so the
formatting is tested with plain asserts and templates stay free of logic.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from ratings import dashboard_rules

register = template.Library()


def format_percent(value: Decimal | None) -> str:
    """A 0–1 share as a percentage with one place: 0.4012 → "40.1%"; None → "—"."""
    if value is None:
        return "—"
    return f"{dashboard_rules.percent(value):.1f}%"


def format_movement(value: int | None) -> str:
    """Places moved since the previous round: ↑3, ↓2, 持平; "新" when not ranked then."""
    if value is None:
        return _("新")
    if value > 0:
        return f"↑{value}"
    if value < 0:
        return f"↓{-value}"
    return _("持平")


def format_points(value: Decimal | None) -> str:
    """Points with a sign and two places (drift): +1.25, −0.50, 0.00."""
    if value is None:
        return "—"
    v = Decimal(value).quantize(Decimal("0.01"))
    if v > 0:
        return f"+{v:.2f}"
    if v < 0:
        return f"−{-v:.2f}"
    return f"{v:.2f}"


@register.filter
def percent(value: Decimal | None) -> str:
    return format_percent(value)


@register.filter
def movement(value: int | None) -> str:
    return format_movement(value)


@register.filter
def points(value: Decimal | None) -> str:
    return format_points(value)


@register.simple_tag
def township_options(townships: Iterable[Any], selected: int | None) -> str:
    """<option>s for a township filter in one pass: a county has up to 700 townships, and a
    template loop over them costs more than the rest of the league page."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((t.pk, " selected" if t.pk == selected else "", t.name) for t in townships),
    )
