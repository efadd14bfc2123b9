# ruff: noqa: F811 - fixtures are imported from tests.ratings.view_fixtures and requested by name
"""今日考评 on the server: the installable site, the offline pack, and uploads stored once per client id."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import reverse

from ratings import services
from ratings.models import Evidence, Review, SyncReceipt
from tests import factories as f
from tests.photos import photo_upload
from tests.ratings.view_fixtures import (  # noqa: F401 - fixtures
    items_by_code,
    media_root,
    round_now,
    sa_a,
    sa_b,
    self_submit,
    submitted_a,
    today,
)


def draft_body(sa, *, client_id=None, base_version=0, counts=None, notes="现场看过"):
    items = items_by_code(sa.rubric)
    return {
        "client_id": str(client_id or uuid.uuid4()),
        "assessment": sa.pk,
        "base_version": base_version,
        "visit_date": today().isoformat(),
        "team_members": "张三、李四",
        "notes": notes,
        "total_gap_reason": "",
        "items": {
            str(items[code].pk): {"occ": n, "note": "", "gap": ""}
            for code, n in (counts or {"ZZ02": 2}).items()
        },
    }


def post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


# ------------------------------------------------------------------ installable site


def test_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert "/static/js/field.js" in body and reverse("ratings:field") in body
    assert "http://" not in body and "https://" not in body  # nothing from a CDN


def test_manifest_names_the_app_and_its_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"].startswith("application/manifest+json")
    data = json.loads(response.content)
    assert data["start_url"] == reverse("ratings:field") and data["display"] == "standalone"
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_every_page_links_the_manifest_and_registers_the_worker_from_a_file(login, assessor):
    html = login(assessor).get(reverse("ratings:field")).content.decode()
    assert (
        'rel="manifest"' in html and "/static/js/pwa.js" in html and "/static/js/field.js" in html
    )
    assert "<script>" not in html  # no inline script (a CSP without inline scripts is coming)


# ------------------------------------------------------------------------- who may


@pytest.mark.parametrize("who", ["official_a", "outsider"])
def test_only_the_county_uses_the_field_review(login, request, who, submitted_a):
    user = f.user("outsider") if who == "outsider" else request.getfixturevalue(who)
    client = login(user)
    home = client.get(reverse("ratings:field"))
    if who == "official_a":  # the home-screen icon takes an official to their own offline form
        assert home.status_code == 302 and home["Location"] == reverse("ratings:field_self")
    else:
        assert home.status_code == 403
    assert client.get(reverse("ratings:field_pack", args=[submitted_a.pk])).status_code == 403
    assert client.get(reverse("ratings:field_candidates")).status_code == 403
    response = post_json(client, reverse("ratings:field_sync_review"), draft_body(submitted_a))
    assert response.status_code == 403 and response.json()["code"] == "not_county"
    assert not Review.objects.exists()


def test_anonymous_is_sent_to_login(client, submitted_a):
    assert client.get(reverse("ratings:field_pack", args=[submitted_a.pk])).status_code == 302


# ----------------------------------------------------------------------- the pack


def test_candidates_list_the_reviewable_settlements(login, assessor, submitted_a, sa_b):
    data = login(assessor).get(reverse("ratings:field_candidates")).json()
    assert [row["assessment"] for row in data["settlements"]] == [
        submitted_a.pk
    ]  # B has not submitted


def test_pack_holds_rubric_self_entries_and_photos(login, assessor, submitted_a, official_a):
    zz02 = items_by_code(submitted_a.rubric)["ZZ02"]
    data = login(assessor).get(reverse("ratings:field_pack", args=[submitted_a.pk])).json()
    assert data["reviewable"] is True and data["review"] is None
    assert len(data["rubric"]) == submitted_a.rubric.items.count()
    assert data["self_items"][str(zz02.pk)]["occ"] == 2
    assert data["settlement"]["name"] == submitted_a.settlement.name


def test_pack_carries_its_last_day_and_why_it_locks_after(
    login, assessor, secretary, submitted_a, round_now, monkeypatch
):
    """The phone locks the form itself once its date passes the review's deadline (the
    round's, or a reopening's later one); a pack fetched after it is locked already."""
    import datetime as dt

    from django.utils import timezone

    url = reverse("ratings:field_pack", args=[submitted_a.pk])
    client = login(assessor)
    data = client.get(url).json()
    deadline = round_now.review_deadline
    assert data["closes"] == deadline.isoformat()
    assert deadline.isoformat() in data["closed_reason"] and "党组织书记" in data["closed_reason"]
    assert data["reviewable"] is True and data["lock_reason"] == ""

    after = deadline + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: after)
    data = client.get(url).json()
    assert data["reviewable"] is False
    assert deadline.isoformat() in data["lock_reason"]
    # Reopened by the secretary: open again until the new day, which the pack names.
    services.review_deadline_extend(
        assessment=submitted_a,
        open_until=after + dt.timedelta(days=2),
        reason="补充现场核查",
        by=secretary,
    )
    data = client.get(url).json()
    assert data["reviewable"] is True
    assert data["closes"] == (after + dt.timedelta(days=2)).isoformat()


def test_pack_of_unknown_assessment_is_404(login, assessor, round_now):
    assert login(assessor).get(reverse("ratings:field_pack", args=[999999])).status_code == 404


# ------------------------------------------------------------------- draft uploads


def test_draft_upload_saves_the_review(login, assessor, submitted_a):
    response = post_json(
        login(assessor), reverse("ratings:field_sync_review"), draft_body(submitted_a)
    )
    assert response.status_code == 200 and response.json()["status"] == "saved"
    review = Review.objects.get(self_assessment=submitted_a)
    assert review.version == 1 and review.notes == "现场看过" and review.status == "draft"
    assert review.items.get(item__code="ZZ02").occurrences == 2


def test_a_retried_draft_upload_stores_once(login, assessor, submitted_a):
    client = login(assessor)
    body = draft_body(submitted_a)
    first = post_json(client, reverse("ratings:field_sync_review"), body)
    again = post_json(client, reverse("ratings:field_sync_review"), body)  # the answer was lost
    assert first.json()["version"] == again.json()["version"] == 1
    assert again.json()["status"] == "repeated"
    assert SyncReceipt.objects.count() == 1
    assert Review.objects.get(self_assessment=submitted_a).version == 1


def test_a_stale_draft_is_a_conflict_with_the_servers_version(
    login, assessor, assessor2, submitted_a
):
    post_json(
        login(assessor2),
        reverse("ratings:field_sync_review"),
        draft_body(submitted_a, notes="服务器上的意见"),
    )
    response = post_json(
        login(assessor),
        reverse("ratings:field_sync_review"),
        draft_body(submitted_a, notes="手机上的意见"),
    )
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "stale_version"
    assert data["server"]["notes"] == "服务器上的意见" and data["server"]["version"] == 1
    assert (
        Review.objects.get(self_assessment=submitted_a).notes == "服务器上的意见"
    )  # not overwritten


def test_keeping_the_phones_version_after_a_conflict(login, assessor, assessor2, submitted_a):
    post_json(
        login(assessor2),
        reverse("ratings:field_sync_review"),
        draft_body(submitted_a, notes="服务器上的意见"),
    )
    response = post_json(
        login(assessor),
        reverse("ratings:field_sync_review"),
        draft_body(submitted_a, base_version=1, notes="手机上的意见"),
    )
    assert response.status_code == 200
    assert Review.objects.get(self_assessment=submitted_a).notes == "手机上的意见"


def test_another_users_client_id_is_refused(login, assessor, assessor2, submitted_a):
    body = draft_body(submitted_a)
    post_json(login(assessor), reverse("ratings:field_sync_review"), body)
    response = post_json(login(assessor2), reverse("ratings:field_sync_review"), body)
    assert response.status_code == 400 and response.json()["code"] == "client_id_of_other_user"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"client_id": "nope"}, "bad_client_id"),
        ({"visit_date": "2031-13-40"}, "bad_visit_date"),
        ({"items": {"x": {}}}, "bad_item_entry"),
    ],
)
def test_bad_draft_uploads_are_refused_with_a_code(login, assessor, submitted_a, change, code):
    response = post_json(
        login(assessor), reverse("ratings:field_sync_review"), {**draft_body(submitted_a), **change}
    )
    assert response.status_code == 400 and response.json()["code"] == code
    assert not Review.objects.exists()


def test_a_refused_draft_says_why(login, assessor, submitted_a):
    body = draft_body(submitted_a)
    body["items"] = {
        str(items_by_code(submitted_a.rubric)["ZZ02"].pk): {"occ": 5000, "note": "", "gap": ""}
    }
    response = post_json(login(assessor), reverse("ratings:field_sync_review"), body)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "bad_occurrences"


# ------------------------------------------------------------------- photo uploads


def test_a_retried_photo_upload_stores_one_row(login, assessor, submitted_a):
    client = login(assessor)
    client_id = str(uuid.uuid4())
    item = items_by_code(submitted_a.rubric)["ZZ02"]
    url = reverse("ratings:field_sync_photo")
    data = {"client_id": client_id, "assessment": submitted_a.pk, "item": item.pk}
    first = client.post(url, {**data, "file": photo_upload(seed=4)})
    again = client.post(url, {**data, "file": photo_upload(seed=4)})  # the answer was lost
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["evidence"]["id"] == again.json()["evidence"]["id"]
    evidence = Evidence.objects.get()
    assert str(evidence.client_id) == client_id and evidence.side == Evidence.SIDE_COUNTY
    assert evidence.flags == ["no_time", "no_place"]  # checked like any upload


def test_photo_for_an_item_of_another_rubric_is_404(login, assessor, submitted_a):
    response = login(assessor).post(
        reverse("ratings:field_sync_photo"),
        {
            "client_id": str(uuid.uuid4()),
            "assessment": submitted_a.pk,
            "item": 999999,
            "file": photo_upload(),
        },
    )
    assert response.status_code == 404 and not Evidence.objects.exists()


def test_a_refused_photo_says_why(login, assessor, sa_a):
    response = login(assessor).post(
        reverse("ratings:field_sync_photo"),
        {"client_id": str(uuid.uuid4()), "assessment": sa_a.pk, "file": photo_upload()},
    )
    assert response.status_code == 400 and response.json()["code"] == "not_submitted"
    assert not Evidence.objects.exists()


def test_evidence_add_once_service_returns_the_first_row(assessor, submitted_a):
    client_id = uuid.uuid4()
    first, created = services.evidence_add_once(
        client_id=client_id,
        by=assessor,
        file=photo_upload(seed=1),
        side=Evidence.SIDE_COUNTY,
        assessment=submitted_a,
        item=None,
    )
    second, created_again = services.evidence_add_once(
        client_id=client_id,
        by=assessor,
        file=photo_upload(seed=1),
        side=Evidence.SIDE_COUNTY,
        assessment=submitted_a,
        item=None,
    )
    assert (created, created_again) == (True, False) and first.pk == second.pk
    assert Evidence.objects.count() == 1


@pytest.mark.parametrize("extra", [0, 5])
def test_candidates_query_count_does_not_grow(
    login, assessor, official_a, submitted_a, village_a, round_now, extra, django_assert_num_queries
):
    from ratings.models import SelfAssessment

    for n in range(extra):
        place = f.settlement(village_a, code=f"X{n}")
        sa = SelfAssessment.objects.create(
            round=round_now,
            settlement=place,
            settlement_class=place.klass,
            rubric=round_now.rubric,
            deadline=submitted_a.deadline,
            status="submitted",
        )
        assert sa.pk
    client = login(assessor)
    # user with roles, current round + rubric, the reviewable assessments
    # (joined settlement, village, township, review)
    with django_assert_num_queries(3):
        data = client.get(reverse("ratings:field_candidates")).json()
    assert len(data["settlements"]) == extra + 1


@pytest.mark.parametrize("photos", [0, 4])
def test_pack_query_count_does_not_grow_with_photos(
    login, assessor, submitted_a, photos, django_assert_num_queries
):
    for n in range(photos):
        services.evidence_add(
            by=assessor,
            file=photo_upload(seed=n + 20),
            side=Evidence.SIDE_COUNTY,
            assessment=submitted_a,
            item=None,
        )
    client = login(assessor)
    # user with roles, the assessment (joined settlement, village, township,
    # round, rubric, review, assessor), its items, its evidence (with item), its review
    # reopenings (the deadline), the rubric's items (no review yet, so no review items)
    with django_assert_num_queries(6):
        data = client.get(reverse("ratings:field_pack", args=[submitted_a.pk])).json()
    assert sum(len(v["county"]) for v in data["evidence"].values()) == photos
