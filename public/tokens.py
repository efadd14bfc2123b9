"""The token a certificate's QR code carries: the certificate's id, signed.

Certificate numbers (PS-2031-5-0001) are sequential and easy to guess; a signed id
cannot be forged, needs no column, and keeps working across key rotations when the old
key is listed in SECRET_KEY_FALLBACKS (a plaque hangs on a wall for years).
"""

from __future__ import annotations

from django.core import signing


def _signer() -> signing.Signer:
    # Made per call: a Signer keeps the keys it was made with.
    return signing.Signer(salt="public.certificate-check", sep=".")


def certificate_token(certificate_id: int) -> str:
    return _signer().sign(str(certificate_id))


def certificate_id_from_token(token: str) -> int | None:
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None
