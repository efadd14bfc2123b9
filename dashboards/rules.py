"""Pure arithmetic behind the dashboards and reports. No Django, no database.

Shares and spreads are Decimal (never float), so the page, the chart and the
spreadsheet show the same digits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

STAR_ORDER = (5, 4, 3, 0)  # how tables and charts list the levels: best first
PERCENT_PLACES = Decimal("0.1")
SHARE_PLACES = Decimal("0.0001")
DRIFT_PLACES = Decimal("0.01")


def share(part: int, whole: int) -> Decimal:
    """part / whole to four places (0.4012); 0 when there is nothing to divide."""
    if whole < 0 or part < 0:
        raise ValueError("counts cannot be negative")
    if whole == 0:
        return Decimal(0)
    return (Decimal(part) / Decimal(whole)).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


def percent(value: Decimal) -> Decimal:
    """A share as a percentage with one place: 0.4012 → 40.1."""
    return (Decimal(value) * 100).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TargetProgress:
    five_star: int
    total: int
    share: Decimal  # of all settlements, 0–1
    target: Decimal  # 0–1
    deadline: dt.date
    days_left: int  # negative once the deadline has passed

    @property
    def met(self) -> bool:
        return self.total > 0 and self.share >= self.target

    @property
    def bar_percent(self) -> Decimal:
        """How far along the way to the target, for the progress bar: 0–100."""
        if self.target <= 0:
            return Decimal(100)
        return min(Decimal(100), percent(self.share / self.target))

    @property
    def still_needed(self) -> int:
        """Five-star settlements still missing to reach the target (0 once met)."""
        wanted = (self.target * self.total).to_integral_value(rounding="ROUND_CEILING")
        return max(0, int(wanted) - self.five_star)


def target_progress(
    *, five_star: int, total: int, target: Decimal, deadline: dt.date, today: dt.date
) -> TargetProgress:
    if five_star > total:
        raise ValueError("more five-star settlements than settlements")
    return TargetProgress(
        five_star=five_star,
        total=total,
        share=share(five_star, total),
        target=Decimal(target),
        deadline=deadline,
        days_left=(deadline - today).days,
    )


def movement(*, rank: int, previous_rank: int | None) -> int | None:
    """Places gained since the previous round (positive = up); None when not ranked then."""
    if previous_rank is None:
        return None
    return previous_rank - rank


@dataclass(frozen=True)
class Drift:
    reviews: int
    mean: Decimal  # of county − self, in points
    spread: Decimal  # population standard deviation of county − self


def drift(*, reviews: int, gap_sum: Decimal, gap_square_sum: Decimal) -> Drift:
    """Mean and spread of (county − self) from n, Σgap and Σgap², as stored per round."""
    if reviews <= 0:
        raise ValueError("drift needs at least one review")
    n = Decimal(reviews)
    mean = Decimal(gap_sum) / n
    variance = max(Decimal(0), Decimal(gap_square_sum) / n - mean * mean)
    return Drift(
        reviews=reviews,
        mean=mean.quantize(DRIFT_PLACES, rounding=ROUND_HALF_UP),
        spread=variance.sqrt().quantize(DRIFT_PLACES, rounding=ROUND_HALF_UP),
    )


def on_time(submitted_on: dt.date | None, deadline: dt.date) -> bool:
    """Submitted on or before the round's own deadline (a resubmission after a send-back is late)."""
    return submitted_on is not None and submitted_on <= deadline


def is_due(deadline: dt.date, today: dt.date) -> bool:
    """A round's self-assessments count as due once its deadline day has ended.

    Until then a missing one is not late: timeliness counts only rounds past their deadline.
    """
    return deadline < today


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}Q{quarter}"
