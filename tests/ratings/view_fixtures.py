"""The cast for page tests: a round opened today (pages act on the real date), and helpers
that move an assessment through the services so a test can start from any step.

The fixtures are registered once for the whole suite (``pytest_plugins`` in
tests/conftest.py), so test modules request them by name and import only the helpers.
Uploaded files go to a temporary MEDIA_ROOT (``media_root``, autouse in the page test
folders' conftest.py), never to var/media.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ratings import services
from ratings.models import Rating, Rectification, Round, RubricItem, SelfAssessment


def today() -> dt.date:
    return timezone.localdate()


def png_bytes(
    size: tuple[int, int] = (24, 16), colour: tuple[int, int, int] = (183, 28, 28)
) -> bytes:
    """A real (tiny) PNG photo, as a phone would send."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(size: tuple[int, int] = (24, 16)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


def upload(
    name: str = "现场.png", content: bytes | None = None, content_type: str = "image/png"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, png_bytes() if content is None else content, content_type=content_type
    )


def items_by_code(rubric) -> dict[str, RubricItem]:
    return {item.code: item for item in rubric.items.all()}


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def self_form_data(
    sa: SelfAssessment,
    counts: dict[str, int] | None = None,
    *,
    star: int = 0,
    action: str = "save",
    only: set[str] | None = None,
    note: str = "",
) -> dict[str, object]:
    """What the browser posts for the self-assessment form (every editable item, or ``only``)."""
    counts = counts or {}
    data: dict[str, object] = {"version": sa.version, "star_applied": star, "action": action}
    for code, item in items_by_code(sa.rubric).items():
        if only is not None and code not in only:
            continue
        data[f"occ_{item.pk}"] = counts.get(code, 0)
        data[f"note_{item.pk}"] = note if code in counts else ""
    return data


def review_form_data(
    sa: SelfAssessment,
    counts: dict[str, int] | None = None,
    *,
    version: int = 0,
    reasons: dict[str, str] | None = None,
    total_gap_reason: str = "",
    action: str = "save",
) -> dict[str, object]:
    counts = counts or {}
    reasons = reasons or {}
    data: dict[str, object] = {
        "version": version,
        "visit_date": today().isoformat(),
        "team_members": "张三、李四",
        "notes": "现场查看",
        "total_gap_reason": total_gap_reason,
        "action": action,
    }
    for code, item in items_by_code(sa.rubric).items():
        data[f"county_occ_{item.pk}"] = counts.get(code, 0)
        data[f"county_note_{item.pk}"] = ""
        data[f"gap_reason_{item.pk}"] = reasons.get(code, "")
    return data


def self_submit(
    sa: SelfAssessment, by, counts: dict[str, int] | None = None, *, star: int = 0
) -> SelfAssessment:
    sa = fresh(sa)
    codes = items_by_code(sa.rubric)
    saved = services.self_assessment_save(
        assessment=sa,
        by=by,
        items={codes[c].pk: (n, "") for c, n in (counts or {}).items()},
        star_applied=star,
        expected_version=sa.version,
    )
    return services.self_assessment_submit(assessment=saved, by=by, expected_version=saved.version)


def finalise(
    sa: SelfAssessment,
    by,
    counts: dict[str, int] | None = None,
    *,
    reasons: dict[str, str] | None = None,
    total_gap_reason: str = "",
) -> Rating:
    sa = fresh(sa)
    codes = items_by_code(sa.rubric)
    existing = getattr(sa, "review", None)
    saved = services.review_save(
        assessment=sa,
        by=by,
        items={
            codes[c].pk: (n, "现场核查", (reasons or {}).get(c, ""))
            for c, n in (counts or {}).items()
        },
        visit_date=today(),
        team_members="张三、李四",
        notes="现场查看",
        total_gap_reason=total_gap_reason,
        expected_version=existing.version if existing else 0,
    )
    return services.review_finalise(review=saved, by=by)


def take_effect(rating: Rating) -> Rating:
    """The notice period passes: the service runs as of the day after it ends."""
    assert services.rating_take_effect(
        rating=rating, today=rating.notice_ends_on + dt.timedelta(days=1)
    )
    return fresh(rating)


def assessment_of(rnd: Round, settlement) -> SelfAssessment:
    return SelfAssessment.objects.get(round=rnd, settlement=settlement)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # The cast's passwords need no real hashing here (autouse runs before the users exist).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings.MEDIA_ROOT


@pytest.fixture
def round_now(secretary, rubric, settlement_a, settlement_b) -> Round:
    """A Q1 (initial rating) round opened today: self-assessments close in 10 days."""
    rnd, created = services.round_open(year=today().year, quarter=1, by=secretary, today=today())
    assert created
    return rnd


@pytest.fixture
def sa_a(round_now, settlement_a) -> SelfAssessment:
    return assessment_of(round_now, settlement_a)


@pytest.fixture
def sa_b(round_now, settlement_b) -> SelfAssessment:
    return assessment_of(round_now, settlement_b)


@pytest.fixture
def submitted_a(sa_a, official_a) -> SelfAssessment:
    """Township A's self-assessment: ZZ02×2 and HJ01×1 → 97.0, applies for 5★."""
    return self_submit(sa_a, official_a, {"ZZ02": 2, "HJ01": 1}, star=5)


@pytest.fixture
def notice_a(submitted_a, assessor) -> Rating:
    """The county finds more: ZZ02×2, HJ01×1, AQ01×2 (flagged) → 93.0, five stars, in notice."""
    return finalise(submitted_a, assessor, {"ZZ02": 2, "HJ01": 1, "AQ01": 2})


@pytest.fixture
def effective_a(notice_a) -> Rating:
    return take_effect(notice_a)


@pytest.fixture
def rectification_a(effective_a) -> Rectification:
    """Proposed automatically: AQ01 is a flagged item the county found."""
    return Rectification.objects.get(rating=effective_a)


@pytest.fixture
def final_round(secretary, rubric, settlement_a, settlement_b) -> Round:
    """A Q4 (final rating, 定评) round: an effective star there earns a certificate."""
    # The year's final round as of today, before Q4 has ended: opened early on purpose.
    rnd, created = services.round_open(
        year=today().year, quarter=4, by=secretary, today=today(), allow_early=True
    )
    assert created
    return rnd


@pytest.fixture
def certificate_a(final_round, settlement_a, official_a, assessor):
    sa = assessment_of(final_round, settlement_a)
    self_submit(sa, official_a, {"HJ01": 1}, star=5)
    rating = take_effect(finalise(sa, assessor, {"HJ01": 1}))
    return rating.certificate


def score(value: str) -> Decimal:
    return Decimal(value)
