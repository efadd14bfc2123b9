"""What rewards adds to the dashboards, read through rewards.selectors (dashboards sit above rewards).

County dashboard: the year's budget against committed, approved and paid money, with a
warning from 90 % of the budget on (SPEC §6 "warns before it is exceeded"). Township
dashboard: that township's reward money. Assessors see no money (no panel); an official
sees only their own township's. The township annual summary gets the money columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from rewards import rules, selectors
from rewards.permissions import may_manage_money, may_see_money, may_see_township_money
from rewards.templatetags.rewards_format import format_yuan


@dataclass(frozen=True)
class Scope:
    """What a panel is asked about: the county (township_id None) or one township, in a year,
    for this user (a panel shows nothing the user may not see, e.g. money to an assessor)."""

    user: Any
    township_id: int | None
    year: int
    today: dt.date


@dataclass(frozen=True)
class Panel:
    title: str
    rows: tuple[tuple[str, str], ...]  # (label, value already formatted)
    progress: Decimal | None = None  # 0–100, drawn as a bar
    progress_label: str = ""
    warning: str = ""


@dataclass(frozen=True)
class SummaryColumns:
    headers: tuple[str, ...]
    # township id -> one value per header; numbers stay numbers for the spreadsheet
    values: Mapping[int, tuple[Any, ...]]


def _yuan(value: Decimal) -> str:
    return "¥" + format_yuan(value)


def rewards_panel_shown(user: Any, township_id: int | None) -> bool:
    """Whether the rewards panel has anything for this user: the budget for those who manage
    the money (county), a township's money for those who may see it."""
    if not may_see_money(user):
        return False
    if township_id is None:
        return bool(may_manage_money(user))
    return bool(may_see_township_money(user, township_id))


def rewards_panel(scope: Scope) -> Panel | None:
    """Three queries for the county (budget row, totals, amounts set?), two for a township."""
    if not rewards_panel_shown(scope.user, scope.township_id):
        return None
    if scope.township_id is None:
        figures = selectors.budget_figures(year=scope.year)
        state = rules.budget_state(budget=figures["budget"], committed=figures["committed"])
        warning = ""
        if state == rules.BUDGET_OVER:
            warning = _("已承诺金额超出年度预算 %(excess)s，超出部分的审批须党组织书记确认。") % {
                "excess": _yuan(figures["committed"] - figures["budget"])
            }
        elif state == rules.BUDGET_NEAR:
            warning = _("已承诺金额达到年度预算的 90% 以上，请注意预算余额。")
        if selectors.amounts_missing(year=scope.year):
            warning = _amounts_missing_text(scope.year)
        return Panel(
            title=_("%(year)s年度奖励补助预算") % {"year": scope.year},
            rows=(
                (_("年度预算"), _yuan(figures["budget"])),
                (_("已承诺"), _yuan(figures["committed"])),
                (_("已审批"), _yuan(figures["approved"])),
                (_("已发放"), _yuan(figures["paid"])),
                (_("预算余额"), _yuan(figures["remaining"])),
            ),
            progress=rules.budget_share_percent(
                budget=figures["budget"], committed=figures["committed"]
            ),
            progress_label=_("已承诺占预算"),
            warning=warning,
        )
    totals = selectors.township_year_totals(township_id=scope.township_id, year=scope.year)
    return Panel(
        title=_("%(year)s年度奖励补助") % {"year": scope.year},
        rows=(
            (_("已承诺"), _yuan(totals["committed"])),
            (_("已审批"), _yuan(totals["approved"])),
            (_("已发放"), _yuan(totals["paid"])),
        ),
        warning=_amounts_missing_text(scope.year)
        if selectors.amounts_missing(year=scope.year)
        else "",
    )


def _amounts_missing_text(year: int) -> str:
    return _("%(year)s年度尚未设置奖励标准：生效的评定不会产生奖励建议。") % {"year": year}


def rewards_summary_columns(
    user: Any, township_ids: Sequence[int], year: int
) -> SummaryColumns | None:
    """Reward money per township for the annual summary (乡镇年度目标考核), one query.

    Money is shown only to those who may see it: secretaries, and officials for their own
    township (disbursements_visible_to scopes the rows). Assessors get no columns.
    """
    if not may_see_money(user):
        return None
    values = selectors.committed_and_paid_by_township(user, township_ids=township_ids, year=year)
    return SummaryColumns(headers=(_("奖励已承诺（元）"), _("奖励已发放（元）")), values=values)


def dashboard_panels(scope: Scope) -> list[Panel]:
    """The panels other apps' figures make on a dashboard; each issues a fixed number of queries."""
    return [p for p in (rewards_panel(scope),) if p is not None]


def any_panel_shown(user: Any, township_id: int | None) -> bool:
    """Whether ``dashboard_panels`` would show this user anything (else the year the panels
    are about need not be read)."""
    return rewards_panel_shown(user, township_id)


def summary_columns(user: Any, township_ids: Sequence[int], year: int) -> list[SummaryColumns]:
    """The columns other apps' figures add to the township annual summary."""
    return [c for c in (rewards_summary_columns(user, township_ids, year),) if c is not None]
