"""Evidence files on disk match the evidence rows: a refused upload leaves no file behind,
and a long file name keeps its extension."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ratings import rules, services
from ratings.models import Evidence, Review
from ratings.services import Refusal
from tests.ratings.workflow import (
    OPENED,
    PNG,
    REVIEW_DAY,
    county_items,
    fresh,
    items_by_code,
    self_items,
)
from tests.refusals import refused

pytest_plugins = ["tests.ratings.workflow_fixtures"]


def png(name: str = "现场.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def gif(name: str = "伪装.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"GIF89a" + b"\x00" * 20, content_type="image/png")


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def update(sa, by, uploads, *, submit=False):
    sa = fresh(sa)
    return services.self_assessment_update(
        assessment=sa,
        by=by,
        items=self_items(sa.rubric, {"ZZ02": 2, "HJ01": 1}),
        star_applied=5,
        expected_version=sa.version,
        uploads=uploads,
        submit=submit,
        today=OPENED,
    )


# ------------------------------------------------------------------ all or nothing


def test_a_refused_file_among_several_leaves_no_file_on_disk(
    q1_sa_a, official_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    first, second = items_by_code(q1_sa_a.rubric)["ZZ02"], items_by_code(q1_sa_a.rubric)["HJ01"]
    uploads = [
        (first, f"evidence_{first.pk}", [png("一.png"), png("二.png")]),
        (second, f"evidence_{second.pk}", [png("三.png"), gif()]),
    ]

    with refused(services.WorkflowError, Refusal.FILE_TYPE, field=f"evidence_{second.pk}"):
        update(q1_sa_a, official_a, uploads)

    assert not Evidence.objects.exists()
    assert stored_files(tmp_path) == []


def test_files_stored_before_a_later_refusal_are_removed(
    q1_submitted_a, assessor, settings, tmp_path
):
    """The photos are written, then finalising is refused: rows rolled back, files deleted."""
    settings.MEDIA_ROOT = tmp_path
    item = items_by_code(q1_submitted_a.rubric)["ZZ01"]  # self 0, county 5 points: needs a reason
    sa = fresh(q1_submitted_a)

    with refused(services.WorkflowError, Refusal.GAP_REASON_MISSING, field=item.pk):
        services.review_record(
            assessment=sa,
            by=assessor,
            items=county_items(sa.rubric, {"ZZ02": 2, "HJ01": 1, "ZZ01": 1}),
            visit_date=REVIEW_DAY,
            team_members="张三",
            notes="",
            total_gap_reason="",
            expected_version=0,
            uploads=[(item, "photos", [png("甲.png"), png("乙.png")])],
            finalise=True,
            today=REVIEW_DAY,
        )

    assert not Review.objects.exists()
    assert not Evidence.objects.exists()
    assert stored_files(tmp_path) == []


def test_an_accepted_upload_keeps_exactly_its_files(q1_sa_a, official_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = items_by_code(q1_sa_a.rubric)["ZZ02"]

    update(q1_sa_a, official_a, [(item, f"evidence_{item.pk}", [png("一.png"), png("二.png")])])

    on_disk = {p.relative_to(tmp_path).as_posix() for p in stored_files(tmp_path)}
    assert on_disk == set(Evidence.objects.values_list("file", flat=True))
    assert len(on_disk) == 2


# ------------------------------------------------------------------ long names


def test_a_300_character_name_keeps_its_extension(q1_sa_a, official_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    item = items_by_code(q1_sa_a.rubric)["ZZ02"]
    name = "村" * 296 + ".PNG"

    update(q1_sa_a, official_a, [(item, f"evidence_{item.pk}", [png(name)])])

    evidence = Evidence.objects.get()
    assert evidence.original_name == "村" * (200 - 4) + ".PNG"
    assert evidence.file.name.endswith(".png")
    assert [p.suffix for p in stored_files(tmp_path)] == [".png"]


@pytest.mark.parametrize(
    ("name", "limit", "expected"),
    [
        ("a.png", 10, "a.png"),  # short enough: unchanged
        ("abcdef.png", 10, "abcdef.png"),  # exactly the limit
        ("abcdefg.png", 10, "abcdef.png"),  # one over: the stem is cut
        ("noextension", 5, "noext"),
        (".hidden", 3, ".hi"),  # no stem: plain cut
        ("a." + "x" * 20, 5, ".xxxx"),  # an extension longer than the limit is cut too
    ],
)
def test_shortened_file_name(name, limit, expected):
    assert rules.shortened_file_name(name, limit) == expected
    assert len(rules.shortened_file_name(name, limit)) <= limit
