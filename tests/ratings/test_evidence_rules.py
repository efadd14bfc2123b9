"""The photo checks as pure functions: distance, window, hash distance, EXIF parsing, flags."""

import datetime as dt
from fractions import Fraction
from typing import Any

import pytest

from ratings import evidence_rules as er

D = dt.date


def test_haversine_known_distances():
    assert er.haversine_km(28.0, 104.0, 28.0, 104.0) == 0
    # One degree of latitude is about 111.2 km everywhere.
    assert er.haversine_km(28.0, 104.0, 29.0, 104.0) == pytest.approx(111.19, abs=0.05)
    # Beijing to Shanghai, about 1068 km.
    assert er.haversine_km(39.9042, 116.4074, 31.2304, 121.4737) == pytest.approx(1067.3, abs=2)


@pytest.mark.parametrize(
    ("taken", "inside"),
    [
        (D(2031, 3, 31), False),
        (D(2031, 4, 1), True),
        (D(2031, 4, 30), True),
        (D(2031, 5, 1), False),
    ],
)
def test_window_includes_both_ends(taken, inside):
    assert er.taken_within(taken, D(2031, 4, 1), D(2031, 4, 30)) is inside


def test_window_with_open_end():
    assert er.taken_within(D(2040, 1, 1), D(2031, 4, 1), None) is True
    assert er.taken_within(D(2000, 1, 1), None, D(2031, 4, 1)) is True


def test_hash_distance_counts_differing_bits():
    assert er.hash_distance("0000000000000000", "0000000000000000") == 0
    assert er.hash_distance("0000000000000000", "0000000000000007") == 3
    assert er.hash_distance("ffffffffffffffff", "0000000000000000") == 64
    with pytest.raises(ValueError):
        er.hash_distance("00", "0000")


def test_near_duplicate_threshold_both_sides():
    base = "0000000000000000"
    at_limit = "000000000000000f"  # 4 bits
    beyond = "000000000000001f"  # 5 bits
    assert er.is_near_duplicate(base, [at_limit]) is True
    assert er.is_near_duplicate(base, [beyond]) is False
    assert er.is_near_duplicate(base, []) is False
    assert er.is_near_duplicate("", [base]) is False  # an undecodable picture matches nothing


def test_hash_bands_cover_the_64_bits():
    assert sum(er.BAND_WIDTHS) == 64
    assert er.hash_bands("0000000000000000") == [0, 0, 0, 0, 0]
    assert er.hash_bands("ffffffffffffffff") == [8191, 8191, 8191, 8191, 4095]
    assert er.hash_bands("8000000000000001") == [4096, 0, 0, 0, 1]


def test_near_duplicates_always_share_a_band():
    """Pigeonhole: within NEAR_DUPLICATE_BITS, at least one band is identical (so the index finds it)."""
    import random

    rng = random.Random(14)
    for _ in range(500):
        base = rng.getrandbits(64)
        flipped = base
        for bit in rng.sample(range(64), er.NEAR_DUPLICATE_BITS):
            flipped ^= 1 << bit
        a, b = f"{base:016x}", f"{flipped:016x}"
        assert er.is_near_duplicate(a, [b])
        assert any(x == y for x, y in zip(er.hash_bands(a), er.hash_bands(b), strict=True))


def test_gps_to_degrees_signs_by_reference():
    assert er.gps_to_degrees((Fraction(28), Fraction(30), Fraction(36)), "N") == pytest.approx(
        28.51
    )
    assert er.gps_to_degrees((28.0, 30.0, 36.0), "S") == pytest.approx(-28.51)
    assert er.gps_to_degrees((104.0, 15.0, 0.0), "W") == pytest.approx(-104.25)


def test_parse_exif_datetime():
    assert er.parse_exif_datetime("2031:04:10 09:30:00") == dt.datetime(2031, 4, 10, 9, 30)  # noqa: DTZ001
    assert er.parse_exif_datetime("2031:04:10 09:30:00\x00") == dt.datetime(2031, 4, 10, 9, 30)  # noqa: DTZ001
    assert er.parse_exif_datetime("    :  :     :  :  ") is None
    assert er.parse_exif_datetime("") is None


WINDOW = (D(2031, 4, 1), D(2031, 4, 30))
HERE = (28.0, 104.0)


def flags(**kw):
    base: dict[str, Any] = {
        "taken_on": D(2031, 4, 10),
        "position": HERE,
        "window": WINDOW,
        "reference": HERE,
        "max_distance_km": 2.0,
        "reused": False,
    }
    base.update(kw)
    return er.photo_flags(**base)


def test_a_good_photo_has_no_flags():
    assert flags() == []


def test_each_flag():
    assert flags(taken_on=None) == [er.NO_TIME]
    assert flags(taken_on=D(2031, 3, 1)) == [er.OUTSIDE_WINDOW]
    assert flags(position=None) == [er.NO_PLACE]
    assert flags(reference=None) == [er.NO_REFERENCE]
    assert flags(reused=True) == [er.REUSED]
    assert flags(taken_on=None, position=None) == [er.NO_TIME, er.NO_PLACE]


def test_distance_limit_both_sides():
    # 0.018 degrees of latitude ≈ 2.0 km.
    assert flags(position=(28.0 + 0.0179, 104.0)) == []
    assert flags(position=(28.0 + 0.0181, 104.0)) == [er.TOO_FAR]
    assert flags(position=(28.0 + 0.0181, 104.0), max_distance_km=5.0) == []


def test_a_rectification_without_window_checks_no_dates():
    assert flags(window=None, taken_on=D(1999, 1, 1)) == []
