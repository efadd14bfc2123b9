"""The settlement page: its rating story is read by a selector before the template renders
(no queries from inside the template), scoped to the user, in a fixed number of queries."""

from __future__ import annotations

from django.urls import reverse

from dashboards import selectors as dashboard
from ratings.models import Rating, RatingStatus
from settlements.models import Settlement
from tests import factories as f


def rated_settlement() -> Settlement:
    return Rating.objects.filter(status=RatingStatus.EFFECTIVE).order_by("-pk").first().settlement


def test_the_page_gets_the_history_from_the_view(small_county, login):
    place = rated_settlement()
    official = f.official("official_page", place.village.township)
    response = login(official).get(reverse("settlements:detail", args=[place.pk]))
    assert response.status_code == 200
    history = response.context["history"]
    assert isinstance(history, dashboard.SettlementHistory)
    assert {r.pk for r in history.ratings} == set(
        Rating.objects.filter(settlement=place).values_list("pk", flat=True)
    )
    assert history.charts.history and history.latest is not None
    assert "星级评定记录" in response.content.decode()


def test_an_official_cannot_open_another_townships_settlement(small_county, login):
    place = rated_settlement()
    other = next(t for t in small_county if t.pk != place.village.township_id)
    outsider = f.official("official_outsider", other)
    assert login(outsider).get(reverse("settlements:detail", args=[place.pk])).status_code == 404


def test_the_history_holds_only_what_the_user_may_see(small_county):
    place = rated_settlement()
    other = next(t for t in small_county if t.pk != place.village.township_id)
    outsider = f.official("official_outsider2", other)
    history = dashboard.settlement_history(user=outsider, settlement=place)
    assert history.ratings == [] and history.latest is None and history.certificates == []


def test_settlement_page_queries_do_not_grow_with_the_county(
    county, login, assessor, django_assert_num_queries
):
    client = login(assessor)
    place = rated_settlement()
    # user (with roles, bell), settlement (with village, township), latest self-assessment
    # (with round, review), star changes, ratings, rectifications, certificates, the
    # settlement's ratings for the charts, county and own points per area of the latest.
    with django_assert_num_queries(10):
        assert client.get(reverse("settlements:detail", args=[place.pk])).status_code == 200
