"""Money filters for the reward pages; each wraps a plain function tested with plain asserts."""

from __future__ import annotations

from decimal import Decimal

from django import template

from rewards import rules

register = template.Library()


def format_yuan(value: Decimal | None) -> str:
    """Yuan with thousands separators and two places: 12000.5 → "12,000.50"; None → "—"."""
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}"


@register.filter(name="yuan")
def yuan(value: Decimal | None) -> str:
    return format_yuan(value)


@register.filter(name="capitals")
def capitals(value: Decimal) -> str:
    """The amount in financial capitals (大写), as on a voucher."""
    return rules.amount_in_chinese_capitals(value)
