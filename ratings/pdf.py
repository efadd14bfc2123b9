"""Certificates (命名授牌) as a Chinese PDF.

WeasyPrint lays out an HTML template; the CJK glyphs come from the system's Noto Sans
CJK SC (Debian's fonts-noto-cjk, installed by .ci/run), so nothing is fetched at
render time and the county's closed network is no obstacle.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string

from settlements.county import county_settings

CERTIFICATE_FONT = "Noto Sans CJK SC"


def certificate_pdf_bytes(certificate: Any, *, request: HttpRequest | None = None) -> bytes:
    from weasyprint import HTML  # imported here: loading pango is slow and only PDFs need it

    html = render_to_string(
        "ratings/certificate_pdf.html",
        {
            "certificate": certificate,
            "settlement": certificate.settlement,
            "font": CERTIFICATE_FONT,
            "issuer": county_settings().certificate_issuer,  # the county named on the plaque
        },
        request=request,
    )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
