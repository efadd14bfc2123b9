"""Pure rules of the public face: masking, reference numbers, the objection window.

No Django and no other app here: plain values in, plain values out (tests/public/test_rules.py).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

MAX_OBJECTION_TEXT = 1000
MAX_NAME = 32
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = ("image/jpeg", "image/png")

# Mainland mobile numbers (11 digits from 1[3-9]) and landlines with area code (0xx(x)-xxxxxxx(x)).
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")

# Reference numbers: "YJ" + date + 6 characters from an alphabet without look-alikes
# (no 0/O, 1/I/L), so a resident can read it over the phone. 30^6 ≈ 7×10^8 per day,
# and a lookup needs the phone's last four digits as well.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_REFERENCE = re.compile(r"^YJ(\d{8})-([" + REFERENCE_ALPHABET + r"]{6})$")


def normalise_phone(raw: str) -> str | None:
    """The phone as stored (digits, a landline keeps one hyphen), or None when it is not a phone number."""
    text = re.sub(r"[\s()（）]", "", raw or "").replace("－", "-")
    if text.startswith("+86"):
        text = text[3:]
    if _MOBILE.match(text):
        return text
    if _LANDLINE.match(text):
        return text
    return None


def phone_last_four(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    return digits[-4:]


def mask_phone(phone: str) -> str:
    """138****5678: the first three and last four digits; short numbers keep only the last two."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) >= 4:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


def mask_name(name: str) -> str:
    """张三丰 → 张**; a one-character name stays a single star."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    return name[0] + "*" * (len(name) - 1)


def make_reference(day: dt.date, *, token: str | None = None) -> str:
    """YJ20310415-K7M2QX: the filing day and six random characters."""
    if token is None:
        token = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    reference = f"YJ{day:%Y%m%d}-{token}"
    if not _REFERENCE.match(reference):
        raise ValueError("a reference token is six characters of REFERENCE_ALPHABET")
    return reference


def normalise_reference(raw: str) -> str | None:
    """A reference as typed (any case, spaces, the hyphen left out) → the stored form, or None."""
    text = re.sub(r"\s", "", raw or "").upper()
    match = re.match(r"^YJ(\d{8})-?(\w{6})$", text)
    if not match:
        return None
    candidate = f"YJ{match.group(1)}-{match.group(2)}"
    return candidate if _REFERENCE.match(candidate) else None


def window_open(*, last_day: dt.date | None, today: dt.date) -> bool:
    """An objection may be filed up to and including the notice's last day.

    ``None``: the last day is pending (the holiday calendar of a year it runs into is not
    entered yet), so the window is still open.
    """
    return last_day is None or today <= last_day


def last_four_matches(phone: str, given: str) -> bool:
    given = re.sub(r"\D", "", given or "")
    return len(given) == 4 and secrets.compare_digest(phone_last_four(phone), given)


PROCESSING = "processing"  # 受理中
DECLINED = "declined"  # 不予受理
DONE = "done"  # 已处理


def resident_status(*, status: str, objection_outcome: str | None) -> str:
    """What the resident is told: 受理中 until the county declines it or decides the formal objection."""
    if status == "declined":
        return DECLINED
    if status == "accepted" and objection_outcome not in (None, "pending"):
        return DONE
    return PROCESSING
