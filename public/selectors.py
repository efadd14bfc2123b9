"""Reads for the public pages and the county's queue.

Public reads return plain rows with nothing personal in them: settlement, village,
township, class, stars, score, dates. The board's rendered pages are cached under a
generation number that ``board_changed`` bumps when a notice opens or closes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.core.cache import cache
from django.db.models import Count, QuerySet

from ratings.models import Certificate, Rating, RatingStatus, Round
from ratings.states import rating_open_for_objection
from settlements.models import SettlementClass
from settlements.permissions import is_county

from .models import ResidentObjection, ResidentObjectionStatus

BOARD_GENERATION_KEY = "public:board:generation"
BOARD_TTL = 60 * 60  # an hour: renamed settlements show up without any event
ARCHIVE_YEARS = 2  # this year and last year at least (issue: past notices stay readable)


# ----------------------------------------------------------------------- board cache


def board_generation() -> int:
    generation = cache.get(BOARD_GENERATION_KEY)
    if generation is None:
        cache.add(BOARD_GENERATION_KEY, 1, timeout=None)
        generation = cache.get(BOARD_GENERATION_KEY, 1)
    return int(generation)


def board_changed() -> None:
    """A notice opened or closed: every cached board page is stale."""
    try:
        cache.incr(BOARD_GENERATION_KEY)
    except ValueError:  # not there (evicted or never read): the next read starts afresh
        cache.set(BOARD_GENERATION_KEY, 2, timeout=None)


# ---------------------------------------------------------------------------- board


@dataclass(frozen=True)
class NoticeRow:
    rating_id: int
    settlement: str
    village: str
    township_id: int
    township: str
    settlement_class: int
    class_label: str
    stars: int
    score: Decimal
    last_day: dt.date | None  # None: pending until the holiday calendar of its year is entered
    working_days: int
    status: str
    status_label: str
    open_for_objection: bool


@dataclass(frozen=True)
class ClassGroup:
    label: str
    rows: list[NoticeRow]


@dataclass(frozen=True)
class TownshipGroup:
    township_id: int
    name: str
    classes: list[ClassGroup]
    count: int


def _rows(queryset: QuerySet[Rating], today: dt.date) -> list[NoticeRow]:
    labels = dict(SettlementClass.choices)
    status_labels = dict(RatingStatus.choices)
    rows = []
    for r in queryset.values(
        "pk",
        "settlement__name",
        "settlement__village__name",
        "settlement__village__township_id",
        "settlement__village__township__name",
        "settlement_class",
        "awarded_stars",
        "score",
        "notice_ends_on",
        "round__notice_working_days",
        "status",
    ):
        rows.append(
            NoticeRow(
                rating_id=r["pk"],
                settlement=r["settlement__name"],
                village=r["settlement__village__name"],
                township_id=r["settlement__village__township_id"],
                township=r["settlement__village__township__name"],
                settlement_class=r["settlement_class"],
                class_label=str(labels.get(r["settlement_class"], r["settlement_class"])),
                stars=r["awarded_stars"],
                score=r["score"],
                last_day=r["notice_ends_on"],
                working_days=r["round__notice_working_days"],
                status=r["status"],
                status_label=str(status_labels.get(r["status"], r["status"])),
                open_for_objection=rating_open_for_objection(
                    r["status"], r["notice_ends_on"], today
                ),
            )
        )
    return rows


def _group(rows: list[NoticeRow]) -> list[TownshipGroup]:
    groups = []
    for (township_id, township), grouped in groupby(
        rows, key=lambda r: (r.township_id, r.township)
    ):
        in_township = list(grouped)
        classes = [
            ClassGroup(label=label, rows=list(in_class))
            for (_klass, label), in_class in groupby(
                in_township, key=lambda r: (r.settlement_class, r.class_label)
            )
        ]
        groups.append(
            TownshipGroup(
                township_id=township_id, name=township, classes=classes, count=len(in_township)
            )
        )
    return groups


_ORDER = (
    "settlement__village__township__name",
    "settlement__village__township_id",
    "settlement_class",
    "settlement__code",
)


def board_now(*, today: dt.date, township_id: int | None = None) -> list[TownshipGroup]:
    """Ratings in notice now, by township and class. One query."""
    queryset = Rating.objects.in_notice()
    if township_id is not None:
        queryset = queryset.filter(settlement__village__township_id=township_id)
    return _group(_rows(queryset.order_by(*_ORDER), today))


def board_round(
    *, round_id: int, today: dt.date, township_id: int | None = None
) -> list[TownshipGroup]:
    """Every rating noticed in a round (with what became of it), by township and class. One query."""
    queryset = Rating.objects.filter(round_id=round_id)
    if township_id is not None:
        queryset = queryset.filter(settlement__village__township_id=township_id)
    return _group(_rows(queryset.order_by(*_ORDER), today))


def archive_rounds(*, today: dt.date) -> list[dict[str, Any]]:
    """Rounds of this year and the last with ratings, newest first (their notices stay readable). One query."""
    rounds = (
        Round.objects.filter(year__gte=today.year - (ARCHIVE_YEARS - 1))
        .annotate(ratings_count=Count("ratings"))
        .filter(ratings_count__gt=0)
        .order_by("-year", "-quarter")
    )
    return [{"round": rnd, "count": rnd.ratings_count} for rnd in rounds]


def archive_round(*, round_id: int, today: dt.date) -> Round | None:
    return (
        Round.objects.filter(pk=round_id, year__gte=today.year - (ARCHIVE_YEARS - 1)).first()
        if round_id
        else None
    )


def rating_in_board(*, rating_id: int) -> Rating | None:
    """The rating an objection is about, as the public may see it (never an overturned one)."""
    return (
        Rating.objects.select_related("settlement__village__township", "round")
        .filter(pk=rating_id, status__in=[RatingStatus.NOTICE, RatingStatus.EFFECTIVE])
        .first()
    )


# ---------------------------------------------------------------------- certificate


def certificate_for_check(*, pk: int) -> Certificate | None:
    return (
        Certificate.objects.select_related("rating", "settlement__village__township")
        .filter(pk=pk)
        .first()
    )


def newer_certificate(certificate: Certificate) -> Certificate | None:
    """The settlement's current certificate when this one is voided (what to look at instead)."""
    if certificate.revoked_at is None:
        return None
    return (
        Certificate.objects.filter(settlement_id=certificate.settlement_id, revoked_at__isnull=True)
        .exclude(pk=certificate.pk)
        .first()
    )


# --------------------------------------------------------------------- county queue


def resident_objections_visible_to(user: Any) -> QuerySet[ResidentObjection]:
    """The county's queue; township officials and everyone else see none."""
    if not is_county(user):
        return ResidentObjection.objects.none()
    return ResidentObjection.objects.select_related(
        "rating__settlement__village__township", "rating__round", "objection", "decided_by"
    )


def resident_objection_by_reference(reference: str) -> ResidentObjection | None:
    return (
        ResidentObjection.objects.select_related(
            "rating__settlement__village__township", "rating__round", "objection"
        )
        .filter(reference=reference)
        .first()
    )


def queue_counts(user: Any) -> dict[str, int]:
    rows = resident_objections_visible_to(user).order_by().values("status").annotate(n=Count("pk"))
    counts = {value: 0 for value in ResidentObjectionStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts
