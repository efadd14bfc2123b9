"""The county and township dashboards (SPEC §5), scoped to the user, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from dashboards import rules as r
from dashboards.models import CountyRoundStat, RoundStat
from dashboards.panels import Panel, Scope, dashboard_panels
from ratings.models import Round
from settlements.models import Township
from settlements.permissions import sees_all_settlements

from .common import (
    TOWNSHIPS_PER_PAGE,
    Completeness,
    Pending,
    StarRow,
    Trend,
    _chart,
    _from_stats,
    _live_counts,
    _rounds_newest_first,
    _target,
    _townships_completeness,
    star_row,
)

# ========================================================================= dashboards


@dataclass
class TownshipLine:
    township: Township
    stars: StarRow
    completeness: Completeness


@dataclass
class Dashboard:
    township: Township | None
    target: r.TargetProgress
    latest_round: Round | None
    by_class: list[StarRow]
    trend: Trend
    current_round: Round | None
    pending: Pending
    completeness: Completeness
    panels: list[Panel]
    counted_at: dt.datetime | None = (
        None  # when the live counts (pending, completeness, target) were read
    )
    township_page: Page[Any] | None = None
    township_lines: list[TownshipLine] = field(default_factory=list)

    @property
    def latest_total(self) -> StarRow:
        totals: Counter[int] = Counter()
        for row in self.by_class:
            for star, n in zip(r.STAR_ORDER, row.counts, strict=True):
                totals[star] += n
        return star_row(_("合计"), totals)

    def charts(self) -> dict[str, Any]:
        out = {
            "by_class": _chart([row.label for row in self.by_class], self.by_class, stack=True),
            "trend": self.trend.chart(),
        }
        if self.township_lines:
            lines = [line.stars for line in self.township_lines]
            out["by_township"] = _chart([row.label for row in lines], lines, stack=True)
        return out


def county_dashboard(*, user: Any, today: dt.date, page: str | int | None = None) -> Dashboard:
    """The county overview for assessors and secretaries.

    Queries: rounds, county stats (all rounds), township count, township page,
    the page's township stats, target config; and, when this minute's live counts are not
    cached yet, settlement counts, assessment counts, overdue rectifications and the
    page's township completeness; plus each registered panel's own.
    """
    if not sees_all_settlements(user):
        raise PermissionDenied(_("只有县考评组和党组织书记可以查看全县看板。"))
    rounds = _rounds_newest_first()
    stats = CountyRoundStat.objects.values_list("round_id", "settlement_class", "stars", "count")
    latest, by_class, trend = _from_stats(list(stats), rounds)
    current = rounds[0] if rounds else None
    live = _live_counts(current, today, township_id=None)
    township_page = Paginator(Township.objects.order_by("code"), TOWNSHIPS_PER_PAGE).get_page(page)
    townships = list(township_page.object_list)
    ids = [t.pk for t in townships]
    stars: dict[int, Counter[int]] = defaultdict(Counter)
    if latest is not None and ids:
        for row in (
            RoundStat.objects.filter(round=latest, township_id__in=ids)
            .values("township_id", "stars")
            .annotate(n=Sum("count"))
            .order_by()
        ):
            stars[row["township_id"]][row["stars"]] = row["n"]
    done = _townships_completeness(current, ids) if current is not None and ids else {}
    lines = []
    for t in townships:
        url = reverse("dashboard:township", args=[t.pk])
        d = done.get(t.pk, {})
        lines.append(
            TownshipLine(
                township=t,
                stars=star_row(t.name, stars[t.pk], url),
                completeness=Completeness(
                    t.name, d.get("expected", 0), d.get("submitted", 0), d.get("on_time", 0), url
                ),
            )
        )
    return Dashboard(
        township=None,
        target=_target(today, live),
        latest_round=latest,
        by_class=by_class,
        trend=trend,
        current_round=current,
        pending=live.pending(),
        completeness=live.completeness(_("全县")),
        counted_at=live.counted_at,
        panels=dashboard_panels(
            Scope(user=user, township_id=None, year=_year_of(latest, today), today=today)
        ),
        township_page=township_page,
        township_lines=lines,
    )


def township_dashboard(*, user: Any, township: Township, today: dt.date) -> Dashboard:
    """One township's view; the caller fetched ``township`` through townships_visible_to.

    Queries: rounds, its stats (all rounds), target config; and, when this
    minute's live counts are not cached yet, its settlement counts, assessment counts and
    overdue rectifications; plus each registered panel's own.
    """
    rounds = _rounds_newest_first()
    stats = RoundStat.objects.filter(township=township).values_list(
        "round_id", "settlement_class", "stars", "count"
    )
    latest, by_class, trend = _from_stats(list(stats), rounds)
    current = rounds[0] if rounds else None
    live = _live_counts(current, today, township_id=township.pk)
    return Dashboard(
        township=township,
        target=_target(today, live),
        latest_round=latest,
        by_class=by_class,
        trend=trend,
        current_round=current,
        pending=live.pending(),
        completeness=live.completeness(township.name),
        counted_at=live.counted_at,
        panels=dashboard_panels(
            Scope(user=user, township_id=township.pk, year=_year_of(latest, today), today=today)
        ),
    )


def _year_of(rnd: Round | None, today: dt.date) -> int:
    return rnd.year if rnd is not None else today.year
