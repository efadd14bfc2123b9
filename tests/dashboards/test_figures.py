"""Figures that agree and explain themselves (issue 12).

- One definition of the five-star figures: the star each settlement holds now, of all
  settlements. The target box, the table by class and the townships' rows read the same
  stored count, so they agree even when a settlement holds five stars from an older round
  (it was not rated in the newest one), the case where the page showed 52 against 50.
- Timeliness counts only what was due: a round whose self-assessment deadline is tomorrow
  (or today) is not due yet; one whose deadline was yesterday is.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from dashboards import rules as r
from dashboards import selectors as dashboard
from dashboards.live import live_counts_refresh
from dashboards.models import CountyRoundStat
from ratings.models import AssessmentStatus, Rating, RatingStatus, Round, SelfAssessment
from settlements.models import Settlement
from tests import factories as f
from tests.dashboards.conftest import TODAY


@pytest.fixture(autouse=True)
def no_foreign_sources(monkeypatch):
    monkeypatch.setattr("dashboards.selectors.overview.dashboard_panels", lambda scope: [])
    monkeypatch.setattr("dashboards.selectors.reports.summary_columns", lambda *args: [])


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


def newest_rated_round() -> Round:
    return (
        Round.objects.filter(pk__in=CountyRoundStat.objects.values("round"))
        .order_by("-year", "-quarter")
        .first()
    )


def five_star_held_apart_from_the_newest_results() -> Settlement:
    """A settlement that holds five stars while the newest round's results say otherwise
    (as one holding five stars from an older round, not rated in the newest one): the
    newest round's results and the stars held now differ by it."""
    newest = newest_rated_round()
    place = (
        Settlement.objects.filter(
            current_star__lt=5,
            ratings__round=newest,
            ratings__status=RatingStatus.EFFECTIVE,
        )
        .order_by("pk")
        .first()
    )
    Settlement.objects.filter(pk=place.pk).update(current_star=5)
    return place


def five_in_table(html: str, caption: str) -> tuple[str, str]:
    """(five-star count, five-star share) of the total row of the table with ``caption``."""
    table = html.split(f"<caption>{caption}</caption>", 1)[1].split("</table>", 1)[0]
    foot = table.split("<tfoot>", 1)[1]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", foot)
    return cells[0], cells[-1]


def test_the_target_box_and_the_table_below_show_the_same_five_star_figures(
    small_county, login, assessor
):
    five_star_held_apart_from_the_newest_results()
    live_counts_refresh()
    response = login(assessor).get(reverse("dashboard:county"))
    d = response.context["d"]
    five = Settlement.objects.filter(current_star=5).count()
    assert d.target.five_star == d.latest_total.counts[0] == five
    assert d.target.total == d.latest_total.total == Settlement.objects.count()
    assert d.target.share == d.latest_total.five_share
    # The townships' rows add up to the same figure.
    assert sum(line.stars.counts[0] for line in d.township_lines) == five
    # What the page prints agrees, and says what it counts and as of which round.
    html = response.content.decode()
    assert f"五星 {five} 个 / 聚居点 {Settlement.objects.count()} 个" in html
    count, share = five_in_table(html, "各类别现有星级分布")
    assert count == str(five)
    assert share == f"{r.percent(d.target.share):.1f}%"
    assert f"{r.percent(d.target.share):.1f}%" in html.split('class="card kpi target"', 1)[1][:800]
    assert "现有星级" in html and f"最近生效轮次：{d.latest_round}" in html
    # The trend stays each round's own results, labelled as such.
    assert "各轮次的生效结果" in html
    newest_five = Rating.objects.filter(
        round=newest_rated_round(), status=RatingStatus.EFFECTIVE, stars=5
    ).count()
    assert d.trend.rows[-1].counts[0] == newest_five == five - 1


def test_the_township_view_shows_one_five_star_figure(small_county, login):
    mine = small_county[0]
    five_star_held_apart_from_the_newest_results()
    live_counts_refresh()
    official = f.official("official_figures", mine)
    d = login(official).get(reverse("dashboard:township", args=[mine.pk])).context["d"]
    five = Settlement.objects.filter(current_star=5, village__township=mine).count()
    assert d.target.five_star == d.latest_total.counts[0] == five
    assert d.target.total == d.latest_total.total
    assert d.target.share == d.latest_total.five_share


# ------------------------------------------------------------------ timeliness


def test_a_round_is_due_only_once_its_deadline_day_has_ended():
    deadline = dt.date(2026, 12, 12)
    assert not r.is_due(deadline, dt.date(2026, 12, 11))  # the deadline is tomorrow
    assert not r.is_due(deadline, dt.date(2026, 12, 12))  # today: still on time till midnight
    assert r.is_due(deadline, dt.date(2026, 12, 13))  # the deadline was yesterday


def _newest_round_deadline(days_from_today: int) -> Round:
    newest = Round.objects.order_by("-year", "-quarter").first()
    deadline = TODAY + dt.timedelta(days=days_from_today)
    Round.objects.filter(pk=newest.pk).update(
        self_deadline=deadline, review_deadline=max(newest.review_deadline, deadline)
    )
    newest.refresh_from_db()
    return newest


def _summary(township, year: int) -> dashboard.TownshipSummary:
    table = dashboard.township_summaries(
        user=None, townships=[township], year=year, years=[year], today=TODAY
    )
    return table.rows[0]


@pytest.mark.parametrize(("days", "due"), [(1, False), (0, False), (-1, True)])
def test_the_summary_counts_a_round_only_once_its_deadline_has_passed(small_county, days, due):
    township = small_county[0]
    newest = _newest_round_deadline(days)
    mine = SelfAssessment.objects.filter(round=newest, settlement__village__township=township)
    earlier = SelfAssessment.objects.filter(
        round__year=newest.year, settlement__village__township=township
    ).exclude(round=newest)
    assert mine.exists()
    row = _summary(township, newest.year)
    assert row.expected == earlier.count() + (mine.count() if due else 0)
    submitted = earlier.filter(status=AssessmentStatus.SUBMITTED).count()
    if due:
        submitted += mine.filter(status=AssessmentStatus.SUBMITTED).count()
    assert row.submitted == submitted
    assert row.on_time <= row.submitted


def test_the_summary_page_says_which_rounds_it_counted(small_county, login, assessor):
    township = small_county[0]
    newest = _newest_round_deadline(10)  # Q4's deadline still ten days away
    html = (
        login(assessor)
        .get(reverse("dashboard:township_summary", args=[township.pk]) + f"?year={newest.year}")
        .content.decode()
    )
    label = r.quarter_label(newest.year, newest.quarter)
    heading = html.split("自评上报", 1)[1].split("</h2>", 1)[0]
    assert "已过截止日期的轮次" in heading and label not in heading


@pytest.mark.parametrize(("days", "due"), [(1, False), (-1, True)])
def test_the_dashboard_shows_on_time_only_once_the_deadline_has_passed(
    small_county, login, assessor, days, due
):
    newest = _newest_round_deadline(days)
    live_counts_refresh()
    response = login(assessor).get(reverse("dashboard:county"))
    d = response.context["d"]
    assert d.current_round == newest and d.completeness.due is due
    assert d.completeness.deadline == newest.self_deadline
    html = response.content.decode()
    on_time_cell = html.split('class="on-time">', 1)[1].split("</dd>", 1)[0]
    if due:
        assert on_time_cell.startswith(str(d.completeness.on_time))
        assert all(line.completeness.due for line in d.township_lines)
    else:
        assert on_time_cell == "截止日期过后统计"
        assert 'data-label="按时">—</td>' in html  # the townships' rows: nothing late yet


def test_a_late_submission_counts_as_submitted_but_not_on_time(small_county):
    township = small_county[0]
    newest = _newest_round_deadline(-3)
    sa = SelfAssessment.objects.filter(round=newest, settlement__village__township=township).first()
    late = dt.datetime.combine(
        newest.self_deadline + dt.timedelta(days=1), dt.time(9), tzinfo=dashboard.LOCAL
    )
    in_time = dt.datetime.combine(newest.self_deadline, dt.time(23, 59), tzinfo=dashboard.LOCAL)
    SelfAssessment.objects.filter(pk=sa.pk).update(
        status=AssessmentStatus.SUBMITTED, submitted_at=in_time
    )
    before = _summary(township, newest.year)
    SelfAssessment.objects.filter(pk=sa.pk).update(submitted_at=late)
    after = _summary(township, newest.year)
    assert after.submitted == before.submitted
    assert after.on_time == before.on_time - 1
