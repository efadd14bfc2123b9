"""Reads for the reward pages, scoped to the user.

Money is seen by Party secretaries (everything) and township officials (their own
township's settlements, read-only). Assessors see no money unless they are secretaries too.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

from settlements.selectors import scoped_by_settlement

from . import rules
from .models import Disbursement, DisbursementStatus, RewardSchedule, YearBudget
from .permissions import may_see_money

APPROVED_OR_PAID = [DisbursementStatus.APPROVED, DisbursementStatus.PAID]


# Who sees money at all: the one predicate (rewards.permissions), under its older name.
sees_money = may_see_money


def disbursements_visible_to(user: Any) -> QuerySet[Disbursement]:
    """Ledger rows the user may see, with settlement, township, rating and tranche joined."""
    if not may_see_money(user):
        return Disbursement.objects.none()
    return scoped_by_settlement(Disbursement.objects.for_pages(), user)


def totals(qs: QuerySet[Disbursement]) -> dict[str, Decimal]:
    """Committed (every row), approved (approved or paid) and paid money of a queryset, in one query."""
    sums = qs.order_by().aggregate(
        committed=Sum("amount"),
        approved=Sum("amount", filter=Q(status__in=APPROVED_OR_PAID)),
        paid=Sum("amount", filter=Q(status=DisbursementStatus.PAID)),
    )
    return {key: value or Decimal("0.00") for key, value in sums.items()}


def budget_figures(*, year: int) -> dict[str, Any]:
    """The year's budget against committed, approved and paid money (2 queries)."""
    budget = YearBudget.objects.filter(year=year).values_list("amount", flat=True).first()
    figures: dict[str, Any] = totals(Disbursement.objects.filter(year=year))
    figures["year"] = year
    figures["budget"] = rules.DEFAULT_BUDGET if budget is None else budget
    figures["remaining"] = figures["budget"] - figures["committed"]
    figures["over_committed"] = figures["committed"] > figures["budget"]
    figures["over_approved"] = figures["approved"] > figures["budget"]
    figures["near_budget"] = (
        rules.budget_state(budget=figures["budget"], committed=figures["committed"])
        == rules.BUDGET_NEAR
    )
    return figures


def amounts_missing(*, year: int) -> bool:
    """True when the year has no reward amounts at all: nothing can be proposed (one query)."""
    return not RewardSchedule.objects.filter(year=year).exists()


def years_with_disbursements(qs: QuerySet[Disbursement]) -> list[int]:
    return list(qs.order_by("-year").values_list("year", flat=True).distinct())


def years_with_data(qs: QuerySet[Disbursement]) -> list[int]:
    """Newest first: every year with ledger rows the user sees, amounts set or a budget.

    A year whose amounts or budget are set but whose rewards are not proposed yet is still
    a year to choose (the page then says why it is empty). Queries: one.
    """
    years = (
        qs.order_by()
        .values_list("year", flat=True)
        .distinct()
        .union(RewardSchedule.objects.order_by().values_list("year", flat=True).distinct())
        .union(YearBudget.objects.order_by().values_list("year", flat=True).distinct())
    )
    return sorted(set(years), reverse=True)


def approval_overruns(rows: Iterable[Disbursement]) -> list[dict[str, Any]]:
    """Per year, whether approving these proposed rows would take approved money past the budget."""
    proposed: dict[int, Decimal] = {}
    for row in rows:
        if row.status == DisbursementStatus.PROPOSED:
            proposed[row.year] = proposed.get(row.year, Decimal("0.00")) + row.amount
    overruns = []
    for year, amount in sorted(proposed.items()):
        figures = budget_figures(year=year)
        after = figures["approved"] + amount
        if after > figures["budget"]:
            overruns.append(
                {
                    **figures,
                    "selected": amount,
                    "approved_after": after,
                    "excess": after - figures["budget"],
                }
            )
    return overruns


def township_totals(rows: Iterable[Disbursement]) -> list[tuple[str, Decimal]]:
    """(township, total amount) in the order townships first appear in ``rows``."""
    out: dict[str, Decimal] = {}
    for row in rows:
        name = row.settlement.village.township.name
        out[name] = out.get(name, Decimal("0.00")) + row.amount
    return list(out.items())


def township_year_totals(*, township_id: int, year: int) -> dict[str, Decimal]:
    """One township's committed, approved and paid money in a year (one query).

    Unscoped: the caller decides who may see it (dashboards shows it on the township page).
    """
    return totals(
        Disbursement.objects.filter(year=year, settlement__village__township_id=township_id)
    )


def committed_and_paid_by_township(
    user: Any, *, township_ids: Iterable[int], year: int
) -> dict[int, tuple[Decimal, Decimal]]:
    """township id -> (committed, paid) of the year's money ``user`` may see (one query)."""
    values: dict[int, tuple[Decimal, Decimal]] = {}
    for row in (
        disbursements_visible_to(user)
        .filter(year=year, settlement__village__township_id__in=list(township_ids))
        .values("settlement__village__township_id")
        .annotate(
            committed=Sum("amount"),
            paid=Sum("amount", filter=Q(status=DisbursementStatus.PAID)),
        )
        .order_by()
    ):
        values[row["settlement__village__township_id"]] = (
            row["committed"] or Decimal("0.00"),
            row["paid"] or Decimal("0.00"),
        )
    return values
