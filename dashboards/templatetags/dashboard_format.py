"""Formatting filters for the dashboards and reports.

Each filter wraps a plain function defined here (no database, no request), so the
formatting is tested with plain asserts and templates stay free of logic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from dashboards import rules as dashboard_rules
from dashboards.selectors import star_headers
from ratings.templatetags.ratings_format import format_score, format_stars

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


# ------------------------------------------------------------------ table rows
# The dashboards' number grids and the league are hundreds of cells; built here with
# escaped f-strings they cost a fraction of a template loop. Every text is escaped;
# numbers are ints or go through the formatters above.


def township_options_html(townships: Iterable[tuple[int, str]], selected: int | None) -> str:
    return "".join(
        f'<option value="{pk}"{" selected" if pk == selected else ""}>{escape(name)}</option>'
        for pk, name in townships
    )


def _label(text: str, url: str = "") -> str:
    return f'<a href="{escape(url)}">{escape(text)}</a>' if url else escape(text)


def star_rows_html(
    rows: Sequence[Any], extras: Sequence[Sequence[tuple[str, int | str]]] | None = None
) -> str:
    """<tr>s of StarRows: label, one cell per star level, total, five-star share, then any
    ``extras[i]`` cells (label, number or text) for row i, e.g. completeness per township."""
    total_label, share_label = escape(_("合计")), escape(_("五星占比"))
    heads = [escape(h) for h in star_headers()]
    out = []
    for i, row in enumerate(rows):
        cells = "".join(
            f'<td data-label="{h}">{n:d}</td>' for h, n in zip(heads, row.counts, strict=True)
        )
        more = "".join(
            f'<td data-label="{escape(h)}">{escape(str(n))}</td>'
            for h, n in (extras[i] if extras else ())
        )
        out.append(
            f'<tr><th scope="row">{_label(row.label, row.url)}</th>{cells}'
            f'<td data-label="{total_label}">{row.total:d}</td>'
            f'<td data-label="{share_label}">{format_percent(row.five_share)}</td>{more}</tr>'
        )
    return "".join(out)


def league_rows_html(rows: Iterable[Any]) -> str:
    labels = [escape(_(x)) for x in ("名次", "聚居点", "乡镇", "得分", "星级", "升降")]
    # One reverse() for the page, not one per row: split the URL around a marker id.
    before, after = reverse("dashboard:settlement", args=[987654321]).split("987654321")
    out = []
    for row in rows:
        url = f"{before}{row.settlement_id:d}{after}"
        out.append(
            f'<tr><td data-label="{labels[0]}">{row.rank}</td>'
            f'<td data-label="{labels[1]}"><a href="{url}">{escape(row.name)}</a> '
            f'<small class="muted">{escape(row.code)}</small></td>'
            f'<td data-label="{labels[2]}">{escape(row.township)}</td>'
            f'<td data-label="{labels[3]}">{format_score(row.score)}</td>'
            f'<td data-label="{labels[4]}" class="stars">{escape(format_stars(row.stars) or _("未评星"))}</td>'
            f'<td data-label="{labels[5]}" class="move">{escape(format_movement(row.movement))}</td></tr>'
        )
    return "".join(out)


@register.simple_tag
def township_options(townships: Iterable[tuple[int, str]], selected: int | None) -> str:
    return mark_safe(township_options_html(townships, selected))  # noqa: S308 - every name escaped above


@register.simple_tag
def star_rows(rows: Sequence[Any]) -> str:
    return mark_safe(star_rows_html(rows))  # noqa: S308 - every text escaped above


@register.simple_tag
def township_rows(lines: Sequence[Any]) -> str:
    """The county dashboard's township table: star counts, then completeness of the current
    round (on time only once its deadline has passed: "—" before, as nothing is late yet)."""
    heads = (_("应报"), _("已报"), _("按时"))
    extras: list[list[tuple[str, int | str]]] = [
        list(
            zip(
                heads,
                (
                    x.completeness.expected,
                    x.completeness.submitted,
                    x.completeness.on_time if x.completeness.due else "—",
                ),
                strict=True,
            )
        )
        for x in lines
    ]
    return mark_safe(star_rows_html([x.stars for x in lines], extras))  # noqa: S308 - texts escaped above


@register.simple_tag
def league_rows(rows: Iterable[Any]) -> str:
    return mark_safe(league_rows_html(rows))  # noqa: S308 - every text escaped above
