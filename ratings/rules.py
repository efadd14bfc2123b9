"""Pure scoring rules (SPEC §3–5). No Django, no database: Decimals in, Decimals out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal

ONE_PLACE = Decimal("0.1")
BASE_SCORE = Decimal("100")
DEFAULT_BONUS_CAP = Decimal("10")

# (minimum score, stars), from the top down. Below the last band there is no star.
STAR_BANDS: tuple[tuple[Decimal, int], ...] = (
    (Decimal("90"), 5),
    (Decimal("80"), 4),
    (Decimal("70"), 3),
)
STAR_LEVELS = (0, 3, 4, 5)

BONUS = "bonus"
DEDUCTION = "deduction"
VETO = "veto"

# Default calendar: Q1 initial, Q2 re-rating, Q3 initial, Q4 final.
STAGE_INITIAL = "initial"
STAGE_RE = "re"
STAGE_FINAL = "final"
DEFAULT_STAGE_BY_QUARTER = {1: STAGE_INITIAL, 2: STAGE_RE, 3: STAGE_INITIAL, 4: STAGE_FINAL}

# Defaults only: the county sets its own in the admin (settlements.models.CountySettings,
# whose defaults are the same numbers in settlements.rules).
SELF_ASSESSMENT_DAYS = 10
COUNTY_REVIEW_DAYS = 30
NOTICE_WORKING_DAYS = 5
# A gap this large between self and county scores needs the assessor's reason.
ITEM_GAP_NEEDS_REASON = Decimal("5")
TOTAL_GAP_NEEDS_REASON = Decimal("10")


def quantize_score(value: Decimal) -> Decimal:
    return Decimal(value).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def star_level(score: Decimal) -> int:
    """Stars earned by a score: 5 from 90, 4 from 80, 3 from 70, else 0."""
    score = Decimal(score)
    for minimum, stars in STAR_BANDS:
        if score >= minimum:
            return stars
    return 0


def item_points(*, points_each: Decimal, occurrences: int, cap: Decimal | None) -> Decimal:
    """Points of one item: per occurrence times occurrences, limited by the item's cap."""
    if occurrences < 0:
        raise ValueError("occurrences cannot be negative")
    raw = Decimal(points_each) * occurrences
    if cap is not None:
        raw = min(raw, Decimal(cap))
    return quantize_score(raw)


def total_score(
    *,
    bonuses: Iterable[Decimal],
    deductions: Iterable[Decimal],
    bonus_cap: Decimal = DEFAULT_BONUS_CAP,
) -> Decimal:
    """100 + min(bonus cap, Σ bonuses) − Σ deductions, never below 0, one decimal place."""
    bonus = min(Decimal(bonus_cap), sum((Decimal(b) for b in bonuses), Decimal(0)))
    deduction = sum((Decimal(d) for d in deductions), Decimal(0))
    return quantize_score(max(Decimal(0), BASE_SCORE + bonus - deduction))


def stars_awarded(*, score: Decimal, vetoed: bool) -> int:
    """A triggered veto item means no star, whatever the score."""
    return 0 if vetoed else star_level(score)


def points_to_next_star(score: Decimal) -> tuple[int, Decimal] | None:
    """(next star, points still needed) or None at five stars."""
    score = Decimal(score)
    for minimum, stars in reversed(STAR_BANDS):
        if score < minimum:
            return stars, quantize_score(minimum - score)
    return None


def max_star_applicable(score: Decimal, *, vetoed: bool = False) -> int:
    """A township may apply for no more than its own score earns."""
    return stars_awarded(score=score, vetoed=vetoed)


def gap_needs_reason(
    self_points: Decimal,
    county_points: Decimal,
    *,
    total: bool = False,
    limit: Decimal | None = None,
) -> bool:
    """Whether self and county scores differ by ``limit`` or more (the county's setting; default 5 / 10)."""
    if limit is None:
        limit = TOTAL_GAP_NEEDS_REASON if total else ITEM_GAP_NEEDS_REASON
    return abs(Decimal(county_points) - Decimal(self_points)) >= limit


def round_dates(year: int, quarter: int) -> dt.date:
    """A quarter's round opens on the first day after the quarter."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError("quarter must be 1–4")
    if quarter == 4:
        return dt.date(year + 1, 1, 1)
    return dt.date(year, quarter * 3 + 1, 1)


def quarter_closed_before(day: dt.date) -> tuple[int, int]:
    """The (year, quarter) that ended most recently before ``day``."""
    quarter = (day.month - 1) // 3  # 0 means the previous year's Q4
    if quarter == 0:
        return day.year - 1, 4
    return day.year, quarter


def add_working_days(
    start: dt.date, days: int, *, is_working_day: Callable[[dt.date], bool]
) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts).

    ``is_working_day`` is the calendar (China's official one in the product: holidays
    and 调休 make-up working days); whatever it raises for a year it does not know
    propagates, so an unknown year is never guessed.
    """
    if days < 0:
        raise ValueError("days cannot be negative")
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def review_deadline(round_deadline: dt.date, reopened_until: Iterable[dt.date] = ()) -> dt.date:
    """A county review's last day: the round's, or a later one an explicit reopening gave it.

    A reopening (the secretary's extension, an upheld objection) only ever moves the day
    later: one that ends before the round's deadline leaves the round's.
    """
    return max((round_deadline, *reopened_until))


def review_open(today: dt.date, *, deadline: dt.date) -> bool:
    """Whether a county review may still be saved or finalised on ``today``.

    The last day counts in full (deadlines end at local midnight); from the day after,
    only an explicit reopening (a later ``deadline``) opens it again.
    """
    return today <= deadline


def area_losses(items: Iterable[tuple[str, str, Decimal]]) -> dict[str, Decimal]:
    """Points lost per area from (area, kind, points) of each scored item."""
    lost: dict[str, Decimal] = {}
    for area, kind, points in items:
        if kind in (DEDUCTION, VETO) and points:
            lost[area] = lost.get(area, Decimal(0)) + Decimal(points)
    return {area: quantize_score(v) for area, v in lost.items()}


def score_sheet(
    lines: Iterable[tuple[str, Decimal, Decimal, int]], *, bonus_cap: Decimal = DEFAULT_BONUS_CAP
) -> tuple[list[Decimal], Decimal, bool]:
    """Score a filled-in rubric: (kind, points each, cap, occurrences) per item.

    Returns (points of each item in order, total score, vetoed). A veto item counts no
    points; any occurrence of it means no star (stars_awarded).
    """
    points: list[Decimal] = []
    bonuses: list[Decimal] = []
    deductions: list[Decimal] = []
    vetoed = False
    for kind, points_each, cap, occurrences in lines:
        value = item_points(points_each=points_each, occurrences=occurrences, cap=cap)
        points.append(value)
        if kind == BONUS:
            bonuses.append(value)
        elif kind == DEDUCTION:
            deductions.append(value)
        elif kind == VETO:
            vetoed = vetoed or occurrences > 0
        else:
            raise ValueError(f"unknown item kind {kind!r}")
    return points, total_score(bonuses=bonuses, deductions=deductions, bonus_cap=bonus_cap), vetoed


def one_star_lower(stars: int) -> int:
    """A downgrade (降低星级等次): 5→4, 4→3, 3→no star. There is nothing below no star."""
    if stars not in STAR_LEVELS or stars == 0:
        raise ValueError("only a rating with a star can be downgraded")
    lower = [level for level in STAR_LEVELS if level < stars]
    return lower[-1]


# Evidence files: what the first bytes say, and the extensions each type may carry.
EVIDENCE_TYPES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
    "application/pdf": (b"%PDF-", (".pdf",)),
}


ZIP_MAGIC = b"PK\x03\x04"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Word and Excel files are zip archives: what they are is said by their parts, not by their
# first bytes. The main part's content type names the kind; macro-enabled files (docm,
# xlsm) declare another one and are refused.
OFFICE_TYPES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    DOCX: ("word/", DOCX + ".main+xml", (".docx",)),
    XLSX: (
        "xl/",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        (".xlsx",),
    ),
}


def sniff_evidence_type(head: bytes) -> str | None:
    """The content type a file's first bytes prove (jpg, png, pdf), else None.

    A zip (a possible Word or Excel file) is not decided here: see ``office_type``.
    """
    for content_type, (magic, _extensions) in EVIDENCE_TYPES.items():
        if head.startswith(magic):
            return content_type
    return None


def is_zip(head: bytes) -> bool:
    return head.startswith(ZIP_MAGIC)


def office_type(*, names: Iterable[str], content_types_xml: str) -> str | None:
    """docx or xlsx when the archive's part names and [Content_Types].xml agree, else None."""
    names = set(names)
    if "[Content_Types].xml" not in names:
        return None
    for content_type, (folder, main_type, _extensions) in OFFICE_TYPES.items():
        has_parts = any(name.startswith(folder) for name in names)
        if has_parts and f'ContentType="{main_type}"' in content_types_xml:
            return content_type
    return None


def extension_matches(content_type: str, filename: str) -> bool:
    """Whether the file name's extension (case-insensitive) fits the sniffed type."""
    if content_type in OFFICE_TYPES:
        extensions = OFFICE_TYPES[content_type][2]
    else:
        _magic, extensions = EVIDENCE_TYPES[content_type]
    return filename.lower().endswith(extensions)


def shortened_file_name(name: str, limit: int) -> str:
    """``name`` in at most ``limit`` characters, its extension kept: the stem is cut.

    The extension says what the file is (and is checked against its bytes), so it is the
    part never lost; an extension longer than the limit itself is cut from its end.
    """
    if len(name) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        return name[:limit]
    suffix = "." + extension
    if len(suffix) >= limit:
        return suffix[:limit]
    return stem[: limit - len(suffix)] + suffix


def certificate_number(*, year: int, stars: int, serial: int) -> str:
    """命名授牌 certificate number, e.g. PS-2031-5-0001 (serial per year and star)."""
    if stars not in (3, 4, 5) or serial < 1:
        raise ValueError("a certificate names a star (3–5) and a serial from 1")
    return f"PS-{year}-{stars}-{serial:04d}"
