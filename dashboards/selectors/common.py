"""Pieces every dashboard selector shares: star rows, the stored live figures, the trend.

Counts per round come from the stored aggregates that dashboards.stats keeps (RoundStat,
CountyRoundStat, AssessorRoundStat), so these read a few hundred rows whatever the
county's size (README, "Performance").
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dashboards import rules as r
from dashboards.models import FiveStarTarget, LiveCount
from ratings import states
from ratings.models import Round
from settlements.models import SettlementClass
from settlements.permissions import is_official, sees_all_settlements

LOCAL = ZoneInfo(settings.TIME_ZONE)
TOWNSHIPS_PER_PAGE = 25
LEAGUE_PAGE_SIZE = 50
HONOUR_PAGE_SIZE = 50
VILLAGES_PER_PAGE = 50
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
    """A round's self-assessments: how many, how many in, how many in by the deadline.

    ``due`` is False until the round's deadline day has ended (``rules.is_due``): until
    then nothing is late, and pages show the deadline instead of an on-time share.
    """

    label: str
    expected: int
    submitted: int
    on_time: int
    url: str = ""
    deadline: dt.date | None = None
    due: bool = True

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


@dataclass(frozen=True)
class LiveCounts:
    """One scope's live figures as the task last counted them (dashboards.live).

    The stars settlements hold now (per class) and the current round's work change with
    every rating, submission or order; a task counts them on commit of a change and every
    minute and stores them (LiveCount). Pages read the stored row and show ``counted_at``,
    None when nothing has been counted yet.
    """

    settlements: int
    five_star: int
    stars: tuple[tuple[int, int, int], ...]  # (class, stars, settlements)
    assessments: Mapping[str, int]
    rectifications_overdue: int
    counted_at: dt.datetime | None

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

    def completeness(
        self, label: str, current: Round | None, today: dt.date, url: str = ""
    ) -> Completeness:
        c = self.assessments
        return Completeness(
            label,
            c.get("expected", 0),
            c.get("submitted", 0),
            c.get("on_time", 0),
            url,
            deadline=current.self_deadline if current is not None else None,
            due=current is not None and r.is_due(current.self_deadline, today),
        )

    def held(self, label: str, url: str = "") -> StarRow:
        """The stars this scope's settlements hold now, all classes together."""
        by_star: Counter[int] = Counter()
        for _klass, stars, n in self.stars:
            by_star[stars] += n
        return star_row(label, by_star, url)

    def held_by_class(self) -> list[StarRow]:
        """The stars held now, one row per class: the same counts as ``held``."""
        per_class: dict[int, Counter[int]] = defaultdict(Counter)
        for klass, stars, n in self.stars:
            per_class[klass][stars] += n
        return [star_row(str(label), per_class[value]) for value, label in SettlementClass.choices]


NOT_COUNTED = LiveCounts(0, 0, (), {}, 0, None)


def _stored_live(current: Round | None, scopes: Sequence[int]) -> dict[int, LiveCounts]:
    """The stored live figures of these scopes (LiveCount.COUNTY or township ids): one query.

    Work counted for another round than the current one (a round just opened, not yet
    recounted) is not this round's work: it is left out.
    """
    out = {}
    for row in LiveCount.objects.filter(scope__in=list(scopes)):
        same_round = current is not None and row.round_id == current.pk
        out[row.scope] = LiveCounts(
            settlements=row.settlements,
            five_star=row.five_star,
            stars=tuple((int(k), int(s), int(n)) for k, s, n in row.stars),
            assessments=row.assessments if same_round else {},
            rectifications_overdue=row.rectifications_overdue,
            counted_at=row.counted_at,
        )
    return out


def _live_counts(current: Round | None, *, township_id: int | None) -> LiveCounts:
    scope = LiveCount.COUNTY if township_id is None else township_id
    return _stored_live(current, [scope]).get(scope, NOT_COUNTED)


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
) -> tuple[Round | None, Trend]:
    """The latest rated round and the trend of each round's effective results.

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
    return (rated[-1] if rated else None), trend
