"""League tables, township summaries (page, print, xlsx), model villages, drift, honour roll."""

from __future__ import annotations

import datetime as dt
import io
import statistics
from collections import Counter
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards import selectors as dashboard
from dashboards import stats, tasks
from dashboards.models import CountyRoundStat, LeagueBuild, LeagueEntry
from dashboards.panels import SummaryColumns
from ratings.models import (
    Certificate,
    CertificateEnd,
    Rating,
    RatingStatus,
    Rectification,
    RectificationStatus,
    Round,
    SelfAssessment,
    StarChange,
)
from settlements.models import Settlement, Township
from tests import factories as f
from tests.dashboards.conftest import TODAY


@pytest.fixture(autouse=True)
def no_foreign_sources(monkeypatch):
    monkeypatch.setattr("dashboards.selectors.overview.dashboard_panels", lambda scope: [])
    monkeypatch.setattr("dashboards.selectors.reports.summary_columns", lambda *args: [])


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


def rated_rounds() -> list[Round]:
    return list(
        Round.objects.filter(pk__in=CountyRoundStat.objects.values("round")).order_by(
            "-year", "-quarter"
        )
    )


def oracle_ranks(rnd: Round, klass: int) -> dict[int, int]:
    """settlement id -> competition rank by (stars, score), computed in Python."""
    rows = sorted(
        Rating.objects.filter(
            round=rnd, settlement_class=klass, status=RatingStatus.EFFECTIVE
        ).values_list("settlement_id", "stars", "score"),
        key=lambda x: (-x[1], -x[2]),
    )
    ranks, previous, place = {}, None, 0
    for position, (pk, stars, score) in enumerate(rows, start=1):
        if (stars, score) != previous:
            place = position
        ranks[pk] = place
        previous = (stars, score)
    return ranks


# ----------------------------------------------------------------------- league


def league_table(**kwargs) -> dashboard.League:
    """What the league view reads: the tables were built when the history was written."""
    table = dashboard.league_table(**kwargs)
    assert table.built and not table.stale
    return table


def test_league_ranks_and_movement_match_a_python_ranking(large_county, assessor):
    newest, previous = rated_rounds()[:2]
    for klass in (1, 2, 3, 4):
        league = league_table(user=assessor, settlement_class=klass, size=1000)
        now, before = oracle_ranks(newest, klass), oracle_ranks(previous, klass)
        assert league.round == newest and league.previous == previous
        assert {row.settlement_id: row.rank for row in league.rows} == now
        for row in league.rows:
            assert row.previous_rank == before.get(row.settlement_id)
            assert row.movement == (
                None if row.settlement_id not in before else before[row.settlement_id] - row.rank
            )
        assert [row.rank for row in league.rows] == sorted(row.rank for row in league.rows)


def test_league_pages_by_key_visit_every_row_once(large_county, assessor):
    whole = league_table(user=assessor, settlement_class=2, size=1000).rows
    assert len(whole) > 7
    seen, after = [], None
    while True:
        page = league_table(user=assessor, settlement_class=2, after=after, size=3)
        seen.extend(page.rows)
        if page.next_after is None:
            break
        after = dashboard.parse_league_key(page.next_after)
    assert seen == whole


def test_a_townships_league_keeps_county_wide_ranks(large_county, assessor):
    township = large_county[1]
    whole = {
        row.settlement_id: row.rank
        for row in league_table(user=assessor, settlement_class=1, size=1000).rows
    }
    mine = league_table(user=assessor, settlement_class=1, township_id=township.pk, size=1000).rows
    assert mine
    assert all(row.township == township.name for row in mine)
    assert {row.settlement_id: row.rank for row in mine} == {
        pk: whole[pk] for pk in (r.settlement_id for r in mine)
    }


def test_a_change_in_the_ratings_reranks_that_round_and_the_next_ones_movement(
    large_county, assessor, django_capture_on_commit_callbacks, run_queued_tasks
):
    newest, previous = rated_rounds()[:2]
    klass = 2
    league_table(user=assessor, settlement_class=klass, size=1000)
    league_table(user=assessor, round_id=previous.pk, settlement_class=klass, size=1000)
    top = (
        Rating.objects.filter(
            round=previous, settlement_class=klass, status=RatingStatus.EFFECTIVE, stars__gt=0
        )
        .order_by("-stars", "-score", "pk")
        .first()
    )
    built_at = league_table(user=assessor, round_id=previous.pk, settlement_class=klass).built_at

    Rating.objects.filter(pk=top.pk).update(stars=0)  # revoked
    with django_capture_on_commit_callbacks() as queued:
        stats.rating_stats_refresh(rating_id=top.pk)

    # Both tables still show what was stored, marked stale; a rebuild is queued for each.
    for round_id in (previous.pk, None):
        stale = dashboard.league_table(user=assessor, round_id=round_id, settlement_class=klass)
        assert stale.built and stale.stale and stale.built_at
    assert stale.rows
    # One rebuild queued per table (and the cached pages' version bumped on commit).
    rebuilds = [c for c in queued if getattr(c, "func", None) == tasks.league_refresh.delay]
    assert len(rebuilds) == 2
    run_queued_tasks(rebuilds)
    assert (
        league_table(user=assessor, round_id=previous.pk, settlement_class=klass).built_at
        > built_at
    )
    before = {
        row.settlement_id: row
        for row in league_table(
            user=assessor, round_id=previous.pk, settlement_class=klass, size=1000
        ).rows
    }
    assert before[top.settlement_id].rank == oracle_ranks(previous, klass)[top.settlement_id] > 1
    now = {
        row.settlement_id: row
        for row in league_table(user=assessor, settlement_class=klass, size=1000).rows
    }
    for pk, row in now.items():
        assert row.previous_rank == oracle_ranks(previous, klass).get(pk)


def test_building_a_league_twice_writes_once(small_county):
    rnd = rated_rounds()[0]
    LeagueBuild.objects.filter(round=rnd, settlement_class=1).update(stale=True)
    assert stats.league_build(round=rnd, settlement_class=1) > 0
    assert stats.league_build(round=rnd, settlement_class=1) == 0


def test_the_daily_catch_up_builds_what_a_lost_task_left_and_then_nothing(small_county):
    rnd = rated_rounds()[0]
    LeagueBuild.objects.filter(round=rnd, settlement_class=1).delete()
    LeagueBuild.objects.filter(round=rnd, settlement_class=2).update(stale=True)
    assert tasks.leagues_catch_up() > 0
    assert not LeagueBuild.objects.filter(stale=True).exists()
    assert LeagueBuild.objects.filter(round=rnd, settlement_class=1).exists()
    assert tasks.leagues_catch_up() == 0


def test_a_league_get_writes_nothing_and_says_when_nothing_is_built_yet(
    small_county, login, assessor
):
    rnd = rated_rounds()[0]
    LeagueBuild.objects.filter(round=rnd, settlement_class=1).delete()
    LeagueEntry.objects.filter(round=rnd, settlement_class=1).delete()
    client = login(assessor)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("dashboard:league") + f"?round={rnd.pk}&klass=1")
    assert response.status_code == 200
    writes = [
        q["sql"] for q in ctx.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert writes == []
    assert not response.context["league"].built and response.context["league"].rows == []
    assert "尚未生成" in response.content.decode()
    assert not LeagueBuild.objects.filter(round=rnd, settlement_class=1).exists()
    assert not LeagueEntry.objects.filter(round=rnd, settlement_class=1).exists()


def test_a_stale_league_shows_its_stored_rows_and_when_they_were_built(
    small_county, login, assessor
):
    rnd = rated_rounds()[0]
    LeagueBuild.objects.filter(round=rnd, settlement_class=1).update(stale=True)
    response = login(assessor).get(reverse("dashboard:league") + f"?round={rnd.pk}&klass=1")
    league = response.context["league"]
    assert league.built and league.stale and league.rows
    assert "排名生成于" in response.content.decode()
    assert LeagueBuild.objects.get(round=rnd, settlement_class=1).stale


def test_an_official_sees_only_their_townships_rows(large_county, login):
    mine = large_county[3]
    client = login(f.official("official_league", mine))
    league = client.get(reverse("dashboard:league") + "?klass=1").context["league"]
    assert league.township_id == mine.pk
    assert {row.township for row in league.rows} <= {mine.name}
    assert [pk for pk, _name in league.townships] == [mine.pk]


def test_an_older_round_can_be_chosen_and_an_unknown_one_is_404(large_county, login, assessor):
    client = login(assessor)
    older = rated_rounds()[2]
    league = client.get(reverse("dashboard:league") + f"?round={older.pk}&klass=3").context[
        "league"
    ]
    assert league.round == older
    ranks = oracle_ranks(older, 3)
    assert len(league.rows) == min(len(ranks), dashboard.LEAGUE_PAGE_SIZE) > 0
    assert all(row.rank == ranks[row.settlement_id] for row in league.rows)
    assert client.get(reverse("dashboard:league") + "?round=999999").status_code == 404


def test_bad_league_input_gets_a_chinese_message_not_a_guess(small_county, login, assessor):
    client = login(assessor)
    response = client.get(reverse("dashboard:league") + "?klass=9&after=abc")
    assert response.status_code == 400
    text = response.content.decode()
    assert "类别" in text and "翻页位置无效" in text


# ------------------------------------------------------------ township summary


def oracle_summary(township: Township, year: int) -> dict:
    start = dt.datetime(year, 1, 1, tzinfo=dashboard.LOCAL)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dashboard.LOCAL)
    changes = StarChange.objects.filter(
        settlement__village__township=township, at__gte=start, at__lt=end
    )
    orders = Rectification.objects.filter(
        settlement__village__township=township, created_at__gte=start, created_at__lt=end
    )
    # Only what was due: the rounds whose self-assessment deadline has passed.
    assessments = SelfAssessment.objects.filter(
        round__year=year, round__self_deadline__lt=TODAY, settlement__village__township=township
    ).select_related("round")
    year_end = [x for x in rated_rounds() if x.year == year][0]
    stars = Counter(
        Rating.objects.filter(
            round=year_end, status=RatingStatus.EFFECTIVE, settlement__village__township=township
        ).values_list("stars", flat=True)
    )
    return {
        "stars": tuple(stars[s] for s in (5, 4, 3, 0)),
        "upgrades": sum(1 for c in changes if c.to_stars > c.from_stars),
        "downgrades": sum(1 for c in changes if c.to_stars < c.from_stars and c.kind != "revoked"),
        "revocations": sum(1 for c in changes if c.kind == "revoked"),
        "issued": sum(1 for o in orders if o.status not in ("proposed", "dismissed")),
        "passed": sum(1 for o in orders if o.status == RectificationStatus.PASSED),
        "overdue": sum(
            1 for o in orders if o.status == RectificationStatus.ISSUED and o.deadline < TODAY
        ),
        "expected": assessments.count(),
        "submitted": sum(1 for a in assessments if a.status == "submitted"),
        "on_time": sum(
            1
            for a in assessments
            if a.status == "submitted"
            and a.submitted_at.astimezone(dashboard.LOCAL).date() <= a.round.self_deadline
        ),
    }


def test_township_summary_matches_a_recount(large_county, login, assessor):
    client = login(assessor)
    for township in large_county[:3]:
        response = client.get(
            reverse("dashboard:township_summary", args=[township.pk]) + "?year=2026"
        )
        row = response.context["row"]
        want = oracle_summary(township, 2026)
        got = {
            "stars": row.stars.counts,
            "upgrades": row.upgrades,
            "downgrades": row.downgrades,
            "revocations": row.revocations,
            "issued": row.rectifications_issued,
            "passed": row.rectifications_passed,
            "overdue": row.rectifications_overdue,
            "expected": row.expected,
            "submitted": row.submitted,
            "on_time": row.on_time,
        }
        assert got == want
        assert want["expected"] > 0 and want["upgrades"] + want["downgrades"] > 0


def test_summary_print_layout_is_a_sheet_without_navigation(small_county, login, assessor):
    response = login(assessor).get(
        reverse("dashboard:township_summary", args=[small_county[0].pk]) + "?print=1"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="print-sheet"' in html and "data-print" in html
    assert 'class="topbar"' not in html


def test_summary_of_an_unknown_or_bad_year(small_county, login, assessor):
    client = login(assessor)
    response = client.get(reverse("dashboard:summary") + "?year=abc")
    assert response.status_code == 400
    assert "年度" in response.content.decode()
    empty = client.get(reverse("dashboard:summary") + "?year=2019").context["table"]
    assert empty.year_end_round is None and all(row.stars.total == 0 for row in empty.rows)


def test_summary_xlsx_has_every_visible_township_with_numbers_as_numbers(
    large_county, login, assessor
):
    response = login(assessor).get(reverse("dashboard:summary_xlsx") + "?year=2026")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "乡镇" and "按时率" in rows[0]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == set(Township.objects.values_list("name", flat=True))
    township = large_county[0]
    want = oracle_summary(township, 2026)
    row = by_name[township.name]
    assert tuple(row[1:5]) == want["stars"]
    assert all(isinstance(v, int | float) for v in row[1:])


def test_summary_xlsx_of_an_official_is_their_township_only(large_county, login):
    client = login(f.official("official_xlsx", large_county[4]))
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("dashboard:summary_xlsx")).content)
    ).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == [large_county[4].name]


def test_summary_xlsx_neutralises_formula_like_names(small_county, login, assessor):
    Township.objects.filter(pk=small_county[0].pk).update(name='=HYPERLINK("http://x","点我")')
    sheet = openpyxl.load_workbook(
        io.BytesIO(login(assessor).get(reverse("dashboard:summary_xlsx")).content)
    ).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x","点我")' in names


def test_summary_columns_reach_the_page_and_the_spreadsheet(
    small_county, login, assessor, monkeypatch
):
    ids_seen = []

    def rewards(user, township_ids, year):
        ids_seen.append((list(township_ids), year))
        return SummaryColumns(
            headers=("奖励已支付（元）",), values={small_county[0].pk: (Decimal("12000.00"),)}
        )

    monkeypatch.setattr(
        "dashboards.selectors.reports.summary_columns", lambda *args: [rewards(*args)]
    )
    client = login(assessor)
    html = client.get(
        reverse("dashboard:township_summary", args=[small_county[0].pk]) + "?year=2026"
    ).content.decode()
    assert "奖励已支付（元）" in html and "12000" in html
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("dashboard:summary_xlsx") + "?year=2026").content)
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "奖励已支付（元）"
    assert {row[0]: row[-1] for row in rows[1:]}[small_county[0].name] == 12000
    assert ids_seen[0] == ([small_county[0].pk], 2026)


# -------------------------------------------------------------- model villages


def test_villages_with_star_settlements_come_first(large_county, login, assessor):
    page = login(assessor).get(reverse("dashboard:model_villages")).context["page"]
    lines = list(page.object_list)
    assert lines[0].starred >= lines[-1].starred
    keys = [(-x.starred, -x.five_star) for x in lines]
    assert keys == sorted(keys)
    for line in lines:
        settlements = Settlement.objects.filter(village_id=line.pk)
        assert line.starred == settlements.filter(current_star__gt=0).count()
        assert line.five_star == settlements.filter(current_star=5).count()


# ----------------------------------------------------------------------- drift


def test_drift_is_mean_and_spread_of_county_minus_self_per_assessor(large_county, login, assessor):
    lines = login(assessor).get(reverse("dashboard:drift")).context["lines"]
    gaps: dict[str, list[Decimal]] = {}
    for rating in Rating.objects.filter(status=RatingStatus.EFFECTIVE).select_related(
        "review__assessor", "review__self_assessment"
    ):
        a = rating.review.assessor
        gaps.setdefault(a.display_name or a.username, []).append(
            rating.score - rating.review.self_assessment.score
        )
    assert {line.assessor for line in lines} == set(gaps)
    for line in lines:
        values = gaps[line.assessor]
        assert line.drift.reviews == len(values)
        assert line.drift.mean == Decimal(str(statistics.fmean(values))).quantize(Decimal("0.01"))
        assert abs(
            line.drift.spread - Decimal(str(statistics.pstdev([float(v) for v in values])))
        ) <= Decimal("0.01")


def test_drift_for_one_year(large_county, login, assessor):
    lines = login(assessor).get(reverse("dashboard:drift") + "?year=2025").context["lines"]
    total = Rating.objects.filter(status=RatingStatus.EFFECTIVE, round__year=2025).count()
    assert sum(line.drift.reviews for line in lines) == total


# ------------------------------------------------------------------ honour roll


def test_honour_roll_lists_star_settlements_of_a_class_best_first_with_valid_certificates(
    large_county, client
):
    cert = (
        Certificate.objects.filter(revoked_at__isnull=True, settlement__current_star=F("stars"))
        .select_related("settlement")
        .first()
    )
    assert cert is not None
    klass = cert.settlement.klass
    roll = client.get(reverse("honour_roll") + f"?klass={klass}").context["roll"]
    expected = Settlement.objects.filter(klass=klass, current_star__gt=0).count()
    assert len(roll.rows) == min(expected, dashboard.HONOUR_PAGE_SIZE)
    assert [row.stars for row in roll.rows] == sorted(
        (row.stars for row in roll.rows), reverse=True
    )
    assert all(row.stars > 0 for row in roll.rows)
    shown = {row.code: row.certificate for row in roll.rows}
    # The one current certificate, naming the star shown; none beside a star it does not name.
    assert shown[cert.settlement.code] == cert.number
    stars = {row.code: row.stars for row in roll.rows}
    named = dict(
        Certificate.objects.filter(
            revoked_at__isnull=True, settlement__code__in=list(shown)
        ).values_list("settlement__code", "stars")
    )
    for code, number in shown.items():
        assert bool(number) == (named.get(code) == stars[code]), code
    counts = {value: n for value, _label, n in roll.classes}
    assert counts[klass] == expected


def test_honour_roll_hides_revoked_certificates_and_personal_data(small_county, client):
    settlement = Settlement.objects.filter(current_star__gt=0).first()
    rating = Rating.objects.filter(settlement=settlement, status=RatingStatus.EFFECTIVE).first()
    Certificate.objects.filter(settlement=settlement).delete()
    Certificate.objects.create(
        rating=rating,
        settlement=settlement,
        year=2020,
        stars=3,
        number="PS-2020-3-9999",
        revoked_at=dt.datetime(2021, 1, 1, tzinfo=dashboard.LOCAL),
        revoked_kind=CertificateEnd.REVOKED,
    )
    official = f.official("official_named", small_county[0])
    f.user("resident_person", display_name="张三丰")
    html = client.get(reverse("honour_roll") + f"?klass={settlement.klass}").content.decode()
    assert settlement.name in html
    assert "PS-2020-3-9999" not in html
    assert official.username not in html and "张三丰" not in html
    assert "户数" not in html and "人口" not in html


def test_honour_roll_pages_by_key(large_county, client):
    klass = Settlement.objects.filter(current_star__gt=0).values_list("klass", flat=True).first()
    whole = dashboard.honour_roll(settlement_class=klass, size=1000).rows
    seen, after = [], None
    while True:
        page = dashboard.honour_roll(settlement_class=klass, after=after, size=4)
        seen.extend(page.rows)
        if page.next_after is None:
            break
        after = dashboard.parse_honour_key(page.next_after)
    assert seen == whole
    assert client.get(reverse("honour_roll") + "?after=9.x").status_code == 400
