"""Checks on a field photo's time, place and originality: pure functions, no Django.

A flag never refuses an upload: a photo without GPS may still be honest evidence. The
flags tell the county assessor where to look twice (the review page, the evidence list
and the county's list of flagged evidence show them).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction

# Stable flag codes stored on the evidence row; the labels are translated where shown.
NO_TIME = "no_time"
NO_PLACE = "no_place"
OUTSIDE_WINDOW = "outside_window"
TOO_FAR = "too_far"
NO_REFERENCE = "no_reference"
REUSED = "reused"
FLAG_CODES = (NO_TIME, NO_PLACE, OUTSIDE_WINDOW, TOO_FAR, NO_REFERENCE, REUSED)

DEFAULT_MAX_DISTANCE_KM = Decimal("2.0")
# Perceptual hashes (64 bits) of the same picture shrunk or re-encoded differ by a few
# bits; two different scenes differ by twenty or more.
NEAR_DUPLICATE_BITS = 4
# The hash is cut into NEAR_DUPLICATE_BITS + 1 bands: two hashes within the limit agree
# exactly on at least one band (pigeonhole), so an index on the bands finds the few
# candidates instead of comparing with every photo ever uploaded (multi-index hashing).
BAND_WIDTHS = (13, 13, 13, 13, 12)

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two WGS-84 points (degrees)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def taken_within(taken_on: dt.date, start: dt.date | None, end: dt.date | None) -> bool:
    """Whether a photo's date falls in the window (both ends included; an open end is no limit)."""
    if start is not None and taken_on < start:
        return False
    return not (end is not None and taken_on > end)


def hash_distance(a: str, b: str) -> int:
    """Hamming distance between two hex perceptual hashes of the same length."""
    if len(a) != len(b):
        raise ValueError("hashes of different lengths")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def is_near_duplicate(
    phash: str, others: Iterable[str], max_bits: int = NEAR_DUPLICATE_BITS
) -> bool:
    """Whether any of ``others`` is the same or nearly the same picture as ``phash``."""
    if not phash:
        return False
    return any(
        other and len(other) == len(phash) and hash_distance(phash, other) <= max_bits
        for other in others
    )


def hash_bands(phash: str) -> list[int]:
    """The 64-bit hex hash cut into len(BAND_WIDTHS) integers, most significant band first."""
    value = int(phash, 16)
    bands = []
    shift = 64
    for width in BAND_WIDTHS:
        shift -= width
        bands.append((value >> shift) & ((1 << width) - 1))
    return bands


def gps_to_degrees(value: Sequence[float | Fraction], ref: str) -> float:
    """EXIF GPS (degrees, minutes, seconds) and its N/S/E/W reference as signed decimal degrees."""
    degrees, minutes, seconds = (float(part) for part in value)
    result = degrees + minutes / 60 + seconds / 3600
    return -result if ref.strip().upper() in ("S", "W") else result


def parse_exif_datetime(text: str) -> dt.datetime | None:
    """EXIF ``YYYY:MM:DD HH:MM:SS`` (camera local time) as a naive datetime; None if unreadable."""
    text = (text or "").strip().rstrip("\x00")
    for fmt in ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M"):
        try:
            return dt.datetime.strptime(text, fmt)  # noqa: DTZ007 - EXIF time carries no zone
        except ValueError:
            continue
    return None


def photo_flags(
    *,
    taken_on: dt.date | None,
    position: tuple[float, float] | None,
    window: tuple[dt.date | None, dt.date | None] | None,
    reference: tuple[float, float] | None,
    max_distance_km: float,
    reused: bool,
) -> list[str]:
    """The flag codes of one photo, in a stable order.

    ``window`` is the round's (or the rectification's) period, None when it has none;
    ``reference`` the settlement's coordinates, None when nobody entered them.
    """
    flags: list[str] = []
    if taken_on is None:
        flags.append(NO_TIME)
    elif window is not None and not taken_within(taken_on, *window):
        flags.append(OUTSIDE_WINDOW)
    if position is None:
        flags.append(NO_PLACE)
    elif reference is None:
        flags.append(NO_REFERENCE)
    elif haversine_km(*position, *reference) > max_distance_km:
        flags.append(TOO_FAR)
    if reused:
        flags.append(REUSED)
    return flags
