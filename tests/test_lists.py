# ruff: noqa: F811 - fixtures are imported from tests.ratings.view_fixtures and requested by name
"""Every list works like a list (issue 15): xlsx export holding only what the user may
see, a print layout with the whole filtered list, filters and search, a sortable round
list, every rewards year with data; a favicon; taking back a wrong upload."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from core import lists
from ratings import services
from ratings.models import Evidence
from settlements.models import Settlement
from tests import factories as f
from tests.ratings.office_files import docx_bytes
from tests.ratings.view_fixtures import (  # noqa: F401 - fixtures
    effective_a,
    fresh,
    items_by_code,
    media_root,
    notice_a,
    rectification_a,
    round_now,
    sa_a,
    sa_b,
    self_form_data,
    submitted_a,
    today,
    upload,
)


def sheet(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"] == lists.XLSX_CONTENT_TYPE
    assert (
        "attachment" in response["Content-Disposition"]
        and ".xlsx" in response["Content-Disposition"]
    )
    book = load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


# --------------------------------------------------------------- core helpers


def test_xlsx_keeps_numbers_and_neutralises_formulas():
    data = lists.xlsx_bytes(
        title="聚居点[1]:*?/\\" + "长" * 40,
        headers=["名称", "户数"],
        rows=[['=HYPERLINK("http://evil")', 12], ["+1", Decimal("3.5")]],
    )
    book = load_workbook(io.BytesIO(data))
    ws = book.active
    assert len(ws.title) <= 31 and not set("[]:*?/\\") & set(ws.title)
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1] == ('\'=HYPERLINK("http://evil")', 12)
    assert rows[2][0] == "'+1" and rows[2][1] == 3.5


# -------------------------------------------------------------- settlement list


def test_settlement_list_filters_by_township_class_star_and_search(
    client, login, assessor, village_a, settlement_a, settlement_b
):
    starred = f.settlement(village_a, code="SA9", name="星光苑", households=300, residents=900)
    type(starred).objects.filter(pk=starred.pk).update(current_star=5)
    client = login(assessor)
    url = reverse("settlements:list")
    html = client.get(url, {"township": settlement_b.village.township_id}).content.decode()
    assert settlement_b.name in html and settlement_a.name not in html
    html = client.get(url, {"star": 5}).content.decode()
    assert "星光苑" in html and settlement_a.name not in html
    html = client.get(url, {"klass": starred.klass}).content.decode()
    assert "星光苑" in html
    html = client.get(url, {"q": "SA9"}).content.decode()
    assert "星光苑" in html and settlement_b.name not in html


def test_officials_settlement_export_holds_only_their_township(
    client, login, official_a, settlement_a, settlement_b
):
    rows = sheet(login(official_a).get(reverse("settlements:list"), {"export": "xlsx"}))
    assert rows[0][:3] == ["代码", "名称", "乡镇"]
    codes = [row[0] for row in rows[1:]]
    assert settlement_a.code in codes and settlement_b.code not in codes  # the outsider
    assert isinstance(rows[1][5], int)  # households stay a number


def test_settlement_export_follows_the_filters(client, login, assessor, settlement_a, settlement_b):
    rows = sheet(
        login(assessor).get(reverse("settlements:list"), {"export": "xlsx", "q": settlement_b.code})
    )
    assert [row[0] for row in rows[1:]] == [settlement_b.code]


@pytest.mark.parametrize("extra", [0, 60])
def test_settlement_export_and_print_cost_the_same_queries_at_any_size(
    client, login, official_a, village_a, settlement_a, extra, django_assert_num_queries
):
    for _ in range(extra):
        f.settlement(village_a)
    client = login(official_a)
    # user (with roles, bell), the settlements joined to village and township
    with django_assert_num_queries(2):
        response = client.get(reverse("settlements:list"), {"export": "xlsx"})
    assert len(sheet(response)) == extra + 2
    # the print layout: user (with roles, bell), count, the rows joined
    with django_assert_num_queries(3):
        response = client.get(reverse("settlements:list"), {"print": "1"})
    html = response.content.decode()
    assert html.count("<tr>") == extra + 2 and 'class="pager"' not in html
    assert "data-list-print" in html and "<script>" not in html  # the button is bound by static JS


# ----------------------------------------------------------------- review queue


def test_queue_search_star_filter_and_export(
    client, login, assessor, submitted_a, sa_b, settlement_a, settlement_b
):
    client = login(assessor)
    url = reverse("ratings:queue")
    html = client.get(url, {"q": settlement_b.code}).content.decode()
    assert settlement_b.name in html and settlement_a.name not in html
    html = client.get(url, {"star": 5}).content.decode()
    assert settlement_a.name in html and settlement_b.name not in html
    rows = sheet(client.get(url, {"export": "xlsx"}))
    assert {row[0] for row in rows[1:]} == {settlement_a.code, settlement_b.code}
    assert rows[0][0] == "代码"


def test_official_cannot_export_the_queue(client, login, official_a, sa_a):
    assert login(official_a).get(reverse("ratings:queue"), {"export": "xlsx"}).status_code == 403


@pytest.mark.parametrize("extra", [0, 30])
def test_queue_export_costs_the_same_queries_at_any_size(
    client,
    login,
    assessor,
    secretary,
    rubric,
    village_a,
    settlement_a,
    settlement_b,
    extra,
    django_assert_num_queries,
):
    for _ in range(extra):
        f.settlement(village_a)
    services.round_open(year=today().year, quarter=1, by=secretary, today=today())
    client = login(assessor)
    # user (with roles, bell), current round, the queue joined (settlement, township, review, assessor)
    with django_assert_num_queries(3):
        response = client.get(reverse("ratings:queue"), {"export": "xlsx"})
    assert len(sheet(response)) == extra + 3


# ------------------------------------------------------------------- round list


def test_officials_round_list_sorts_searches_and_exports_only_their_township(
    client, login, official_a, secretary, rubric, village_a, settlement_a, settlement_b
):
    f.settlement(village_a, code="SA0", name="甲子苑", households=40, residents=100)
    services.round_open(year=today().year, quarter=1, by=secretary, today=today())
    client = login(official_a)
    url = reverse("ratings:round_current")
    by_code = client.get(url).content.decode()
    assert by_code.index("甲子苑") < by_code.index(settlement_a.name)  # SA0 before SA1
    by_name = client.get(url, {"sort": "name"}).content.decode()
    first, second = sorted([settlement_a.name, "甲子苑"])
    assert by_name.index(first) < by_name.index(second)
    html = client.get(url, {"q": "SA0"}).content.decode()
    assert "甲子苑" in html and f">{settlement_a.name}<" not in html
    rows = sheet(client.get(url, {"export": "xlsx"}))
    codes = [row[0] for row in rows[1:]]
    assert codes == ["SA0", settlement_a.code]  # and never the outsider's
    assert settlement_b.code not in codes


# ------------------------------------------------------------ rectification list


def test_rectification_list_filters_and_exports_only_the_users(
    client, login, official_a, official_b, assessor, rectification_a, settlement_a
):
    url = reverse("ratings:rectification_list")
    rows = sheet(login(official_a).get(url, {"export": "xlsx"}))
    assert [row[0] for row in rows[1:]] == [settlement_a.code]
    rows = sheet(login(official_b).get(url, {"export": "xlsx"}))
    assert rows[1:] == []  # the outsider's export is empty
    client = login(assessor)
    html = client.get(url, {"q": "no-such-code"}).content.decode()
    assert settlement_a.name not in html
    html = client.get(
        url, {"township": settlement_a.village.township_id, "print": "1"}
    ).content.decode()
    assert settlement_a.name in html and "data-list-print" in html


# ----------------------------------------------------------------- league table


def test_league_export_is_a_workbook_scoped_to_the_official(
    client, login, official_a, effective_a, settlement_a, settlement_b
):
    from dashboards.stats import league_build

    league_build(round=effective_a.round, settlement_class=settlement_a.klass)
    url = reverse("dashboard:league")
    rows = sheet(
        login(official_a).get(
            url, {"round": effective_a.round_id, "klass": settlement_a.klass, "export": "xlsx"}
        )
    )
    assert rows[0][0] == "名次"
    assert [row[1] for row in rows[1:]] == [settlement_a.code]
    html = (
        login(official_a)
        .get(url, {"round": effective_a.round_id, "klass": settlement_a.klass, "print": "1"})
        .content.decode()
    )
    assert settlement_a.name in html and "data-list-print" in html


# --------------------------------------------------------------- rewards years


def test_rewards_year_list_offers_every_year_with_data(db):
    from rewards.models import Disbursement, YearBudget
    from rewards.selectors import years_with_data

    YearBudget.objects.create(year=2025, amount=Decimal("100000.00"))
    YearBudget.objects.create(year=2026, amount=Decimal("100000.00"))
    assert years_with_data(Disbursement.objects.all()) == [2026, 2025]


# --------------------------------------------------------------------- favicon


def test_favicon_is_served_on_every_site_path(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header
    html = client.get(reverse("login")).content.decode()
    assert 'rel="icon"' in html


# ------------------------------------------------------------- removing evidence


def _upload_to(client, sa, item, name="错拍.png", content=None, content_type="image/png"):
    data = self_form_data(sa)
    data[f"evidence_{item.pk}"] = upload(name, content, content_type)
    assert client.post(reverse("ratings:self_assessment", args=[sa.pk]), data).status_code == 302
    return Evidence.objects.latest("pk")


def test_official_removes_a_wrong_upload_from_the_page(
    client, login, official_a, sa_a, django_capture_on_commit_callbacks
):
    client = login(official_a)
    item = items_by_code(sa_a.rubric)["HJ01"]
    evidence = _upload_to(client, sa_a, item)
    page = client.get(reverse("ratings:self_assessment", args=[sa_a.pk])).content.decode()
    remove_url = reverse("ratings:evidence_remove", args=[evidence.pk])
    assert f'formaction="{remove_url}"' in page and 'id="evidence-remove"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(remove_url)
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{item.pk}")
    assert not Evidence.objects.filter(pk=evidence.pk).exists()


def test_word_file_uploaded_on_the_page_is_kept(client, login, official_a, sa_a):
    client = login(official_a)
    item = items_by_code(sa_a.rubric)["HJ01"]
    evidence = _upload_to(client, sa_a, item, "台账.docx", docx_bytes(), "application/octet-stream")
    assert evidence.content_type.endswith("wordprocessingml.document")
    response = client.get(reverse("ratings:evidence", args=[evidence.pk]))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]


def test_removal_is_refused_after_submission_and_404_for_the_outsider(
    client, login, official_a, official_b, sa_a
):
    client = login(official_a)
    item = items_by_code(sa_a.rubric)["HJ01"]
    evidence = _upload_to(client, sa_a, item)
    remove_url = reverse("ratings:evidence_remove", args=[evidence.pk])
    assert login(official_b).post(remove_url).status_code == 404
    client = login(official_a)
    services.self_assessment_submit(
        assessment=fresh(sa_a), by=official_a, expected_version=fresh(sa_a).version
    )
    response = client.post(remove_url, follow=True)
    assert Evidence.objects.filter(pk=evidence.pk).exists()
    assert "已提交" in response.content.decode() or response.status_code == 200
    assert client.get(remove_url).status_code == 405  # only a POST removes


@pytest.mark.parametrize("viewname", ["settlements:detail", "dashboard:township"])
def test_pk_link_writes_what_reverse_writes(viewname):
    for language in ("zh-hans", "en"):
        with translation.override(language):
            link = lists.pk_link(viewname)
            for pk in (1, 7, 42, 8642097531, 10**12):
                assert link(pk) == reverse(viewname, args=[pk])


def test_settlement_list_rows_link_and_show_each_settlement(
    client, login, assessor, settlement_a, settlement_b
):
    html = login(assessor).get(reverse("settlements:list")).content.decode()
    for s in (settlement_a, settlement_b):
        assert f'<a href="{s.get_absolute_url()}">{s.name}</a>' in html
        assert f">{s.village.township.name}</td>" in html and f">{s.code}</td>" in html


def test_settlement_rows_escape_every_text_and_label_each_cell(client, login, assessor, village_a):
    from settlements.selectors import settlement_page
    from settlements.templatetags.settlement_rows import settlement_rows_html

    odd = f.settlement(village_a, code="X<1>", name='<b>"阳光"&苑</b>', households=250)
    unrated = f.settlement(village_a, code="X2", name="新村")
    Settlement.objects.filter(pk=odd.pk).update(current_star=4)
    rows = list(settlement_page(assessor).object_list)
    assert [r["code"] for r in rows] == ["X2", "X<1>"] and rows[0]["township"] == "甲镇"
    html = settlement_rows_html(rows)
    assert "<b>" not in html and "&lt;b&gt;&quot;阳光&quot;&amp;苑&lt;/b&gt;" in html
    assert ">X&lt;1&gt;</td>" in html and ">250</td>" in html
    assert (
        '<td data-label="当前星级">4★</td>' in html and '<td data-label="当前星级">—</td>' in html
    )
    assert f'<td data-label="类别">{odd.class_label}</td>' in html
    assert html.count("<tr>") == 2 and f'href="{unrated.get_absolute_url()}"' in html
    with translation.override("en"):
        english, code = settlement_rows_html(rows[:1]), translation.gettext("代码")
    assert code != "代码" and f'data-label="{code}"' in english and "代码" not in english
    # The page shows them, and says so when there are none.
    page = login(assessor).get(reverse("settlements:list")).content.decode()
    assert "&lt;b&gt;&quot;阳光&quot;" in page
    empty = client.get(reverse("settlements:list"), {"q": "no-such-settlement"}).content.decode()
    assert "没有聚居点。" in empty
