"""Live figures (the stars settlements hold, the current round's work) are counted by a task,
never by a reader's request: a change queues one recount on commit, the page shows what was
counted last and when; the cached pages show a change once it is committed."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards import versions
from dashboards.live import live_counts_refresh
from dashboards.models import LeagueBuild, LeagueEntry, LiveCount
from dashboards.stats import league_build
from ratings.models import AssessmentStatus, Round, SelfAssessment
from settlements.models import Settlement
from tests import factories as f


def _writes(queries) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verbs)]


def test_a_seeded_history_has_its_figures_at_once(small_county):
    """A bulk rewrite of ratings (the demo's history) recounts in its own transaction."""
    county = LiveCount.objects.get(scope=LiveCount.COUNTY)
    assert county.settlements == Settlement.objects.count()
    assert county.five_star == Settlement.objects.filter(current_star=5).count()


def test_a_page_shows_nothing_counted_until_the_task_ran_and_never_counts(
    small_county, login, assessor
):
    LiveCount.objects.all().delete()  # a new deployment, before the worker's first run
    client = login(assessor)
    with CaptureQueriesContext(connection) as page:
        response = client.get(reverse("dashboard:county"))
    d = response.context["d"]
    assert d.counted_at is None and d.completeness.expected == 0 and d.target.total == 0
    assert "尚未统计" in response.content.decode()
    assert not LiveCount.objects.exists()
    # Only the session may be touched by a GET: no count, no rebuild.
    assert [sql for sql in _writes(page.captured_queries) if "django_session" not in sql] == []


def test_a_change_queues_one_recount_and_the_page_then_shows_it(
    small_county, login, assessor, django_capture_on_commit_callbacks, run_queued_tasks
):
    live_counts_refresh()
    connection.run_on_commit.clear()  # the fixture's history counts as committed
    current = Round.objects.order_by("-year", "-quarter").first()
    client = login(assessor)
    before = client.get(reverse("dashboard:county")).context["d"]
    first_counted = before.counted_at
    submitted = before.completeness.submitted
    submitted_rows = SelfAssessment.objects.filter(round=current, status=AssessmentStatus.SUBMITTED)
    assert submitted_rows.count() >= 2
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for sa in submitted_rows.order_by("pk")[:2]:
            sa.status = AssessmentStatus.RETURNED  # two sent back for changes
            sa.save()
    queued = [c for c in callbacks if getattr(c, "__module__", "") == "dashboards.live"]
    assert len(queued) == 1  # one recount per transaction, however many rows changed
    # Until the task has run the page shows the figures it has, with their time.
    d = client.get(reverse("dashboard:county")).context["d"]
    assert d.completeness.submitted == submitted and d.counted_at == first_counted
    with django_capture_on_commit_callbacks(execute=True):
        run_queued_tasks(queued)  # the recount commits, and bumps the stats version
    d = client.get(reverse("dashboard:county")).context["d"]
    assert d.completeness.submitted == submitted - 2
    assert d.pending.not_submitted == before.pending.not_submitted + 2
    assert d.counted_at > first_counted


def test_a_recount_that_finds_the_same_figures_keeps_the_cached_parts(
    small_county, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        live_counts_refresh()
    version = versions.stats_version()
    with django_capture_on_commit_callbacks(execute=True):
        assert live_counts_refresh() == LiveCount.objects.count()  # idempotent
    assert versions.stats_version() == version
    Settlement.objects.filter(pk=Settlement.objects.exclude(current_star=5).first().pk).update(
        current_star=5
    )
    with django_capture_on_commit_callbacks(execute=True):
        live_counts_refresh()
    assert versions.stats_version() != version


def test_stored_counts_of_an_older_round_are_not_shown_as_this_rounds_work(
    small_county, login, assessor
):
    live_counts_refresh()
    current = Round.objects.order_by("-year", "-quarter").first()
    older = Round.objects.exclude(pk=current.pk).first()
    LiveCount.objects.update(round=older)
    d = login(assessor).get(reverse("dashboard:county")).context["d"]
    assert d.completeness.expected == 0 and d.counted_at is not None
    assert d.target.total == Settlement.objects.count()


def test_the_recount_adds_up_per_township_to_the_county(small_county):
    live_counts_refresh()
    county = LiveCount.objects.get(scope=LiveCount.COUNTY)
    townships = LiveCount.objects.exclude(scope=LiveCount.COUNTY)
    assert county.settlements == sum(t.settlements for t in townships) == Settlement.objects.count()
    assert county.five_star == sum(t.five_star for t in townships)
    assert county.five_star == Settlement.objects.filter(current_star=5).count()
    for key in ("expected", "submitted", "on_time", "reviews_due"):
        assert county.assessments[key] == sum(t.assessments[key] for t in townships)


@pytest.mark.parametrize("url_name", ["dashboard:county", "dashboard:league"])
def test_no_reader_request_rebuilds_or_writes(small_county, login, assessor, url_name):
    LeagueBuild.objects.update(stale=True)
    LiveCount.objects.exclude(scope=LiveCount.COUNTY).delete()
    counted = list(LiveCount.objects.values_list("scope", "counted_at"))
    client = login(assessor)
    client.get(reverse(url_name))
    with CaptureQueriesContext(connection) as page:
        assert client.get(reverse(url_name)).status_code == 200
    assert _writes(page.captured_queries) == []
    assert list(LiveCount.objects.values_list("scope", "counted_at")) == counted
    assert LeagueBuild.objects.filter(stale=False).count() == 0


def test_cached_pages_show_a_change_once_it_is_committed(
    small_county, login, assessor, django_capture_on_commit_callbacks
):
    """The county page and the league are cached under the stats version: a recount or a
    re-ranking bumps it on commit, and the next request shows the change."""
    live_counts_refresh()
    connection.run_on_commit.clear()  # the fixture's history counts as committed
    client = login(assessor)
    url = reverse("dashboard:league") + "?klass=1"
    first = client.get(url).content.decode()
    entry = (
        LeagueEntry.objects.filter(settlement_class=1)
        .order_by("-round__year", "-round__quarter", "rank")
        .first()
    )
    assert entry.settlement.name in first
    Settlement.objects.filter(pk=entry.settlement_id).update(name="改名后的聚居点")
    assert "改名后的聚居点" not in client.get(url).content.decode()  # cached
    with django_capture_on_commit_callbacks(execute=True):
        LeagueBuild.objects.filter(round=entry.round, settlement_class=1).update(stale=True)
        league_build(round=entry.round, settlement_class=1)
    assert "改名后的聚居点" in client.get(url).content.decode()

    county = reverse("dashboard:county")
    before = Settlement.objects.filter(current_star=5).count()
    assert f"五星 {before} 个" in client.get(county).content.decode()
    promoted = Settlement.objects.exclude(current_star=5).first()
    Settlement.objects.filter(pk=promoted.pk).update(current_star=5)
    # Not recounted yet: the cached page shows the figures it has.
    assert f"五星 {before} 个" in client.get(county).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        live_counts_refresh()
    assert f"五星 {before + 1} 个" in client.get(county).content.decode()


def test_a_cached_league_is_never_another_scopes(small_county, login, assessor):
    """The league's cached table is keyed by what the viewer may see: an official never
    gets the county's table, nor another township's."""
    mine, theirs = small_county
    county_page = login(assessor).get(reverse("dashboard:league") + "?klass=1")
    assert county_page.status_code == 200
    official = f.official("official_league_cache", mine)
    client = login(official)
    page = client.get(reverse("dashboard:league") + "?klass=1").content.decode()
    theirs_codes = Settlement.objects.filter(village__township=theirs).values_list(
        "code", flat=True
    )
    mine_codes = Settlement.objects.filter(village__township=mine).values_list("code", flat=True)
    assert any(code in page for code in mine_codes)
    assert not any(code in page for code in theirs_codes)
    assert client.get(reverse("dashboard:league") + f"?township={theirs.pk}").status_code == 404
