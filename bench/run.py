#!/usr/bin/env python
"""National-scale benchmark: dashboards, league table, settlement list and round opening.

Run by hand, never in the test suite. Needs a PostgreSQL you started yourself and `wrk`:

    .venv/bin/python bench/run.py --database-url postgres://postgres@127.0.0.1:55439/stars_bench

What it does, in one run:
1. builds (or, with the same sizes already there, reuses) a county of ``--settlements``
   settlements and ``--rounds`` quarterly rounds of history on that database, with the
   project's own bulk builders (settlements.demo.build_places, ratings.demo_history);
2. times the SQL each measured page issues, alone (the page's captured statements
   replayed on one connection, median of ``--sql-repeats``);
3. serves the project with gunicorn (2 sync workers, production settings) and measures
   p50/p95 latency and requests/s with wrk at 1 and 8 connections, ``--runs`` runs of
   ``--duration`` seconds each, reporting the median run, for: a trivial view (/healthz,
   no session, no database: the floor), the county dashboard, a league table, the
   settlement list (pages 1 and 350) and the county's organisation-gap list, each with
   its ratio to the trivial view (bench/pages.py); before that, what the tasks keep for
   the pages (stored gaps, live figures) is timed, and so is the first request to the
   dashboard and the league after a change (the task recounts; the request only reads);
4. times ratings.services.round_open for all settlements, then removes that round again;
5. times the spreadsheet import pipeline (core.imports.services, what the web's jobs
   and ``manage.py import_spreadsheet`` run): a generated ``--import-rows``-row xlsx
   of new settlements previewed, then applied; the same codes again with every name
   changed, previewed and applied; an export of them re-imported (all unchanged); then
   those settlements, their history rows and stored gaps are removed again. Wall time,
   the importing process's CPU time and (with a local server) the PostgreSQL backend's
   CPU time are reported apart: on a shared machine the wall time is mostly waiting;
6. prints the figures and the targets (dashboard and league p50 within 3x the trivial
   view and within 2x their SQL + 10 ms; round open <= 10 s), and writes them as JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA = Path(__file__).with_name("wrk_report.lua")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--database-url", default="postgres://postgres@127.0.0.1:55439/stars_bench")
    p.add_argument("--settlements", type=int, default=35_000)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--fresh", action="store_true", help="drop and rebuild the benchmark database")
    p.add_argument("--build-only", action="store_true", help="build the data, measure nothing")
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    p.add_argument(
        "--runs", type=int, default=3, help="wrk runs per figure (the median is reported)"
    )
    p.add_argument("--connections", default="1,8")
    p.add_argument("--sql-repeats", type=int, default=30)
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--output", default="/tmp/stars-bench-results.json")
    p.add_argument(
        "--import-rows", type=int, default=35_000, help="rows of the generated import file"
    )
    p.add_argument(
        "--import-only",
        action="store_true",
        help="only the import figures (needs townships and villages; builds the places if there are none)",
    )
    return p.parse_args()


def configure(args: argparse.Namespace) -> None:
    """Production settings (DEBUG off) against the benchmark database; the same env for gunicorn."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": args.database_url,
            "ENV_FILE": "/dev/null",
            "DEBUG": "0",
            "TESTING": "0",
            "SECRET_KEY": "bench-" + secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "0",
            "STATIC_ROOT": "/tmp/stars-bench-static",
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "600",
        }
    )
    sys.path.insert(0, str(ROOT))


def ensure_database(url: str, fresh: bool) -> None:
    if not url.startswith(("postgres://", "postgresql://")):
        return  # SQLite: the file is created by migrate
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def build(args: argparse.Namespace) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from ratings import demo_history
    from ratings.models import Rating, Round
    from settlements import demo
    from settlements.models import Settlement

    call_command("migrate", verbosity=0)
    timings: dict = {}
    have = Settlement.objects.count()
    rounds = Round.objects.count()
    if have != args.settlements or rounds < args.rounds:
        if have or rounds:
            sys.exit(
                f"database holds {have} settlements and {rounds} rounds, not {args.settlements} and "
                f"{args.rounds}: run with --fresh"
            )
        t = time.perf_counter()
        demo.build_places(args.settlements)
        demo.ensure_users()
        timings["build_places_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        result = demo_history.build_history(rounds=args.rounds)
        timings["build_history_s"] = round(time.perf_counter() - t, 1)
        timings["history"] = result.__dict__
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    timings["settlements"] = Settlement.objects.count()
    timings["rounds"] = Round.objects.count()
    timings["ratings"] = Rating.objects.count()
    call_command("collectstatic", interactive=False, verbosity=0)
    return timings


def session_cookie() -> str:
    from django.test import Client

    from settlements.models import User

    client = Client()
    client.force_login(User.objects.get(username="assessor"))
    return client.cookies["sessionid"].value


def pages() -> dict[str, str]:
    return {
        "trivial view (/healthz)": "/healthz",
        "county dashboard": "/dashboard/",
        "league table (class II)": "/dashboard/league/?klass=2",
        "settlement list, page 1": "/settlements/",
        "settlement list, page 350": "/settlements/?page=350",
        "organisation-gap list (county)": "/settlements/governance/gaps/",
    }


_DECLARE = re.compile(r'^\s*DECLARE\s+"?\w+"?\s.*?\bCURSOR\b.*?\bFOR\s+', re.I | re.S)


def _plain(sql: str) -> str | None:
    """A captured statement as one that can run again: a server-side cursor's DECLARE
    (a page that streams with .iterator()) as its SELECT; its FETCH/CLOSE dropped."""
    if re.match(r"^\s*(FETCH|CLOSE|MOVE)\b", sql, re.I):
        return None
    return _DECLARE.sub("", sql)


def _replay(statements: list[str], repeats: int) -> float:
    from django.db import connection

    statements = [plain for sql in statements if (plain := _plain(sql))]
    times = []
    with connection.cursor() as cursor:
        for _ in range(repeats):
            t = time.perf_counter()
            for sql in statements:
                cursor.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()
            times.append(time.perf_counter() - t)
    return round(statistics.median(times) * 1000, 2)


def sql_alone(urls: dict[str, str], cookie: str, repeats: int) -> dict[str, dict]:
    """Each page's statements, captured from one in-process request, replayed alone.

    "warm" is the request every visitor makes (live counts cached for the minute, league
    already ranked); "cold" is the first request after the cache expired. Only reads are
    replayed: the league's one-off ranking is timed as a whole instead.
    """
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.cookies["sessionid"] = cookie
    out = {}
    for name, url in urls.items():
        cache.clear()
        with CaptureQueriesContext(connection) as cold:
            t = time.perf_counter()
            response = client.get(url)
            first_ms = (time.perf_counter() - t) * 1000
        with CaptureQueriesContext(connection) as warm:
            response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code} in-process")
        reads = [
            q["sql"]
            for q in cold.captured_queries
            if q["sql"].lstrip().upper().startswith("SELECT")
        ]
        out[name] = {
            "queries": len(warm.captured_queries),
            "sql_ms": _replay([q["sql"] for q in warm.captured_queries], repeats),
            "cold_queries": len(cold.captured_queries),
            "cold_read_sql_ms": _replay(reads, max(3, repeats // 5)),
            "first_request_ms": round(first_ms, 1),
        }
    return out


def start_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit("gunicorn did not start")


def check(url: str, cookie: str) -> int:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # raises on 4xx/5xx
        body = response.read()
        if response.status != 200 or response.geturl() != url:
            sys.exit(f"{url} did not answer 200 itself ({response.status}, {response.geturl()})")
        return len(body)


def wrk(url: str, cookie: str, connections: int, duration: int) -> dict:
    command = [
        "wrk",
        f"-t{min(connections, 2)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        "-H",
        f"Cookie: sessionid={cookie}",
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in output.splitlines() if x.startswith("JSON "))
    data = json.loads(line[5:])
    # Reported, not fatal: a slow page timing out under load is itself a result.
    return {
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "rps": data["requests"] / (data["duration_us"] / 1e6),
        "errors": data["status_errors"] + data["socket_errors"],
    }


def load(urls: dict[str, str], cookie: str, args: argparse.Namespace) -> dict[str, dict]:
    base = f"http://127.0.0.1:{args.port}"
    server = start_server(args.port)
    out: dict[str, dict] = {}
    try:
        for name, url in urls.items():
            size = check(base + url, cookie)
            for _ in range(20):
                check(base + url, cookie)  # warm both workers
            out[name] = {"bytes": size}
            for c in (int(x) for x in args.connections.split(",")):
                runs = [wrk(base + url, cookie, c, args.duration) for _ in range(args.runs)]
                median = sorted(runs, key=lambda r: r["p50_ms"])[len(runs) // 2]
                out[name][f"c{c}"] = {k: round(v, 2) for k, v in median.items()}
                print(
                    f"  {name:28} c={c}: p50 {median['p50_ms']:.2f} ms, p95 {median['p95_ms']:.2f} ms, "
                    f"{median['rps']:.0f} req/s, errors {median['errors']}",
                    flush=True,
                )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return out


def time_round_open() -> dict:
    """Open the next quarter's round for every settlement through the service, then remove it."""
    from django.db import connection

    from ratings import rules
    from ratings.models import Round, SelfAssessment
    from ratings.services import round_open

    latest = Round.objects.order_by("-year", "-quarter").first()
    if latest is None:
        raise SystemExit("no round in the database: seed it first")
    year, quarter = (
        (latest.year, latest.quarter + 1) if latest.quarter < 4 else (latest.year + 1, 1)
    )
    t = time.perf_counter()
    rnd, created = round_open(year=year, quarter=quarter, today=rules.round_dates(year, quarter))
    seconds = time.perf_counter() - t
    if not created:
        sys.exit(f"round {year}Q{quarter} already existed")
    assessments = SelfAssessment.objects.filter(round=rnd).count()
    history_sa = SelfAssessment.history.model._meta.db_table
    history_round = Round.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {history_sa} WHERE round_id = %s", [rnd.pk])
        cursor.execute(f"DELETE FROM {SelfAssessment._meta.db_table} WHERE round_id = %s", [rnd.pk])
        cursor.execute(f"DELETE FROM {history_round} WHERE id = %s", [rnd.pk])
        cursor.execute(f"DELETE FROM {Round._meta.db_table} WHERE id = %s", [rnd.pk])
    return {
        "round": f"{year}Q{quarter}",
        "self_assessments": assessments,
        "seconds": round(seconds, 2),
    }


def time_league_build() -> dict:
    """Re-rank the newest rated round's class II, as the task queued after a change does."""
    from dashboards.models import CountyRoundStat, LeagueBuild, LeagueEntry
    from dashboards.stats import league_build
    from ratings.models import Round

    rnd = (
        Round.objects.filter(pk__in=CountyRoundStat.objects.values("round"))
        .order_by("-year", "-quarter")
        .first()
    )
    if rnd is None:
        raise SystemExit("no rated round in the database: seed it first")
    LeagueBuild.objects.filter(round=rnd, settlement_class=2).delete()
    t = time.perf_counter()
    league_build(round=rnd, settlement_class=2)
    seconds = time.perf_counter() - t
    entries = LeagueEntry.objects.filter(round=rnd, settlement_class=2).count()
    return {"round": str(rnd), "entries": entries, "ms": round(seconds * 1000, 1)}


def _import_file(rows: list[list], path: Path) -> None:
    import openpyxl

    from settlements.resources import SettlementResource

    header = [f.column_name for f in SettlementResource().get_user_visible_fields()]
    # A normal workbook, as Excel, WPS and the project's export write it (with the sheet's
    # <dimension>; openpyxl's write-only mode leaves it out, and a read-only reader then
    # parses the sheet twice to size it).
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    book.save(path)


def _remove_bench_rows() -> None:
    """The benchmark's settlements and their history, in two statements (a queryset
    delete would write a history row per settlement through signals)."""
    from django.db import connection

    from settlements.models import Settlement

    with connection.cursor() as cursor:
        # What the import stores beside them (their gaps) and anything else that goes with a
        # settlement (organisation, committee, team): the rows that cascade, first.
        for related in Settlement._meta.related_objects:
            model = related.related_model
            if related.on_delete.__name__ == "CASCADE" and not isinstance(model, str):
                cursor.execute(
                    f"DELETE FROM {model._meta.db_table} WHERE {related.field.column} IN "  # noqa: S608 - the models' own names
                    f"(SELECT id FROM {Settlement._meta.db_table} WHERE code LIKE %s)",
                    ["BENCH-%"],
                )
        for table in (Settlement.history.model._meta.db_table, Settlement._meta.db_table):
            cursor.execute(f"DELETE FROM {table} WHERE code LIKE %s", ["BENCH-%"])  # noqa: S608


def _database_cpu() -> float | None:
    """CPU seconds this connection's PostgreSQL backend has used (a server on this machine),
    so the import's database time is known apart from the time waiting for a core."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # the server runs elsewhere
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def time_import(n: int) -> dict:
    """The import pipeline on an ``n``-row xlsx: new rows, then every row changed, then
    an export re-imported unchanged; preview and apply timed apart. Cleans up after."""
    import tempfile

    from core.imports.base import importer_for
    from core.imports.services import ImportRefused, import_apply_now, import_run, summary_of
    from core.models import ImportJob
    from settlements import demo
    from settlements.models import User, Village

    if not Village.objects.exists():
        demo.build_places(n)
    demo.ensure_users()
    by = User.objects.get(username="secretary")
    villages = list(Village.objects.select_related("township").order_by("pk")[:500])
    _remove_bench_rows()

    def rows(name: str) -> list[list]:
        out = []
        for i in range(n):
            v = villages[i % len(villages)]
            households = 5 + i % 180
            out.append(
                [
                    f"BENCH-{i:06d}",
                    f"{name}{i}",
                    v.township.name,
                    v.name,
                    households,
                    households * 4,
                    i % 40,
                    "2019-06-30",
                    "",
                    "",
                    26.5,
                    106.7,
                ]
            )
        return out

    figures: dict = {"rows": n}
    with tempfile.TemporaryDirectory() as tmp:
        for label, name in (("new", "测试点"), ("changed", "改名点")):
            path = Path(tmp) / f"{label}.xlsx"
            _import_file(rows(name), path)
            figures[f"{label}_file_mb"] = round(path.stat().st_size / 1e6, 2)
            # openpyxl's 420,000 cells of the file just written are reference cycles: collect
            # them now, or the import's own collections walk them (and are timed).
            gc.collect()
            # Wall time, and this process's CPU time: on a shared machine the wall time
            # includes waiting for a core; the CPU time does not (PostgreSQL's is apart).
            db = _database_cpu()
            t, cpu = time.perf_counter(), time.process_time()
            job = import_run(kind="settlements", path=str(path), by=by, apply=False)
            preview_s, preview_cpu = time.perf_counter() - t, time.process_time() - cpu
            db_preview = _database_cpu()
            summary = summary_of(job).line()
            t, cpu = time.perf_counter(), time.process_time()
            job = import_apply_now(job=job, by=by)
            apply_s, apply_cpu = time.perf_counter() - t, time.process_time() - cpu
            db_apply = _database_cpu()
            figures[label] = {
                "summary": summary,
                "status": job.status,
                "preview_s": round(preview_s, 2),
                "apply_s": round(apply_s, 2),
                "preview_and_apply_s": round(preview_s + apply_s, 2),
                "python_cpu_s": {"preview": round(preview_cpu, 2), "apply": round(apply_cpu, 2)},
                # The PostgreSQL backend's CPU (None when the server is not on this machine):
                # Python + database CPU is about what the wall time would be on an idle machine.
                "database_cpu_s": None
                if db is None or db_preview is None or db_apply is None
                else {
                    "preview": round(db_preview - db, 2),
                    "apply": round(db_apply - db_preview, 2),
                },
                "loadavg": os.getloadavg()[0],
            }
        path = Path(tmp) / "export.xlsx"
        t = time.perf_counter()
        importer = importer_for("settlements")
        assert importer is not None  # registered by the settlements app
        _rows, data = importer(user=by).export()
        figures["export_s"] = round(time.perf_counter() - t, 2)
        path.write_bytes(data)
        figures["export_mb"] = round(len(data) / 1e6, 2)
        t = time.perf_counter()
        try:
            job = import_run(kind="settlements", path=str(path), by=by, apply=False)
        except ImportRefused as exc:  # the whole county may exceed IMPORT_MAX_BYTES
            figures["export_reimport"] = {"refused": f"{exc.code}: {exc.message}"}
        else:
            figures["export_reimport"] = {
                "summary": summary_of(job).line(),
                "preview_s": round(time.perf_counter() - t, 2),
            }
    _remove_bench_rows()
    for job in ImportJob.objects.filter(created_by=by):
        for f in (job.file, job.plan, job.refused_file):
            if f:
                f.delete(save=False)
    ImportJob.objects.filter(created_by=by).delete()
    return figures


def verdicts(results: dict) -> list[str]:
    http, sql = results["http"], results["sql"]
    floor = http["trivial view (/healthz)"]["c1"]["p50_ms"]
    lines = []
    for name in ("county dashboard", "league table (class II)"):
        p50 = http[name]["c1"]["p50_ms"]
        alone = sql[name]["sql_ms"]
        lines.append(
            f"{name}: p50 {p50:.2f} ms vs 3 x trivial {3 * floor:.2f} ms -> "
            f"{'met' if p50 <= 3 * floor else 'NOT met'}; vs 2 x SQL + 10 ms {2 * alone + 10:.2f} ms -> "
            f"{'met' if p50 <= 2 * alone + 10 else 'NOT met'}"
        )
    if "import" in results:
        lines.extend(import_verdicts(results["import"]))
    ro = results["round_open"]["seconds"]
    lines.append(
        f"round open for {results['round_open']['self_assessments']} settlements: {ro:.2f} s -> "
        f"{'met' if ro <= 3 else 'NOT met'} (target 3 s)"
    )
    return lines


def import_verdicts(figures: dict) -> list[str]:
    lines = []
    for label in ("new", "changed"):
        total = figures[label]["preview_and_apply_s"]
        lines.append(
            f"import of {figures['rows']} settlements ({label}): preview {figures[label]['preview_s']:.2f} s + apply "
            f"{figures[label]['apply_s']:.2f} s = {total:.2f} s -> {'met' if total <= 10 else 'NOT met'} (target 10 s)"
        )
    return lines


def main() -> None:
    args = parse_args()
    configure(args)
    ensure_database(args.database_url, args.fresh)
    import django

    django.setup()
    # The machine is shared: the load average says how much of it the figures had.
    results: dict = {"args": vars(args), "loadavg_before": os.getloadavg(), "cpus": os.cpu_count()}
    if args.import_only:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(f"import of {args.import_rows} rows …", flush=True)
        results["import"] = time_import(args.import_rows)
        print(json.dumps(results["import"], indent=2, ensure_ascii=False))
        print("\n".join(["", "targets:", *("  " + v for v in import_verdicts(results["import"]))]))
        Path(args.output).write_text(json.dumps(results, indent=2, ensure_ascii=False))
        return
    print("building / checking data …", flush=True)
    results["data"] = build(args)
    print(f"  {results['data']}", flush=True)
    if args.build_only:
        return
    import pages as page_figures  # bench/pages.py, beside this script

    print("stored gaps and live figures, as the tasks keep them …", flush=True)
    results["stored"] = page_figures.prepare_stored()
    print(f"  {results['stored']}", flush=True)
    cookie = session_cookie()
    urls = pages()
    print("SQL alone …", flush=True)
    results["sql"] = sql_alone(urls, cookie, args.sql_repeats)
    for name, figures in results["sql"].items():
        print(
            f"  {name:28} {figures['queries']:2d} queries, {figures['sql_ms']:.2f} ms; first request "
            f"after a change or the minute: {figures['cold_queries']} queries, reads "
            f"{figures['cold_read_sql_ms']:.2f} ms, whole request {figures['first_request_ms']:.1f} ms",
            flush=True,
        )
    results["league_build"] = time_league_build()
    print(f"league ranking after a change: {results['league_build']}", flush=True)
    results["after_change"] = page_figures.after_a_change(urls, cookie)
    print(f"first request after a change: {results['after_change']}", flush=True)
    print("HTTP (gunicorn, 2 sync workers; wrk) …", flush=True)
    results["http"] = load(urls, cookie, args)
    results["ratios"] = page_figures.ratios(results["http"])
    print("\n".join(["", "pages (issue 13):", *page_figures.page_table(results), ""]), flush=True)
    print("round open …", flush=True)
    results["round_open"] = time_round_open()
    print(f"  {results['round_open']}", flush=True)
    print(f"import of {args.import_rows} rows …", flush=True)
    results["import"] = time_import(args.import_rows)
    print(f"  {results['import']}", flush=True)
    results["loadavg_after"] = os.getloadavg()
    print(f"  load average before {results['loadavg_before']}, after {results['loadavg_after']}")
    results["verdicts"] = verdicts(results) + page_figures.page_verdicts(results)
    print("\n".join(["", "targets:", *("  " + v for v in results["verdicts"])]))
    Path(args.output).write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
