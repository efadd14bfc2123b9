"""The page figures of issue 13, for bench/run.py: what the tasks keep for the pages, the
first request after a change, each page's ratio to the trivial view, and the targets.

Imported by bench/run.py after django.setup(); never part of the test run.
"""

from __future__ import annotations

import time

# c1 p50 targets of the pages, in ms (issue 13, "Pages near the floor").
PAGE_TARGETS_MS = {
    "county dashboard": 10,
    "league table (class II)": 10,
    "settlement list, page 1": 15,
    "organisation-gap list (county)": 200,
}
TRIVIAL = "trivial view (/healthz)"


def prepare_stored() -> dict:
    """What tasks keep for the pages, as the worker would have kept it: the stored
    organisation gaps (on a database built before they were stored) and the live figures.

    Timed, since this is the work the pages used to do on a reader's request."""
    from dashboards.live import live_counts_refresh
    from settlements.governance.services import settlement_gaps_rebuild
    from settlements.models import Settlement, SettlementGaps

    out: dict = {}
    if SettlementGaps.objects.count() != Settlement.objects.count():
        t = time.perf_counter()
        out["gaps_rebuilt"] = settlement_gaps_rebuild()
        out["gaps_rebuild_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    out["live_scopes"] = live_counts_refresh()
    out["live_counts_refresh_ms"] = round((time.perf_counter() - t) * 1000, 1)
    return out


def after_a_change(urls: dict[str, str], cookie: str) -> dict[str, dict]:
    """The first request to the county dashboard and the league after a change, in process.

    A change is what a committed recount or re-ranking does: the task recounts the live
    figures (timed) and bumps the stats version, so every cached part retires. The request
    that follows renders from stored rows; it never counts or ranks.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dashboards import versions
    from dashboards.live import live_counts_refresh

    client = Client()
    client.cookies["sessionid"] = cookie
    out: dict[str, dict] = {}
    for name in ("county dashboard", "league table (class II)"):
        t = time.perf_counter()
        live_counts_refresh()  # the worker's part, on commit of the change
        versions.bump()
        task_ms = (time.perf_counter() - t) * 1000
        with CaptureQueriesContext(connection) as first:
            t = time.perf_counter()
            response = client.get(urls[name])
            first_ms = (time.perf_counter() - t) * 1000
        # Read now: captured_queries is a view of the log the next request resets.
        queries = list(first.captured_queries)
        t = time.perf_counter()
        client.get(urls[name])
        again_ms = (time.perf_counter() - t) * 1000
        writes = [
            q["sql"]
            for q in queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
            and "django_session" not in q["sql"]
        ]
        out[name] = {
            "status": response.status_code,
            "task_ms": round(task_ms, 1),
            "first_request_ms": round(first_ms, 1),
            "first_request_queries": len(queries),
            "first_request_writes": len(writes),
            "next_request_ms": round(again_ms, 1),
        }
    return out


def ratios(http: dict) -> dict[str, float]:
    """Each page's c1 p50 over the trivial view's, measured in the same run."""
    floor = http[TRIVIAL]["c1"]["p50_ms"]
    return {
        name: round(figures["c1"]["p50_ms"] / floor, 1)
        for name, figures in http.items()
        if "c1" in figures and floor
    }


def page_table(results: dict) -> list[str]:
    """Issue 13's page rows as this run measured them: c1 p50, c8 req/s, × the trivial view."""
    http, sql = results["http"], results["sql"]
    ratio = results["ratios"]
    lines = [
        "| figure | c1 p50 | c8 req/s | × trivial | SQL alone | target |",
        "|---|---|---|---|---|---|",
    ]
    for name, figures in http.items():
        c1 = figures.get("c1", {}).get("p50_ms")
        c8 = figures.get("c8", {}).get("rps")
        target = PAGE_TARGETS_MS.get(name)
        lines.append(
            f"| {name} | {c1:.2f} ms | {c8:.0f} | {ratio.get(name, 0):.1f} | "
            f"{sql[name]['sql_ms']:.2f} ms | {f'≤ {target} ms' if target else '—'} |"
            if c1 is not None and c8 is not None
            else f"| {name} | {c1} | {c8} | — | — | — |"
        )
    for name, figures in results.get("after_change", {}).items():
        lines.append(
            f"| {name}: first request after a change | {figures['first_request_ms']:.1f} ms "
            f"({figures['first_request_queries']} queries, {figures['first_request_writes']} writes) "
            f"| — | — | — | no request pays for the recount ({figures['task_ms']:.0f} ms in the task) |"
        )
    if "league_build" in results:
        lines.append(
            f"| league re-ranking after a change (a task) | {results['league_build']['ms']:.0f} ms "
            f"| — | — | — | never on a GET |"
        )
    return lines


def page_verdicts(results: dict) -> list[str]:
    http = results["http"]
    lines = []
    for name, target in PAGE_TARGETS_MS.items():
        if name not in http or "c1" not in http[name]:
            continue
        p50 = http[name]["c1"]["p50_ms"]
        lines.append(
            f"{name}: c1 p50 {p50:.2f} ms ({results['ratios'][name]} x trivial) vs {target} ms -> "
            f"{'met' if p50 <= target else 'NOT met'}"
        )
    for name, figures in results.get("after_change", {}).items():
        lines.append(
            f"{name}, first request after a change: {figures['first_request_writes']} writes, "
            f"{figures['first_request_ms']:.1f} ms -> "
            f"{'met' if figures['first_request_writes'] == 0 else 'NOT met'} (no rebuild on a GET)"
        )
    return lines
