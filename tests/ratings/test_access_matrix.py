"""Every role × every object URL of township A's settlement, the outsider included.

One story builds every kind of object (a final-rating round, so a certificate exists):
township A submits with a photo, the county finalises finding a flagged item (so a
rectification is proposed), the notice passes, the rating takes effect. Then each role
opens every URL; the table below is the whole rule.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.http import HttpResponse
from django.urls import reverse

from ratings import services
from ratings.models import (
    Certificate,
    Evidence,
    Objection,
    Rating,
    Rectification,
    Review,
    ReviewItem,
    SelfAssessment,
    SelfAssessmentItem,
    StarChange,
)
from tests.ratings.view_fixtures import (
    assessment_of,
    finalise,
    items_by_code,
    self_submit,
    take_effect,
    upload,
)

LOGIN = "login"  # anonymous: redirected to the login page
OK, FORBIDDEN, NOT_FOUND = 200, 403, 404

# url name -> expected status for (anonymous, official_a, official_b, assessor, secretary)
ROLES = ("anonymous", "official_a", "official_b", "assessor", "secretary")
MATRIX: dict[str, tuple[object, ...]] = {
    "settlement": (LOGIN, OK, NOT_FOUND, OK, OK),
    "self_assessment": (LOGIN, OK, NOT_FOUND, OK, OK),
    "result": (LOGIN, OK, NOT_FOUND, OK, OK),
    "review": (LOGIN, FORBIDDEN, NOT_FOUND, OK, OK),
    "rating": (LOGIN, OK, NOT_FOUND, OK, OK),
    "evidence": (LOGIN, OK, NOT_FOUND, OK, OK),
    "rectification": (LOGIN, OK, NOT_FOUND, OK, OK),
    "certificate": (LOGIN, OK, NOT_FOUND, OK, OK),
    "certificate_pdf": (LOGIN, OK, NOT_FOUND, OK, OK),
    # offline packs: the county's review (今日考评), the township's self-assessment (离线自评)
    "field_pack": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK),
    "field_self_pack": (LOGIN, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN),
    # lists: open to every role that has one, scoped (see test_lists_never_show_…)
    "round_list": (LOGIN, OK, OK, OK, OK),
    "queue": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK),
    "rectification_list": (LOGIN, OK, OK, OK, OK),
    "settlement_list": (LOGIN, OK, OK, OK, OK),
}
LISTS = ("round_list", "queue", "rectification_list", "settlement_list")


@pytest.fixture
def story(final_round, settlement_a, official_a, assessor):
    sa = assessment_of(final_round, settlement_a)
    codes = items_by_code(sa.rubric)
    saved = services.self_assessment_save(
        assessment=sa,
        by=official_a,
        items={codes["HJ01"].pk: (1, "")},
        star_applied=5,
        expected_version=0,
    )
    evidence = services.evidence_add(
        by=official_a,
        file=upload("现场.png"),
        side=Evidence.SIDE_SELF,
        assessment=saved,
        item=codes["HJ01"],
    )
    self_submit(saved, official_a, {"HJ01": 1}, star=5)
    rating = take_effect(finalise(sa, assessor, {"HJ01": 1, "AQ01": 2}))
    return {
        "settlement": settlement_a.get_absolute_url(),
        "self_assessment": reverse("ratings:self_assessment", args=[sa.pk]),
        "result": reverse("ratings:result", args=[sa.pk]),
        "review": reverse("ratings:review", args=[sa.pk]),
        "rating": reverse("ratings:rating", args=[rating.pk]),
        "evidence": evidence.get_absolute_url(),
        "rectification": Rectification.objects.get(rating=rating).get_absolute_url(),
        "certificate": rating.certificate.get_absolute_url(),
        "certificate_pdf": reverse("ratings:certificate_pdf", args=[rating.certificate.pk]),
        "field_pack": reverse("ratings:field_pack", args=[sa.pk]),
        "field_self_pack": reverse("ratings:field_self_pack", args=[sa.pk]),
        "round_list": reverse("ratings:round_current"),
        "queue": reverse("ratings:queue"),
        "rectification_list": reverse("ratings:rectification_list"),
        "settlement_list": reverse("settlements:list"),
    }


def outcome(response) -> object:
    if response.status_code == 302 and reverse("login") in response.url:
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(role, request, client, story):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    index = ROLES.index(role)
    expected = {name: statuses[index] for name, statuses in MATRIX.items()}
    got = {name: outcome(client.get(url)) for name, url in story.items()}
    assert got == expected


def _lists_as(role, request, client, story) -> dict[str, HttpResponse]:
    """Each list's outcome for ``role``, checked against the matrix for every list: a list
    that answers something else than the table says fails here, whatever its status."""
    client.force_login(request.getfixturevalue(role))
    responses = {name: client.get(story[name]) for name in LISTS}
    got = {name: outcome(r) for name, r in responses.items()}
    assert got == {name: MATRIX[name][ROLES.index(role)] for name in LISTS}
    return responses


@pytest.mark.parametrize("role", ["official_b"])
def test_lists_never_show_another_townships_settlement(role, request, client, story, settlement_a):
    responses = _lists_as(role, request, client, story)
    for name, response in responses.items():
        if response.status_code == FORBIDDEN:
            continue  # the queue is the county's: refused, as the matrix requires
        assert response.status_code == OK, name
        assert settlement_a.name not in response.content.decode(), name


@pytest.mark.parametrize("role", ["official_a", "assessor", "secretary"])
def test_lists_show_the_settlement_to_who_may_see_it(role, request, client, story, settlement_a):
    responses = _lists_as(role, request, client, story)
    for name, response in responses.items():
        if response.status_code == FORBIDDEN:
            assert (role, name) == ("official_a", "queue")  # the only list an official is refused
            continue
        assert response.status_code == OK, name
        assert settlement_a.name in response.content.decode(), name


def workflow_state() -> dict[str, list]:
    """Every workflow row and history row as stored: a refused POST must leave all of it as it was."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (
            SelfAssessment,
            SelfAssessmentItem,
            Review,
            ReviewItem,
            Rating,
            Objection,
            Rectification,
            Evidence,
            StarChange,
            Certificate,
        )
    } | {
        f"history:{model.__name__}": list(
            model.history.order_by("history_id").values_list("history_id", flat=True)
        )
        for model in (SelfAssessment, Review, Rating, Rectification, Objection)
    }


@pytest.mark.parametrize(
    "name",
    ["self_assessment", "review", "rating"],
)
def test_outsider_posts_get_404_and_change_nothing(name, client, official_b, story):
    client.force_login(official_b)
    before = workflow_state()
    assert client.post(story[name], {"version": 0}).status_code == NOT_FOUND
    assert workflow_state() == before


def test_outsider_cannot_post_to_action_urls(client, official_b, story):
    client.force_login(official_b)
    before = workflow_state()
    rating_pk = int(story["rating"].rstrip("/").rsplit("/", 1)[1])
    rect_pk = int(story["rectification"].rstrip("/").rsplit("/", 1)[1])
    sa_pk = int(story["review"].rstrip("/").split("/")[-2])
    for url in (
        reverse("ratings:send_back", args=[sa_pk]),
        reverse("ratings:objection_file", args=[rating_pk]),
        reverse("ratings:rating_change", args=[rating_pk]),
        reverse("ratings:rectification_issue", args=[rect_pk]),
        reverse("ratings:rectification_dismiss", args=[rect_pk]),
        reverse("ratings:rectification_answer", args=[rect_pk]),
        reverse("ratings:rectification_check", args=[rect_pk]),
    ):
        assert client.post(url, {"reason": "x"}).status_code == NOT_FOUND, url
    assert workflow_state() == before


def test_outsider_offline_uploads_get_404_and_change_nothing(client, official_b, story):
    """Another township's official syncing A's self-assessment from a phone: a draft or a photo."""
    client.force_login(official_b)
    before = workflow_state()
    sa_pk = int(story["review"].rstrip("/").split("/")[-2])
    draft = {"client_id": str(uuid.uuid4()), "assessment": sa_pk, "base_version": 0, "items": {}}
    response = client.post(
        reverse("ratings:field_self_sync_draft"),
        data=json.dumps(draft),
        content_type="application/json",
    )
    assert response.status_code == NOT_FOUND
    photo = {"client_id": str(uuid.uuid4()), "assessment": sa_pk, "file": upload("现场.png")}
    assert client.post(reverse("ratings:field_self_sync_photo"), photo).status_code == NOT_FOUND
    assert workflow_state() == before
