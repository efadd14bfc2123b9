"""What a township official clicks: the round page, the self-assessment form, evidence,
the result page. Every POST test checks the response and the database after it."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from ratings import services
from ratings.models import AssessmentStatus, Evidence, Review, SelfAssessmentItem
from tests import factories as f
from tests.ratings.view_fixtures import (
    finalise,
    fresh,
    items_by_code,
    jpeg_bytes,
    review_form_data,
    self_form_data,
    today,
    upload,
)


def form_url(sa) -> str:
    return reverse("ratings:self_assessment", args=[sa.pk])


def input_tag(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert match, f"no input {name}"
    return match.group(0)


# ------------------------------------------------------------------------ landing


def test_official_lands_on_their_townships_view_with_the_round_one_tap_away(
    client, login, official_a, round_now
):
    response = login(official_a).get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("dashboard:township", args=[official_a.township_id])
    page = client.get(response.url).content.decode()
    assert reverse("ratings:round_current") in page


def test_official_cannot_land_on_another_townships_view(
    client, login, official_a, township_b, round_now
):
    assert (
        login(official_a).get(reverse("dashboard:township", args=[township_b.pk])).status_code
        == 404
    )


def test_assessor_and_secretary_land_on_the_county_dashboard(
    client, login, assessor, secretary, round_now
):
    assert login(assessor).get(reverse("home")).url == reverse("dashboard:county")
    assert login(secretary).get(reverse("home")).url == reverse("dashboard:county")


def test_user_without_a_role_is_told_to_ask_for_one(client, login, db):
    nobody = f.user("nobody")
    response = login(nobody).get(reverse("home"))
    assert response.status_code == 200
    assert "还没有分配角色" in response.content.decode()


def test_anonymous_is_sent_to_log_in(client, round_now):
    response = client.get(reverse("ratings:round_current"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# ---------------------------------------------------------------------- round page


def test_round_page_lists_only_the_officials_township_with_status_and_days_left(
    client, login, official_a, sa_a, sa_b, settlement_a, settlement_b
):
    html = login(official_a).get(reverse("ratings:round_current")).content.decode()
    assert settlement_a.name in html
    assert settlement_b.name not in html
    assert "未开始" in html
    assert "还剩 10 天" in html
    assert form_url(sa_a) in html
    assert form_url(sa_b) not in html


def test_round_page_without_a_round_says_so(client, login, official_a):
    response = login(official_a).get(reverse("ratings:round_current"))
    assert response.status_code == 200
    assert "当前没有进行中的考评轮次" in response.content.decode()


def test_round_page_shows_each_status_in_chinese(
    client, login, official_a, village_a, rubric, secretary, settlement_a
):
    others = [f.settlement(village_a) for _ in range(3)]
    rnd, _created = services.round_open(year=today().year, quarter=1, by=secretary, today=today())
    from ratings.models import SelfAssessment

    SelfAssessment.objects.filter(settlement=others[0], round=rnd).update(
        status=AssessmentStatus.DRAFT
    )
    SelfAssessment.objects.filter(settlement=others[1], round=rnd).update(
        status=AssessmentStatus.RETURNED
    )
    SelfAssessment.objects.filter(settlement=others[2], round=rnd).update(
        status=AssessmentStatus.OVERDUE
    )
    html = login(official_a).get(reverse("ratings:round_current")).content.decode()
    for label in ("未开始", "草稿", "已退回", "逾期未报"):
        assert label in html


@pytest.mark.parametrize("extra", [0, 12])
def test_round_page_query_count_does_not_grow_with_settlements(
    client,
    login,
    official_a,
    village_a,
    rubric,
    secretary,
    settlement_a,
    extra,
    django_assert_num_queries,
):
    for _ in range(extra):
        f.settlement(village_a)
    services.round_open(year=today().year, quarter=1, by=secretary, today=today())
    client = login(official_a)
    # user (with roles, bell), current round + rubric,
    # count of the township's assessments, the page of assessments (joined settlement,
    # village, township, review)
    with django_assert_num_queries(4):
        response = client.get(reverse("ratings:round_current"))
    assert response.status_code == 200
    assert response.content.decode().count('class="badge not_started"') == extra + 1


# ------------------------------------------------------------- the self-assessment


def test_form_groups_the_rubric_by_the_seven_areas_with_a_version_field(
    client, login, official_a, sa_a
):
    html = login(official_a).get(form_url(sa_a)).content.decode()
    for area in (
        "组织建设",
        "居民自治",
        "管理服务",
        "文明和谐",
        "环境整治",
        "安全稳定",
        "制度健全",
    ):
        assert area in html
    assert html.count('<details class="area"') == 7
    assert 'name="version"' in html and f'value="{sa_a.version}"' in input_tag(html, "version")
    assert "保存草稿" in html and "提交自评" in html
    assert "100.0" in html  # nothing filled in yet: the base score


def test_save_draft_stores_items_and_the_server_computed_score(client, login, official_a, sa_a):
    data = self_form_data(sa_a, {"ZZ02": 2, "HJ01": 1, "ZJ01": 1}, star=5, note="见照片")
    response = login(official_a).post(form_url(sa_a), data)

    assert response.status_code == 302
    sa = fresh(sa_a)
    assert sa.status == AssessmentStatus.DRAFT
    assert sa.score == Decimal("99.0")  # 100 - 2 - 1 + 2
    assert sa.star_applied == 5
    assert sa.version == sa_a.version + 1
    codes = items_by_code(sa.rubric)
    row = SelfAssessmentItem.objects.get(assessment=sa, item=codes["ZZ02"])
    assert (row.occurrences, row.points, row.note) == (2, Decimal("2.0"), "见照片")
    page = client.get(form_url(sa)).content.decode()
    assert "草稿已保存" in page
    assert "已保存得分 99.0" in page


def test_submit_locks_the_form(client, login, official_a, sa_a):
    client = login(official_a)
    response = client.post(
        form_url(sa_a), self_form_data(sa_a, {"HJ01": 3}, star=5, action="submit")
    )

    assert response.status_code == 302
    sa = fresh(sa_a)
    assert sa.status == AssessmentStatus.SUBMITTED
    assert sa.score == Decimal("97.0")
    assert sa.submitted_by == official_a
    html = client.get(form_url(sa)).content.decode()
    assert "自评已提交，不能再修改" in html
    assert "提交自评</button>" not in html
    assert "disabled" in input_tag(html, f"occ_{items_by_code(sa.rubric)['HJ01'].pk}")


def test_submitted_assessment_refuses_a_tampered_post(client, login, official_a, submitted_a):
    before = fresh(submitted_a)
    response = login(official_a).post(form_url(before), self_form_data(before, {"HJ01": 0}, star=5))

    assert response.status_code == 400
    after = fresh(submitted_a)
    assert (after.score, after.version, after.status) == (
        before.score,
        before.version,
        AssessmentStatus.SUBMITTED,
    )
    assert SelfAssessmentItem.objects.get(assessment=after, item__code="HJ01").occurrences == 1


def test_star_applied_above_the_score_is_refused_and_nothing_saved(client, login, official_a, sa_a):
    # 100 - 10 (ZZ01 x2) - 5 (HJ01 x5) = 85 earns four stars, not five
    data = self_form_data(sa_a, {"ZZ01": 2, "HJ01": 5}, star=5)
    response = login(official_a).post(form_url(sa_a), data)

    assert response.status_code == 400
    assert "申报星级不能高于自评得分对应的星级" in response.content.decode()
    sa = fresh(sa_a)
    assert (sa.status, sa.score, sa.version) == (AssessmentStatus.NOT_STARTED, None, 0)
    assert not SelfAssessmentItem.objects.filter(assessment=sa).exists()


def test_star_options_above_what_the_stored_score_earns_are_disabled(
    client, login, official_a, sa_a
):
    services.self_assessment_save(
        assessment=sa_a,
        by=official_a,
        items={items_by_code(sa_a.rubric)["ZZ01"].pk: (2, "")},
        star_applied=4,
        expected_version=0,
    )  # 90 - … no: 100 - 10 = 90 → five stars possible
    sa = fresh(sa_a)
    codes = items_by_code(sa.rubric)
    services.self_assessment_save(
        assessment=sa,
        by=official_a,
        items={codes["HJ01"].pk: (5, "")},
        star_applied=4,
        expected_version=sa.version,
    )  # 100 - 10 - 5 = 85 → at most four stars
    html = login(official_a).get(form_url(sa)).content.decode()
    assert re.search(r'<option value="5" disabled>', html)
    assert re.search(r'<option value="4"[^>]*selected', html)


def test_stale_version_gets_a_clear_message_and_nothing_is_overwritten(
    client, login, official_a, sa_a
):
    client = login(official_a)
    first = self_form_data(sa_a, {"HJ01": 1})
    second = self_form_data(sa_a, {"HJ01": 4})  # loaded at the same version
    assert client.post(form_url(sa_a), first).status_code == 302

    response = client.post(form_url(sa_a), second)

    assert response.status_code == 409
    assert "该表已被他人修改，请刷新后重试" in response.content.decode()
    sa = fresh(sa_a)
    assert sa.score == Decimal("99.0")
    assert SelfAssessmentItem.objects.get(assessment=sa, item__code="HJ01").occurrences == 1


def test_official_cannot_post_county_score_fields(client, login, official_a, sa_a):
    data = self_form_data(sa_a, {"HJ01": 1})
    data[f"county_occ_{items_by_code(sa_a.rubric)['HJ01'].pk}"] = 0
    response = login(official_a).post(form_url(sa_a), data)

    assert response.status_code == 400
    assert "乡镇自评不能填写县级考评的内容" in response.content.decode()
    assert fresh(sa_a).version == 0
    assert not Review.objects.exists()


def test_official_cannot_post_to_the_review_form(client, login, official_a, submitted_a):
    data = review_form_data(submitted_a, {"HJ01": 0})
    response = login(official_a).post(reverse("ratings:review", args=[submitted_a.pk]), data)
    assert response.status_code == 403
    assert not Review.objects.exists()


def test_official_posting_to_another_townships_assessment_gets_404(client, login, official_b, sa_a):
    response = login(official_b).post(form_url(sa_a), self_form_data(sa_a, {"HJ01": 1}))
    assert response.status_code == 404
    assert fresh(sa_a).version == 0


def test_official_opening_another_townships_form_gets_404(client, login, official_b, sa_a):
    assert login(official_b).get(form_url(sa_a)).status_code == 404


# ------------------------------------------------------------------------ deadline


def test_after_the_deadline_the_form_is_read_only_and_posts_are_refused(
    client, login, official_a, sa_a
):
    type(sa_a).objects.filter(pk=sa_a.pk).update(deadline=today() - dt.timedelta(days=1))
    client = login(official_a)
    html = client.get(form_url(sa_a)).content.decode()
    assert "已过截止日期" in html
    assert "保存草稿" not in html
    assert "disabled" in input_tag(html, f"occ_{items_by_code(sa_a.rubric)['HJ01'].pk}")

    response = client.post(form_url(sa_a), self_form_data(fresh(sa_a), {"HJ01": 1}))

    assert response.status_code == 400
    assert fresh(sa_a).status == AssessmentStatus.NOT_STARTED
    assert not SelfAssessmentItem.objects.filter(assessment=sa_a).exists()


def test_overdue_assessment_is_read_only(client, login, official_a, sa_a):
    type(sa_a).objects.filter(pk=sa_a.pk).update(status=AssessmentStatus.OVERDUE)
    html = login(official_a).get(form_url(sa_a)).content.decode()
    assert "逾期未报" in html
    assert "保存草稿" not in html


# ----------------------------------------------------------------------- send-back


@pytest.fixture
def returned_a(submitted_a, assessor):
    codes = items_by_code(submitted_a.rubric)
    return services.self_assessment_send_back(
        assessment=fresh(submitted_a),
        by=assessor,
        item_ids=[codes["HJ01"].pk],
        reason="请补充照片",
        deadline=today() + dt.timedelta(days=3),
    )


def test_send_back_reopens_only_the_returned_items(client, login, official_a, returned_a):
    codes = items_by_code(returned_a.rubric)
    html = login(official_a).get(form_url(returned_a)).content.decode()
    assert "请补充照片" in html
    assert "disabled" not in input_tag(html, f"occ_{codes['HJ01'].pk}")
    assert "disabled" in input_tag(html, f"occ_{codes['ZZ02'].pk}")
    assert f'name="evidence_{codes["HJ01"].pk}"' in html
    assert f'name="evidence_{codes["ZZ02"].pk}"' not in html


def test_official_edits_the_returned_item_and_resubmits(client, login, official_a, returned_a):
    codes = items_by_code(returned_a.rubric)
    data = self_form_data(returned_a, {"HJ01": 0}, star=5, action="submit", only={"HJ01"})
    data[f"evidence_{codes['HJ01'].pk}"] = upload("整改后.jpg", jpeg_bytes(), "image/jpeg")
    response = login(official_a).post(form_url(returned_a), data)

    assert response.status_code == 302
    sa = fresh(returned_a)
    assert sa.status == AssessmentStatus.SUBMITTED
    assert sa.score == Decimal("98.0")  # ZZ02 x2 unchanged, HJ01 now 0
    assert not SelfAssessmentItem.objects.filter(assessment=sa, returned=True).exists()
    assert Evidence.objects.get(assessment=sa).item == codes["HJ01"]


def test_editing_an_item_that_was_not_returned_is_refused(client, login, official_a, returned_a):
    data = self_form_data(returned_a, {"HJ01": 0, "ZZ02": 0}, star=5, only={"HJ01", "ZZ02"})
    response = login(official_a).post(form_url(returned_a), data)

    assert response.status_code == 400
    assert "当前不可修改" in response.content.decode()
    sa = fresh(returned_a)
    assert sa.version == returned_a.version
    assert SelfAssessmentItem.objects.get(assessment=sa, item__code="ZZ02").occurrences == 2
    assert SelfAssessmentItem.objects.get(assessment=sa, item__code="HJ01").occurrences == 1


# ------------------------------------------------------------------------ evidence


def test_photo_upload_is_stored_and_served_only_to_who_may_see_it(
    client, login, official_a, official_b, sa_a
):
    codes = items_by_code(sa_a.rubric)
    data = self_form_data(sa_a, {"HJ01": 1})
    data[f"evidence_{codes['HJ01'].pk}"] = [upload("垃圾点.png"), upload("第二张.png")]
    assert login(official_a).post(form_url(sa_a), data).status_code == 302

    files = list(Evidence.objects.filter(assessment=sa_a).order_by("pk"))
    assert [e.original_name for e in files] == ["垃圾点.png", "第二张.png"]
    assert all(e.side == Evidence.SIDE_SELF and e.item == codes["HJ01"] for e in files)
    url = files[0].get_absolute_url()
    assert url in client.get(form_url(sa_a)).content.decode()

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert login(official_b).get(url).status_code == 404


def test_a_file_that_is_not_an_image_is_refused_next_to_its_field(client, login, official_a, sa_a):
    codes = items_by_code(sa_a.rubric)
    data = self_form_data(sa_a, {"HJ01": 1})
    data[f"evidence_{codes['HJ01'].pk}"] = upload(
        "病毒.png", b"MZ\x90\x00 not an image", "image/png"
    )
    response = login(official_a).post(form_url(sa_a), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "不是 JPG、PNG、PDF、Word（docx）或 Excel（xlsx）文件" in html
    # the message sits inside the item's block, next to its upload field
    block = html[html.index(f'id="item-{codes["HJ01"].pk}"') :]
    assert block.index("不是 JPG、PNG、PDF、Word（docx）或 Excel（xlsx）文件") < block.index(
        "data-item ", 20
    )
    # one transaction: the scores typed with it were not saved either
    assert fresh(sa_a).version == 0
    assert not Evidence.objects.exists()


# -------------------------------------------------------------------------- result


def test_result_page_before_the_county_decides(client, login, official_a, submitted_a):
    html = login(official_a).get(reverse("ratings:result", args=[submitted_a.pk])).content.decode()
    assert "县考评组尚未定分" in html


def test_result_page_compares_item_by_item_with_losses_and_next_star(
    client, login, official_a, submitted_a, assessor
):
    # county: ZZ01 x2 (10) + HJ01 x3 (3) → 87.0, four stars; 3.0 short of five
    finalise(
        submitted_a,
        assessor,
        {"ZZ01": 2, "HJ01": 3},
        reasons={"ZZ01": "党组织未建立"},
        total_gap_reason="未建党组织",
    )
    html = login(official_a).get(reverse("ratings:result", args=[submitted_a.pk])).content.decode()
    assert "97.0" in html and "87.0" in html
    assert "−10.0" in html  # the overall gap
    assert "距离五星还差 3.0 分" in html
    assert "党组织未建立" in html
    assert "★★★★" in html
    # points lost per area: organisation 10 by the county, 2 by the township
    org = html[html.index("各领域失分") :]
    assert re.search(r"组织建设</td><td[^>]*>2\.0</td><td[^>]*>10\.0</td>", org)


def test_result_page_shows_a_veto(client, login, official_a, submitted_a, assessor):
    finalise(submitted_a, assessor, {"ZZ02": 2, "HJ01": 1, "AQ09": 1})
    html = login(official_a).get(reverse("ratings:result", args=[submitted_a.pk])).content.decode()
    assert "触发一票否决" in html
    assert "未评星" in html
