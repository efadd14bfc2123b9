"""The county and township dashboards (SPEC §5), scoped to the user, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.urls import reverse
from django.utils.translation import gettext as _

from dashboards import rules as r
from dashboards.models import CountyRoundStat, LiveCount, RoundStat
from dashboards.panels import Panel, Scope, any_panel_shown, dashboard_panels
from ratings.models import Round
from settlements.models import Township
from settlements.permissions import sees_all_settlements

from .common import (
    NOT_COUNTED,
    TOWNSHIPS_PER_PAGE,
    Completeness,
    Pending,
    StarRow,
    Trend,
    _chart,
    _from_stats,
    _live_counts,
    _rounds_newest_first,
    _stored_live,
    _target,
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

    Queries: rounds, county stats (all rounds), township count, township page, the stored
    live figures of the county and the page's townships (dashboards.live keeps them),
    target config; plus each registered panel's own. Never counts the live figures itself.

    The five-star figures have one definition everywhere on the page: the star each
    settlement holds now (its latest effective rating, after any downgrade), of all
    settlements, as counted at ``counted_at`` (the target box, the table by class and the
    townships' rows read the same stored counts). The trend is per round's results.
    """
    if not sees_all_settlements(user):
        raise PermissionDenied(_("只有县考评组和党组织书记可以查看全县看板。"))
    rounds = _rounds_newest_first()
    stats = CountyRoundStat.objects.values_list("round_id", "settlement_class", "stars", "count")
    latest, trend = _from_stats(list(stats), rounds)
    current = rounds[0] if rounds else None
    township_page = Paginator(Township.objects.order_by("code"), TOWNSHIPS_PER_PAGE).get_page(page)
    townships = list(township_page.object_list)
    # The county's and the page's townships' live figures, as the task last stored them.
    live_rows = _stored_live(current, [LiveCount.COUNTY, *(t.pk for t in townships)])
    live = live_rows.get(LiveCount.COUNTY, NOT_COUNTED)
    lines = []
    for t in townships:
        url = reverse("dashboard:township", args=[t.pk])
        mine = live_rows.get(t.pk, NOT_COUNTED)
        lines.append(
            TownshipLine(
                township=t,
                stars=mine.held(t.name, url),
                completeness=mine.completeness(t.name, current, today, url),
            )
        )
    return Dashboard(
        township=None,
        target=_target(today, live),
        latest_round=latest,
        by_class=live.held_by_class(),
        trend=trend,
        current_round=current,
        pending=live.pending(),
        completeness=live.completeness(_("全县"), current, today),
        counted_at=live.counted_at,
        panels=county_panels(user=user, today=today, latest=latest),
        township_page=township_page,
        township_lines=lines,
    )


def county_panels(*, user: Any, today: dt.date, latest: Round | None = None) -> list[Panel]:
    """The registered panels of the county dashboard, for the newest rated round's year.

    Read on every request (the county page caches its other parts): money moves without
    the stats. One query for the newest rated round when ``latest`` is not given, plus
    each panel's own; none when no panel has anything for the user (an assessor: no money).
    """
    if not any_panel_shown(user, None):
        return []
    if latest is None:
        latest = (
            Round.objects.filter(pk__in=CountyRoundStat.objects.values("round"))
            .order_by("-year", "-quarter")
            .first()
        )
    return dashboard_panels(
        Scope(user=user, township_id=None, year=_year_of(latest, today), today=today)
    )


def township_dashboard(*, user: Any, township: Township, today: dt.date) -> Dashboard:
    """One township's view; the caller fetched ``township`` through townships_visible_to.

    Queries: rounds, its stats (all rounds), its stored live figures, target config; plus
    each registered panel's own. The five-star figures as on the county's page: the stars
    its settlements hold now, one stored count for the target box and the table.
    """
    rounds = _rounds_newest_first()
    stats = RoundStat.objects.filter(township=township).values_list(
        "round_id", "settlement_class", "stars", "count"
    )
    latest, trend = _from_stats(list(stats), rounds)
    current = rounds[0] if rounds else None
    live = _live_counts(current, township_id=township.pk)
    return Dashboard(
        township=township,
        target=_target(today, live),
        latest_round=latest,
        by_class=live.held_by_class(),
        trend=trend,
        current_round=current,
        pending=live.pending(),
        completeness=live.completeness(township.name, current, today),
        counted_at=live.counted_at,
        panels=dashboard_panels(
            Scope(user=user, township_id=township.pk, year=_year_of(latest, today), today=today)
        ),
    )


def _year_of(rnd: Round | None, today: dt.date) -> int:
    return rnd.year if rnd is not None else today.year
