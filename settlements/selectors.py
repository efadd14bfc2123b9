"""Reads scoped to the user. The only way views, admin, import and export get settlements."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import F, Model, Q, QuerySet

from core.scoping import restrict_to

from .models import Settlement, Township, Village
from .permissions import is_official, sees_all_settlements
from .tally import settlements_total

_M = TypeVar("_M", bound=Model)


def townships_visible_to(user: Any) -> QuerySet[Township]:
    if sees_all_settlements(user):
        return Township.objects.all()
    if is_official(user):
        return Township.objects.filter(pk=user.township_id)
    return Township.objects.none()


# The county's township filter (all townships: 700 at national scale) is read from the
# shared cache, keyed by a version bumped on commit of any change to a township
# (settlements.apps connects the signals; bulk builders call the bump themselves). Each
# process keeps the rows of the version it last read: a page reads only the version.
TOWNSHIP_OPTIONS_VERSION = "settlements:township-options-version"
_kept_options: dict[str, tuple[tuple[int, str], ...]] = {}


def township_options(user: Any) -> tuple[tuple[int, str], ...]:
    """(id, name) of the townships ``user`` may see, by code: the lists' township filter."""
    townships = townships_visible_to(user).order_by("code").values_list("pk", "name")
    if not sees_all_settlements(user):
        return tuple(townships)
    version = cache.get(TOWNSHIP_OPTIONS_VERSION)
    if version is None:
        cache.add(TOWNSHIP_OPTIONS_VERSION, uuid.uuid4().hex, None)
        version = cache.get(TOWNSHIP_OPTIONS_VERSION)
    kept = _kept_options.get(version)
    if kept is not None:
        return kept
    key = f"settlements:township-options:{version}"
    rows = cache.get(key)
    if rows is None:
        rows = tuple(townships)
        cache.set(key, rows, 24 * 60 * 60)
    _kept_options.clear()  # only the current version is kept
    _kept_options[version] = rows = tuple(rows)
    return rows


def township_options_changed(**_kwargs: Any) -> None:
    """Retire the cached township options once the change commits (a signal receiver)."""
    transaction.on_commit(lambda: cache.set(TOWNSHIP_OPTIONS_VERSION, uuid.uuid4().hex, None))


def villages_visible_to(user: Any) -> QuerySet[Village]:
    if sees_all_settlements(user):
        return Village.objects.select_related("township")
    if is_official(user):
        return Village.objects.select_related("township").filter(township_id=user.township_id)
    return Village.objects.none()


def settlements_visible_to(user: Any) -> QuerySet[Settlement]:
    """Every settlement the user may see, with village and township joined."""
    qs = Settlement.objects.with_places()
    if sees_all_settlements(user):
        return qs
    if is_official(user):
        return qs.filter(village__township_id=user.township_id)
    return qs.none()


def scoped_by_settlement(
    queryset: QuerySet[_M], user: Any, path: str = "settlement"
) -> QuerySet[_M]:
    """Rows whose settlement (at ``path``) the user may see."""
    # The county roles see every row: no semi-join against every settlement.
    allowed = None if sees_all_settlements(user) else settlements_visible_to(user)
    return restrict_to(queryset, path, allowed)


SETTLEMENTS_PER_PAGE = 50


def settlements_filtered(
    user: Any,
    *,
    q: str = "",
    township_id: int | None = None,
    klass: int | None = None,
    star: int | None = None,
) -> QuerySet[Settlement]:
    """The user's settlements by code, narrowed by township, class, current star and a search."""
    qs = settlements_visible_to(user).order_by("code")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
    if township_id is not None:
        qs = qs.filter(village__township_id=township_id)
    if klass is not None:
        qs = qs.filter(klass=klass)
    if star is not None:
        qs = qs.filter(current_star=star)
    return qs


# Up to this many rows before a page, the page is read in one joined query: the plan walks
# the code index and stops after the page. Deeper, OFFSET would join every skipped row.
SHALLOW_ROWS = 1000


# What a row of the settlement list shows: plain values, no model instances (a page of
# 50 rows joined to village and township built 150 objects).
PAGE_ROW = ("pk", "code", "name", "klass", "households", "current_star")


def _page_rows(settlements: QuerySet[Settlement]) -> Any:
    return settlements.values(*PAGE_ROW, township=F("village__township__name"))


def settlement_page(
    user: Any, *, q: str = "", page: Any = 1, per_page: int = SETTLEMENTS_PER_PAGE, **filters: Any
) -> Page[Any]:
    """One page of the user's settlements, by code, optionally searched by name or code:
    each row a dict of ``PAGE_ROW``'s keys and ``township`` (its name).

    The first pages (within ``SHALLOW_ROWS``) read their rows joined to village and township
    in one query. Deeper pages pick their ids first from the code index and join only those
    rows: a deep page then costs the index scan OFFSET needs, not the join for every skipped
    row (README, "Performance"). The whole county's list (no filter, no search) takes its
    total from the one the database keeps (``settlements.tally``) instead of counting
    35,000 rows. Queries: count and rows; deep pages count, ids and rows.
    """
    settlements = settlements_filtered(user, q=q, **filters)
    # The page's ids (a lazy slice, read only for deep pages); get_page counts once.
    paginator = Paginator(settlements.values_list("pk", flat=True), per_page)
    if not q and not any(v is not None for v in filters.values()) and sees_all_settlements(user):
        total = settlements_total()  # the whole county: the total the database keeps
        if total is not None:
            paginator.count = total
    result: Page[Any] = paginator.get_page(page)
    offset = (result.number - 1) * per_page
    if offset < SHALLOW_ROWS:
        result.object_list = list(_page_rows(settlements)[offset : offset + per_page])
        return result
    ids = list(result.object_list)
    rows = {r["pk"]: r for r in _page_rows(Settlement.objects.filter(pk__in=ids))}
    result.object_list = [rows[pk] for pk in ids if pk in rows]
    return result
