"""Formatting filters for the workflow pages.

Each filter wraps a plain function defined here (no database, no request), so the
formatting is tested with plain asserts and templates stay free of logic.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ratings import rules

register = template.Library()


def format_score(value: Decimal | int | str | None) -> str:
    """A score with exactly one decimal place; "—" when there is none yet."""
    if value is None or value == "":
        return "—"
    return f"{rules.quantize_score(Decimal(value)):.1f}"


def format_stars(stars: int | None) -> str:
    """3 → "★★★"; 0 or None → "" (the template says 未评星)."""
    return "★" * int(stars or 0)


def days_between(deadline: dt.date, today: dt.date) -> int:
    """Whole days from today until the deadline (0 on the day, negative once past)."""
    return (deadline - today).days


def format_signed(value: Decimal | None) -> str:
    """A difference with its sign: +2.0, −3.0, 0.0 (minus sign, not hyphen)."""
    if value is None:
        return "—"
    v = rules.quantize_score(Decimal(value))
    if v > 0:
        return f"+{v:.1f}"
    if v < 0:
        return f"−{-v:.1f}"
    return f"{v:.1f}"


@register.filter
def score(value: Decimal | None) -> str:
    return format_score(value)


@register.filter
def stars(value: int | None) -> str:
    text = format_stars(value)
    return text or _("未评星")


@register.filter
def star_label(value: int | None) -> str:
    """ "五星"-style label used on certificates and choices."""
    labels = {3: _("三星"), 4: _("四星"), 5: _("五星")}
    return labels.get(int(value or 0), _("无星级"))


@register.filter
def signed(value: Decimal | None) -> str:
    return format_signed(value)


@register.filter
def days_left(deadline: dt.date | None) -> str:
    if deadline is None:
        return "—"
    days = days_between(deadline, timezone.localdate())
    if days < 0:
        return _("已截止")
    if days == 0:
        return _("今天截止")
    return ngettext("还剩 %(n)d 天", "还剩 %(n)d 天", days) % {"n": days}


@register.filter
def get_item(mapping: dict, key: object) -> object:
    """dict lookup by a variable key (``rows|get_item:item.pk``)."""
    if mapping is None:
        return None
    return mapping.get(key)


@register.filter
def shown(obj: object, field: str) -> str:
    """A system-written reason in the reader's language; a person's text as written."""
    from ratings import reasons

    return reasons.shown(obj, field)
