"""Field photos read and flagged on upload: EXIF time and GPS, reuse by perceptual hash."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ratings import evidence_rules as er
from ratings import services
from ratings.models import Evidence, EvidenceHashBand, Round, SelfAssessment
from settlements.models import CountySettings
from tests.photos import photo_upload
from tests.ratings.workflow import OPENED, PDF, items_by_code

pytest_plugins = ["tests.ratings.workflow_fixtures"]

SITE = (28.123456, 104.654321)  # settlement A, as entered in the admin
IN_ROUND = dt.datetime(2031, 4, 3, 10, 15)  # noqa: DTZ001 - EXIF camera time


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def placed_a(settlement_a):
    settlement_a.latitude, settlement_a.longitude = Decimal("28.123456"), Decimal("104.654321")
    settlement_a.save()
    return settlement_a


def add(sa, by, upload, item_code="ZZ02"):
    return services.evidence_add(
        by=by,
        file=upload,
        side=Evidence.SIDE_SELF,
        assessment=sa,
        item=items_by_code(sa.rubric)[item_code],
        today=OPENED,
    )


def test_a_photo_taken_on_site_in_the_round_has_no_flags(q1_sa_a, official_a, placed_a):
    ev = add(
        q1_sa_a, official_a, photo_upload(seed=1, taken=IN_ROUND, lat=SITE[0] + 0.005, lon=SITE[1])
    )
    ev.refresh_from_db()
    assert ev.flags == [] and ev.flagged is False
    assert (
        ev.taken_at.isoformat() == "2031-04-03T02:15:00+00:00"
    )  # camera time read as Beijing time
    assert (ev.taken_latitude, ev.taken_longitude) == (Decimal("28.128456"), Decimal("104.654321"))
    assert len(ev.phash) == 16


def test_photo_taken_before_the_round_opened_is_flagged_not_refused(q1_sa_a, official_a, placed_a):
    ev = add(
        q1_sa_a,
        official_a,
        photo_upload(seed=1, taken=dt.datetime(2031, 3, 31, 23, 0), lat=SITE[0], lon=SITE[1]),
    )  # noqa: DTZ001
    assert Evidence.objects.get(pk=ev.pk).flags == [er.OUTSIDE_WINDOW]


def test_photo_taken_after_the_review_deadline_is_flagged(q1_sa_a, official_a, placed_a, q1):
    after = dt.datetime.combine(q1.review_deadline + dt.timedelta(days=1), dt.time(9))  # noqa: DTZ001
    ev = add(q1_sa_a, official_a, photo_upload(seed=1, taken=after, lat=SITE[0], lon=SITE[1]))
    assert ev.flags == [er.OUTSIDE_WINDOW]


def test_photo_taken_far_from_the_settlement_is_flagged(q1_sa_a, official_a, placed_a):
    # 0.03° of latitude ≈ 3.3 km: beyond the default 2 km.
    ev = add(
        q1_sa_a, official_a, photo_upload(seed=1, taken=IN_ROUND, lat=SITE[0] + 0.03, lon=SITE[1])
    )
    assert ev.flags == [er.TOO_FAR]


def test_the_distance_is_the_countys_setting(q1_sa_a, official_a, placed_a):
    CountySettings.objects.create(photo_max_distance_km=Decimal("5.0"))
    ev = add(
        q1_sa_a, official_a, photo_upload(seed=1, taken=IN_ROUND, lat=SITE[0] + 0.03, lon=SITE[1])
    )
    assert ev.flags == []


def test_settlement_without_coordinates_flags_no_reference(q1_sa_a, official_a):
    ev = add(q1_sa_a, official_a, photo_upload(seed=1, taken=IN_ROUND, lat=SITE[0], lon=SITE[1]))
    assert ev.flags == [er.NO_REFERENCE]


def test_photo_without_time_or_place_is_flagged(q1_sa_a, official_a, placed_a):
    ev = add(q1_sa_a, official_a, photo_upload(seed=1))
    assert ev.flags == [er.NO_TIME, er.NO_PLACE]
    assert ev.taken_at is None and ev.taken_latitude is None


def test_png_exif_is_read_too(q1_sa_a, official_a, placed_a):
    ev = add(
        q1_sa_a,
        official_a,
        photo_upload("photo.png", seed=1, taken=IN_ROUND, lat=SITE[0], lon=SITE[1]),
    )
    assert ev.flags == [] and ev.taken_at is not None


def test_pdf_documents_carry_no_photo_flags(q1_sa_a, official_a):
    ev = add(
        q1_sa_a, official_a, SimpleUploadedFile("台账.pdf", PDF, content_type="application/pdf")
    )
    assert ev.flags == [] and ev.phash == ""


def test_an_undecodable_image_is_kept_and_flagged(q1_sa_a, official_a):
    from tests.ratings.workflow import JPEG

    ev = add(q1_sa_a, official_a, SimpleUploadedFile("坏图.jpg", JPEG, content_type="image/jpeg"))
    assert Evidence.objects.filter(pk=ev.pk).exists()
    assert ev.flags == [er.NO_TIME, er.NO_PLACE] and ev.phash == ""


def test_same_picture_for_another_settlement_is_flagged(
    q1_sa_a, q1_sa_b, official_a, official_b, placed_a
):
    first = add(q1_sa_b, official_b, photo_upload(seed=7, taken=IN_ROUND))
    # Township A sends the same scene, shrunk and re-encoded by the phone.
    second = add(
        q1_sa_a,
        official_a,
        photo_upload(seed=7, taken=IN_ROUND, lat=SITE[0], lon=SITE[1], size=(160, 120), quality=55),
    )
    assert er.REUSED not in first.flags
    assert second.flags == [er.REUSED]


def test_a_different_picture_is_not_reused(q1_sa_a, q1_sa_b, official_a, official_b, placed_a):
    add(q1_sa_b, official_b, photo_upload(seed=7, taken=IN_ROUND))
    ev = add(q1_sa_a, official_a, photo_upload(seed=8, taken=IN_ROUND, lat=SITE[0], lon=SITE[1]))
    assert ev.flags == []


def test_same_picture_twice_in_one_assessment_is_not_reuse(q1_sa_a, official_a, placed_a):
    add(q1_sa_a, official_a, photo_upload(seed=7, taken=IN_ROUND, lat=SITE[0], lon=SITE[1]))
    again = add(
        q1_sa_a,
        official_a,
        photo_upload(seed=7, taken=IN_ROUND, lat=SITE[0], lon=SITE[1]),
        item_code="HJ01",
    )
    assert again.flags == []


def test_same_picture_from_an_earlier_round_is_flagged(q1_sa_a, official_a, placed_a, rubric):
    earlier = Round.objects.create(
        year=2030,
        quarter=4,
        stage=q1_sa_a.round.stage,
        opened_on=dt.date(2030, 10, 1),
        self_deadline=dt.date(2030, 10, 20),
        review_deadline=dt.date(2030, 11, 30),
        rubric=rubric,
    )
    old_sa = SelfAssessment.objects.create(
        round=earlier,
        settlement=placed_a,
        settlement_class=q1_sa_a.settlement_class,
        rubric=rubric,
        deadline=dt.date(2030, 10, 20),
    )
    old = services.photo_facts(photo_upload(seed=9).file)
    old_evidence = Evidence.objects.create(
        settlement=placed_a,
        assessment=old_sa,
        side=Evidence.SIDE_SELF,
        file="evidence/old.jpg",
        original_name="old.jpg",
        content_type="image/jpeg",
        size=1,
        uploaded_by=official_a,
    )
    services.evidence_inspect(evidence=old_evidence, facts=old)  # as its upload did then
    ev = add(q1_sa_a, official_a, photo_upload(seed=9, taken=IN_ROUND, lat=SITE[0], lon=SITE[1]))
    assert ev.flags == [er.REUSED]


def test_reuse_is_found_through_the_hash_bands(q1_sa_a, q1_sa_b, official_a, official_b, placed_a):
    first = add(q1_sa_b, official_b, photo_upload(seed=7, taken=IN_ROUND))
    assert EvidenceHashBand.objects.filter(evidence=first).count() == len(er.BAND_WIDTHS)
    # Many other photos do not make the check read them all.
    for n in range(20):
        add(q1_sa_b, official_b, photo_upload(seed=100 + n, taken=IN_ROUND), item_code="HJ01")
    again = add(q1_sa_a, official_a, photo_upload(seed=7, taken=IN_ROUND, lat=SITE[0], lon=SITE[1]))
    assert again.flags == [er.REUSED]


def test_county_photos_are_checked_too(q1_submitted_a, assessor, placed_a):
    ev = services.evidence_add(
        by=assessor,
        file=photo_upload(seed=3),
        side=Evidence.SIDE_COUNTY,
        assessment=q1_submitted_a,
        item=items_by_code(q1_submitted_a.rubric)["ZZ02"],
        today=OPENED,
    )
    assert ev.flags == [er.NO_TIME, er.NO_PLACE]
