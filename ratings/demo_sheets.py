"""Pure helpers of the demo history (``demo_history``): which quarters, which score sheets,
which submissions the live round's county visits, and the dating of rows written in bulk. Deterministic for a given ``random.Random``."""

# ruff: noqa: S311  (demo data: reproducible pseudo-random numbers are the point, not secrecy)
from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models

from . import rules

LOCAL = ZoneInfo(settings.TIME_ZONE)


def quarters_until(today: dt.date, count: int) -> list[tuple[int, int]]:
    """The ``count`` most recent (year, quarter) whose rounds opened on or before ``today``, oldest first."""
    if count < 1:
        raise ValueError("轮次数量必须至少为 1。")
    year, quarter = rules.quarter_closed_before(today)
    out = []
    for _ in range(count):
        out.append((year, quarter))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return out[::-1]


def clamp_score(value: float) -> Decimal:
    return rules.quantize_score(Decimal(str(round(min(110.0, max(30.0, value)), 1))))


def fill_sheet(
    rng: random.Random,
    items: Sequence[tuple[int, str, Decimal, Decimal]],
    *,
    target: Decimal,
    vetoed: bool,
    bonus_cap: Decimal,
) -> tuple[dict[int, int], Decimal]:
    """Occurrences per rubric item that score close to ``target``: (occurrences, score).

    ``items`` are (id, kind, points each, cap). Only items that occur are returned.
    """
    occurrences: dict[int, int] = {}
    bonus = Decimal(0)
    for item_id, kind, points, cap in items:
        if kind == rules.BONUS and points and rng.random() < 0.15:
            n = rng.randint(1, max(1, int(cap // points)))
            occurrences[item_id] = n
            bonus += min(cap, points * n)
        elif kind == rules.VETO and vetoed:
            occurrences[item_id] = 1
    deficit = rules.BASE_SCORE + min(bonus_cap, bonus) - target
    deductions = [i for i in items if i[1] == rules.DEDUCTION and i[2] > 0]
    rng.shuffle(deductions)
    for item_id, _kind, points, cap in deductions:
        if deficit <= 0:
            break
        most = int(cap // points)
        n = min(most, max(1, math.ceil(deficit / points)))
        occurrences[item_id] = n
        deficit -= points * n
    lines = [
        (kind, points, cap, occurrences.get(item_id, 0)) for item_id, kind, points, cap in items
    ]
    _points, score, _vetoed = rules.score_sheet(lines, bonus_cap=bonus_cap)
    return occurrences, score


def optimistic_copy(
    rng: random.Random, county: dict[int, int], deduction_ids: set[int]
) -> dict[int, int]:
    """A township's own sheet: the county's, with some deductions left out (self-assessments run high)."""
    own = dict(county)
    for item_id in list(own):
        if item_id in deduction_ids and rng.random() < 0.45:
            own[item_id] -= 1
            if own[item_id] == 0:
                del own[item_id]
    return own


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LOCAL)


@contextmanager
def _stamped(*fields: models.DateTimeField) -> Iterator[None]:
    # The history is dated in the past: auto_now(_add) would stamp every row "now".
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    try:
        for f in fields:
            f.auto_now = f.auto_now_add = False
        yield
    finally:
        for f, now, now_add in saved:
            f.auto_now, f.auto_now_add = now, now_add


def _field(model: type[models.Model], name: str) -> models.DateTimeField:
    return model._meta.get_field(name)  # type: ignore[return-value]  # callers name DateTimeFields


def _latest_submitted_in(plans: list[dict]) -> int | None:
    """The settlement id of the latest submission among ``plans`` (the first in plan order
    on a tie), or None."""
    submitted = [p for p in plans if p["submitted_on"] is not None]
    return max(submitted, key=lambda p: p["submitted_on"])["pk"] if submitted else None


def _latest_submitted_per_township(plans: list[dict]) -> set[int]:
    """Settlement ids of each township's latest submission in the round."""
    latest: dict[int, dict] = {}
    for plan in plans:
        if plan["submitted_on"] is None:
            continue
        best = latest.get(plan["township_id"])
        if best is None or plan["submitted_on"] >= best["submitted_on"]:
            latest[plan["township_id"]] = plan
    return {plan["pk"] for plan in latest.values()}
