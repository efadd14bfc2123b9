"""The league table (同档比拼): reads the LeagueEntry rows dashboards.stats.league_build stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from dashboards import rules as r
from dashboards.models import CountyRoundStat, LeagueBuild, LeagueEntry
from ratings.models import Round
from settlements.permissions import sees_all_settlements
from settlements.selectors import townships_visible_to

from .common import LEAGUE_PAGE_SIZE

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
    rounds: Sequence[Round]
    round: Round | None
    previous: Round | None
    settlement_class: int
    township_id: int | None
    townships: list[tuple[int, str]]  # (pk, name)
    rows: list[LeagueRow]
    after: tuple[int, int] | None
    next_after: str | None
    built: bool = True  # False: nothing stored yet for this round and class
    built_at: dt.datetime | None = None  # when the stored rows were ranked
    stale: bool = False  # ratings changed since; the queued rebuild has not run yet


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

    Only reads the stored LeagueEntry rows (ranked by dashboards.stats.league_build in a
    task queued when the ratings change), with when they were built; ``built`` is False
    when nothing is stored yet. Never writes. Officials see their own township's
    settlements (with county-wide ranks); another township, or a round that does not
    exist, raises LookupError (a 404 for the view).
    Queries: rounds (with "rated" and "built"), townships visible, the page.
    """
    builds = LeagueBuild.objects.filter(round=OuterRef("pk"), settlement_class=settlement_class)
    rounds = list(
        Round.objects.annotate(
            rated=Exists(CountyRoundStat.objects.filter(round=OuterRef("pk"))),
            built_at=Subquery(builds.values("built_at")[:1]),
            stale=Subquery(builds.values("stale")[:1]),
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
        built=chosen is None or chosen.built_at is not None,
        built_at=chosen.built_at if chosen is not None else None,
        stale=bool(chosen.stale) if chosen is not None else False,
    )
    if chosen is None or chosen.built_at is None:
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
