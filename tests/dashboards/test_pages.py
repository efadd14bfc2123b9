"""The dashboard pages: who sees what, that the numbers are the ratings' numbers, and a
fixed number of queries whatever the county's size."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.urls import reverse

from dashboards import selectors as dashboard
from dashboards.live import live_counts_refresh
from dashboards.models import CountyRoundStat, FiveStarTarget
from dashboards.panels import Panel, dashboard_panels
from ratings.models import (
    AssessmentStatus,
    Rating,
    RatingStatus,
    Rectification,
    RectificationStatus,
    Round,
    SelfAssessment,
)
from settlements.models import Settlement
from tests import factories as f
from tests.dashboards.conftest import TODAY


@pytest.fixture(autouse=True)
def no_foreign_panels(monkeypatch):
    """Counts and contents here are the dashboard's own; rewards' panels are tested apart."""
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


# ------------------------------------------------------------------ who sees what


def test_anonymous_users_are_sent_to_login_except_for_the_honour_roll(client, small_county):
    t = small_county[0]
    for url in [
        reverse("dashboard:county"),
        reverse("dashboard:township", args=[t.pk]),
        reverse("dashboard:league"),
        reverse("dashboard:summary"),
        reverse("dashboard:summary_xlsx"),
        reverse("dashboard:drift"),
        reverse("dashboard:model_villages"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    assert client.get(reverse("honour_roll")).status_code == 200
    assert client.get(reverse("healthz")).content == b"ok"


def test_an_official_lands_on_their_township_and_cannot_open_another(small_county, login):
    mine, theirs = small_county
    official = f.official("official_mine", mine)
    client = login(official)
    response = client.get(reverse("dashboard:county"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:township", args=[mine.pk])
    assert client.get(reverse("dashboard:township", args=[mine.pk])).status_code == 200
    assert client.get(reverse("dashboard:township", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("dashboard:township_summary", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("dashboard:league") + f"?township={theirs.pk}").status_code == 404
    assert (
        client.get(reverse("dashboard:model_villages") + f"?township={theirs.pk}").status_code
        == 404
    )
    other_settlement = Settlement.objects.filter(village__township=theirs).first()
    assert (
        client.get(reverse("dashboard:settlement", args=[other_settlement.pk])).status_code == 404
    )
    assert client.get(reverse("dashboard:drift")).status_code == 403


def test_a_user_without_a_role_gets_no_dashboard(small_county, login):
    nobody = f.user("nobody")
    client = login(nobody)
    assert client.get(reverse("dashboard:county")).status_code == 403
    assert dashboard.landing_url(nobody) is None


def test_landing_urls_for_home(small_county, assessor, secretary):
    official = f.official("official_land", small_county[1])
    assert dashboard.landing_url(assessor) == reverse("dashboard:county")
    assert dashboard.landing_url(secretary) == reverse("dashboard:county")
    assert dashboard.landing_url(official) == reverse(
        "dashboard:township", args=[small_county[1].pk]
    )


# ------------------------------------------------------------- the numbers are right


def test_county_dashboard_counts_the_stars_held_and_each_rounds_results(
    large_county, login, assessor
):
    live_counts_refresh()  # the task queued on commit of the history, run as the worker would
    response = login(assessor).get(reverse("dashboard:county"))
    assert response.status_code == 200
    d = response.context["d"]
    rnd = newest_rated_round()
    assert d.latest_round == rnd
    # The table by class: the star each settlement holds now, all settlements.
    held = Counter(Settlement.objects.values_list("klass", "current_star"))
    for row, klass in zip(d.by_class, (1, 2, 3, 4), strict=True):
        assert row.counts == tuple(held[(klass, s)] for s in (5, 4, 3, 0))
    assert d.latest_total.total == Settlement.objects.count()
    # The trend has one row per rated round, oldest first, each the round's total.
    assert [row.total for row in d.trend.rows] == [
        Rating.objects.filter(round=x, status=RatingStatus.EFFECTIVE).count()
        for x in Round.objects.order_by("year", "quarter")
        if CountyRoundStat.objects.filter(round=x).exists()
    ]
    # Charts carry the same numbers as the tables.
    charts = d.charts()
    assert charts["by_class"]["series"][0]["data"] == [row.counts[0] for row in d.by_class]
    assert '<script id="dashboard-charts" type="application/json">' in response.content.decode()


def test_five_star_share_is_of_all_settlements_against_the_configured_target(
    large_county, login, assessor
):
    FiveStarTarget.objects.create(share=Decimal("0.05"))
    live_counts_refresh()
    d = login(assessor).get(reverse("dashboard:county")).context["d"]
    five = Settlement.objects.filter(current_star=5).count()
    assert d.target.five_star == five
    assert d.target.total == Settlement.objects.count()
    assert d.target.target == Decimal("0.05")
    assert d.target.met == (Decimal(five) / Settlement.objects.count() >= Decimal("0.05"))


def test_five_star_target_defaults_to_forty_percent_by_mid_2021(db):
    target = dashboard.five_star_target()
    assert target.share == Decimal("0.40")
    assert str(target.deadline) == "2021-06-30"


def test_pending_work_and_completeness_of_the_current_round(large_county, login, assessor):
    current = Round.objects.order_by("-year", "-quarter").first()
    sa = SelfAssessment.objects.filter(round=current)
    # Make the current round interesting: one not started, one submitted late, one
    # order overdue, one rating still in notice.
    first, second, third = sa.order_by("pk")[:3]
    SelfAssessment.objects.filter(pk=third.pk).update(status=AssessmentStatus.RETURNED)
    SelfAssessment.objects.filter(pk=first.pk).update(
        status=AssessmentStatus.NOT_STARTED, submitted_at=None
    )
    late = dt.datetime.combine(
        current.self_deadline + dt.timedelta(days=3), dt.time(10), tzinfo=dashboard.LOCAL
    )
    SelfAssessment.objects.filter(pk=second.pk).update(
        status=AssessmentStatus.SUBMITTED, submitted_at=late
    )
    Rating.objects.filter(pk=Rating.objects.filter(round=current).first().pk).update(
        status=RatingStatus.NOTICE
    )
    live_counts_refresh()  # update() sends no signal: the minute's beat recounts, as here

    d = login(assessor).get(reverse("dashboard:county")).context["d"]

    assert d.current_round == current
    assert (
        d.pending.not_submitted
        == sa.filter(
            status__in=[
                AssessmentStatus.NOT_STARTED,
                AssessmentStatus.DRAFT,
                AssessmentStatus.RETURNED,
            ]
        ).count()
    )
    # issue 15: the to-do box shows the sent-back ones waiting to be resubmitted
    assert d.pending.returned == sa.filter(status=AssessmentStatus.RETURNED).count() >= 1
    assert d.pending.overdue == sa.filter(status=AssessmentStatus.OVERDUE).count()
    assert (
        d.pending.notices_open
        == Rating.objects.filter(round=current, status=RatingStatus.NOTICE).count()
        == 1
    )
    submitted = sa.filter(status=AssessmentStatus.SUBMITTED)
    assert d.pending.reviews_due == submitted.exclude(review__status="final").count()
    assert (
        d.pending.rectifications_overdue
        == Rectification.objects.filter(
            status=RectificationStatus.ISSUED, deadline__lt=TODAY
        ).count()
    )
    assert d.completeness.expected == sa.count()
    assert d.completeness.submitted == submitted.count()
    on_time = [
        x
        for x in submitted
        if x.submitted_at.astimezone(dashboard.LOCAL).date() <= current.self_deadline
    ]
    assert d.completeness.on_time == len(on_time)
    assert d.completeness.on_time < d.completeness.submitted
    # And per township, the page's townships add up to the county.
    assert sum(line.completeness.expected for line in d.township_lines) == sa.count()
    assert sum(line.completeness.on_time for line in d.township_lines) == len(on_time)


def test_township_dashboard_counts_only_that_township(large_county, login):
    mine = large_county[2]
    official = f.official("official_counts", mine)
    live_counts_refresh()
    d = login(official).get(reverse("dashboard:township", args=[mine.pk])).context["d"]
    rnd = newest_rated_round()
    mine_ratings = Rating.objects.filter(
        round=rnd, status=RatingStatus.EFFECTIVE, settlement__village__township=mine
    )
    assert d.trend.rows[-1].total == mine_ratings.count()
    assert d.latest_total.total == Settlement.objects.filter(village__township=mine).count()
    assert d.target.total == Settlement.objects.filter(village__township=mine).count()
    assert (
        d.completeness.expected
        == SelfAssessment.objects.filter(
            round=Round.objects.order_by("-year", "-quarter").first(),
            settlement__village__township=mine,
        ).count()
    )


def test_a_panel_shows_on_the_dashboard_with_the_scope_it_was_asked_about(
    small_county, login, assessor, monkeypatch
):
    asked = []

    def budget(scope):
        asked.append(scope)
        return Panel(
            title="奖励资金（测试）",
            rows=(("已承诺", "¥1,000.00"), ("已支付", "¥400.00")),
            progress=Decimal("40"),
            progress_label="已支付 40%",
        )

    monkeypatch.setattr("dashboards.selectors.overview.dashboard_panels", lambda s: [budget(s)])
    monkeypatch.setattr("dashboards.selectors.overview.any_panel_shown", lambda user, t: True)
    client = login(assessor)
    html = client.get(reverse("dashboard:county")).content.decode()
    assert "奖励资金（测试）" in html and "¥400.00" in html
    assert asked[0].township_id is None and asked[0].today == TODAY and asked[0].user == assessor


def test_an_assessor_gets_no_money_panel(small_county, login, assessor, monkeypatch):
    monkeypatch.setattr("dashboards.selectors.overview.dashboard_panels", dashboard_panels)
    response = login(assessor).get(reverse("dashboard:county"))
    assert response.context["d"].panels == []


# ------------------------------------------------------------ constant query counts


def test_county_dashboard_queries_do_not_grow_with_the_county(
    county, login, assessor, django_assert_num_queries
):
    live_counts_refresh()  # as the worker keeps them; a GET never counts
    client = login(assessor)
    # user (with roles, bell), calendar years entered (warning), rounds, county stats of all
    # rounds, township count, township page, the stored live figures of the county and the
    # page's townships, five-star target
    with django_assert_num_queries(8):
        assert client.get(reverse("dashboard:county")).status_code == 200
    # The same again: its rendered parts are cached under the stats version; only the
    # panels are read live: user (with roles, bell), calendar (an assessor sees no panel,
    # so the newest rated round, the panels' year, is not read)
    with django_assert_num_queries(2):
        assert client.get(reverse("dashboard:county")).status_code == 200
    with django_assert_num_queries(8):  # another page of townships: its own parts
        assert client.get(reverse("dashboard:county") + "?page=2").status_code == 200


def test_township_dashboard_queries_do_not_grow_with_the_county(
    county, login, django_assert_num_queries
):
    live_counts_refresh()
    client = login(f.official("official_q", county[0]))
    url = reverse("dashboard:township", args=[county[0].pk])
    # user (with roles, bell), township, rounds, its stats of all rounds, its stored live
    # figures, five-star target
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200


def test_league_queries_do_not_grow_with_the_county(
    county, login, assessor, django_assert_num_queries
):
    client = login(assessor)
    # The tables were built when the history was written; a GET only reads: the
    # user (with roles, bell), rounds (with "rated" and the build's time and staleness), townships,
    # the page (one indexed slice).
    with django_assert_num_queries(4):
        assert client.get(reverse("dashboard:league") + "?klass=2").status_code == 200
    # The same again: the rendered table is cached under the stats version (bumped when a
    # table is re-ranked or marked stale): the user (with roles: the viewer's scope; bell)
    with django_assert_num_queries(1):
        assert client.get(reverse("dashboard:league") + "?klass=2").status_code == 200
    with django_assert_num_queries(4):
        url = reverse("dashboard:league") + f"?klass=2&township={county[0].pk}&after=1.1"
        assert client.get(url).status_code == 200


def test_settlement_charts_queries_do_not_grow_with_the_county(
    county, login, assessor, django_assert_num_queries
):
    client = login(assessor)
    settlement = (
        Rating.objects.filter(status=RatingStatus.EFFECTIVE).order_by("-pk").first().settlement_id
    )
    # user (with roles, bell), settlement, its ratings, county points per area, own points per area
    with django_assert_num_queries(5):
        assert client.get(reverse("dashboard:settlement", args=[settlement])).status_code == 200


def test_summary_queries_do_not_grow_with_the_county(
    county, login, assessor, django_assert_num_queries
):
    client = login(assessor)
    # user (with roles, bell), years, township count, township page, the year's rounds,
    # year-end stars, star changes, rectifications, timeliness
    with django_assert_num_queries(9):
        assert client.get(reverse("dashboard:summary")).status_code == 200
    # user (with roles, bell), township, years, the year's rounds, year-end stars, star
    # changes, rectifications, timeliness
    with django_assert_num_queries(8):
        assert (
            client.get(reverse("dashboard:township_summary", args=[county[0].pk])).status_code
            == 200
        )
    with django_assert_num_queries(8):
        assert client.get(reverse("dashboard:summary_xlsx")).status_code == 200


def test_other_pages_queries_do_not_grow_with_the_county(
    county, client, login, assessor, django_assert_num_queries
):
    # anonymous: star settlements per class, the page, the page's certificates
    with django_assert_num_queries(3):
        assert client.get(reverse("honour_roll") + "?klass=2").status_code == 200
    client = login(assessor)
    # user (with roles, bell), village count, village page
    with django_assert_num_queries(3):
        assert client.get(reverse("dashboard:model_villages")).status_code == 200
    # user (with roles, bell), years, drift per assessor
    with django_assert_num_queries(3):
        assert client.get(reverse("dashboard:drift")).status_code == 200


def test_names_are_escaped_in_the_fast_rendered_tables(small_county, login, assessor):
    from settlements.models import Township

    Township.objects.filter(pk=small_county[0].pk).update(name='<b onmouseover="x()">镇</b>')
    Settlement.objects.filter(village__township=small_county[0]).update(name="<i>点</i>")
    client = login(assessor)
    html = client.get(reverse("dashboard:county")).content.decode()
    assert (
        "<b onmouseover" not in html and "&lt;b onmouseover=&quot;x()&quot;&gt;镇&lt;/b&gt;" in html
    )
    pages = "".join(
        client.get(reverse("dashboard:league") + f"?klass={klass}").content.decode()
        for klass in (1, 2, 3, 4)
    )
    assert "<b onmouseover" not in pages and "<i>点</i>" not in pages
    assert "&lt;i&gt;点&lt;/i&gt;" in pages


def test_the_secretary_still_gets_the_budget_panel_for_the_newest_rated_years(
    county, login, secretary, assessor, monkeypatch, django_assert_num_queries
):
    from dashboards.panels import any_panel_shown

    monkeypatch.setattr("dashboards.selectors.overview.dashboard_panels", dashboard_panels)
    assert any_panel_shown(secretary, None) and not any_panel_shown(assessor, None)
    client = login(secretary)
    client.get(reverse("dashboard:county"))
    # user (with roles, bell), calendar, the newest rated round (the panels' year), the
    # budget panel's budget row, totals and whether the year's amounts are set
    with django_assert_num_queries(6):
        response = client.get(reverse("dashboard:county"))
    assert [p.title for p in response.context["panels"]] == [
        f"{newest_rated_round().year}年度奖励补助预算"
    ]
