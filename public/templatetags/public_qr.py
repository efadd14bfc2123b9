"""``{% certificate_qr certificate %}``: the QR code printed on a certificate, linking to its public check page.

Drawn on the server with segno as a PNG data URI, so the page, the print-out and the
WeasyPrint PDF carry the same image and nothing is fetched from a network.
"""

from __future__ import annotations

from typing import Any

import segno
from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html

from public.tokens import certificate_token

register = template.Library()


def certificate_check_url(certificate_id: int, request: Any = None) -> str:
    path = reverse("public:certificate", args=[certificate_token(certificate_id)])
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL.rstrip("/") + path
    return request.build_absolute_uri(path) if request is not None else path


def qr_data_uri(text: str) -> str:
    return segno.make(text, error="m").png_data_uri(scale=4, border=4)


@register.simple_tag(takes_context=True)
def certificate_qr(context: template.Context, certificate: Any) -> str:
    url = certificate_check_url(certificate.pk, context.get("request"))
    return format_html(
        '<img class="cert-qr" src="{}" alt="{}" data-check-url="{}">',
        qr_data_uri(url),
        url,
        url,
    )


@register.simple_tag
def certificate_check_path(certificate_id: int) -> str:
    """The public check page of a certificate (the honour roll links each settlement to it)."""
    return reverse("public:certificate", args=[certificate_token(certificate_id)])
