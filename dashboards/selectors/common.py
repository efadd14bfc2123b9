"""Pieces every dashboard selector shares: star rows, live counts (cached a minute), the trend.

Counts per round come from the stored aggregates that dashboards.stats keeps (RoundStat,
CountyRoundStat, AssessorRoundStat), so these read a few hundred rows whatever the
county's size (README, "Performance").
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dashboards import rules as r
from dashboards.models import FiveStarTarget
from ratings import states
from ratings.models import (
    AssessmentStatus,
    Rating,
    RatingStatus,
    Rectification,
    Round,
    SelfAssessment,
)
from settlements.models import Settlement, SettlementClass
from settlements.permissions import is_official, sees_all_settlements

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


NOT_SUBMITTED = states.NOT_SUBMITTED  # defined in ratings.states, kept importable here


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
    qs = Rectification.objects.overdue(today)
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


_T = TypeVar("_T")


def _cached(key: str, compute: Callable[[], _T]) -> _T:
    value: _T | None = cache.get(key)
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
