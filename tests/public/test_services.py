"""Residents' objections: filing (window, limits, photo checked by its bytes), the county
accepting one into a formal objection heard by an uninvolved assessor, or declining it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from public import services
from public.models import ResidentObjection, ResidentObjectionStatus
from public.services import Refusal, ResidentObjectionRefused
from ratings import services as rating_services
from ratings.models import Objection, ObjectionOutcome, RatingStatus
from tests import factories as f
from tests.ratings.workflow import AFTER_NOTICE, NOTICE_ENDS, REVIEW_DAY, fresh

PHONE = "13812345678"


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (183, 28, 28)).save(buffer, format="PNG")
    return buffer.getvalue()


def file(rating, *, today=REVIEW_DAY, **kwargs) -> ResidentObjection:
    values = {"name": "王小明", "phone": PHONE, "text": "垃圾清运并未做到每日一次。"}
    values.update(kwargs)
    return services.resident_objection_file(rating=rating, today=today, **values)


def refusal(call) -> ResidentObjectionRefused:
    with pytest.raises(ResidentObjectionRefused) as exc:
        call()
    return exc.value


def test_resident_files_an_objection_that_waits_as_pending(q1_notice_a):
    filed = file(q1_notice_a)

    stored = ResidentObjection.objects.get()
    assert stored == filed
    assert stored.status == ResidentObjectionStatus.PENDING
    assert stored.reference.startswith("YJ20310415-")
    assert (stored.name, stored.phone, stored.filed_on) == ("王小明", PHONE, REVIEW_DAY)
    assert stored.history.count() == 1 and stored.history.first().history_user is None


def test_the_same_objection_posted_twice_is_filed_once(q1_notice_a):
    assert file(q1_notice_a) == file(q1_notice_a)
    assert ResidentObjection.objects.count() == 1


def test_objection_on_the_last_day_is_filed_and_the_day_after_is_refused_with_the_date(q1_notice_a):
    assert file(q1_notice_a, today=NOTICE_ENDS).status == ResidentObjectionStatus.PENDING

    exc = refusal(lambda: file(q1_notice_a, today=AFTER_NOTICE, text="另一条"))
    assert exc.code == Refusal.WINDOW_CLOSED
    assert "2031-04-22" in exc.messages[0]


def test_objection_to_a_rating_not_in_notice_is_refused(q1_effective_a):
    assert refusal(lambda: file(q1_effective_a)).code == Refusal.NOT_IN_NOTICE


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"text": "  "}, Refusal.TEXT_REQUIRED),
        ({"text": "字" * 1001}, Refusal.TEXT_TOO_LONG),
        ({"name": ""}, Refusal.NAME_REQUIRED),
        ({"name": "名" * 33}, Refusal.NAME_TOO_LONG),
        ({"phone": "12345"}, Refusal.PHONE_INVALID),
    ],
)
def test_bad_input_is_refused_with_its_code_and_nothing_saved(q1_notice_a, fields, code):
    assert refusal(lambda: file(q1_notice_a, **fields)).code == code
    assert not ResidentObjection.objects.exists()


def test_longest_text_is_accepted(q1_notice_a):
    assert len(file(q1_notice_a, text="字" * 1000).text) == 1000


def test_photo_is_kept_under_a_random_name(q1_notice_a, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    filed = file(q1_notice_a, photo=SimpleUploadedFile("我家门口.png", png(), "image/png"))
    assert filed.photo_type == "image/png"
    assert "我家门口" not in filed.photo.name and filed.photo.name.endswith(".png")


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("photo.png", b"not an image at all", Refusal.PHOTO_NOT_IMAGE),
        (
            "scan.pdf",
            b"%PDF-1.4\n" + b"0" * 40,
            Refusal.PHOTO_NOT_IMAGE,
        ),  # evidence takes PDFs, a photo does not
        ("photo.jpg", None, Refusal.PHOTO_NOT_IMAGE),  # PNG bytes named .jpg
        ("empty.png", b"", Refusal.PHOTO_EMPTY),
    ],
)
def test_photo_is_checked_by_its_bytes(q1_notice_a, settings, tmp_path, name, content, code):
    settings.MEDIA_ROOT = str(tmp_path)
    upload = SimpleUploadedFile(name, png() if content is None else content)
    assert refusal(lambda: file(q1_notice_a, photo=upload)).code == code
    assert not ResidentObjection.objects.exists()


def test_photo_over_the_size_limit_is_refused(q1_notice_a, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr("public.rules.MAX_PHOTO_BYTES", 100)
    upload = SimpleUploadedFile("photo.png", png() + b"\x00" * 200)
    assert refusal(lambda: file(q1_notice_a, photo=upload)).code == Refusal.PHOTO_TOO_LARGE


def test_assessor_accepts_it_into_a_formal_objection_naming_the_resident_masked(
    q1_notice_a, assessor2
):
    filed = file(q1_notice_a)

    accepted = services.resident_objection_accept(resident_objection=filed, by=assessor2)

    assert accepted.status == ResidentObjectionStatus.ACCEPTED
    formal = Objection.objects.get()
    assert accepted.objection == formal
    assert formal.filed_by_name == f"王**（{filed.reference}）"
    assert "王小明" not in formal.filed_by_name and formal.text == filed.text
    assert formal.reviewed_by_id == q1_notice_a.review.assessor_id
    assert accepted.history.first().history_user == assessor2
    # Accepting twice changes nothing.
    assert (
        services.resident_objection_accept(resident_objection=filed, by=assessor2).objection
        == formal
    )
    assert Objection.objects.count() == 1


def test_formal_objection_is_heard_by_an_assessor_uninvolved_in_the_review(
    q1_notice_a, assessor, assessor2
):
    filed = file(q1_notice_a)
    formal = services.resident_objection_accept(resident_objection=filed, by=assessor).objection

    with pytest.raises(rating_services.WorkflowPermissionDenied):
        rating_services.objection_decide(
            objection=formal, by=assessor, outcome="rejected", reasons="核实无误"
        )
    rating_services.objection_decide(
        objection=formal, by=assessor2, outcome="rejected", reasons="核实无误"
    )
    assert fresh(formal).outcome == ObjectionOutcome.REJECTED


def test_accepted_after_the_window_counts_from_the_day_it_was_filed(
    q1_notice_a, assessor2, monkeypatch
):
    filed = file(q1_notice_a, today=NOTICE_ENDS)
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda: AFTER_NOTICE + dt.timedelta(days=3)
    )

    accepted = services.resident_objection_accept(resident_objection=filed, by=assessor2)

    assert accepted.objection.outcome == ObjectionOutcome.PENDING


def test_a_pending_resident_objection_holds_the_rating_back(q1_notice_a, assessor2):
    filed = file(q1_notice_a, today=NOTICE_ENDS)

    assert rating_services.ratings_take_effect_due(today=AFTER_NOTICE) == 0
    with pytest.raises(rating_services.WorkflowError):
        rating_services.rating_take_effect(rating=q1_notice_a, today=AFTER_NOTICE)
    assert fresh(q1_notice_a).status == RatingStatus.NOTICE

    services.resident_objection_decline(
        resident_objection=filed, by=assessor2, reason="与本次评定无关。"
    )
    assert rating_services.ratings_take_effect_due(today=AFTER_NOTICE) == 1
    assert fresh(q1_notice_a).status == RatingStatus.EFFECTIVE


def test_decline_needs_a_reason_and_is_recorded(q1_notice_a, assessor2):
    filed = file(q1_notice_a)
    assert (
        refusal(
            lambda: services.resident_objection_decline(
                resident_objection=filed, by=assessor2, reason=" "
            )
        ).code
        == Refusal.REASON_REQUIRED
    )

    declined = services.resident_objection_decline(
        resident_objection=filed, by=assessor2, reason="重复反映。"
    )

    assert (declined.status, declined.decline_reason, declined.decided_by) == (
        ResidentObjectionStatus.DECLINED,
        "重复反映。",
        assessor2,
    )
    assert declined.history.first().history_change_reason == "群众异议不予受理"
    assert (
        refusal(
            lambda: services.resident_objection_accept(resident_objection=filed, by=assessor2)
        ).code
        == Refusal.ALREADY_DECIDED
    )


@pytest.mark.parametrize("who", ["official_a", "official_b", "outsider"])
def test_only_the_county_accepts_or_declines(q1_notice_a, request, who):
    user = f.user("outsider") if who == "outsider" else request.getfixturevalue(who)
    filed = file(q1_notice_a)
    assert (
        refusal(lambda: services.resident_objection_accept(resident_objection=filed, by=user)).code
        == Refusal.NOT_COUNTY
    )
    assert (
        refusal(
            lambda: services.resident_objection_decline(
                resident_objection=filed, by=user, reason="x"
            )
        ).code
        == Refusal.NOT_COUNTY
    )
    assert fresh(filed).status == ResidentObjectionStatus.PENDING


def test_database_refuses_an_inconsistent_decision(q1_notice_a):
    from django.db import IntegrityError, transaction

    filed = file(q1_notice_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        ResidentObjection.objects.filter(pk=filed.pk).update(
            status=ResidentObjectionStatus.DECLINED
        )
