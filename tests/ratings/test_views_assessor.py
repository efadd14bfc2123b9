"""What a county assessor clicks: the queue, the on-site review, send-back, notice and
objections, rectification orders and direct downgrades."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from ratings import services
from ratings.models import (
    AssessmentStatus,
    Evidence,
    Objection,
    ObjectionOutcome,
    Rating,
    RatingStatus,
    RectificationStatus,
    Review,
    ReviewStatus,
    SelfAssessment,
    SelfAssessmentItem,
    StarChange,
)
from tests import factories as f
from tests.ratings.view_fixtures import (
    finalise,
    fresh,
    items_by_code,
    review_form_data,
    self_submit,
    today,
    upload,
)


def review_url(sa) -> str:
    return reverse("ratings:review", args=[sa.pk])


# --------------------------------------------------------------------------- queue


def test_queue_lists_settlements_with_self_scores(
    client, login, assessor, submitted_a, sa_b, settlement_a, settlement_b
):
    html = login(assessor).get(reverse("ratings:queue")).content.decode()
    assert settlement_a.name in html and settlement_b.name in html
    assert "97.0" in html  # A's self score
    assert "★★★★★" in html  # applied for five stars
    assert review_url(submitted_a) in html


def test_queue_filters_by_township_class_and_status(
    client, login, assessor, submitted_a, sa_b, settlement_a, settlement_b, township_b
):
    client = login(assessor)
    by_township = client.get(reverse("ratings:queue"), {"township": township_b.pk}).content.decode()
    assert settlement_b.name in by_township and settlement_a.name not in by_township
    by_class = client.get(
        reverse("ratings:queue"), {"klass": 1}
    ).content.decode()  # A has 120 households
    assert settlement_a.name in by_class and settlement_b.name not in by_class
    by_status = client.get(reverse("ratings:queue"), {"status": "submitted"}).content.decode()
    assert settlement_a.name in by_status and settlement_b.name not in by_status
    not_reviewed = client.get(reverse("ratings:queue"), {"review": "todo"}).content.decode()
    assert settlement_a.name in not_reviewed and settlement_b.name in not_reviewed


def test_queue_is_not_for_township_officials(client, login, official_a, round_now):
    assert login(official_a).get(reverse("ratings:queue")).status_code == 403


@pytest.mark.parametrize("extra", [0, 15])
def test_queue_query_count_does_not_grow_with_settlements(
    client,
    login,
    assessor,
    official_a,
    village_a,
    village_b,
    rubric,
    secretary,
    settlement_a,
    settlement_b,
    extra,
    django_assert_num_queries,
):
    for n in range(extra):
        f.settlement(village_a if n % 2 else village_b)
    rnd, _created = services.round_open(year=today().year, quarter=1, by=secretary, today=today())
    sa = SelfAssessment.objects.get(round=rnd, settlement=settlement_a)
    self_submit(sa, official_a, {"HJ01": 1}, star=5)
    finalise(sa, assessor, {"HJ01": 1})
    client = login(assessor)
    # user (with roles, bell), current round + rubric, townships for
    # the filter, count of the round's assessments, the page (joined settlement, village,
    # township, review, review's assessor and rating)
    with django_assert_num_queries(5):
        response = client.get(reverse("ratings:queue"))
    assert response.status_code == 200
    assert response.content.decode().count('class="actions"') == extra + 2


# --------------------------------------------------------------------- the review


def test_review_form_shows_self_scores_beside_county_fields(client, login, assessor, submitted_a):
    codes = items_by_code(submitted_a.rubric)
    html = login(assessor).get(review_url(submitted_a)).content.decode()
    block = html[html.index(f'id="item-{codes["ZZ02"].pk}"') :]
    block = block[: block.index("data-item ", 20)]
    assert "乡镇自评" in block and "2 次 · 2.0 分" in block
    assert f'name="county_occ_{codes["ZZ02"].pk}"' in block
    assert f'name="gap_reason_{codes["ZZ02"].pk}"' in block
    assert f'name="photos_{codes["ZZ02"].pk}"' in block
    assert 'name="visit_date"' in html and 'name="team_members"' in html


def test_review_is_locked_until_the_township_submits(client, login, assessor, sa_a):
    client = login(assessor)
    html = client.get(review_url(sa_a)).content.decode()
    assert "乡镇尚未提交自评" in html
    assert "定分并公示" not in html
    response = client.post(review_url(sa_a), review_form_data(sa_a, {"HJ01": 1}))
    assert response.status_code == 400
    assert not Review.objects.exists()


def test_assessor_saves_a_review_with_photos(client, login, assessor, submitted_a):
    codes = items_by_code(submitted_a.rubric)
    data = review_form_data(submitted_a, {"ZZ02": 2, "HJ01": 2})
    data[f"photos_{codes['HJ01'].pk}"] = upload("现场垃圾.png")
    response = login(assessor).post(review_url(submitted_a), data)

    assert response.status_code == 302
    review = Review.objects.get(self_assessment=submitted_a)
    assert (review.status, review.score, review.assessor, review.team_members) == (
        ReviewStatus.DRAFT,
        Decimal("96.0"),
        assessor,
        "张三、李四",
    )
    photo = Evidence.objects.get(assessment=submitted_a)
    assert (photo.side, photo.item, photo.uploaded_by) == (
        Evidence.SIDE_COUNTY,
        codes["HJ01"],
        assessor,
    )
    assert photo.get_absolute_url() in client.get(review_url(submitted_a)).content.decode()


def test_item_gap_needs_a_reason_shown_next_to_the_field(client, login, assessor, submitted_a):
    codes = items_by_code(submitted_a.rubric)
    # ZZ01 x2 costs 10 points the township did not count: gap ≥ 5 on the item and ≥ 10 in total
    data = review_form_data(submitted_a, {"ZZ02": 2, "HJ01": 1, "ZZ01": 2}, action="finalise")
    response = login(assessor).post(review_url(submitted_a), data)

    assert response.status_code == 400
    html = response.content.decode()
    block = html[html.index(f'id="item-{codes["ZZ01"].pk}"') :]
    block = block[: block.index("data-item ", 20)]
    assert "相差 5 分及以上，请填写差异说明" in block
    assert "gap-error" in html[html.index(f'id="item-{codes["ZZ01"].pk}"') - 80 :][:200]
    total = html[html.index("data-total-gap-reason") :]
    assert "请填写总分差异说明" in total[:1500]
    # one transaction: the save that came with the refused finalise is rolled back too
    assert not Review.objects.exists()
    assert not Rating.objects.exists()


def test_finalise_puts_the_rating_in_public_notice(client, login, assessor, submitted_a):
    data = review_form_data(
        submitted_a,
        {"ZZ02": 2, "HJ01": 1, "ZZ01": 2},
        reasons={"ZZ01": "党组织未建立"},
        total_gap_reason="党组织未建立",
        action="finalise",
    )
    response = login(assessor).post(review_url(submitted_a), data)

    assert response.status_code == 302
    rating = Rating.objects.get(settlement=submitted_a.settlement)
    assert response.url == reverse("ratings:rating", args=[rating.pk])
    assert (rating.status, rating.score, rating.awarded_stars, rating.stage) == (
        RatingStatus.NOTICE,
        Decimal("87.0"),
        4,
        "initial",
    )
    html = client.get(response.url).content.decode()
    assert "进入公示" in html and "公示中" in html
    # the finalised review is read-only
    review_html = client.get(review_url(submitted_a)).content.decode()
    assert "县级考评已定分，不能再修改" in review_html
    assert client.post(review_url(submitted_a), data).status_code == 400


def test_stale_review_is_refused_with_a_message(client, login, assessor, assessor2, submitted_a):
    first = review_form_data(submitted_a, {"HJ01": 1})
    assert login(assessor).post(review_url(submitted_a), first).status_code == 302
    response = login(assessor2).post(
        review_url(submitted_a), review_form_data(submitted_a, {"HJ01": 4})
    )
    assert response.status_code == 409
    assert "该表已被他人修改" in response.content.decode()
    assert Review.objects.get().score == Decimal("99.0")


# ----------------------------------------------------------------------- send-back


def test_send_back_form_returns_chosen_items_with_a_new_deadline(
    client, login, assessor, submitted_a
):
    codes = items_by_code(submitted_a.rubric)
    deadline = today() + dt.timedelta(days=4)
    client = login(assessor)
    assert "退回所选条目" in client.get(review_url(submitted_a)).content.decode()
    response = client.post(
        reverse("ratings:send_back", args=[submitted_a.pk]),
        {"items": [codes["HJ01"].pk], "reason": "照片不清楚", "deadline": deadline.isoformat()},
    )

    assert response.status_code == 302
    sa = fresh(submitted_a)
    assert (sa.status, sa.return_reason, sa.deadline) == (
        AssessmentStatus.RETURNED,
        "照片不清楚",
        deadline,
    )
    assert list(
        SelfAssessmentItem.objects.filter(assessment=sa, returned=True).values_list(
            "item__code", flat=True
        )
    ) == ["HJ01"]


def test_send_back_without_items_is_refused(client, login, assessor, submitted_a):
    response = login(assessor).post(
        reverse("ratings:send_back", args=[submitted_a.pk]),
        {"reason": "照片不清楚", "deadline": today().isoformat()},
        follow=True,
    )
    assert "请至少选择一个退回条目" in response.content.decode()
    assert fresh(submitted_a).status == AssessmentStatus.SUBMITTED


def test_official_cannot_send_back(client, login, official_a, submitted_a):
    codes = items_by_code(submitted_a.rubric)
    response = login(official_a).post(
        reverse("ratings:send_back", args=[submitted_a.pk]),
        {"items": [codes["HJ01"].pk], "reason": "x", "deadline": today().isoformat()},
    )
    assert response.status_code == 403
    assert fresh(submitted_a).status == AssessmentStatus.SUBMITTED


# ---------------------------------------------------------------------- objections


def rating_url(rating) -> str:
    return reverse("ratings:rating", args=[rating.pk])


def test_objection_recorded_during_notice_is_heard_by_another_assessor(
    client, login, assessor, assessor2, notice_a
):
    client = login(assessor)
    response = client.post(
        reverse("ratings:objection_file", args=[notice_a.pk]),
        {"filed_by_name": "王五", "text": "垃圾点未整治"},
    )
    assert response.status_code == 302
    objection = Objection.objects.get(rating=notice_a)
    assert (objection.filed_by_name, objection.recorded_by, objection.outcome) == (
        "王五",
        assessor,
        "pending",
    )

    # the reviewer sees the objection but no form to decide it
    html = client.get(rating_url(notice_a)).content.decode()
    assert "垃圾点未整治" in html
    assert reverse("ratings:objection_decide", args=[objection.pk]) not in html
    assert "异议须由其他考评组成员处理" in html
    refused = client.post(
        reverse("ratings:objection_decide", args=[objection.pk]),
        {f"o{objection.pk}-outcome": "rejected", f"o{objection.pk}-reasons": "已核实"},
    )
    assert refused.status_code == 403
    assert fresh(objection).outcome == ObjectionOutcome.PENDING

    other = login(assessor2)
    assert (
        reverse("ratings:objection_decide", args=[objection.pk])
        in other.get(rating_url(notice_a)).content.decode()
    )
    decided = other.post(
        reverse("ratings:objection_decide", args=[objection.pk]),
        {
            f"o{objection.pk}-outcome": "rejected",
            f"o{objection.pk}-reasons": "现场已核实，维持评定",
        },
    )
    assert decided.status_code == 302
    objection = fresh(objection)
    assert (objection.outcome, objection.heard_by, objection.reasons) == (
        "rejected",
        assessor2,
        "现场已核实，维持评定",
    )
    assert "异议不成立，维持评定" in other.get(rating_url(notice_a)).content.decode()


def test_objection_needs_a_name_and_text(client, login, assessor, notice_a):
    response = login(assessor).post(
        reverse("ratings:objection_file", args=[notice_a.pk]), {"filed_by_name": "", "text": ""}
    )
    assert response.status_code == 400
    assert "请填写异议人" in response.content.decode()
    assert not Objection.objects.exists()


def test_rating_takes_effect_after_notice_and_the_star_shows_on_the_settlement(
    client, login, assessor, notice_a, settlement_a
):
    assert services.rating_take_effect(
        rating=notice_a, today=notice_a.notice_ends_on + dt.timedelta(days=1)
    )
    html = login(assessor).get(settlement_a.get_absolute_url()).content.decode()
    assert 'data-current-star="5"' in html
    assert "★★★★★" in html
    assert "公示期满生效" in html  # the StarChange step in the history
    assert "93.0" in html


# ------------------------------------------------------------------ rectification


def rect_url(rect, action: str = "") -> str:
    return reverse(f"ratings:rectification{'_' + action if action else ''}", args=[rect.pk])


def test_rectification_issue_answer_and_downgrade(
    client, login, assessor, official_a, rectification_a, settlement_a
):
    assert rectification_a.status == RectificationStatus.PROPOSED
    assert "AQ01" in rectification_a.trigger
    deadline = today() + dt.timedelta(days=20)

    county = login(assessor)
    assert "下达整改通知" in county.get(rect_url(rectification_a)).content.decode()
    issued = county.post(
        rect_url(rectification_a, "issue"),
        {"deadline": deadline.isoformat(), "requirements": "消除用电隐患"},
    )
    assert issued.status_code == 302
    assert fresh(rectification_a).status == RectificationStatus.ISSUED

    township = login(official_a)
    assert "答复整改情况" in township.get(rect_url(rectification_a)).content.decode()
    answered = township.post(
        rect_url(rectification_a, "answer"),
        {"answer": "已更换线路", "evidence": [upload("线路.png")]},
    )
    assert answered.status_code == 302
    rect = fresh(rectification_a)
    assert (rect.status, rect.answer, rect.answered_by) == (
        RectificationStatus.ANSWERED,
        "已更换线路",
        official_a,
    )
    proof = Evidence.objects.get(rectification=rect)
    assert proof.side == Evidence.SIDE_RECTIFICATION

    county = login(assessor)
    page = county.get(rect_url(rectification_a)).content.decode()
    assert proof.get_absolute_url() in page and "复查" in page
    checked = county.post(
        rect_url(rectification_a, "check"), {"outcome": "downgraded", "notes": "隐患仍在"}
    )
    assert checked.status_code == 302
    assert fresh(rectification_a).status == RectificationStatus.DOWNGRADED
    assert fresh(settlement_a).current_star == 4
    assert StarChange.objects.filter(
        settlement=settlement_a, kind="downgraded", from_stars=5, to_stars=4
    ).exists()


def test_rectification_list_filters_by_status(
    client, login, assessor, official_b, rectification_a, settlement_a
):
    client = login(assessor)
    assert (
        settlement_a.name
        in client.get(
            reverse("ratings:rectification_list"), {"status": "proposed"}
        ).content.decode()
    )
    assert (
        settlement_a.name
        not in client.get(
            reverse("ratings:rectification_list"), {"status": "issued"}
        ).content.decode()
    )
    # an outsider's list never names township A's settlement
    assert (
        settlement_a.name
        not in login(official_b).get(reverse("ratings:rectification_list")).content.decode()
    )


def test_overdue_rectification_shows_as_overdue(
    client, login, assessor, rectification_a, settlement_a
):
    services.rectification_issue(
        rectification=rectification_a,
        by=assessor,
        deadline=today() + dt.timedelta(days=1),
        requirements="整改",
    )
    type(rectification_a).objects.filter(pk=rectification_a.pk).update(
        deadline=today() - dt.timedelta(days=1)
    )
    client = login(assessor)
    listed = client.get(
        reverse("ratings:rectification_list"), {"status": "overdue"}
    ).content.decode()
    assert settlement_a.name in listed and "逾期未整改" in listed
    assert "可直接复查" in client.get(rect_url(rectification_a)).content.decode()


def test_official_cannot_issue_or_check(client, login, official_a, rectification_a):
    client = login(official_a)
    issued = client.post(
        rect_url(rectification_a, "issue"), {"deadline": today().isoformat(), "requirements": "x"}
    )
    assert issued.status_code == 403
    assert (
        client.post(
            rect_url(rectification_a, "check"), {"outcome": "passed", "notes": "x"}
        ).status_code
        == 403
    )
    assert fresh(rectification_a).status == RectificationStatus.PROPOSED


def test_rectification_list_query_count(
    client, login, assessor, rectification_a, django_assert_num_queries
):
    client = login(assessor)
    # user (with roles, bell), count, page of rectifications (joined settlement, village,
    # township, rating and round), the townships of the filter
    with django_assert_num_queries(4):
        assert client.get(reverse("ratings:rectification_list")).status_code == 200


# ------------------------------------------------------------ downgrade / revoke


def test_direct_downgrade_and_revocation_with_a_reason(
    client, login, assessor, effective_a, settlement_a
):
    client = login(assessor)
    url = reverse("ratings:rating_change", args=[effective_a.pk])
    assert "降低或取消星级" in client.get(rating_url(effective_a)).content.decode()

    missing = client.post(url, {"action": "downgrade", "reason": "", "expected_stars": 5})
    assert missing.status_code == 400 and "请填写原因" in missing.content.decode()
    assert fresh(effective_a).stars == 5

    assert (
        client.post(
            url, {"action": "downgrade", "reason": "发生安全事故", "expected_stars": 5}
        ).status_code
        == 302
    )
    assert (fresh(effective_a).stars, fresh(settlement_a).current_star) == (4, 4)

    # the same form posted twice (still saying 5 stars) does not downgrade again
    again = client.post(url, {"action": "downgrade", "reason": "发生安全事故", "expected_stars": 5})
    assert again.status_code == 409
    assert fresh(effective_a).stars == 4

    assert (
        client.post(
            url, {"action": "revoke", "reason": "重大问题", "expected_stars": 4}
        ).status_code
        == 302
    )
    assert (fresh(effective_a).stars, fresh(settlement_a).current_star) == (0, 0)
    history = client.get(settlement_a.get_absolute_url()).content.decode()
    assert "降低星级" in history and "取消星级" in history and "重大问题" in history


def test_official_cannot_downgrade(client, login, official_a, effective_a):
    response = login(official_a).post(
        reverse("ratings:rating_change", args=[effective_a.pk]),
        {"action": "revoke", "reason": "x", "expected_stars": 5},
    )
    assert response.status_code == 403
    assert fresh(effective_a).stars == 5


def test_rating_page_lists_the_history_steps(client, login, assessor, effective_a):
    html = login(assessor).get(rating_url(effective_a)).content.decode()
    assert "评定" in html and "公示期满生效" in html
    assert re.search(r"★★★★★", html)
