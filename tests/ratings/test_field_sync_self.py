# ruff: noqa: F811 - fixtures are imported from tests.ratings.view_fixtures and requested by name
"""离线自评 on the server: an official's self-assessment drafts and evidence photos from a
phone, stored once per client id, only the official's own township, only while open."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from ratings import services
from ratings.codes import Refusal
from ratings.models import Evidence, SelfAssessment, SyncReceipt
from tests import factories as f
from tests.photos import photo_upload
from tests.ratings.view_fixtures import (  # noqa: F401 - fixtures
    fresh,
    items_by_code,
    media_root,
    round_now,
    sa_a,
    sa_b,
    self_submit,
    submitted_a,
    today,
)
from tests.refusals import refused


def self_body(sa, *, client_id=None, base_version=0, counts=None, notes=None, star=0):
    items = items_by_code(sa.rubric)
    counts = counts if counts is not None else {"ZZ02": 2}
    return {
        "client_id": str(client_id or uuid.uuid4()),
        "assessment": sa.pk,
        "base_version": base_version,
        "star_applied": star,
        "items": {
            str(items[code].pk): {"occ": n, "note": (notes or {}).get(code, "")}
            for code, n in counts.items()
        },
    }


def post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def sync(sa, by, *, client_id=None, base_version=0, counts=None, star=0):
    codes = items_by_code(sa.rubric)
    return services.self_assessment_draft_sync(
        client_id=client_id or uuid.uuid4(),
        assessment=sa,
        by=by,
        base_version=base_version,
        items={codes[c].pk: (n, "") for c, n in (counts or {"ZZ02": 2}).items()},
        star_applied=star,
    )


def sent_back(sa, official, assessor, *codes):
    submitted = self_submit(sa, official, {"ZZ02": 1, "HJ01": 1})
    return services.self_assessment_send_back(
        assessment=submitted,
        by=assessor,
        item_ids=[items_by_code(sa.rubric)[c].pk for c in codes],
        reason="台账不全",
        deadline=today() + dt.timedelta(days=3),
        today=today(),
    )


DRAFT_URL = "ratings:field_self_sync_draft"
PHOTO_URL = "ratings:field_self_sync_photo"


# ---------------------------------------------------------------------- the service


def test_a_draft_is_saved_once_per_client_id(sa_a, official_a):
    client_id = uuid.uuid4()
    first = sync(sa_a, official_a, client_id=client_id)
    again = sync(sa_a, official_a, client_id=client_id)  # the answer was lost: the phone retries
    assert (first.repeated, again.repeated) == (False, True)
    assert first.version == again.version == 1 and first.saved.pk == again.saved.pk == sa_a.pk
    saved = fresh(sa_a)
    assert (saved.version, saved.status) == (1, "draft")
    assert saved.items.get(item__code="ZZ02").occurrences == 2
    receipt = SyncReceipt.objects.get()
    assert receipt.self_assessment_id == sa_a.pk and receipt.review_id is None
    assert saved.history.first().history_user == official_a


def test_a_stale_draft_is_refused_and_nothing_is_overwritten(sa_a, official_a):
    colleague = f.official("official_a2", sa_a.settlement.village.township)
    sync(sa_a, colleague, counts={"ZZ02": 1})
    with refused(services.StaleVersion, Refusal.STALE_VERSION):
        sync(sa_a, official_a, counts={"ZZ02": 3}, base_version=0)
    assert fresh(sa_a).items.get(item__code="ZZ02").occurrences == 1
    assert SyncReceipt.objects.count() == 1


def test_another_townships_official_may_not_sync(sa_a, official_b):
    with refused(services.WorkflowPermissionDenied, Refusal.NOT_OWN_TOWNSHIP):
        sync(sa_a, official_b)
    assert not SyncReceipt.objects.exists() and fresh(sa_a).version == 0


def test_a_submitted_self_assessment_takes_no_draft(submitted_a, official_a):
    with refused(services.WorkflowError, Refusal.SELF_SUBMITTED):
        sync(submitted_a, official_a, base_version=submitted_a.version)
    assert not SyncReceipt.objects.exists()


def test_a_sent_back_self_assessment_takes_only_its_returned_items(sa_a, official_a, assessor):
    returned = sent_back(sa_a, official_a, assessor, "ZZ02")
    with refused(services.WorkflowError, Refusal.ITEM_NOT_RETURNED):
        sync(returned, official_a, base_version=returned.version, counts={"HJ01": 3})
    result = sync(
        returned, official_a, base_version=returned.version, counts={"ZZ02": 4, "HJ01": 1}
    )
    assert result.saved.status == "returned"  # saved, not resubmitted: that stays online
    assert fresh(sa_a).items.get(item__code="ZZ02").occurrences == 4


def test_a_client_id_of_a_review_draft_is_not_a_self_assessment_retry(
    sa_a, official_a, assessor, round_now
):
    client_id = uuid.uuid4()
    submitted = self_submit(sa_a, official_a)
    services.review_draft_sync(
        client_id=client_id,
        assessment=submitted,
        by=assessor,
        base_version=0,
        items={},
        visit_date=None,
        team_members="",
        notes="",
        total_gap_reason="",
    )
    with refused(services.WorkflowError, Refusal.CLIENT_ID_REUSED):
        services.draft_sync_repeated(client_id=client_id, by=assessor, model=SelfAssessment)


def test_an_evidence_photo_is_stored_once_on_the_townships_side(media_root, sa_a, official_a):
    client_id = uuid.uuid4()
    item = items_by_code(sa_a.rubric)["ZZ02"]
    first, created = services.evidence_add_once(
        client_id=client_id,
        by=official_a,
        file=photo_upload(seed=3),
        side=Evidence.SIDE_SELF,
        assessment=sa_a,
        item=item,
    )
    again, created_again = services.evidence_add_once(
        client_id=client_id,
        by=official_a,
        file=photo_upload(seed=3),
        side=Evidence.SIDE_SELF,
        assessment=sa_a,
        item=item,
    )
    assert (created, created_again) == (True, False) and first.pk == again.pk
    assert Evidence.objects.get().side == Evidence.SIDE_SELF


def test_another_townships_official_may_not_add_a_photo(media_root, sa_a, official_b):
    with refused(services.WorkflowPermissionDenied, Refusal.NOT_OWN_TOWNSHIP):
        services.evidence_add_once(
            client_id=uuid.uuid4(),
            by=official_b,
            file=photo_upload(),
            side=Evidence.SIDE_SELF,
            assessment=sa_a,
            item=None,
        )
    assert not Evidence.objects.exists()


# ------------------------------------------------------------------------ the pages


@pytest.mark.parametrize("who", ["assessor", "outsider"])
def test_only_officials_use_the_offline_self_assessment(login, request, who, sa_a):
    user = f.user("outsider") if who == "outsider" else request.getfixturevalue(who)
    client = login(user)
    assert client.get(reverse("ratings:field_self")).status_code == 403
    for name in ("ratings:field_self_candidates",):
        assert client.get(reverse(name)).json()["code"] == "not_official"
    response = client.get(reverse("ratings:field_self_pack", args=[sa_a.pk]))
    assert response.status_code == 403 and response.json()["code"] == "not_official"
    response = post_json(client, reverse(DRAFT_URL), self_body(sa_a))
    assert response.status_code == 403 and response.json()["code"] == "not_official"
    assert fresh(sa_a).version == 0


def test_the_shell_and_a_fresh_token_for_an_official(login, official_a, round_now):
    client = login(official_a)
    html = client.get(reverse("ratings:field_self")).content.decode()
    assert "/static/js/field_core.js" in html and "/static/js/field_self.js" in html
    assert "<script>" not in html
    assert client.get(reverse("ratings:field_session")).json()["csrf"]


def test_candidates_are_the_townships_open_self_assessments(
    login, official_a, sa_a, sa_b, round_now
):
    data = login(official_a).get(reverse("ratings:field_self_candidates")).json()
    assert [row["assessment"] for row in data["settlements"]] == [sa_a.pk]  # not township B's


def test_a_submitted_self_assessment_is_no_candidate(login, official_a, submitted_a):
    data = login(official_a).get(reverse("ratings:field_self_candidates")).json()
    assert data["settlements"] == []


def test_pack_holds_rubric_entries_and_evidence_thumbnails(
    login, media_root, official_a, sa_a, round_now
):
    zz02 = items_by_code(sa_a.rubric)["ZZ02"]
    services.evidence_add(
        by=official_a,
        file=photo_upload(seed=9),
        side=Evidence.SIDE_SELF,
        assessment=sa_a,
        item=zz02,
    )
    sync(sa_a, official_a, counts={"ZZ02": 2})
    data = login(official_a).get(reverse("ratings:field_self_pack", args=[sa_a.pk])).json()
    assert data["editable"] is True and len(data["rubric"]) == sa_a.rubric.items.count()
    assert set(data["editable_items"]) == {item["id"] for item in data["rubric"]}
    assert data["self"]["version"] == 1 and data["self"]["items"][str(zz02.pk)]["occ"] == 2
    thumbs = data["evidence"][str(zz02.pk)]["self"]
    assert len(thumbs) == 1 and thumbs[0]["image"] is True
    assert data["form_url"] == reverse("ratings:self_assessment", args=[sa_a.pk])
    # Its last day, and why the phone locks it after (offline too).
    assert data["closes"] == sa_a.deadline.isoformat()
    assert sa_a.deadline.isoformat() in data["closed_reason"]


def test_pack_of_a_sent_back_self_assessment_opens_only_the_returned_items(
    login, official_a, assessor, sa_a
):
    returned = sent_back(sa_a, official_a, assessor, "ZZ02")
    data = login(official_a).get(reverse("ratings:field_self_pack", args=[returned.pk])).json()
    assert data["returned"] is True and data["return_reason"] == "台账不全"
    assert data["editable_items"] == [items_by_code(sa_a.rubric)["ZZ02"].pk]


def test_another_townships_pack_is_404(login, official_b, sa_a):
    assert (
        login(official_b).get(reverse("ratings:field_self_pack", args=[sa_a.pk])).status_code == 404
    )


def test_a_draft_upload_saves_and_a_retry_stores_one_row(login, official_a, sa_a):
    client = login(official_a)
    body = self_body(sa_a, counts={"ZZ02": 2, "HJ01": 1}, notes={"ZZ02": "台账齐全"})
    first = post_json(client, reverse(DRAFT_URL), body)
    again = post_json(client, reverse(DRAFT_URL), body)  # the answer was lost
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["status"], again.json()["status"]) == ("saved", "repeated")
    assert first.json()["version"] == again.json()["version"] == 1
    assert first.json()["self"]["items"][str(items_by_code(sa_a.rubric)["ZZ02"].pk)] == {
        "occ": 2,
        "note": "台账齐全",
    }
    assert SyncReceipt.objects.count() == 1 and fresh(sa_a).version == 1


def test_another_townships_draft_is_404_and_stores_nothing(login, official_b, sa_a):
    response = post_json(login(official_b), reverse(DRAFT_URL), self_body(sa_a))
    assert response.status_code == 404
    assert not SyncReceipt.objects.exists() and fresh(sa_a).version == 0


def test_a_stale_draft_is_a_conflict_with_the_servers_version(login, official_a, sa_a):
    sync(sa_a, official_a, counts={"ZZ02": 1}, star=0)
    response = post_json(login(official_a), reverse(DRAFT_URL), self_body(sa_a, counts={"ZZ02": 3}))
    assert response.status_code == 409
    data = response.json()
    assert data["code"] == "stale_version" and data["server"]["version"] == 1
    zz02 = str(items_by_code(sa_a.rubric)["ZZ02"].pk)
    assert data["server"]["items"][zz02]["occ"] == 1
    assert fresh(sa_a).items.get(item__code="ZZ02").occurrences == 1  # not overwritten


def test_a_submitted_draft_upload_is_refused_with_a_code(login, official_a, submitted_a):
    body = self_body(submitted_a, base_version=submitted_a.version)
    response = post_json(login(official_a), reverse(DRAFT_URL), body)
    assert response.status_code == 400 and response.json()["code"] == "self_submitted"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"client_id": "nope"}, "bad_client_id"),
        ({"items": {"x": {}}}, "bad_item_entry"),
        ({"star_applied": "five"}, "bad_json"),
        ({"star_applied": 2}, "bad_star_applied"),
    ],
)
def test_bad_draft_uploads_are_refused_with_a_code(login, official_a, sa_a, change, code):
    response = post_json(login(official_a), reverse(DRAFT_URL), {**self_body(sa_a), **change})
    assert response.status_code == 400 and response.json()["code"] == code
    assert fresh(sa_a).version == 0 and not SyncReceipt.objects.exists()


def test_a_retried_photo_upload_stores_one_row(login, media_root, official_a, sa_a):
    client = login(official_a)
    item = items_by_code(sa_a.rubric)["ZZ02"]
    data = {"client_id": str(uuid.uuid4()), "assessment": sa_a.pk, "item": item.pk}
    first = client.post(reverse(PHOTO_URL), {**data, "file": photo_upload(seed=4)})
    again = client.post(reverse(PHOTO_URL), {**data, "file": photo_upload(seed=4)})
    assert (first.status_code, again.status_code) == (201, 200)
    evidence = Evidence.objects.get()
    assert evidence.side == Evidence.SIDE_SELF and evidence.item_id == item.pk
    assert evidence.uploaded_by == official_a


def test_another_townships_photo_is_404(login, media_root, official_b, sa_a):
    response = login(official_b).post(
        reverse(PHOTO_URL),
        {"client_id": str(uuid.uuid4()), "assessment": sa_a.pk, "file": photo_upload()},
    )
    assert response.status_code == 404 and not Evidence.objects.exists()


def test_a_photo_for_an_item_not_sent_back_is_refused(
    login, media_root, official_a, assessor, sa_a
):
    returned = sent_back(sa_a, official_a, assessor, "ZZ02")
    response = login(official_a).post(
        reverse(PHOTO_URL),
        {
            "client_id": str(uuid.uuid4()),
            "assessment": returned.pk,
            "item": items_by_code(sa_a.rubric)["HJ01"].pk,
            "file": photo_upload(),
        },
    )
    assert response.status_code == 400 and response.json()["code"] == "item_not_returned"
    assert not Evidence.objects.filter(side=Evidence.SIDE_SELF).exists()


def test_an_assessor_may_not_post_to_the_townships_photo_endpoint(
    login, media_root, assessor, sa_a
):
    response = login(assessor).post(
        reverse(PHOTO_URL),
        {"client_id": str(uuid.uuid4()), "assessment": sa_a.pk, "file": photo_upload()},
    )
    assert response.status_code == 403 and response.json()["code"] == "not_official"


@pytest.mark.parametrize("photos", [0, 3])
def test_pack_query_count_does_not_grow_with_photos(
    login, media_root, official_a, sa_a, photos, django_assert_num_queries
):
    for n in range(photos):
        services.evidence_add(
            by=official_a, file=photo_upload(seed=n + 30), side=Evidence.SIDE_SELF, assessment=sa_a
        )
    client = login(official_a)
    # user with roles, the assessment (joined settlement, village, township,
    # round, rubric, review, rating, submitter), its items, its evidence, the rubric's items
    with django_assert_num_queries(5):
        data = client.get(reverse("ratings:field_self_pack", args=[sa_a.pk])).json()
    assert sum(len(v["self"]) for v in data["evidence"].values()) == photos


def test_the_service_worker_keeps_both_field_shells(client):
    body = client.get("/sw.js").content.decode()
    assert reverse("ratings:field_self") in body and reverse("ratings:field") in body
    assert "/static/js/field_core.js" in body and "/static/js/field_self.js" in body


def test_a_receipt_names_exactly_one_draft(sa_a, official_a, assessor):
    saved = sync(sa_a, official_a).saved
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncReceipt.objects.create(client_id=uuid.uuid4(), user=official_a, version=1)
    review = services.review_save(
        assessment=self_submit(saved, official_a),
        by=assessor,
        items={},
        visit_date=None,
        team_members="",
        notes="",
        total_gap_reason="",
        expected_version=0,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncReceipt.objects.create(
            client_id=uuid.uuid4(), user=official_a, version=1, review=review, self_assessment=saved
        )
