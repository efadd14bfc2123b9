"""Pure reward rules (SPEC §6). No Django, no database: Decimals in, Decimals out.

The year's reward is paid in three tranches, 4:3:3, tied to the stages:

- initial (初评) 40 %: earned at the first round of the year whose rating gives a star;
- re-rating (复评) 30 %: earned at the Q2 round if the settlement holds a star then;
- final (定评) 30 %: earned at the Q4 round if the settlement holds a star then.

After every round each tranche earned so far is owed ``share × amount(star held now)``;
what is due is the part of that not yet paid, never negative (按最高星级: a rise tops up
every earned tranche, a fall pays later tranches lower and never claws back).

Rounding: a tranche's share of an amount is rounded to the fen *cumulatively*
(initial = r(0.4·A), re = r(0.7·A) − r(0.4·A), final = A − r(0.7·A), r = ROUND_HALF_UP to
0.01), so the three tranches of any amount add up to exactly that amount, and every
figure the rules produce is a whole number of fen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")

INITIAL = "initial"
RE = "re"
FINAL = "final"
TOP_UP = "top_up"
TRANCHES: tuple[str, ...] = (INITIAL, RE, FINAL)
SHARES: dict[str, Decimal] = {INITIAL: Decimal("0.4"), RE: Decimal("0.3"), FINAL: Decimal("0.3")}
# The quarter at which a tranche tied to a fixed stage falls due.
STAGE_QUARTER: dict[str, int] = {RE: 2, FINAL: 4}
STARRED: tuple[int, ...] = (3, 4, 5)
STAR_VALUES: tuple[int, ...] = (0, 3, 4, 5)

DEFAULT_BUDGET = Decimal("5000000.00")
# SPEC §6 "warns before it is exceeded": committed money from this share of the budget on.
BUDGET_WARNING_SHARE = Decimal("0.9")
BUDGET_OK = "ok"
BUDGET_NEAR = "near"
BUDGET_OVER = "over"


class AmountsInvalid(ValueError):
    """The per-star amounts cannot be used (missing, negative, below a fen, or falling)."""


class LedgerConflict(ValueError):
    """More is owed on a tranche than the ledger can hold without a second top-up for one rating."""


@dataclass(frozen=True)
class Payment:
    """One row the rule asks for: a tranche when it is earned, or a top-up of an earned one.

    ``round_index`` is the position in ``stars_by_quarter`` (0 = Q1). ``tranche`` is the
    tranche the money belongs to: the row's own kind, or the tranche a top-up completes.
    """

    round_index: int
    kind: str
    tranche: str
    star_basis: int
    amount: Decimal


@dataclass(frozen=True)
class Proposal:
    """A row the ledger lacks: what services write, pointing at the round that caused it."""

    kind: str
    tranche: str
    round_index: int
    star_basis: int
    amount: Decimal


def to_fen(value: Decimal) -> Decimal:
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def is_whole_fen(value: Decimal) -> bool:
    value = Decimal(value)
    return value == value.quantize(FEN)


def tranche_portion(tranche: str, amount: Decimal) -> Decimal:
    """The tranche's part of ``amount``, rounded cumulatively so the three parts sum to it."""
    if tranche not in TRANCHES:
        raise ValueError(f"unknown tranche {tranche!r}")
    amount = Decimal(amount)
    position = TRANCHES.index(tranche)
    upto = sum((SHARES[t] for t in TRANCHES[: position + 1]), Decimal(0))
    before = sum((SHARES[t] for t in TRANCHES[:position]), Decimal(0))
    # The last tranche takes the remainder exactly, whatever the shares' rounding.
    high = amount if position == len(TRANCHES) - 1 else to_fen(upto * amount)
    low = to_fen(before * amount) if position else ZERO
    return (high - low).quantize(FEN)


def check_amounts(amount_for_star: Mapping[int, Decimal]) -> dict[int, Decimal]:
    """Amounts for 3, 4 and 5 stars as whole fen, ≥ 0 and not falling as the star rises.

    Returns a mapping that also gives 0 for "no star". A falling schedule would break
    按最高星级 (a higher star must never be worth less), so it is refused.
    """
    checked: dict[int, Decimal] = {0: ZERO}
    for star in STARRED:
        if star not in amount_for_star:
            raise AmountsInvalid(f"no amount for {star} stars")
        value = Decimal(amount_for_star[star])
        if value < 0:
            raise AmountsInvalid(f"amount for {star} stars is negative")
        if not is_whole_fen(value):
            raise AmountsInvalid(f"amount for {star} stars is not a whole number of fen")
        checked[star] = value.quantize(FEN)
    if not checked[3] <= checked[4] <= checked[5]:
        raise AmountsInvalid("a higher star must not be worth less than a lower one")
    return checked


def _check_stars(stars_by_quarter: Sequence[int]) -> list[int]:
    stars = list(stars_by_quarter)
    if not 1 <= len(stars) <= 4:
        raise ValueError("stars_by_quarter holds one to four rounds (Q1 first)")
    for star in stars:
        if star not in STAR_VALUES:
            raise ValueError(f"{star!r} is not a star level (0, 3, 4 or 5)")
    return stars


def payment_breakdown(
    amount_for_star: Mapping[int, Decimal], stars_by_quarter: Sequence[int]
) -> list[Payment]:
    """Every row the year's path asks for, in order: tranches when earned, then top-ups."""
    amounts = check_amounts(amount_for_star)
    stars = _check_stars(stars_by_quarter)
    paid: dict[str, Decimal] = {}
    rows: list[Payment] = []
    for index, star in enumerate(stars):
        quarter = index + 1
        for tranche in TRANCHES:
            owed = tranche_portion(tranche, amounts[star]) if star else ZERO
            if tranche not in paid:
                earned_now = bool(star) and (
                    tranche == INITIAL or STAGE_QUARTER[tranche] == quarter
                )
                if earned_now:
                    rows.append(Payment(index, tranche, tranche, star, owed))
                    paid[tranche] = owed
            elif owed > paid[tranche]:
                rows.append(Payment(index, TOP_UP, tranche, star, owed - paid[tranche]))
                paid[tranche] = owed
    return rows


def yearly_payments(
    amount_for_star: Mapping[int, Decimal], stars_by_quarter: Sequence[int]
) -> list[Decimal]:
    """The amount due after each round of the year, given the stars held after each.

    ``amount_for_star`` gives the amount for 3, 4 and 5 stars; ``stars_by_quarter`` the
    stars held after each round so far (0 = none, Q1 first, one to four entries).
    """
    due = [ZERO for _ in _check_stars(stars_by_quarter)]
    for row in payment_breakdown(amount_for_star, stars_by_quarter):
        due[row.round_index] += row.amount
    return due


def proposals(
    breakdown: Sequence[Payment],
    *,
    ledger_paid: Mapping[str, Decimal],
    topped_up_rounds: Mapping[str, set[int]] | None = None,
) -> list[Proposal]:
    """The rows the ledger still lacks for what the path owes, per tranche.

    ``ledger_paid`` maps each tranche that already has its row to the total of that row
    and its top-ups (whatever their status: proposed money is committed money).
    ``topped_up_rounds`` maps a tranche to the rounds that already caused a top-up of it.

    A tranche the path no longer earns (a star lowered after it was proposed) is left
    alone: never clawed back. A tranche owed more than the ledger holds gets one top-up
    for the difference, attributed to the round whose star set what is owed now.
    """
    topped_up_rounds = topped_up_rounds or {}
    out: list[Proposal] = []
    for tranche in TRANCHES:
        rows = [row for row in breakdown if row.tranche == tranche]
        if not rows:
            continue
        target = sum((row.amount for row in rows), ZERO)
        if tranche in ledger_paid:
            paid = Decimal(ledger_paid[tranche])
        else:
            first = rows[0]
            out.append(
                Proposal(tranche, tranche, first.round_index, first.star_basis, first.amount)
            )
            paid = first.amount
        deficit = target - paid
        if deficit > 0:
            cause = rows[-1]
            if cause.round_index in topped_up_rounds.get(tranche, set()):
                raise LedgerConflict(
                    f"tranche {tranche} is owed {deficit} more, but round {cause.round_index + 1} "
                    "already topped it up"
                )
            out.append(Proposal(TOP_UP, tranche, cause.round_index, cause.star_basis, deficit))
    return out


def budget_state(*, budget: Decimal, committed: Decimal) -> str:
    """ "over" past the budget, "near" from 90 % of it, else "ok" (a zero budget: any money is over)."""
    budget, committed = Decimal(budget), Decimal(committed)
    if committed > budget:
        return BUDGET_OVER
    if budget > 0 and committed >= budget * BUDGET_WARNING_SHARE:
        return BUDGET_NEAR
    return BUDGET_OK


def budget_share_percent(*, budget: Decimal, committed: Decimal) -> Decimal:
    """Committed money as a percentage of the budget, one place, capped at 100 for a bar."""
    if Decimal(budget) <= 0:
        return Decimal("100.0") if committed > 0 else Decimal("0.0")
    share = Decimal(committed) * 100 / Decimal(budget)
    return min(Decimal("100"), share).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# ------------------------------------------------------------ amounts in Chinese capitals

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def _section(value: int) -> str:
    """0 < value < 10000 in capitals, zeros inside collapsed to one 零, none trailing."""
    digits = f"{value:04d}"
    out: list[str] = []
    zero_pending = False
    started = False
    for position, char in enumerate(digits):
        digit = int(char)
        unit = _SMALL_UNITS[3 - position]
        if digit == 0:
            zero_pending = started
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(_DIGITS[digit] + unit)
        started = True
    return "".join(out)


def _integer_capitals(value: int) -> str:
    sections: list[int] = []
    while value:
        sections.append(value % 10000)
        value //= 10000
    if len(sections) > len(_BIG_UNITS):
        raise ValueError("amount too large")
    out: list[str] = []
    zero_pending = False
    for index in range(len(sections) - 1, -1, -1):
        section = sections[index]
        if section == 0:
            zero_pending = bool(out)
            continue
        # A section below 1000 after a higher one reads with a 零 (壹万零伍佰).
        if out and (zero_pending or section < 1000):
            out.append("零")
        out.append(_section(section) + _BIG_UNITS[index])
        zero_pending = False
    return "".join(out)


def amount_in_chinese_capitals(amount: Decimal) -> str:
    """A yuan amount in financial capitals (大写), as written on a payment voucher.

    Rules of 《支付结算办法》: 整 after 元 or 角, none after 分; 零 where 角 is zero between
    元 and a non-zero 分; 元 may omit 零 before a non-zero 角 (壹万贰仟元伍角整).
    12000.50 → 壹万贰仟元伍角整; 0.05 → 伍分; 1000000 → 壹佰万元整; 0 → 零元整.
    """
    amount = Decimal(amount)
    if amount < 0:
        raise ValueError("amount cannot be negative")
    if not is_whole_fen(amount):
        raise ValueError("amount must be a whole number of fen")
    fen_total = int(amount.quantize(FEN) * 100)
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    if fen_total == 0:
        return "零元整"
    out = _integer_capitals(yuan) + "元" if yuan else ""
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif fen and yuan:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    else:
        out += "整"
    return out
