"""Flags on the pages: beside the item on the review page, in the evidence list, and the county's list."""

import pytest
from django.urls import reverse

from ratings import evidence_rules as er
from ratings.models import Evidence
from tests import factories as f
from tests.ratings.workflow import items_by_code

pytest_plugins = ["tests.ratings.workflow_fixtures"]


def stored(sa, by, *, flags, item_code="ZZ02", side=Evidence.SIDE_SELF, name="现场.jpg"):
    """An evidence row as the upload leaves it (the checks themselves are tested in test_evidence_checks)."""
    return Evidence.objects.create(
        settlement=sa.settlement,
        assessment=sa,
        item=items_by_code(sa.rubric)[item_code],
        side=side,
        file=f"evidence/{sa.settlement_id}/x.jpg",
        original_name=name,
        content_type="image/jpeg",
        size=1,
        uploaded_by=by,
        flags=flags,
        flagged=bool(flags),
        phash="0" * 16,
    )


@pytest.fixture
def flagged(q1_submitted_a, q1_sa_b, official_a, official_b):
    return {
        "far": stored(q1_submitted_a, official_a, flags=[er.TOO_FAR], name="远处.jpg"),
        "reused": stored(q1_sa_b, official_b, flags=[er.REUSED], name="重复.jpg"),
        "clean": stored(q1_submitted_a, official_a, flags=[], name="干净.jpg"),
    }


def test_assessor_sees_flagged_evidence_of_every_township(login, assessor, flagged):
    html = login(assessor).get(reverse("ratings:evidence_flagged")).content.decode()
    assert "远处.jpg" in html and "重复.jpg" in html
    assert "干净.jpg" not in html
    assert "拍摄地点远离聚居点" in html and "照片与其他聚居点或往期重复" in html


def test_filter_by_flag(login, secretary, flagged):
    response = login(secretary).get(reverse("ratings:evidence_flagged"), {"flag": er.REUSED})
    html = response.content.decode()
    assert response.status_code == 200
    assert "重复.jpg" in html and "远处.jpg" not in html


def test_unknown_flag_filter_lists_all(login, assessor, flagged):
    html = (
        login(assessor)
        .get(reverse("ratings:evidence_flagged"), {"flag": "nonsense"})
        .content.decode()
    )
    assert "重复.jpg" in html and "远处.jpg" in html


@pytest.mark.parametrize("who", ["official_a", "outsider"])
def test_officials_and_outsiders_may_not_open_the_county_list(login, request, who, flagged):
    user = f.user("outsider") if who == "outsider" else request.getfixturevalue(who)
    assert login(user).get(reverse("ratings:evidence_flagged")).status_code == 403


def test_anonymous_is_sent_to_login(client, flagged):
    response = client.get(reverse("ratings:evidence_flagged"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("extra", [0, 6])
def test_flagged_list_query_count_is_fixed(
    login, assessor, q1_submitted_a, official_a, flagged, extra, django_assert_num_queries
):
    for n in range(extra):
        stored(q1_submitted_a, official_a, flags=[er.NO_TIME, er.NO_PLACE], name=f"p{n}.jpg")
    client = login(assessor)
    # user (with roles, bell), count, page of evidence (joined settlement, village,
    # township, item, uploader, assessment's round, rectification's rating's round)
    with django_assert_num_queries(3):
        response = client.get(reverse("ratings:evidence_flagged"))
    assert response.content.decode().count("data-flagged-evidence=") == extra + 2


def test_review_page_shows_flags_beside_the_item(login, assessor, flagged, q1_submitted_a):
    html = login(assessor).get(reverse("ratings:review", args=[q1_submitted_a.pk])).content.decode()
    item = items_by_code(q1_submitted_a.rubric)["ZZ02"]
    block = html.split(f'id="item-{item.pk}"', 1)[1].split('id="item-', 1)[0]
    assert "data-item-flag" in block and "1 张照片需核查" in block
    assert "拍摄地点远离聚居点" in block  # in the item's evidence list, beside the photo
    assert html.count("data-item-flag") == 1


def test_review_photo_inputs_open_the_camera(login, assessor, q1_submitted_a):
    html = login(assessor).get(reverse("ratings:review", args=[q1_submitted_a.pk])).content.decode()
    assert 'accept="image/*"' in html and 'capture="environment"' in html


def test_official_sees_flags_in_own_evidence_list(login, official_a, flagged, q1_submitted_a):
    html = (
        login(official_a)
        .get(reverse("ratings:self_assessment", args=[q1_submitted_a.pk]))
        .content.decode()
    )
    assert "远处.jpg" in html and "拍摄地点远离聚居点" in html
