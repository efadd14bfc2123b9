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
    # user (with roles, bell), count, the page's rows joined
    with django_assert_num_queries(3):
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

    assert [row["code"] for row in first.context["page"].object_list] == codes[:50]
    assert [row["code"] for row in second.context["page"].object_list] == codes[50:]
    html = second.content.decode()
    assert "第 2 / 2 页" in html
    positions = [html.index(f"聚居点{code}") for code in codes[50:]]
    assert positions == sorted(positions)  # the page renders them in that order too


def test_deep_pages_pick_ids_first_and_show_the_same_rows(
    monkeypatch, official_a, village_a, django_assert_num_queries
):
    """Pages within SHALLOW_ROWS are one joined query; deeper ones ids first, then rows:
    both give the settlements by code, each once, and refuse nothing the user may see."""
    from settlements import selectors

    _grow(village_a, 9)
    monkeypatch.setattr(selectors, "SHALLOW_ROWS", 4)
    by_code = list(selectors.settlements_filtered(official_a).values_list("code", flat=True))
    seen = []
    for number, queries in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)):
        with django_assert_num_queries(queries):  # count, rows / count, ids, rows
            page = selectors.settlement_page(official_a, page=number, per_page=2)
            codes = [row["code"] for row in page.object_list]
            names = [row["township"] for row in page.object_list]  # joined
        assert names == [village_a.township.name] * len(codes)
        seen += codes
    assert seen == by_code and len(by_code) == 9
    # A page past the end is the last page, a word is the first, as Django's get_page does.
    last = selectors.settlement_page(official_a, page=99, per_page=2)
    first = selectors.settlement_page(official_a, page="x", per_page=2)
    assert [row["code"] for row in last] == by_code[8:]
    assert [row["code"] for row in first] == by_code[:2]


def test_the_countys_township_filter_is_read_once_and_follows_every_change(
    login,
    assessor,
    township_a,
    township_b,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    from settlements.models import Township

    client = login(assessor)
    page = reverse("settlements:list")
    client.get(page)
    # user (with roles, bell), count, the page's rows: the townships come from the cache
    with django_assert_num_queries(3):
        html = client.get(page).content.decode()
    assert f'<option value="{township_a.pk}">{township_a.name}</option>' in html
    # A rename and a new township show from the next page on (retired on commit).
    with django_capture_on_commit_callbacks(execute=True):
        township_a.name = "改名镇"
        township_a.save()
        added = Township.objects.create(name="新设镇", code="T-NEW")
    html = client.get(page).content.decode()
    assert f'<option value="{township_a.pk}">改名镇</option>' in html
    assert f'<option value="{added.pk}">新设镇</option>' in html
    gone = added.pk
    with django_capture_on_commit_callbacks(execute=True):
        added.delete()
    assert "新设镇" not in client.get(page).content.decode()
    # Choosing one still checks it against the townships the user may see.
    assert (
        client.get(page, {"township": gone})
        .context["filters"]
        .has_error("township", "invalid_choice")
    )


def test_an_officials_list_has_no_township_filter_and_no_cached_list(
    login, official_a, settlement_a
):
    from django.core.cache import cache

    from settlements.selectors import TOWNSHIP_OPTIONS_VERSION

    html = login(official_a).get(reverse("settlements:list")).content.decode()
    assert 'name="township"' not in html and cache.get(TOWNSHIP_OPTIONS_VERSION) is None
