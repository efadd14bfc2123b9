"""The workflow's story for service tests: a Q1 2031 round in townships A and B, and helpers
that move an assessment through self-assessment, county review, notice and effect.

Test modules import these helpers; the fixtures (tests/ratings/workflow_fixtures.py) are
registered for the whole suite in tests/conftest.py.
Dates are fixed: the round opens Tuesday 2031-04-01, self-assessments close 04-11, the
county finalises Tuesday 04-15 and the 5-working-day notice ends Tuesday 04-22.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ratings import services
from ratings.models import Rating, RubricItem, SelfAssessment

OPENED = dt.date(2031, 4, 1)
SELF_DEADLINE = dt.date(2031, 4, 11)
REVIEW_DAY = dt.date(2031, 4, 15)
NOTICE_ENDS = dt.date(2031, 4, 22)
AFTER_NOTICE = dt.date(2031, 4, 23)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"0" * 64


def items_by_code(rubric) -> dict[str, RubricItem]:
    return {item.code: item for item in rubric.items.all()}


def self_items(rubric, counts: dict[str, int], note: str = "") -> dict[int, tuple[int, str]]:
    codes = items_by_code(rubric)
    return {codes[code].pk: (n, note) for code, n in counts.items()}


def county_items(
    rubric, counts: dict[str, int], reasons: dict[str, str] | None = None
) -> dict[int, tuple[int, str, str]]:
    codes = items_by_code(rubric)
    reasons = reasons or {}
    return {codes[code].pk: (n, "现场核查", reasons.get(code, "")) for code, n in counts.items()}


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def self_save(
    sa: SelfAssessment,
    by,
    counts: dict[str, int] | None = None,
    *,
    star: int = 0,
    today=OPENED,
    note: str = "",
):
    sa = fresh(sa)
    return services.self_assessment_save(
        assessment=sa,
        by=by,
        items=self_items(sa.rubric, counts or {}, note),
        star_applied=star,
        expected_version=sa.version,
        today=today,
    )


def self_submit(
    sa: SelfAssessment, by, counts: dict[str, int] | None = None, *, star: int = 0, today=OPENED
):
    saved = self_save(sa, by, counts, star=star, today=today)
    return services.self_assessment_submit(
        assessment=saved, by=by, expected_version=saved.version, today=today
    )


def review(
    sa: SelfAssessment,
    by,
    counts: dict[str, int] | None = None,
    *,
    reasons=None,
    total_gap_reason="",
    today=REVIEW_DAY,
):
    sa = fresh(sa)
    existing = getattr(sa, "review", None)
    return services.review_save(
        assessment=sa,
        by=by,
        items=county_items(sa.rubric, counts or {}, reasons),
        visit_date=today,
        team_members="张三、李四",
        notes="现场查看",
        total_gap_reason=total_gap_reason,
        expected_version=existing.version if existing else 0,
        today=today,
    )


def finalise(
    sa: SelfAssessment, by, counts: dict[str, int] | None = None, *, today=REVIEW_DAY, **kw
) -> Rating:
    saved = review(sa, by, counts, today=today, **kw)
    return services.review_finalise(review=saved, by=by, today=today)


def assessment_of(rnd, settlement) -> SelfAssessment:
    return SelfAssessment.objects.get(round=rnd, settlement=settlement)


def score(value: str) -> Decimal:
    return Decimal(value)
