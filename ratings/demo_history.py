"""A year or more of rating history for the demo county, written in bulk.

``build_history`` (called by ``manage.py seed_history``) adds, over every settlement that
exists, the last ``rounds`` quarterly rounds: self-assessments, county reviews, ratings,
star changes, rectification orders, certificates, and item-by-item score sheets for the
newest rounds, then announces the rounds (``ratings_rewritten``) so the dashboards recount
their stored aggregates and league tables. Everything is written with
``bulk_create`` and a few set-based UPDATEs, never through the per-row services, so a
national-scale county (35,000 settlements × 20 rounds ≈ 700,000 ratings) takes minutes.

Dates are real: an event on or after ``today`` has not happened yet, so the newest round
may be in progress (self-assessments still open, ratings in public notice).

Deterministic for a given seed and set of settlements; rounds that already exist are left
alone, so a second run adds nothing and a later run extends the history.
"""

# ruff: noqa: S311  (demo data: reproducible pseudo-random numbers are the point, not secrecy)
from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from settlements.calendar import working_calendar
from settlements.models import Settlement, User
from settlements.roles import ASSESSOR, OFFICIAL

from . import rules
from .demo_outcomes import _new_certificate, _rectification, _void_certificate
from .demo_sheets import (  # noqa: F401  (LOCAL: the history's time zone, read from here too)
    LOCAL,
    _at,
    _field,
    _latest_submitted_in,
    _latest_submitted_per_township,
    _stamped,
    clamp_score,
    fill_sheet,
    optimistic_copy,
    quarters_until,
)
from .models import (
    AssessmentStatus,
    Certificate,
    CertificateEnd,
    Rating,
    RatingStatus,
    Rectification,
    RectificationStatus,
    Review,
    ReviewItem,
    ReviewStatus,
    Round,
    Rubric,
    RubricItem,
    SelfAssessment,
    SelfAssessmentItem,
    StarChange,
    StarChangeKind,
)
from .services import notice_end
from .signals import ratings_rewritten

DEFAULT_ROUNDS = 6  # a year and a half: enough for a trend and a full annual summary
DEFAULT_ITEM_ROUNDS = 1
BATCH_SIZE = 2000
DEMO_ASSESSOR_PREFIX = "kpz"  # 考评组 demo accounts: kpz01, kpz02, … (no usable password)

OVERDUE_RATE = 0.04  # never submitted; marked missing after the deadline
LATE_RATE = 0.07  # sent back and resubmitted after the round's deadline
VETO_RATE = 0.004
RECTIFY_DECLINE = Decimal("5")  # a fall this large is ordered to rectify
# The demo's round in progress (live=True): work spread over the last LIVE_SPAN_DAYS,
# a fifth still to do, visits up to LIVE_VISIT_DAYS after a submission, deadlines ahead.
LIVE_SPAN_DAYS = 14
LIVE_TODO_RATE = 0.2
LIVE_VISIT_DAYS = 6
LIVE_SELF_DAYS_LEFT = 3  # within the inbox's three-day reminder
LIVE_REVIEW_DAYS_LEFT = 21


@dataclass(frozen=True)
class HistoryResult:
    rounds: int
    self_assessments: int
    ratings: int
    rectifications: int
    certificates: int


@dataclass
class _State:
    """What one settlement holds between rounds."""

    quality: float
    star: int
    score: Decimal | None
    rating: Rating | None = None
    certificate: Certificate | None = None  # the one current certificate, if any


@dataclass
class _Counts:
    self_assessments: int = 0
    ratings: int = 0
    rectifications: int = 0
    certificates: int = 0
    rounds: list[Round] = field(default_factory=list)


# ------------------------------------------------------------------ writes


def ensure_demo_assessors(count: int) -> list[User]:
    """``count`` county assessors for the history (kpz01…), plus the seed's ``assessor`` if present."""
    group = Group.objects.get(name=ASSESSOR)
    names = [f"{DEMO_ASSESSOR_PREFIX}{i:02d}" for i in range(1, count + 1)]
    have = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    for i, name in enumerate(names, start=1):
        if name not in have:
            user = User(username=name, display_name=f"考评员{i:02d}")
            user.set_unusable_password()
            user.save()
            user.groups.add(group)
    return list(
        User.objects.filter(groups=group, username__in=[*names, "assessor"]).order_by("username")
    )


def township_officials(township_ids: Sequence[int]) -> dict[int, User | None]:
    """One official per township (the lowest username), who submits its self-assessments."""
    out: dict[int, User | None] = dict.fromkeys(township_ids)
    for user in User.objects.filter(groups__name=OFFICIAL, township_id__in=township_ids).order_by(
        "-username"
    ):
        if user.township_id is not None:
            out[user.township_id] = user
    return out


def _current_rubric() -> tuple[Rubric, list[tuple[int, str, Decimal, Decimal]]]:
    rubric = Rubric.objects.get(is_current=True)
    if rubric.frozen_at is None:
        # Used from now on: the version may no longer change (SPEC §3).
        Rubric.objects.filter(pk=rubric.pk, frozen_at__isnull=True).update(frozen_at=timezone.now())
    items = list(
        RubricItem.objects.filter(rubric=rubric).values_list("id", "kind", "points", "cap")
    )
    return rubric, items


@transaction.atomic
def build_history(
    *,
    rounds: int = DEFAULT_ROUNDS,
    today: dt.date | None = None,
    seed: str = "demo-history",
    item_rounds: int = DEFAULT_ITEM_ROUNDS,
    assessors: int | None = None,
    live: bool = False,
) -> HistoryResult:
    """Add the last ``rounds`` quarters of rating history for every settlement (see module doc).

    ``live``: the newest round is in full swing on ``today`` whatever the date (the demo):
    its deadlines are extended past today and its work is spread over the days before
    it, so there are self-assessments to do, reviews due and ratings in public notice.
    """
    today = today or timezone.localdate()
    quarters = quarters_until(today, rounds)
    existing = set(Round.objects.values_list("year", "quarter"))
    todo = [q for q in quarters if q not in existing]
    if not todo:
        return HistoryResult(0, 0, 0, 0, 0)
    if existing and min(todo) < max(existing):
        raise ValueError("已有更晚的考评轮次，不能在其之前补建历史。")

    rubric, items = _current_rubric()
    deduction_ids = {i for i, kind, *_ in items if kind == rules.DEDUCTION}
    settlements = list(
        Settlement.objects.order_by("pk").values_list(
            "pk", "klass", "village__township_id", "current_star", "current_score"
        )
    )
    # Seeded by code and username, never by id: ids depend on what the database held before
    # (a PostgreSQL sequence never goes back), the same county must get the same history.
    code_of = dict(Settlement.objects.values_list("pk", "code"))
    if not settlements:
        raise ValueError("没有聚居点：请先运行 seed_demo 生成演示县。")
    townships = sorted({t for _, _, t, _, _ in settlements})
    crew = ensure_demo_assessors(assessors or max(2, min(40, math.ceil(len(townships) / 20))))
    official_of = township_officials(townships)
    bias = {a.pk: random.Random(f"{seed}:bias:{a.username}").uniform(-3.0, 2.0) for a in crew}
    assessor_of = {t: crew[i % len(crew)] for i, t in enumerate(townships)}
    states = {
        pk: _State(
            quality=random.Random(f"{seed}:quality:{code_of[pk]}").gauss(79.0, 7.0),
            star=star,
            score=score,
        )
        for pk, _, _, star, score in settlements
    }
    serials: dict[tuple[int, int], int] = {}
    for number in Certificate.objects.values_list("year", "stars"):
        serials[number] = serials.get(number, 0) + 1
    for cert in Certificate.objects.filter(revoked_at__isnull=True):
        if cert.settlement_id in states:
            states[cert.settlement_id].certificate = cert

    counts = _Counts()
    stamped = (
        _field(SelfAssessment, "updated_at"),
        _field(Review, "updated_at"),
        _field(Rating, "created_at"),
        _field(StarChange, "at"),
        _field(Rectification, "created_at"),
        _field(Certificate, "issued_at"),
    )
    with _stamped(*stamped):
        for index, (year, quarter) in enumerate(todo):
            with_items = index >= len(todo) - item_rounds
            _build_round(
                year=year,
                quarter=quarter,
                today=today,
                seed=seed,
                step=len(existing) + index,
                rubric=rubric,
                items=items if with_items else None,
                deduction_ids=deduction_ids,
                settlements=settlements,
                states=states,
                assessor_of=assessor_of,
                bias=bias,
                serials=serials,
                counts=counts,
                newest=index == len(todo) - 1,
                official_of=official_of,
                live=live and index == len(todo) - 1,
            )
    _settle_current_stars()
    if connection.vendor == "postgresql":
        # Statistics for what this transaction wrote, before the recount's joins: else
        # the planner takes the tables for empty (an hour at 35,000 settlements).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    # The dashboards' stored aggregates are recounted by their listener (dashboards.apps).
    ratings_rewritten.send(sender=Round, round_ids=[rnd.pk for rnd in counts.rounds])
    return HistoryResult(
        rounds=len(counts.rounds),
        self_assessments=counts.self_assessments,
        ratings=counts.ratings,
        rectifications=counts.rectifications,
        certificates=counts.certificates,
    )


def _build_round(
    *,
    year: int,
    quarter: int,
    today: dt.date,
    seed: str,
    step: int,
    rubric: Rubric,
    items: list[tuple[int, str, Decimal, Decimal]] | None,
    deduction_ids: set[int],
    settlements: list[tuple[int, int, int, int, Decimal | None]],
    states: dict[int, _State],
    assessor_of: dict[int, User],
    bias: dict[int, float],
    serials: dict[tuple[int, int], int],
    counts: _Counts,
    newest: bool,
    official_of: dict[int, User | None],
    live: bool = False,
) -> None:
    rng = random.Random(f"{seed}:{year}Q{quarter}")
    opened = rules.round_dates(year, quarter)
    stage = rules.DEFAULT_STAGE_BY_QUARTER[quarter]
    self_deadline = opened + dt.timedelta(days=rules.SELF_ASSESSMENT_DAYS)
    review_deadline = opened + dt.timedelta(days=rules.COUNTY_REVIEW_DAYS)
    if live:
        # The demo's round in progress: deadlines extended past today (as a county may).
        self_deadline = max(self_deadline, today + dt.timedelta(days=LIVE_SELF_DAYS_LEFT))
        review_deadline = max(review_deadline, today + dt.timedelta(days=LIVE_REVIEW_DAYS_LEFT))
        span = min(LIVE_SPAN_DAYS, (today - opened).days)
    started: set[int] = set()
    rnd = Round.objects.create(
        year=year,
        quarter=quarter,
        stage=stage,
        opened_on=opened,
        self_deadline=self_deadline,
        review_deadline=review_deadline,
        rubric=rubric,
    )
    counts.rounds.append(rnd)
    # Scores drift upward over the first years as the work takes hold, then level off.
    trend = min(step, 12) * 0.9

    assessments: list[SelfAssessment] = []
    plans: list[dict] = []
    for pk, klass, township_id, _star, _score in settlements:
        state = states[pk]
        roll = rng.random()
        if live:
            # To do, or submitted within the last days (today's morning included); each
            # township's first settlement is still to do, so every official has some.
            first = township_id not in started
            started.add(township_id)
            to_do = first or roll < LIVE_TODO_RATE
            submitted_on = None if to_do else today - dt.timedelta(days=rng.randint(0, span))
        elif roll < OVERDUE_RATE:
            submitted_on = None
        elif roll < OVERDUE_RATE + LATE_RATE:
            submitted_on = self_deadline + dt.timedelta(days=rng.randint(1, 6))
        else:
            submitted_on = opened + dt.timedelta(days=rng.randint(1, rules.SELF_ASSESSMENT_DAYS))
        assessor = assessor_of[township_id]
        vetoed = rng.random() < VETO_RATE
        county = clamp_score(state.quality + trend + rng.gauss(0, 2.5) + bias[assessor.pk])
        own = clamp_score(float(county) + rng.gauss(2.5, 2.5))
        plan: dict[str, Any] = {
            "pk": pk,
            "township_id": township_id,
            "returned": False,
            "klass": klass,
            "assessor": assessor,
            "vetoed": vetoed,
            "county": county,
            "own": own,
            "county_items": None,
            "own_items": None,
        }
        if items is not None and submitted_on is not None:
            plan["county_items"], plan["county"] = fill_sheet(
                rng, items, target=county, vetoed=vetoed, bonus_cap=rubric.bonus_cap
            )
            plan["own_items"] = optimistic_copy(rng, plan["county_items"], deduction_ids)
            lines = [(k, p, c, plan["own_items"].get(i, 0)) for i, k, p, c in items]
            plan["own"] = rules.score_sheet(lines, bonus_cap=rubric.bonus_cap)[1]
        if submitted_on is not None and (submitted_on < today or (live and submitted_on == today)):
            status = AssessmentStatus.SUBMITTED
            updated = _at(submitted_on, 9 if submitted_on == today else 10)
        elif submitted_on is None and self_deadline < today:
            status = AssessmentStatus.OVERDUE
            updated = _at(self_deadline + dt.timedelta(days=1), 1)
        else:
            status = AssessmentStatus.DRAFT if rng.random() < 0.5 else AssessmentStatus.NOT_STARTED
            updated = _at(opened)
        late = submitted_on is not None and submitted_on > self_deadline
        plan["submitted_on"] = submitted_on if status == AssessmentStatus.SUBMITTED else None
        official = official_of.get(township_id)
        plans.append(plan)
        assessments.append(
            SelfAssessment(
                round=rnd,
                settlement_id=pk,
                settlement_class=klass,
                rubric=rubric,
                status=status,
                score=plan["own"] if status == AssessmentStatus.SUBMITTED else None,
                vetoed=vetoed if status == AssessmentStatus.SUBMITTED else False,
                star_applied=(
                    rules.max_star_applicable(plan["own"], vetoed=vetoed)
                    if status == AssessmentStatus.SUBMITTED
                    else 0
                ),
                deadline=submitted_on if late and submitted_on is not None else self_deadline,
                submitted_at=updated if status == AssessmentStatus.SUBMITTED else None,
                submitted_by=official if status == AssessmentStatus.SUBMITTED else None,
                return_reason="请补充佐证材料后重新提交。" if late else "",
                version=1 if status != AssessmentStatus.NOT_STARTED else 0,
                updated_at=updated,
            )
        )
    SelfAssessment.objects.bulk_create(assessments, batch_size=BATCH_SIZE)
    counts.self_assessments += len(assessments)

    reviews: list[Review] = []
    reviewed: list[tuple[dict, SelfAssessment, dt.date]] = []
    awaiting = _latest_submitted_per_township(plans) if live else set()
    # 退回: the county sends one sheet back before its visit in each township with more
    # than one submission (its latest other sheet that has items), whatever the dice gave.
    rest = [p for p in plans if p["pk"] not in awaiting and p["own_items"]]
    to_return = _latest_submitted_per_township(rest) if live else set()
    # 公示: the county's latest other submission is visited today, so a rating is in public
    # notice with the window open on any day (a resident may object), whatever the dice gave.
    others = [p for p in plans if p["pk"] not in awaiting and p["pk"] not in to_return]
    in_notice = _latest_submitted_in(others) if live else None
    for plan, sa in zip(plans, assessments, strict=True):
        if plan["submitted_on"] is None:
            continue
        if live:
            visit = plan["submitted_on"] + dt.timedelta(days=rng.randint(0, LIVE_VISIT_DAYS))
            if plan["pk"] in awaiting:
                # Each township's latest submission still waits for the county's visit:
                # the assessor has reviews to do whatever the size of the county.
                visit = max(visit, today + dt.timedelta(days=1))
            elif plan["pk"] == in_notice:
                visit = today
            elif plan["pk"] in to_return:
                sa.status = AssessmentStatus.RETURNED
                sa.return_reason = "第一项佐证照片不清晰，请补充现场照片后重新提交。"
                sa.deadline = today + dt.timedelta(days=LIVE_SELF_DAYS_LEFT)
                sa.version = 2
                plan["returned"] = True
                continue
            if visit > today:
                continue  # the county has not been yet: a review due
        else:
            visit = min(
                review_deadline, plan["submitted_on"] + dt.timedelta(days=rng.randint(3, 15))
            )
        if visit >= today and not live:
            continue  # the county has not been yet: a review due
        reviews.append(
            Review(
                self_assessment=sa,
                assessor=plan["assessor"],
                visit_date=visit,
                team_members=f"{plan['assessor'].display_name or plan['assessor'].username}等3人",
                status=ReviewStatus.FINAL,
                score=plan["county"],
                vetoed=plan["vetoed"],
                finalised_at=_at(visit, 17),
                version=1,
                updated_at=_at(visit, 17),
            )
        )
        reviewed.append((plan, sa, visit))
    Review.objects.bulk_create(reviews, batch_size=BATCH_SIZE)
    returned = [sa for plan, sa in zip(plans, assessments, strict=True) if plan["returned"]]
    SelfAssessment.objects.bulk_update(
        returned, ["status", "return_reason", "deadline", "version"], batch_size=BATCH_SIZE
    )

    if items is not None:
        index = {i: (kind, points, cap) for i, kind, points, cap in items}
        own_rows = [
            SelfAssessmentItem(
                assessment=sa, item_id=item_id, occurrences=n, points=_points(index, item_id, n)
            )
            for plan, sa in zip(plans, assessments, strict=True)
            if plan["own_items"]
            and sa.status in (AssessmentStatus.SUBMITTED, AssessmentStatus.RETURNED)
            for item_id, n in plan["own_items"].items()
        ]
        for row in own_rows:
            row.returned = row.assessment.status == AssessmentStatus.RETURNED
        first_only: set[int] = set()
        for row in own_rows:  # only the first item of a returned sheet goes back
            if row.returned:
                if row.assessment.pk in first_only:
                    row.returned = False
                first_only.add(row.assessment.pk)
        SelfAssessmentItem.objects.bulk_create(own_rows, batch_size=BATCH_SIZE)
        county_rows = [
            ReviewItem(
                review=review, item_id=item_id, occurrences=n, points=_points(index, item_id, n)
            )
            for review, (plan, _sa, _visit) in zip(reviews, reviewed, strict=True)
            for item_id, n in plan["county_items"].items()
        ]
        ReviewItem.objects.bulk_create(county_rows, batch_size=BATCH_SIZE)

    ratings: list[Rating] = []
    calendar = working_calendar()  # the same official calendar as real work (one query)
    for review, (plan, _sa, visit) in zip(reviews, reviewed, strict=True):
        notice_ends = notice_end(visit, rnd.notice_working_days, calendar)
        effective = notice_ends is not None and notice_ends < today
        awarded = rules.stars_awarded(score=plan["county"], vetoed=plan["vetoed"])
        ratings.append(
            Rating(
                settlement_id=plan["pk"],
                round=rnd,
                review=review,
                stage=stage,
                rubric=rubric,
                settlement_class=plan["klass"],
                score=plan["county"],
                vetoed=plan["vetoed"],
                awarded_stars=awarded,
                stars=awarded,
                status=RatingStatus.EFFECTIVE if effective else RatingStatus.NOTICE,
                notice_ends_on=notice_ends,
                finalised_on=visit,
                effective_at=_at(notice_ends + dt.timedelta(days=1), 9)
                if notice_ends and effective
                else None,
                decided_by=plan["assessor"],
                created_at=_at(visit, 17),
            )
        )
    Rating.objects.bulk_create(ratings, batch_size=BATCH_SIZE)
    counts.ratings += len(ratings)

    township_of = {plan["pk"]: plan["township_id"] for plan in plans}
    changes: list[StarChange] = []
    orders: list[Rectification] = []
    lowered: list[Rating] = []
    certificates: list[Certificate] = []  # named at this round's final rating
    reissues: list[Certificate] = []  # 换发 at a lowered star
    voided: list[Certificate] = []  # earlier rounds' certificates voided now
    for rating in ratings:
        if rating.status != RatingStatus.EFFECTIVE:
            continue
        state = states[rating.settlement_id]
        took_effect = rating.effective_at
        assert took_effect is not None  # an effective rating has taken effect
        if state.star != rating.stars:
            changes.append(
                StarChange(
                    settlement_id=rating.settlement_id,
                    rating=rating,
                    kind=StarChangeKind.EFFECTIVE,
                    from_stars=state.star,
                    to_stars=rating.stars,
                    at=took_effect,
                )
            )
        declined = state.score is not None and state.score - rating.score >= RECTIFY_DECLINE
        if stage == rules.STAGE_FINAL and rating.stars:
            previous = state.certificate
            if previous is not None:  # last year's plaque, replaced by this one
                _void_certificate(
                    previous,
                    at=took_effect,
                    by=None,
                    kind=CertificateEnd.REPLACED,
                    reason="",  # the kind says why; the replacing certificate names itself
                    earlier=voided,
                )
            state.certificate = _new_certificate(
                rating, year=year, stars=rating.stars, at=took_effect, serials=serials
            )
            state.certificate.replaces = previous
            certificates.append(state.certificate)
        state.star, state.score, state.rating = rating.stars, rating.score, rating
        if declined or rating.vetoed:
            order = _rectification(
                rng,
                rating=rating,
                today=today,
                newest=newest,
                official=official_of.get(township_of[rating.settlement_id]),
            )
            orders.append(order)
            if (
                order.status in (RectificationStatus.DOWNGRADED, RectificationStatus.REVOKED)
                and rating.stars
            ):
                before = rating.stars
                after = (
                    rules.one_star_lower(before)
                    if order.status == RectificationStatus.DOWNGRADED
                    else 0
                )
                rating.stars = after
                lowered.append(rating)
                state.star = after
                assert order.checked_at is not None  # a downgrade or revocation was checked
                changes.append(
                    StarChange(
                        settlement_id=rating.settlement_id,
                        rating=rating,
                        kind=(
                            StarChangeKind.DOWNGRADED
                            if order.status == RectificationStatus.DOWNGRADED
                            else StarChangeKind.REVOKED
                        ),
                        from_stars=before,
                        to_stars=after,
                        reason=order.check_notes,
                        by=order.checked_by,
                        at=order.checked_at,
                    )
                )
                current = state.certificate
                if current is not None and (current.rating is rating or current.stars > after):
                    # As the service does: voided, and reissued at the star left (if any).
                    _void_certificate(
                        current,
                        at=order.checked_at,
                        by=order.checked_by,
                        kind=CertificateEnd.DOWNGRADED if after else CertificateEnd.REVOKED,
                        reason=order.check_notes,
                        earlier=voided,
                    )
                    state.certificate = None
                    if after:
                        state.certificate = _new_certificate(
                            rating,
                            year=current.year,
                            stars=after,
                            at=order.checked_at,
                            serials=serials,
                        )
                        state.certificate.reissued = True
                        state.certificate.replaces = current
                        reissues.append(state.certificate)
    Rating.objects.bulk_update(lowered, ["stars"], batch_size=BATCH_SIZE)
    StarChange.objects.bulk_create(changes, batch_size=BATCH_SIZE)
    Rectification.objects.bulk_create(orders, batch_size=BATCH_SIZE)
    # Voided first, then the new ones: a settlement holds one current certificate at a time.
    Certificate.objects.bulk_update(
        voided,
        ["revoked_at", "revoked_by", "revoked_kind", "revoked_reason"],
        batch_size=BATCH_SIZE,
    )
    for group in (certificates, reissues):
        for cert in group:
            cert.replaces_id = cert.replaces.pk if cert.replaces is not None else None
        Certificate.objects.bulk_create(group, batch_size=BATCH_SIZE)
    counts.rectifications += len(orders)
    counts.certificates += len(certificates) + len(reissues)


def _points(index: dict[int, tuple[str, Decimal, Decimal]], item_id: int, n: int) -> Decimal:
    kind, points, cap = index[item_id]
    return (
        Decimal(0)
        if kind == rules.VETO
        else rules.item_points(points_each=points, occurrences=n, cap=cap)
    )


def _settle_current_stars() -> None:
    """Each settlement's current star and score from its newest effective rating, in one UPDATE."""
    latest = Rating.objects.filter(
        settlement=OuterRef("pk"), status=RatingStatus.EFFECTIVE
    ).order_by("-round__year", "-round__quarter")
    rated = Rating.objects.filter(status=RatingStatus.EFFECTIVE).values("settlement_id")
    Settlement.objects.filter(pk__in=rated).update(
        current_star=Subquery(latest.values("stars")[:1]),
        current_score=Subquery(latest.values("score")[:1]),
    )
