"""Punctuation in the reader's language.

Chinese text takes full-width marks (（）：，；), English the ASCII ones with their
spaces. A template that puts a mark between two translated pieces uses these tags, so
an English page never shows "（10 days left）" or "Rubric：". The marks are catalogue
entries like any other string.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def lparen() -> str:
    return _("（")


@register.simple_tag
def rparen() -> str:
    return _("）")


@register.simple_tag
def colon() -> str:
    return _("：")


@register.simple_tag
def comma() -> str:
    return _("，")


@register.simple_tag
def semicolon() -> str:
    return _("；")


@register.filter
def paren(value: object) -> str:
    """``value`` in brackets: "（3 天后截止）" / " (due in 3 days)"."""
    return _("（%(text)s）") % {"text": value}
