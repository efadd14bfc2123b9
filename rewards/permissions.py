"""Who may see and move reward money: asked by the reward pages, the dashboards' money
panels, the admin and the services alike (django-rules predicates; named permissions at
the bottom).

Money is seen by Party secretaries (everything) and township officials (their own
township's, read-only). Assessors see no money unless they are secretaries too.
"""

from __future__ import annotations

from typing import Any

import rules

from settlements.permissions import is_official, is_official_of_township, is_secretary, permission


@rules.predicate
def may_see_money(user: Any) -> bool:
    """Any reward money at all: secretaries, and officials (for their township)."""
    return bool(is_secretary(user) or is_official(user))


@rules.predicate
def may_see_township_money(user: Any, township: Any) -> bool:
    """One township's money (a township id or anything with a township): secretaries, and
    that township's own officials."""
    return bool(is_secretary(user) or is_official_of_township(user, township))


@rules.predicate
def may_manage_money(user: Any) -> bool:
    """The budget, reward amounts, approvals, payments and vouchers: the secretaries only."""
    return bool(is_secretary(user))


permission("rewards.see_money", may_see_money)
permission("rewards.see_township_money", may_see_township_money)
permission("rewards.manage_money", may_manage_money)
