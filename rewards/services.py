"""Every write to the reward ledger. Keyword-only, atomic, permission- and state-checked.

How the year's stars are read (SPEC §6 leaves it open; decided here):

- The stars of a quarter are those of the settlement's rating for that round while it is
  *effective* (``Rating.status='effective'``), using ``Rating.stars``, which a downgrade
  or revocation lowers. A rating still in public notice or under objection, an
  overturned one, or none at all counts as 0 stars for that quarter.
- The path runs from Q1 to the latest quarter of the year that has an effective rating.
  So a round still in notice never ends the path early or late: its own rating, when it
  takes effect, sends the signal that recomputes the year. Counting a quarter as 0 can
  only lower what is owed, never raise it, so a provisional 0 never overpays; what it
  held back is proposed when that rating takes effect.
- The amounts are those of the class frozen on the year's first ledger row, or, before
  any row exists, on the earliest effective rating of the year: a change of households
  during the year does not reprice tranches already proposed.
- A rating lowered after its money was proposed leaves the proposed rows standing
  (never clawed back; the admin flags them as "依据评定已降级/取消" for the secretary).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ratings.models import Rating, RatingStatus
from settlements.models import Settlement, SettlementClass, User

from . import rules, signals
from .codes import RewardRefusal as RewardRefusal  # re-exported: callers import it from here
from .models import Disbursement, DisbursementStatus, RewardSchedule, YearBudget
from .permissions import may_manage_money

logger = logging.getLogger(__name__)


class RewardsError(ValidationError):
    """A refused reward operation: a ``RewardRefusal`` code and a message for the user (Chinese)."""

    code: RewardRefusal

    def __init__(self, message: Any, *, code: RewardRefusal) -> None:
        super().__init__(message, code=code)
        self.code = code


class OverBudget(RewardsError):
    """Approving would take the year's approved money past its budget without a confirm."""


# ------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class LedgerRow:
    """A ledger row as plain values, so the proposal and the daily check share one plan."""

    kind: str
    tranche: str
    amount: Decimal
    round_index: int
    settlement_class: int


@dataclass(frozen=True)
class YearRating:
    rating_id: int
    quarter: int
    stars: int
    settlement_class: int


def stars_path(ratings: Iterable[YearRating]) -> list[int]:
    """Stars after Q1 … the latest quarter with an effective rating (missing quarters 0)."""
    by_quarter = {r.quarter: r.stars for r in ratings}
    if not by_quarter:
        return []
    return [by_quarter.get(q, 0) for q in range(1, max(by_quarter) + 1)]


def pricing_class(ratings: Iterable[YearRating], ledger: Iterable[LedgerRow]) -> int | None:
    for row in ledger:
        return row.settlement_class
    earliest = min(ratings, key=lambda r: r.quarter, default=None)
    return earliest.settlement_class if earliest else None


def plan(
    *, path: list[int], amounts: Mapping[int, Decimal], ledger: Iterable[LedgerRow]
) -> list[rules.Proposal]:
    """The rows the ledger lacks for this (settlement, year): the rule against the ledger."""
    if not path:
        return []
    ledger_paid: dict[str, Decimal] = {}
    topped_up: dict[str, set[int]] = defaultdict(set)
    for row in ledger:
        ledger_paid[row.tranche] = ledger_paid.get(row.tranche, Decimal(0)) + row.amount
        if row.kind == rules.TOP_UP:
            topped_up[row.tranche].add(row.round_index)
    try:
        return rules.proposals(
            rules.payment_breakdown(amounts, path),
            ledger_paid=ledger_paid,
            topped_up_rounds=topped_up,
        )
    except rules.LedgerConflict as exc:
        raise RewardsError(
            _(
                "账目冲突：同一评定已对该款项补差，但按现行标准仍有差额。请核对该年度奖励标准是否在发放后被修改。"
            ),
            code=RewardRefusal.LEDGER_CONFLICT,
        ) from exc


class ScheduleCache:
    """Amounts per (year, class), loaded once per year: a class row wins over the general one."""

    def __init__(self) -> None:
        self._rows: dict[int, list[tuple[int | None, int, Decimal]]] = {}

    def amounts(self, year: int, settlement_class: int) -> dict[int, Decimal]:
        if year not in self._rows:
            self._rows[year] = list(
                RewardSchedule.objects.filter(year=year).values_list(
                    "settlement_class", "star", "amount"
                )
            )
        general = {star: amount for klass, star, amount in self._rows[year] if klass is None}
        specific = {
            star: amount for klass, star, amount in self._rows[year] if klass == settlement_class
        }
        merged = {**general, **specific}
        missing = [star for star in rules.STARRED if star not in merged]
        if missing:
            raise RewardsError(
                _("%(year)s年度%(klass)s聚居点的%(stars)s星奖励标准尚未设置，无法计算奖励。")
                % {
                    "year": year,
                    "klass": SettlementClass(settlement_class).label,
                    "stars": _("、").join(str(s) for s in missing),
                },
                code=RewardRefusal.SCHEDULE_MISSING,
            )
        try:
            return rules.check_amounts(merged)
        except rules.AmountsInvalid as exc:
            raise RewardsError(
                _("%(year)s年度奖励标准有误：金额须为非负、精确到分，且星级越高金额不低于低星级。")
                % {"year": year},
                code=RewardRefusal.SCHEDULE_INVALID,
            ) from exc


def reward_amounts(*, year: int, settlement_class: int) -> dict[int, Decimal]:
    return ScheduleCache().amounts(year, settlement_class)


def _year_ratings(settlement_id: int, year: int) -> list[YearRating]:
    rows = (
        Rating.objects.filter(
            settlement_id=settlement_id, round__year=year, status=RatingStatus.EFFECTIVE
        )
        .order_by("round__quarter")
        .values_list("pk", "round__quarter", "stars", "settlement_class")
    )
    return [YearRating(*row) for row in rows]


def _ledger(settlement_id: int, year: int) -> list[Disbursement]:
    return list(
        Disbursement.objects.filter(settlement_id=settlement_id, year=year)
        .select_related("tops_up", "rating__round")
        .order_by("pk")
    )


def _as_ledger_row(row: Disbursement) -> LedgerRow:
    return LedgerRow(
        kind=row.kind,
        tranche=row.tranche,
        amount=row.amount,
        round_index=row.rating.round.quarter - 1,
        settlement_class=row.settlement_class,
    )


def _locked_budget(year: int) -> YearBudget:
    # Created with the default (SPEC §6: ¥5,000,000) the first time a year needs one, so
    # it shows in the admin; locked so that budget checks of one year run one at a time.
    budget = YearBudget.objects.select_for_update().filter(year=year).first()
    if budget is None:
        YearBudget.objects.get_or_create(year=year)
        budget = YearBudget.objects.select_for_update().get(year=year)
    return budget


def _sum(qs: Any) -> Decimal:
    return qs.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


# ------------------------------------------------------------------------------ writing


@transaction.atomic
def disbursements_propose(*, settlement_id: int, year: int, rating_id: int) -> list[Disbursement]:
    """Propose the rows the year's effective ratings make due and the ledger lacks.

    Locks the settlement's row first, so two workers (or a re-run) proposing for the same
    settlement run one after the other and the second finds nothing missing; the unique
    constraints refuse a second row for a tranche or a top-up should anything slip past.
    Returns the rows created (empty when nothing was missing).
    """
    Settlement.objects.select_for_update().only("pk").get(pk=settlement_id)
    rating = Rating.objects.select_related("round").get(pk=rating_id)
    if rating.settlement_id != settlement_id or rating.round.year != year:
        raise RewardsError(
            _("评定与聚居点或年度不符，不能据此计算奖励。"), code=RewardRefusal.RATING_MISMATCH
        )

    year_ratings = _year_ratings(settlement_id, year)
    ledger = _ledger(settlement_id, year)
    ledger_rows = [_as_ledger_row(row) for row in ledger]
    klass = pricing_class(year_ratings, ledger_rows)
    if klass is None:  # no effective rating this year: nothing can be due
        return []
    amounts = ScheduleCache().amounts(year, klass)
    wanted = plan(path=stars_path(year_ratings), amounts=amounts, ledger=ledger_rows)
    if not wanted:
        return []

    rating_by_round = {r.quarter - 1: r.rating_id for r in year_ratings}
    tranche_rows = {row.kind: row for row in ledger if row.kind != rules.TOP_UP}
    budget = _locked_budget(year)
    committed = _sum(Disbursement.objects.filter(year=year))
    created: list[Disbursement] = []
    for proposal in wanted:
        committed += proposal.amount
        row = Disbursement(
            settlement_id=settlement_id,
            year=year,
            kind=proposal.kind,
            tops_up=tranche_rows[proposal.tranche] if proposal.kind == rules.TOP_UP else None,
            rating_id=rating_by_round[proposal.round_index],
            star_basis=proposal.star_basis,
            settlement_class=klass,
            amount=proposal.amount,
            over_budget=committed > budget.amount,
        )
        row._change_reason = "系统提出"
        row.save()
        if proposal.kind != rules.TOP_UP:
            tranche_rows[proposal.kind] = row
        created.append(row)
    logger.info(
        "rewards: proposed %d row(s) for settlement %s, %s, after rating %s",
        len(created),
        settlement_id,
        year,
        rating_id,
    )
    return created


def _require_secretary(by: User) -> None:
    if not may_manage_money(by):
        raise RewardsError(
            _("只有党组织书记可以审批奖励或登记发放。"), code=RewardRefusal.NOT_SECRETARY
        )


@transaction.atomic
def disbursement_approve(
    *,
    disbursement: Disbursement,
    by: User,
    confirm_over_budget: bool = False,
    announce: bool = True,
) -> Disbursement:
    """待审批 → 已审批. Past the year's budget only with ``confirm_over_budget``.

    ``announce=False`` (the demo replaying the past) tells no listener: old news is no news.

    Approving an already approved (or paid) row is a no-op that returns it.
    """
    _require_secretary(by)
    budget = _locked_budget(disbursement.year)
    row = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
    if row.status != DisbursementStatus.PROPOSED:
        return row
    approved = _sum(Disbursement.objects.approved().filter(year=row.year))
    exceeds = approved + row.amount > budget.amount
    if exceeds and not confirm_over_budget:
        raise OverBudget(
            _(
                "审批这笔 %(amount)s 元后，%(year)s年度已审批金额将达 %(total)s 元，超出预算 %(budget)s 元。"
                "如确需审批，请党组织书记确认超预算审批。"
            )
            % {
                "amount": f"{row.amount:,.2f}",
                "year": row.year,
                "total": f"{approved + row.amount:,.2f}",
                "budget": f"{budget.amount:,.2f}",
            },
            code=RewardRefusal.OVER_BUDGET,
        )
    row.status = DisbursementStatus.APPROVED
    row.approved_by = by
    row.approved_at = timezone.now()
    row.approved_over_budget = exceeds
    row._history_user = by
    row._change_reason = "超预算确认审批" if exceeds else "审批"
    row.save(update_fields=["status", "approved_by", "approved_at", "approved_over_budget"])
    if announce:
        transaction.on_commit(
            partial(signals.disbursement_approved.send, sender=Disbursement, disbursement_id=row.pk)
        )
    return row


@transaction.atomic
def disbursement_mark_paid(
    *, disbursement: Disbursement, by: User, announce: bool = True
) -> Disbursement:
    """已审批 → 已发放. Marking a paid row again is a no-op; a row not approved is refused."""
    _require_secretary(by)
    row = Disbursement.objects.select_for_update().get(pk=disbursement.pk)
    if row.status == DisbursementStatus.PAID:
        return row
    if row.status != DisbursementStatus.APPROVED:
        raise RewardsError(
            _("%(voucher)s 尚未审批，不能登记为已发放。") % {"voucher": row.voucher_number},
            code=RewardRefusal.NOT_APPROVED,
        )
    row.status = DisbursementStatus.PAID
    row.paid_by = by
    row.paid_at = timezone.now()
    row._history_user = by
    row._change_reason = "登记发放"
    row.save(update_fields=["status", "paid_by", "paid_at"])
    if announce:
        transaction.on_commit(
            partial(signals.disbursement_paid.send, sender=Disbursement, disbursement_id=row.pk)
        )
    return row


def disbursements_catch_up(*, today: dt.date) -> int:
    """The daily job: propose whatever a lost signal or task left out. Returns rows created.

    Reads every effective rating and ledger row of this year and last (the Q4 round of a
    year is rated early the next) in two queries, runs the rule in memory, and locks and
    proposes only for the (settlement, year) pairs that lack rows, each in a transaction of
    its own. A year without a complete schedule is logged and skipped, not guessed.
    """
    years = (today.year - 1, today.year)
    ratings: dict[tuple[int, int], list[YearRating]] = defaultdict(list)
    for pk, settlement_id, year, quarter, stars, klass in (
        Rating.objects.filter(status=RatingStatus.EFFECTIVE, round__year__in=years)
        .values_list(
            "pk", "settlement_id", "round__year", "round__quarter", "stars", "settlement_class"
        )
        .iterator(chunk_size=5000)
    ):
        ratings[(settlement_id, year)].append(YearRating(pk, quarter, stars, klass))

    ledger: dict[tuple[int, int], list[LedgerRow]] = defaultdict(list)
    for settlement_id, year, kind, tops_up_kind, amount, quarter, klass in (
        Disbursement.objects.filter(year__in=years)
        .order_by("pk")
        .values_list(
            "settlement_id",
            "year",
            "kind",
            "tops_up__kind",
            "amount",
            "rating__round__quarter",
            "settlement_class",
        )
        .iterator(chunk_size=5000)
    ):
        ledger[(settlement_id, year)].append(
            LedgerRow(kind, tops_up_kind or kind, amount, quarter - 1, klass)
        )

    schedules = ScheduleCache()
    created = 0
    refused: set[tuple[int, str]] = set()
    for (settlement_id, year), year_ratings in sorted(ratings.items()):
        priced_as = pricing_class(year_ratings, ledger[(settlement_id, year)])
        if priced_as is None:
            continue
        try:
            amounts = schedules.amounts(year, priced_as)
            if not plan(
                path=stars_path(year_ratings), amounts=amounts, ledger=ledger[(settlement_id, year)]
            ):
                continue
            latest = max(year_ratings, key=lambda r: r.quarter)
            created += len(
                disbursements_propose(
                    settlement_id=settlement_id, year=year, rating_id=latest.rating_id
                )
            )
        except RewardsError as exc:
            message = " ".join(exc.messages)
            if (year, message) not in refused:
                refused.add((year, message))
                logger.warning("rewards catch-up: %s: %s", year, message)
    return created
