"""What a field photo says about itself: EXIF time and GPS, perceptual hash, and the flags.

Reading is forgiving: a photo Pillow cannot decode, or one without EXIF, is kept and
flagged ("no time", "no place"); the checks never refuse an upload. The flag rules are
pure functions in ``ratings.evidence_rules``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

import imagehash
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from PIL import ExifTags, Image, UnidentifiedImageError

from settlements.county import county_settings

from .. import evidence_rules
from ..models import Evidence, EvidenceHashBand

_MICRO = Decimal("0.000001")


@dataclasses.dataclass(frozen=True)
class PhotoFacts:
    taken_at: dt.datetime | None  # camera local time, naive
    position: tuple[float, float] | None  # (latitude, longitude), WGS-84 degrees
    phash: str  # 16 hex digits, "" when the picture could not be decoded


NO_FACTS = PhotoFacts(taken_at=None, position=None, phash="")


def _position(gps: Any) -> tuple[float, float] | None:
    try:
        lat = evidence_rules.gps_to_degrees(
            gps[ExifTags.GPS.GPSLatitude], str(gps.get(ExifTags.GPS.GPSLatitudeRef, "N"))
        )
        lon = evidence_rules.gps_to_degrees(
            gps[ExifTags.GPS.GPSLongitude], str(gps.get(ExifTags.GPS.GPSLongitudeRef, "E"))
        )
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        # (0, 0) is what some phones write when the fix failed.
        return None
    return lat, lon


def photo_facts(handle: IO[bytes]) -> PhotoFacts:
    """Read the time, place and perceptual hash of a JPEG or PNG; NO_FACTS if unreadable."""
    try:
        with Image.open(handle) as img:
            exif = img.getexif()
            exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
            when = exif_ifd.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
            taken_at = evidence_rules.parse_exif_datetime(str(when)) if when else None
            gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
            position = _position(gps) if gps else None
            # A phone photo decodes at 1/8 size for the hash: quick, and the hash is of a 32×32 thumbnail anyway.
            img.draft("L", (256, 256))
            phash = str(imagehash.phash(img))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return NO_FACTS
    return PhotoFacts(taken_at=taken_at, position=position, phash=phash)


def _window(evidence: Evidence) -> tuple[dt.date | None, dt.date | None] | None:
    assessment = evidence.assessment
    if assessment is not None:
        rnd = assessment.round
        return rnd.opened_on, rnd.review_deadline
    rect = evidence.rectification
    if rect is None or rect.issued_at is None:
        return None
    return timezone.localdate(rect.issued_at), rect.deadline


def _round_id(evidence: Evidence) -> int | None:
    assessment = evidence.assessment
    if assessment is not None:
        return assessment.round_id
    rectification = evidence.rectification
    return rectification.rating.round_id if rectification is not None else None


def _reused(evidence: Evidence, phash: str) -> bool:
    """The same or nearly the same picture already attached for another settlement or round."""
    if not phash:
        return False
    round_id = _round_id(evidence)
    same_band = Q()
    for band, value in enumerate(evidence_rules.hash_bands(phash)):
        same_band |= Q(band=band, value=value)
    candidates = (
        EvidenceHashBand.objects.filter(same_band)
        .exclude(evidence_id=evidence.pk)
        .values("evidence_id")
    )
    others = (
        Evidence.objects.filter(pk__in=candidates)
        .annotate(
            of_round=Coalesce(F("assessment__round_id"), F("rectification__rating__round_id"))
        )
        .filter(~Q(settlement_id=evidence.settlement_id) | ~Q(of_round=round_id))
        .values_list("phash", flat=True)
    )
    return evidence_rules.is_near_duplicate(phash, others)


def _decimal(value: float) -> Decimal:
    return Decimal(str(value)).quantize(_MICRO, rounding=ROUND_HALF_UP)


def evidence_inspect(*, evidence: Evidence, facts: PhotoFacts | None = None) -> Evidence:
    """Store what a photo says about itself and its flags; PDFs are documents and carry none.

    Called by ``evidence_add`` inside its transaction; callable again later (the flags
    depend on the settlement's coordinates and on the other photos known at the time).
    """
    if not evidence.is_image:
        return evidence
    if facts is None:
        try:
            with evidence.file.open("rb") as handle:
                facts = photo_facts(handle)
        except FileNotFoundError:
            facts = NO_FACTS
    settlement = evidence.settlement
    reference = None
    if settlement.latitude is not None and settlement.longitude is not None:
        reference = (float(settlement.latitude), float(settlement.longitude))
    flags = evidence_rules.photo_flags(
        taken_on=facts.taken_at.date() if facts.taken_at else None,
        position=facts.position,
        window=_window(evidence),
        reference=reference,
        max_distance_km=float(county_settings().photo_max_distance_km),
        reused=_reused(evidence, facts.phash),
    )
    evidence.taken_at = (
        timezone.make_aware(facts.taken_at, timezone.get_current_timezone())
        if facts.taken_at
        else None
    )
    evidence.taken_latitude = _decimal(facts.position[0]) if facts.position else None
    evidence.taken_longitude = _decimal(facts.position[1]) if facts.position else None
    evidence.phash = facts.phash
    evidence.flags = flags
    evidence.flagged = bool(flags)
    evidence.save(
        update_fields=["taken_at", "taken_latitude", "taken_longitude", "phash", "flags", "flagged"]
    )
    EvidenceHashBand.objects.filter(evidence=evidence).delete()
    if facts.phash:
        EvidenceHashBand.objects.bulk_create(
            EvidenceHashBand(evidence=evidence, band=band, value=value)
            for band, value in enumerate(evidence_rules.hash_bands(facts.phash))
        )
    return evidence
