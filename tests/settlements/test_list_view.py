"""The settlement list: scoped, searchable, and a fixed number of queries at any size."""

import pytest
from django.urls import reverse

from tests import factories as f


def _grow(village, n):
    for _ in range(n):
        f.settlement(village)


@pytest.mark.parametrize("extra", [0, 60])
def test_settlement_list_costs_the_same_queries_at_any_size(
    client,
    login,
    official_a,
    settlement_a,
    village_a,
    settlement_b,
    extra,
    django_assert_num_queries,
):
    _grow(village_a, extra)
    client = login(official_a)
    # session, user, groups (role), count, page ids, page rows
    with django_assert_num_queries(7):  # + the bell's unread count
        response = client.get(reverse("settlements:list"))
    assert response.status_code == 200


def test_official_lists_only_their_township(client, login, official_a, settlement_a, settlement_b):
    html = login(official_a).get(reverse("settlements:list")).content.decode()
    assert settlement_a.name in html
    assert settlement_b.name not in html  # the outsider's settlement is not listed


def test_assessor_lists_every_township_and_can_search(
    client, login, assessor, settlement_a, settlement_b
):
    client = login(assessor)
    html = client.get(reverse("settlements:list")).content.decode()
    assert settlement_a.name in html and settlement_b.name in html
    html = client.get(reverse("settlements:list"), {"q": settlement_b.code}).content.decode()
    assert settlement_b.name in html and settlement_a.name not in html


def test_pages_list_settlements_by_code_across_page_breaks(client, login, assessor, village_a):
    # Created in reverse code order, so neither insertion (pk) order nor a reversed sort
    # could pass: each page must hold the next codes in ascending order.
    codes = [f"Z{i:03d}" for i in range(55)]
    for code in reversed(codes):
        f.settlement(village_a, code=code, name=f"聚居点{code}")
    client = login(assessor)

    first = client.get(reverse("settlements:list"))
    second = client.get(reverse("settlements:list"), {"page": 2})

    assert [s.code for s in first.context["page"].object_list] == codes[:50]
    assert [s.code for s in second.context["page"].object_list] == codes[50:]
    html = second.content.decode()
    assert "第 2 / 2 页" in html
    positions = [html.index(f"聚居点{code}") for code in codes[50:]]
    assert positions == sorted(positions)  # the page renders them in that order too
