"""The stats version: one value in the shared cache that every cached dashboard part is
keyed by, bumped on commit of anything those parts show.

Bumped by the stored aggregates' recounts and the league builds (dashboards.stats) and by
the live counts' recount (dashboards.live, at least once a minute), so a cached part lives
until the next change and never past a minute or so. A reader's request never bumps.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import transaction

KEY = "dashboards:stats-version"
# The templates cache their parts for 600 s at most ({% cache 600 dashboard ... %}): a
# fallback only, a bump retires them sooner.


def stats_version() -> str:
    version = cache.get(KEY)
    if version is None:
        cache.add(KEY, uuid.uuid4().hex, None)
        version = cache.get(KEY) or ""
    return str(version)


def bump() -> None:
    cache.set(KEY, uuid.uuid4().hex, None)


def bump_on_commit() -> None:
    """Bump once the current transaction commits (a cache write: twice costs nothing)."""
    transaction.on_commit(bump)
