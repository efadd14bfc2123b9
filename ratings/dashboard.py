"""Reads for the dashboards and reports (SPEC §1, §5, §7), scoped to the user.

Every selector here issues a fixed number of queries whatever the county's size: counts
per round come from the stored aggregates that ratings.stats keeps (RoundStat,
CountyRoundStat, AssessorRoundStat), lists are paged by key or by ids chosen first, and
nothing looks up "the latest rating" row by row (PERFORMANCE.md).

Other apps add to the dashboard and the township summary through the registries below
(rewards registers its budget panel from its AppConfig.ready()), so ratings never
imports them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from settlements.models import Settlement, SettlementClass, Township
from settlements.roles import is_official, sees_all_settlements
from settlements.selectors import townships_visible_to, villages_visible_to

from . import dashboard_rules as r
from .models import Area as AreaChoice
from .models import (
    AssessmentStatus,
    AssessorRoundStat,
    Certificate,
    CountyRoundStat,
    FiveStarTarget,
    LeagueBuild,
    LeagueEntry,
    Rating,
    RatingStatus,
    Rectification,
    RectificationStatus,
    ReviewItem,
    Round,
    RoundStat,
    SelfAssessment,
    SelfAssessmentItem,
    StarChange,
    StarChangeKind,
)

LOCAL = ZoneInfo(settings.TIME_ZONE)
TOWNSHIPS_PER_PAGE = 25
LEAGUE_PAGE_SIZE = 50
HONOUR_PAGE_SIZE = 50
VILLAGES_PER_PAGE = 50
LIVE_SECONDS = 60  # how stale pending work and completeness may be
# gettext_noop: makemessages must see "无星"; star_headers() translates when called.
STAR_NAMES = {
    5: gettext_noop("五星"),
    4: gettext_noop("四星"),
    3: gettext_noop("三星"),
    0: gettext_noop("无星"),
}


def star_headers() -> list[str]:
    return [_(STAR_NAMES[s]) for s in r.STAR_ORDER]


# ============================================================== registries (other apps)


@dataclass(frozen=True)
class Scope:
    """What a panel is asked about: the county (township_id None) or one township, in a year,
    for this user (a panel shows nothing the user may not see, e.g. money to an assessor)."""

    user: Any
    township_id: int | None
    year: int
    today: dt.date


@dataclass(frozen=True)
class Panel:
    title: str
    rows: tuple[tuple[str, str], ...]  # (label, value already formatted)
    progress: Decimal | None = None  # 0–100, drawn as a bar
    progress_label: str = ""
    warning: str = ""


@dataclass(frozen=True)
class SummaryColumns:
    headers: tuple[str, ...]
    # township id -> one value per header; numbers stay numbers for the spreadsheet
    values: Mapping[int, tuple[Any, ...]]


PanelSource = Callable[[Scope], Panel | None]
# source(user, township_ids, year): the user decides what it may show (None = nothing).
SummarySource = Callable[[Any, Sequence[int], int], "SummaryColumns | None"]
_panels: dict[str, PanelSource] = {}
_summary_columns: dict[str, SummarySource] = {}


def register_panel(key: str, source: PanelSource) -> None:
    """Add a dashboard panel (e.g. rewards' budget committed/paid). Registering a key again replaces it.

    ``source(scope)`` must issue a fixed number of queries; it returns None to show nothing.
    """
    _panels[key] = source


def register_summary_columns(key: str, source: SummarySource) -> None:
    """Add columns to the township annual summary: ``source(user, township_ids, year)``.

    The source gets the viewer so it can show nothing to a role that may not see its
    figures (rewards shows money to secretaries and the township's own officials only).
    """
    _summary_columns[key] = source


def unregister(key: str) -> None:
    _panels.pop(key, None)
    _summary_columns.pop(key, None)


def dashboard_panels(scope: Scope) -> list[Panel]:
    return [p for p in (source(scope) for _, source in sorted(_panels.items())) if p is not None]


def summary_columns(user: Any, township_ids: Sequence[int], year: int) -> list[SummaryColumns]:
    columns = (source(user, township_ids, year) for _, source in sorted(_summary_columns.items()))
    return [c for c in columns if c is not None]


# ====================================================================== shared pieces


def landing_url(user: Any) -> str | None:
    """Where GET / sends a user: the county dashboard, their township's, or None."""
    if sees_all_settlements(user):
        return reverse("dashboard:county")
    if is_official(user):
        return reverse("dashboard:township", args=[user.township_id])
    return None


def five_star_target() -> FiveStarTarget:
    """The configured target, or the SPEC default (unsaved) before anyone configures it."""
    return FiveStarTarget.objects.filter(scope="county").first() or FiveStarTarget()


@dataclass(frozen=True)
class StarRow:
    label: str
    counts: tuple[int, ...]  # per dashboard_rules.STAR_ORDER
    url: str = ""

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def five_share(self) -> Decimal:
        return r.share(self.counts[0], self.total)

    @property
    def cells(self) -> list[tuple[str, int]]:
        """(level name, count) pairs, so a table cell can carry its own label on a phone."""
        return list(zip(star_headers(), self.counts, strict=True))


def star_row(label: str, by_star: Mapping[int, int], url: str = "") -> StarRow:
    return StarRow(label=label, counts=tuple(by_star.get(s, 0) for s in r.STAR_ORDER), url=url)


@dataclass(frozen=True)
class Completeness:
    label: str
    expected: int
    submitted: int
    on_time: int
    url: str = ""

    @property
    def submitted_share(self) -> Decimal:
        return r.share(self.submitted, self.expected)

    @property
    def on_time_share(self) -> Decimal:
        return r.share(self.on_time, self.expected)


@dataclass(frozen=True)
class Pending:
    not_submitted: int = 0
    returned: int = 0  # sent back by the county, waiting to be resubmitted (part of not_submitted)
    overdue: int = 0
    reviews_due: int = 0
    notices_open: int = 0
    rectifications_overdue: int = 0


def _end_of(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in the county's time zone."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL)


def _chart(labels: Sequence[str], rows: Sequence[StarRow], *, stack: bool) -> dict[str, Any]:
    return {
        "labels": list(labels),
        "stack": stack,
        "series": [
            {"name": name, "data": [row.counts[i] for row in rows]}
            for i, name in enumerate(star_headers())
        ],
    }


def _target(today: dt.date, live: LiveCounts) -> r.TargetProgress:
    config = five_star_target()
    return r.target_progress(
        five_star=live.five_star,
        total=live.settlements,
        target=config.share,
        deadline=config.deadline,
        today=today,
    )


NOT_SUBMITTED = (AssessmentStatus.NOT_STARTED, AssessmentStatus.DRAFT, AssessmentStatus.RETURNED)


def _assessment_counts(rnd: Round, *, township_id: int | None) -> dict[str, int]:
    """The round's self-assessments by status, and its ratings by status: two grouped reads.

    Every finalised review has made a rating (a rating overturned on objection reopens its
    review), so the reviews still due are the submitted self-assessments without a rating
    in notice or in effect; counting ratings by status avoids joining 35,000 reviews.
    """
    assessments = SelfAssessment.objects.filter(round=rnd)
    ratings = Rating.objects.filter(round=rnd)
    if township_id is not None:
        assessments = assessments.filter(settlement__village__township_id=township_id)
        ratings = ratings.filter(settlement__village__township_id=township_id)
    by_status: Counter[str] = Counter()
    on_time = 0
    for status, n, timely in (
        assessments.values("status")
        .annotate(n=Count("pk"), timely=Count("pk", filter=_on_time(rnd)))
        .values_list("status", "n", "timely")
        .order_by()
    ):
        by_status[status] = n
        on_time += timely
    rated = Counter(
        dict(ratings.values("status").annotate(n=Count("pk")).values_list("status", "n").order_by())
    )
    submitted = by_status[AssessmentStatus.SUBMITTED]
    return {
        "expected": sum(by_status.values()),
        "not_submitted": sum(by_status[x] for x in NOT_SUBMITTED),
        "returned": by_status[AssessmentStatus.RETURNED],
        "overdue": by_status[AssessmentStatus.OVERDUE],
        "submitted": submitted,
        "on_time": on_time,
        "reviews_due": max(
            0, submitted - rated[RatingStatus.NOTICE] - rated[RatingStatus.EFFECTIVE]
        ),
        "in_notice": rated[RatingStatus.NOTICE],
    }


def _on_time(rnd: Round) -> Q:
    """Submitted by the end of the round's own deadline day (a resubmission after a send-back is late)."""
    return Q(status=AssessmentStatus.SUBMITTED, submitted_at__lt=_end_of(rnd.self_deadline))


def _overdue_rectifications(today: dt.date, *, township_id: int | None = None) -> int:
    qs = Rectification.objects.filter(status=RectificationStatus.ISSUED, deadline__lt=today)
    if township_id is not None:
        qs = qs.filter(settlement__village__township_id=township_id)
    return qs.count()


@dataclass(frozen=True)
class LiveCounts:
    """Counts that change with every submission, review or order: read at most once a minute.

    Unlike the per-round star counts these have no event to be kept by (submissions,
    reviews and orders are not announced), and counting them reads every self-assessment
    of the round; a short cache keeps that off most requests.
    """

    settlements: int
    five_star: int
    assessments: Mapping[str, int]
    rectifications_overdue: int
    counted_at: dt.datetime

    def pending(self) -> Pending:
        c = self.assessments
        return Pending(
            not_submitted=c.get("not_submitted", 0),
            returned=c.get("returned", 0),
            overdue=c.get("overdue", 0),
            reviews_due=c.get("reviews_due", 0),
            notices_open=c.get("in_notice", 0),
            rectifications_overdue=self.rectifications_overdue,
        )

    def completeness(self, label: str) -> Completeness:
        c = self.assessments
        return Completeness(label, c.get("expected", 0), c.get("submitted", 0), c.get("on_time", 0))


def _cached(key: str, compute: Callable[[], Any]) -> Any:
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, LIVE_SECONDS)
    return value


def _live_counts(current: Round | None, today: dt.date, *, township_id: int | None) -> LiveCounts:
    def compute() -> LiveCounts:
        settlements = Settlement.objects.all()
        if township_id is not None:
            settlements = settlements.filter(village__township_id=township_id)
        counts = settlements.aggregate(
            total=Count("pk"), five=Count("pk", filter=Q(current_star=5))
        )
        return LiveCounts(
            settlements=counts["total"],
            five_star=counts["five"],
            assessments=_assessment_counts(current, township_id=township_id) if current else {},
            rectifications_overdue=_overdue_rectifications(today, township_id=township_id),
            counted_at=timezone.now(),
        )

    key = f"dashboard:live:{current.pk if current else 0}:{township_id or 0}:{today}"
    return _cached(key, compute)


def _townships_completeness(current: Round, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    def compute() -> dict[int, dict[str, int]]:
        # The page's settlements first, so the round's self-assessments are found by their
        # unique (round, settlement) index rather than by reading the whole round.
        settlements = Settlement.objects.filter(village__township_id__in=ids).values("pk")
        return {
            row["settlement__village__township_id"]: row
            for row in SelfAssessment.objects.filter(round=current, settlement__in=settlements)
            .values("settlement__village__township_id")
            .annotate(
                expected=Count("pk"),
                submitted=Count("pk", filter=Q(status=AssessmentStatus.SUBMITTED)),
                on_time=Count("pk", filter=_on_time(current)),
            )
            .order_by()
        }

    key = f"dashboard:townships:{current.pk}:{','.join(map(str, ids))}"
    return _cached(key, compute)


@dataclass
class Trend:
    rows: list[StarRow]

    @property
    def labels(self) -> list[str]:
        return [row.label for row in self.rows]

    def chart(self) -> dict[str, Any]:
        return _chart(self.labels, self.rows, stack=False)


def _rounds_newest_first() -> list[Round]:
    # A county runs four rounds a year: all of them are a few dozen small rows.
    return list(Round.objects.order_by("-year", "-quarter"))


def _from_stats(
    stats: Sequence[tuple[int, int, int, int]], rounds: Sequence[Round]
) -> tuple[Round | None, list[StarRow], Trend]:
    """Latest rated round, its counts per class, and the trend per round.

    ``stats`` are (round id, class, stars, count) rows; plain tuples, as a county's
    history is a few hundred of them and model instances would cost more than the page.
    """
    per_round: dict[int, Counter[int]] = defaultdict(Counter)
    for round_id, _klass, stars, count in stats:
        per_round[round_id][stars] += count
    rated = [x for x in reversed(rounds) if x.pk in per_round]  # oldest first
    trend = Trend(
        rows=[star_row(r.quarter_label(x.year, x.quarter), per_round[x.pk]) for x in rated]
    )
    latest = rated[-1] if rated else None
    by_class_counts: dict[int, Counter[int]] = defaultdict(Counter)
    if latest is not None:
        for round_id, klass, stars, count in stats:
            if round_id == latest.pk:
                by_class_counts[klass][stars] += count
    by_class = [
        star_row(str(label), by_class_counts[value]) for value, label in SettlementClass.choices
    ]
    return latest, by_class, trend


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
    township_page: Page | None = None
    township_lines: list[TownshipLine] = field(default_factory=list)

    @property
    def latest_total(self) -> StarRow:
        totals = Counter()
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


# ======================================================================= league table


@dataclass(frozen=True)
class LeagueRow:
    rank: int
    settlement_id: int
    code: str
    name: str
    township: str
    score: Decimal
    stars: int
    previous_rank: int | None
    previous_stars: int | None

    @property
    def movement(self) -> int | None:
        return r.movement(rank=self.rank, previous_rank=self.previous_rank)

    @property
    def key(self) -> str:
        return f"{self.rank}.{self.settlement_id}"


@dataclass
class League:
    rounds: list[Round]
    round: Round | None
    previous: Round | None
    settlement_class: int
    township_id: int | None
    townships: list[tuple[int, str]]  # (pk, name)
    rows: list[LeagueRow]
    after: tuple[int, int] | None
    next_after: str | None
    built: bool = True


def parse_league_key(value: str) -> tuple[int, int]:
    """ "rank.settlement_id" → (rank, settlement_id); ValueError on anything else."""
    rank, _dot, pk = value.partition(".")
    if not (rank.isdigit() and pk.isdigit()):
        raise ValueError(value)
    return int(rank), int(pk)


def league_table(
    *,
    user: Any,
    round_id: int | None = None,
    settlement_class: int = 1,
    township_id: int | None = None,
    after: tuple[int, int] | None = None,
    size: int = LEAGUE_PAGE_SIZE,
) -> League:
    """A round's league table for one class, paged by key (rank, settlement).

    Reads the stored LeagueEntry rows; when they are out of date ``built`` is False and
    the view asks ratings.stats.league_build first. Officials see their own township's
    settlements (with county-wide ranks); another township, or a round that does not
    exist, raises LookupError (a 404 for the view).
    Queries: rounds (with "rated" and "built"), townships visible, the page.
    """
    rounds = list(
        Round.objects.annotate(
            rated=Exists(CountyRoundStat.objects.filter(round=OuterRef("pk"))),
            built=Exists(
                LeagueBuild.objects.filter(round=OuterRef("pk"), settlement_class=settlement_class)
            ),
        ).order_by("-year", "-quarter")
    )
    # (pk, name) pairs: a county may have 700 townships, and instances would cost more than the page.
    townships = list(townships_visible_to(user).values_list("pk", "name"))
    if not sees_all_settlements(user):
        if not townships:
            raise PermissionDenied(_("没有可查看的乡镇。"))
        if township_id not in (None, townships[0][0]):
            raise LookupError("township")
        township_id = townships[0][0]
    elif township_id is not None and township_id not in {pk for pk, _name in townships}:
        raise LookupError("township")
    if round_id is None:
        chosen = next((x for x in rounds if x.rated), None)
    else:
        chosen = next((x for x in rounds if x.pk == round_id), None)
        if chosen is None:
            raise LookupError("round")
    previous = None
    if chosen is not None:
        older = rounds[rounds.index(chosen) + 1 :]
        previous = older[0] if older else None
    league = League(
        rounds=rounds,
        round=chosen,
        previous=previous,
        settlement_class=settlement_class,
        township_id=township_id,
        townships=townships,
        rows=[],
        after=after,
        next_after=None,
        built=chosen is None or chosen.built,
    )
    if chosen is None or not chosen.built:
        return league
    entries = LeagueEntry.objects.filter(round=chosen, settlement_class=settlement_class)
    if township_id is not None:
        entries = entries.filter(township_id=township_id)
    if after is not None:
        entries = entries.filter(
            Q(rank__gt=after[0]) | Q(rank=after[0], settlement_id__gt=after[1])
        )
    fetched = list(
        entries.order_by("rank", "settlement_id").values_list(
            "rank",
            "settlement_id",
            "settlement__code",
            "settlement__name",
            "township__name",
            "score",
            "stars",
            "previous_rank",
            "previous_stars",
        )[: size + 1]
    )
    league.rows = [LeagueRow(*row) for row in fetched[:size]]
    if len(fetched) > size:
        league.next_after = league.rows[-1].key
    return league


# ==================================================================== settlement charts


@dataclass(frozen=True)
class HistoryPoint:
    label: str
    county: Decimal
    own: Decimal | None
    stars: int
    status: str

    @property
    def gap(self) -> Decimal | None:
        return None if self.own is None else self.county - self.own


@dataclass(frozen=True)
class AreaPoints:
    area: str
    own: Decimal
    county: Decimal

    @property
    def gap(self) -> Decimal:
        return self.county - self.own


@dataclass
class SettlementCharts:
    history: list[HistoryPoint]
    latest_label: str | None
    areas: list[AreaPoints]

    def chart(self) -> dict[str, Any]:
        return {
            "history": {
                "names": [_("县级得分"), _("自评得分")],
                "labels": [p.label for p in self.history],
                "county": [p.county for p in self.history],
                "own": [p.own for p in self.history],
                "stars": [p.stars for p in self.history],
            },
            "areas": {
                "names": [_("自评"), _("县级")],
                "labels": [a.area for a in self.areas],
                "own": [a.own for a in self.areas],
                "county": [a.county for a in self.areas],
            },
        }


def _area_net(rows: Sequence[Mapping[str, Any]]) -> dict[str, Decimal]:
    net: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        points = Decimal(row["points"] or 0)
        if row["item__kind"] == "bonus":
            net[row["item__area"]] += points
        elif row["item__kind"] == "deduction":
            net[row["item__area"]] -= points
    return net


def settlement_charts(*, settlement: Settlement) -> SettlementCharts:
    """Score and star over time, and points per area (self vs county) for the latest rating.

    The caller fetched ``settlement`` through settlements_visible_to. Queries: the
    settlement's ratings (with its self score), then the county's and the township's
    points per area for the latest one.
    """
    ratings = list(
        Rating.objects.filter(
            settlement=settlement, status__in=[RatingStatus.EFFECTIVE, RatingStatus.NOTICE]
        )
        .order_by("round__year", "round__quarter")
        .values(
            "round__year",
            "round__quarter",
            "score",
            "stars",
            "status",
            "review_id",
            "review__self_assessment_id",
            "review__self_assessment__score",
        )
    )
    history = [
        HistoryPoint(
            label=r.quarter_label(x["round__year"], x["round__quarter"]),
            county=x["score"],
            own=x["review__self_assessment__score"],
            stars=x["stars"],
            status=x["status"],
        )
        for x in ratings
    ]
    areas: list[AreaPoints] = []
    latest = ratings[-1] if ratings else None
    if latest is not None:
        county = _area_net(
            ReviewItem.objects.filter(review_id=latest["review_id"])
            .values("item__area", "item__kind")
            .annotate(points=Sum("points"))
            .order_by()
        )
        own = _area_net(
            SelfAssessmentItem.objects.filter(assessment_id=latest["review__self_assessment_id"])
            .values("item__area", "item__kind")
            .annotate(points=Sum("points"))
            .order_by()
        )
        areas = [
            AreaPoints(
                area=str(label),
                own=own.get(value, Decimal(0)),
                county=county.get(value, Decimal(0)),
            )
            for value, label in AreaChoice.choices
        ]
    return SettlementCharts(
        history=history, latest_label=history[-1].label if history else None, areas=areas
    )


# ================================================================ township annual summary


@dataclass
class TownshipSummary:
    township: Township
    year: int
    stars: StarRow  # held at the year's last rated round
    upgrades: int = 0
    downgrades: int = 0
    revocations: int = 0
    rectifications_issued: int = 0
    rectifications_passed: int = 0
    rectifications_overdue: int = 0
    expected: int = 0
    submitted: int = 0
    on_time: int = 0
    extra: list[tuple[str, Any]] = field(
        default_factory=list
    )  # (header, value) from registered sources

    @property
    def on_time_share(self) -> Decimal:
        return r.share(self.on_time, self.expected)


@dataclass
class SummaryTable:
    year: int
    years: list[int]
    year_end_round: Round | None
    extra_headers: list[str]
    rows: list[TownshipSummary]

    def headers(self) -> list[str]:
        return [
            _("乡镇"),
            *star_headers(),
            _("参评合计"),
            _("五星占比"),
            _("升星"),
            _("降星"),
            _("取消星级"),
            _("下达整改"),
            _("整改通过"),
            _("整改逾期"),
            _("应报自评"),
            _("已报自评"),
            _("按时上报"),
            _("按时率"),
            *self.extra_headers,
        ]

    def spreadsheet_rows(self) -> list[list[Any]]:
        return [
            [
                row.township.name,
                *row.stars.counts,
                row.stars.total,
                r.percent(row.stars.five_share),
                row.upgrades,
                row.downgrades,
                row.revocations,
                row.rectifications_issued,
                row.rectifications_passed,
                row.rectifications_overdue,
                row.expected,
                row.submitted,
                row.on_time,
                r.percent(row.on_time_share),
                *(value for _header, value in row.extra),
            ]
            for row in self.rows
        ]


def summary_years(today: dt.date) -> list[int]:
    years = list(Round.objects.order_by("-year").values_list("year", flat=True).distinct())
    return years or [today.year]


def township_summaries(
    *, user: Any, townships: Sequence[Township], year: int, years: list[int], today: dt.date
) -> SummaryTable:
    """The annual figures of each township (乡镇年度目标考核 / 述职评议), for the townships given.

    The caller chose ``townships`` from townships_visible_to. Queries: the year's rounds,
    year-end star counts, star changes, rectifications, self-assessment timeliness; plus
    each registered summary source's own.
    """
    ids = [t.pk for t in townships]
    rounds = list(
        Round.objects.filter(year=year)
        .annotate(rated=Exists(CountyRoundStat.objects.filter(round=OuterRef("pk"))))
        .order_by("quarter")
    )
    rated = [x for x in rounds if x.rated]
    year_end = rated[-1] if rated else None
    stars: dict[int, Counter[int]] = defaultdict(Counter)
    if year_end is not None and ids:
        for row in (
            RoundStat.objects.filter(round=year_end, township_id__in=ids)
            .values("township_id", "stars")
            .annotate(n=Sum("count"))
            .order_by()
        ):
            stars[row["township_id"]][row["stars"]] = row["n"]
    start = dt.datetime(year, 1, 1, tzinfo=LOCAL)
    end = dt.datetime(year + 1, 1, 1, tzinfo=LOCAL)
    changes = {
        row["settlement__village__township_id"]: row
        for row in StarChange.objects.filter(
            settlement__village__township_id__in=ids, at__gte=start, at__lt=end
        )
        .values("settlement__village__township_id")
        .annotate(
            up=Count("pk", filter=Q(to_stars__gt=F("from_stars"))),
            down=Count(
                "pk", filter=Q(to_stars__lt=F("from_stars")) & ~Q(kind=StarChangeKind.REVOKED)
            ),
            revoked=Count("pk", filter=Q(kind=StarChangeKind.REVOKED)),
        )
        .order_by()
    }
    not_issued = [RectificationStatus.PROPOSED, RectificationStatus.DISMISSED]
    orders = {
        row["settlement__village__township_id"]: row
        for row in Rectification.objects.filter(
            settlement__village__township_id__in=ids, created_at__gte=start, created_at__lt=end
        )
        .values("settlement__village__township_id")
        .annotate(
            issued=Count("pk", filter=~Q(status__in=not_issued)),
            passed=Count("pk", filter=Q(status=RectificationStatus.PASSED)),
            overdue=Count("pk", filter=Q(status=RectificationStatus.ISSUED, deadline__lt=today)),
        )
        .order_by()
    }
    timeliness: dict[int, Counter[str]] = defaultdict(Counter)
    if rounds and ids:
        on_time = Q()
        for x in rounds:
            on_time |= Q(round=x, submitted_at__lt=_end_of(x.self_deadline))
        for row in (
            SelfAssessment.objects.filter(
                round__in=rounds, settlement__village__township_id__in=ids
            )
            .values("settlement__village__township_id")
            .annotate(
                expected=Count("pk"),
                submitted=Count("pk", filter=Q(status=AssessmentStatus.SUBMITTED)),
                on_time=Count("pk", filter=Q(status=AssessmentStatus.SUBMITTED) & on_time),
            )
            .order_by()
        ):
            timeliness[row["settlement__village__township_id"]].update(
                {k: row[k] for k in ("expected", "submitted", "on_time")}
            )
    extras = summary_columns(user, ids, year)
    rows = []
    for t in townships:
        c = changes.get(t.pk, {})
        o = orders.get(t.pk, {})
        d = timeliness[t.pk]
        extra: list[tuple[str, Any]] = []
        for columns in extras:
            values = columns.values.get(t.pk, ("",) * len(columns.headers))
            extra.extend(zip(columns.headers, values, strict=True))
        rows.append(
            TownshipSummary(
                township=t,
                year=year,
                stars=star_row(
                    t.name, stars[t.pk], reverse("dashboard:township_summary", args=[t.pk])
                ),
                upgrades=c.get("up", 0),
                downgrades=c.get("down", 0),
                revocations=c.get("revoked", 0),
                rectifications_issued=o.get("issued", 0),
                rectifications_passed=o.get("passed", 0),
                rectifications_overdue=o.get("overdue", 0),
                expected=d["expected"],
                submitted=d["submitted"],
                on_time=d["on_time"],
                extra=extra,
            )
        )
    return SummaryTable(
        year=year,
        years=years,
        year_end_round=year_end,
        extra_headers=[h for columns in extras for h in columns.headers],
        rows=rows,
    )


# ===================================================================== model villages


@dataclass(frozen=True)
class VillageLine:
    pk: int
    name: str
    township: str
    settlements: int
    starred: int
    five_star: int


def model_villages(
    *, user: Any, township_id: int | None = None, page: str | int | None = None
) -> Page:
    """Villages for choosing model villages: those holding star settlements first (SPEC §7).

    Queries: count, page (one grouped statement each).
    """
    qs = villages_visible_to(user)
    if township_id is not None:
        qs = qs.filter(township_id=township_id)
    qs = (
        qs.annotate(
            n=Count("settlements"),
            starred=Count("settlements", filter=Q(settlements__current_star__gt=0)),
            five=Count("settlements", filter=Q(settlements__current_star=5)),
        )
        .order_by("-starred", "-five", "code")
        .values("pk", "name", "township__name", "n", "starred", "five")
    )
    paged = Paginator(qs, VILLAGES_PER_PAGE).get_page(page)
    paged.object_list = [
        VillageLine(
            pk=x["pk"],
            name=x["name"],
            township=x["township__name"],
            settlements=x["n"],
            starred=x["starred"],
            five_star=x["five"],
        )
        for x in paged.object_list
    ]
    return paged


# ======================================================================= honour roll


@dataclass(frozen=True)
class HonourLine:
    name: str
    code: str
    township: str
    village: str
    stars: int
    certificate: str
    certificate_year: int | None


@dataclass
class HonourRoll:
    settlement_class: int
    classes: list[tuple[int, str, int]]  # (class, label, star settlements)
    rows: list[HonourLine]
    next_after: str | None


def parse_honour_key(value: str) -> tuple[int, str]:
    """ "stars.code" → (stars, code); ValueError on anything else."""
    stars, _dot, code = value.partition(".")
    if stars not in ("3", "4", "5") or not code:
        raise ValueError(value)
    return int(stars), code


def honour_roll(
    *, settlement_class: int, after: tuple[int, str] | None = None, size: int = HONOUR_PAGE_SIZE
) -> HonourRoll:
    """Settlements holding a star, by class, best first, with their valid certificate. Public: no personal data.

    Queries: star settlements per class, the page (by key), the page's certificates.
    """
    counts = dict(
        Settlement.objects.filter(current_star__gt=0)
        .values_list("klass")
        .annotate(n=Count("pk"))
        .order_by()
    )
    qs = Settlement.objects.filter(klass=settlement_class, current_star__gt=0)
    if after is not None:
        qs = qs.filter(Q(current_star__lt=after[0]) | Q(current_star=after[0], code__gt=after[1]))
    page = list(
        qs.order_by("-current_star", "code").values(
            "pk", "name", "code", "current_star", "village__name", "village__township__name"
        )[: size + 1]
    )
    shown = page[:size]
    certificates: dict[int, tuple[str, int]] = {}
    for pk, number, year in (
        Certificate.objects.filter(
            settlement_id__in=[x["pk"] for x in shown], revoked_at__isnull=True
        )
        .order_by("settlement_id", "-year")
        .values_list("settlement_id", "number", "year")
    ):
        certificates.setdefault(pk, (number, year))
    rows = [
        HonourLine(
            name=x["name"],
            code=x["code"],
            township=x["village__township__name"],
            village=x["village__name"],
            stars=x["current_star"],
            certificate=certificates.get(x["pk"], ("", None))[0],
            certificate_year=certificates.get(x["pk"], ("", None))[1],
        )
        for x in shown
    ]
    next_after = f"{shown[-1]['current_star']}.{shown[-1]['code']}" if len(page) > size else None
    return HonourRoll(
        settlement_class=settlement_class,
        classes=[
            (value, str(label), counts.get(value, 0)) for value, label in SettlementClass.choices
        ],
        rows=rows,
        next_after=next_after,
    )


# ====================================================================== assessor drift


@dataclass(frozen=True)
class DriftLine:
    assessor: str
    drift: r.Drift


def assessor_drift(*, user: Any, year: int | None = None) -> list[DriftLine]:
    """Per assessor, the mean and spread of (county − self) over effective ratings.

    County-level only. Queries: one grouped read of AssessorRoundStat.
    """
    if not sees_all_settlements(user):
        raise PermissionDenied(_("只有县考评组和党组织书记可以查看考评偏差。"))
    qs = AssessorRoundStat.objects.all()
    if year is not None:
        qs = qs.filter(round__year=year)
    rows = (
        qs.values("assessor_id", "assessor__username", "assessor__display_name")
        .annotate(n=Sum("reviews"), s=Sum("gap_sum"), q=Sum("gap_square_sum"))
        .order_by("assessor__username")
    )
    return [
        DriftLine(
            assessor=x["assessor__display_name"] or x["assessor__username"],
            drift=r.drift(reviews=x["n"], gap_sum=Decimal(x["s"]), gap_square_sum=Decimal(x["q"])),
        )
        for x in rows
    ]
