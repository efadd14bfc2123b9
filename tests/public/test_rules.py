"""The public face's pure rules: plain values in, plain values out, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from public import rules

DAY = dt.date(2031, 4, 15)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 13812345678", "13812345678"),
        ("0817-7221234", "0817-7221234"),
        ("08177221234", "08177221234"),
        ("12812345678", None),  # no mobile starts 12
        ("1381234567", None),  # ten digits
        ("138123456789", None),
        ("hello", None),
        ("", None),
    ],
)
def test_normalise_phone(raw, stored):
    assert rules.normalise_phone(raw) == stored


def test_mask_phone_keeps_first_three_and_last_four():
    assert rules.mask_phone("13812345678") == "138****5678"
    assert rules.mask_phone("0817-7221234") == "081****1234"
    assert rules.mask_phone("010-1234567") == "********67"
    assert rules.mask_phone("") == ""


def test_mask_name_keeps_only_the_family_name():
    assert rules.mask_name("张三丰") == "张**"
    assert rules.mask_name("李四") == "李*"
    assert rules.mask_name("王") == "*"
    assert rules.mask_name("  ") == ""


def test_reference_has_the_day_and_six_readable_characters():
    reference = rules.make_reference(DAY)
    assert reference.startswith("YJ20310415-")
    token = reference.split("-")[1]
    assert len(token) == 6 and set(token) <= set(rules.REFERENCE_ALPHABET)
    assert not set("01IOL") & set(rules.REFERENCE_ALPHABET)  # nothing to misread over the phone


def test_reference_refuses_a_token_outside_the_alphabet():
    assert rules.make_reference(DAY, token="ABCDEF") == "YJ20310415-ABCDEF"
    with pytest.raises(ValueError):
        rules.make_reference(DAY, token="ABCDE0")
    with pytest.raises(ValueError):
        rules.make_reference(DAY, token="ABC")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("YJ20310415-ABCDEF", "YJ20310415-ABCDEF"),
        (" yj20310415-abcdef ", "YJ20310415-ABCDEF"),
        ("YJ20310415ABCDEF", "YJ20310415-ABCDEF"),
        ("YJ 20310415 - ABCDEF", "YJ20310415-ABCDEF"),
        ("YJ20310415-ABCDE0", None),
        ("XX20310415-ABCDEF", None),
        ("", None),
    ],
)
def test_normalise_reference(typed, stored):
    assert rules.normalise_reference(typed) == stored


def test_window_is_open_through_its_last_day_and_closed_the_day_after():
    assert rules.window_open(last_day=DAY, today=DAY - dt.timedelta(days=3))
    assert rules.window_open(last_day=DAY, today=DAY)
    assert not rules.window_open(last_day=DAY, today=DAY + dt.timedelta(days=1))


def test_last_four_digits_must_match_exactly():
    assert rules.last_four_matches("13812345678", "5678")
    assert not rules.last_four_matches("13812345678", "5679")
    assert not rules.last_four_matches("13812345678", "678")
    assert not rules.last_four_matches("13812345678", "")


@pytest.mark.parametrize(
    ("status", "outcome", "told"),
    [
        ("pending", None, rules.PROCESSING),
        ("accepted", "pending", rules.PROCESSING),
        ("accepted", "rejected", rules.DONE),
        ("accepted", "upheld", rules.DONE),
        ("declined", None, rules.DECLINED),
    ],
)
def test_what_the_resident_is_told(status, outcome, told):
    assert rules.resident_status(status=status, objection_outcome=outcome) == told
