"""#12 Facts in view when scoring: the organisation gaps beside the rubric's 组织建设 items,
on the official's self-assessment page and the assessor's review page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ratings import services
from ratings.models import Area, RubricItem, SelfAssessment
from settlements.governance.services import settlement_gaps_refresh
from settlements.models import SettlementGaps
from tests.ratings.view_fixtures import self_submit, today

FACTS = "data-organisation-facts"


def self_url(sa) -> str:
    return reverse("ratings:self_assessment", args=[sa.pk])


def review_url(sa) -> str:
    return reverse("ratings:review", args=[sa.pk])


def organisation_section(html: str) -> str:
    """The 组织建设 area's markup: the facts sit inside it, before its items."""
    start = html.index('<span class="area-name">组织建设</span>')
    end = html.index("</details>", start)
    return html[start:end]


def test_self_assessment_shows_the_stored_gaps_inside_the_organisation_area(
    client, login, official_a, sa_a, settlement_a
):
    settlement_gaps_refresh(settlement_ids=[settlement_a.pk])
    html = login(official_a).get(self_url(sa_a)).content.decode()
    section = organisation_section(html)
    assert FACTS in section
    # settlement_a: 5 Party members, 120 households, no organisation of either kind yet.
    for code in ("party_missing", "self_missing", "team_missing"):
        assert f'data-gap="{code}"' in section
    assert "党员 5 名，应为党支部" in section
    assert "120 户，应为自主管理委员会" in section
    assert "核查于" in section  # read from the stored row
    assert reverse("settlements:governance", args=[settlement_a.pk]) in section
    # Only beside the organisation items, never in another area.
    assert html.count(FACTS) == 1


def test_a_settlement_without_gaps_says_so(client, login, official_a, sa_a, settlement_a):
    SettlementGaps.objects.create(
        settlement=settlement_a, codes="", missing_roles="", counted_at=timezone.now()
    )
    section = organisation_section(login(official_a).get(self_url(sa_a)).content.decode())
    assert 'data-gap="none"' in section
    assert 'data-gap="party_missing"' not in section


def test_without_a_stored_row_the_gaps_are_checked_on_the_fly_and_not_written(
    client, login, official_a, sa_a, settlement_a
):
    SettlementGaps.objects.filter(settlement=settlement_a).delete()
    section = organisation_section(login(official_a).get(self_url(sa_a)).content.decode())
    assert 'data-gap="party_missing"' in section
    assert "核查于" not in section
    assert not SettlementGaps.objects.filter(settlement=settlement_a).exists()


def test_review_page_shows_the_gaps_to_the_assessor(
    client, login, official_a, assessor, sa_a, settlement_a
):
    settlement_gaps_refresh(settlement_ids=[settlement_a.pk])
    self_submit(sa_a, official_a, {"HJ01": 1}, star=5)
    html = login(assessor).get(review_url(sa_a)).content.decode()
    section = organisation_section(html)
    assert FACTS in section and 'data-gap="team_missing"' in section


def test_the_outsider_sees_no_facts_of_another_township(
    client, login, official_b, sa_a, settlement_a
):
    settlement_gaps_refresh(settlement_ids=[settlement_a.pk])
    assert login(official_b).get(self_url(sa_a)).status_code == 404


def _measure(client, url, django_assert_num_queries, expected):
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("extra", [0, 12])
def test_query_count_does_not_grow_with_the_organisation_items(
    client,
    login,
    official_a,
    assessor,
    secretary,
    rubric,
    settlement_a,
    settlement_b,
    extra,
    django_assert_num_queries,
):
    for n in range(extra):
        RubricItem.objects.create(
            rubric=rubric,
            area=Area.ORGANISATION,
            code=f"ZX{n:02d}",
            text=f"组织建设附加条目{n}",
            kind="deduction",
            points=Decimal("1"),
            cap=Decimal("2"),
            position=900 + n,
        )
    rnd, _created = services.round_open(year=today().year, quarter=1, by=secretary, today=today())
    sa = SelfAssessment.objects.get(round=rnd, settlement=settlement_a)
    settlement_gaps_refresh(settlement_ids=[settlement_a.pk])
    official = login(official_a)
    # The same count with 12 more organisation items: the facts are one query.
    _measure(official, self_url(sa), django_assert_num_queries, SELF_PAGE_QUERIES)
    self_submit(sa, official_a, {"HJ01": 1}, star=5)
    reviewer = login(assessor)
    _measure(reviewer, review_url(sa), django_assert_num_queries, REVIEW_PAGE_QUERIES)


# the user with their roles and the bell's count, the assessment (joined round, rubric,
# place, submitter), its items, its evidence, the rubric's items, the stored gaps: 6 (the
# session is read from the cache).
SELF_PAGE_QUERIES = 6
# The same with the review, its items, its reopenings and the rating beside it: 9.
REVIEW_PAGE_QUERIES = 9
