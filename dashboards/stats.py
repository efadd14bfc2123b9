"""Services that keep the dashboards' stored aggregates (RoundStat and friends) and league tables true.

The aggregates are facts that change only when a rating takes effect or its star changes
afterwards (downgrade, revocation). ratings.services announces both with a signal sent on
commit; ``connect()`` (called from DashboardsConfig.ready) hooks the recount here, which
touches one round × township: a handful of small grouped queries, whatever the county's
size. ``round_stats_rebuild`` recounts a whole round (backfill, seeded data, repair).

A recount marks the round's league tables (and the next round's, whose movement looks
back) stale and queues ``dashboards.tasks.league_refresh`` on commit: pages only read
the stored tables, never rank on a GET. The daily ``leagues_catch_up`` builds any a
lost task left stale.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from ratings.models import Rating, RatingStatus, Round
from ratings.signals import rating_stars_changed, rating_took_effect, ratings_rewritten
from settlements.models import Settlement, SettlementClass, Village

from .models import AssessorRoundStat, CountyRoundStat, LeagueBuild, LeagueEntry, RoundStat
from .versions import bump_on_commit

logger = logging.getLogger(__name__)

StarKey = tuple[int, int]  # (settlement_class, stars)

_GAP = ExpressionWrapper(
    F("score") - F("review__self_assessment__score"),
    output_field=DecimalField(max_digits=6, decimal_places=1),
)


def _effective(round_id: int):
    return Rating.objects.filter(round_id=round_id, status=RatingStatus.EFFECTIVE)


def _lock_round(round_id: int) -> None:
    # Serialises recounts of one round: each recount reads, then rewrites, the county
    # totals, and two of them interleaved would lose one's change.
    list(Round.objects.select_for_update().filter(pk=round_id).values_list("pk", flat=True))


def _neighbour(rnd: Round | int, *, later: bool) -> Round | None:
    if isinstance(rnd, int):
        rnd = Round.objects.only("year", "quarter").get(pk=rnd)
    if later:
        q = Q(year__gt=rnd.year) | Q(year=rnd.year, quarter__gt=rnd.quarter)
        return Round.objects.filter(q).order_by("year", "quarter").first()
    q = Q(year__lt=rnd.year) | Q(year=rnd.year, quarter__lt=rnd.quarter)
    return Round.objects.filter(q).order_by("-year", "-quarter").first()


def _leagues_stale(round_id: int) -> None:
    """The round's league tables, and the next round's (whose movement looks back), are out of date.

    They stay readable (with the time they were built) until the queued rebuild replaces them.
    """
    from .tasks import league_refresh

    later = _neighbour(round_id, later=True)
    ids = [round_id] + ([later.pk] if later else [])
    LeagueBuild.objects.filter(round_id__in=ids).update(stale=True)
    bump_on_commit()  # the counts changed: cached dashboard parts retire on commit
    for pk in ids:
        transaction.on_commit(functools.partial(league_refresh.delay, pk))


def _assessor_rows(*, round_id: int, township_id: int | None) -> list[AssessorRoundStat]:
    qs = _effective(round_id).filter(review__self_assessment__score__isnull=False)
    group = ["review__assessor_id"]
    if township_id is not None:
        qs = qs.filter(settlement__village__township_id=township_id)
    else:
        group.append("settlement__village__township_id")
    rows = (
        qs.annotate(gap=_GAP)
        .values(*group)
        .annotate(
            n=Count("id"),
            gap_sum=Sum("gap"),
            gap_square_sum=Sum(
                ExpressionWrapper(
                    F("gap") * F("gap"), output_field=DecimalField(max_digits=12, decimal_places=2)
                )
            ),
        )
        .order_by()
    )
    return [
        AssessorRoundStat(
            round_id=round_id,
            township_id=township_id
            if township_id is not None
            else r["settlement__village__township_id"],
            assessor_id=r["review__assessor_id"],
            reviews=r["n"],
            # SQLite sums decimals as floats; the true values have one and two places.
            gap_sum=Decimal(r["gap_sum"]).quantize(Decimal("0.1")),
            gap_square_sum=Decimal(r["gap_square_sum"]).quantize(Decimal("0.01")),
        )
        for r in rows
    ]


def _county_rewrite(*, round_id: int, totals: Counter[StarKey]) -> None:
    CountyRoundStat.objects.filter(round_id=round_id).delete()
    CountyRoundStat.objects.bulk_create(
        CountyRoundStat(round_id=round_id, settlement_class=klass, stars=stars, count=n)
        for (klass, stars), n in sorted(totals.items())
        if n > 0
    )


@transaction.atomic
def round_township_stats_refresh(*, round_id: int, township_id: int) -> None:
    """Recount one round × township from its effective ratings, and move the county totals by the difference.

    Idempotent: a second call finds nothing to change.
    """
    _lock_round(round_id)
    old = Counter(
        {
            (r.settlement_class, r.stars): r.count
            for r in RoundStat.objects.filter(round_id=round_id, township_id=township_id)
        }
    )
    new = Counter(
        {
            (r["settlement_class"], r["stars"]): r["n"]
            for r in _effective(round_id)
            .filter(settlement__village__township_id=township_id)
            .values("settlement_class", "stars")
            .annotate(n=Count("id"))
            .order_by()
        }
    )
    if new != old:
        RoundStat.objects.filter(round_id=round_id, township_id=township_id).delete()
        RoundStat.objects.bulk_create(
            RoundStat(
                round_id=round_id, township_id=township_id, settlement_class=k, stars=s, count=n
            )
            for (k, s), n in sorted(new.items())
        )
        county = Counter(
            {
                (r.settlement_class, r.stars): r.count
                for r in CountyRoundStat.objects.filter(round_id=round_id)
            }
        )
        county.update(new)
        county.subtract(old)
        _county_rewrite(round_id=round_id, totals=county)
    AssessorRoundStat.objects.filter(round_id=round_id, township_id=township_id).delete()
    AssessorRoundStat.objects.bulk_create(
        _assessor_rows(round_id=round_id, township_id=township_id)
    )
    _leagues_stale(round_id)


@transaction.atomic
def round_stats_rebuild(*, round: Round) -> int:
    """Recount a whole round from its effective ratings (backfill, seeded history, repair).

    Returns the number of township rows written. Idempotent.
    """
    _lock_round(round.pk)
    rows = (
        _effective(round.pk)
        .values("settlement__village__township_id", "settlement_class", "stars")
        .annotate(n=Count("id"))
        .order_by()
    )
    township_rows = [
        RoundStat(
            round_id=round.pk,
            township_id=r["settlement__village__township_id"],
            settlement_class=r["settlement_class"],
            stars=r["stars"],
            count=r["n"],
        )
        for r in rows
    ]
    RoundStat.objects.filter(round_id=round.pk).delete()
    RoundStat.objects.bulk_create(township_rows, batch_size=2000)
    totals: Counter[StarKey] = Counter()
    for r in township_rows:
        totals[(r.settlement_class, r.stars)] += r.count
    _county_rewrite(round_id=round.pk, totals=totals)
    AssessorRoundStat.objects.filter(round_id=round.pk).delete()
    AssessorRoundStat.objects.bulk_create(
        _assessor_rows(round_id=round.pk, township_id=None), batch_size=2000
    )
    _leagues_stale(round.pk)
    return len(township_rows)


def _league_sql() -> str:
    rating = Rating._meta.db_table
    village = Village._meta.db_table
    # Competition ranks (equal stars and score share a place) over the whole class in the
    # county; the previous round ranked the same way. Only table names are interpolated.
    ranked = (
        "SELECT settlement_id, stars, score, "  # noqa: S608
        "RANK() OVER (ORDER BY stars DESC, score DESC) AS place "
        f"FROM {rating} WHERE round_id = %s AND settlement_class = %s AND status = %s"
    )
    return (
        f"INSERT INTO {LeagueEntry._meta.db_table} "  # noqa: S608
        "(round_id, settlement_class, settlement_id, township_id, stars, score, rank, "
        "previous_rank, previous_stars) "
        "SELECT %s, %s, cur.settlement_id, v.township_id, cur.stars, cur.score, cur.place, "
        "prev.place, prev.stars "
        f"FROM ({ranked}) cur "
        f"JOIN {Settlement._meta.db_table} s ON s.id = cur.settlement_id "
        f"JOIN {village} v ON v.id = s.village_id "
        f"LEFT JOIN ({ranked}) prev ON prev.settlement_id = cur.settlement_id"
    )


@transaction.atomic
def league_build(*, round: Round, settlement_class: int) -> int:
    """Rank one round × class (and note each settlement's place the round before). Returns rows written.

    A no-op returning 0 when it is already built and not marked stale since (e.g. another
    task built it).
    """
    previous = _neighbour(round, later=False)
    # The recount of either round deletes this build's record: hold both rounds (older
    # first, as every recount locks one) so no recount slips in between read and record.
    ids = [round.pk] + ([previous.pk] if previous else [])
    list(
        Round.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("year", "quarter")
        .values_list("pk")
    )
    if LeagueBuild.objects.filter(
        round=round, settlement_class=settlement_class, stale=False
    ).exists():
        return 0
    LeagueEntry.objects.filter(round=round, settlement_class=settlement_class).delete()
    with connection.cursor() as cursor:
        cursor.execute(
            _league_sql(),
            [
                round.pk,
                settlement_class,
                round.pk,
                settlement_class,
                RatingStatus.EFFECTIVE,
                previous.pk if previous else -1,
                settlement_class,
                RatingStatus.EFFECTIVE,
            ],
        )
        written = cursor.rowcount
    LeagueBuild.objects.update_or_create(
        round=round,
        settlement_class=settlement_class,
        defaults={"stale": False, "built_at": timezone.now()},
    )
    bump_on_commit()  # cached league pages show the new ranking from the commit on
    return written


def round_leagues_build(*, round: Round) -> int:
    """Build every class's league table of a round that is missing or stale. Returns rows written."""
    return sum(
        league_build(round=round, settlement_class=klass)
        for klass, _label in SettlementClass.choices
    )


def leagues_catch_up() -> int:
    """Build every missing or stale league table of the rounds that have effective ratings.

    The daily job: picks up what a lost task left stale. Idempotent (a second run writes nothing).
    """
    rounds = Round.objects.filter(
        pk__in=Rating.objects.filter(status=RatingStatus.EFFECTIVE).values("round_id")
    ).order_by("year", "quarter")
    return sum(round_leagues_build(round=rnd) for rnd in rounds)


def rating_stats_refresh(*, rating_id: int) -> bool:
    """Recount the round × township of one rating. False when the rating no longer exists."""
    found = (
        Rating.objects.filter(pk=rating_id)
        .values_list("round_id", "settlement__village__township_id")
        .first()
    )
    if found is None:
        return False
    round_id, township_id = found
    round_township_stats_refresh(round_id=round_id, township_id=township_id)
    return True


def _on_rating_changed(sender: Any, rating_id: int, **kwargs: Any) -> None:
    # Rewards listens to the same signals: a failure here must not keep it from hearing
    # them, so it is logged (with the rating, for `manage.py stats_rebuild`) not raised.
    try:
        rating_stats_refresh(rating_id=rating_id)
    except Exception:
        logger.exception(
            "dashboard statistics not refreshed for rating %s; run manage.py stats_rebuild",
            rating_id,
        )


def rounds_rebuild(*, rounds: list[Round]) -> int:
    """Recount whole rounds, then build their league tables (maintenance: backfill, seeded data).

    Returns the number of township rows written. Idempotent.
    """
    rows = sum(round_stats_rebuild(round=rnd) for rnd in rounds)
    for rnd in rounds:
        round_leagues_build(round=rnd)
    return rows


def _on_ratings_rewritten(sender: Any, round_ids: list[int], **kwargs: Any) -> None:
    # Sent inside the bulk writer's transaction: recount from the rows just written.
    rounds_rebuild(rounds=list(Round.objects.filter(pk__in=round_ids).order_by("year", "quarter")))


def connect() -> None:
    """Listen to ratings' own signals; called once from DashboardsConfig.ready()."""
    rating_took_effect.connect(_on_rating_changed, dispatch_uid="dashboards.stats.took_effect")
    rating_stars_changed.connect(_on_rating_changed, dispatch_uid="dashboards.stats.stars_changed")
    ratings_rewritten.connect(_on_ratings_rewritten, dispatch_uid="dashboards.stats.rewritten")
