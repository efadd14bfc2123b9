"""The QR code printed on a certificate PDF, read back as a phone would: render the page
(pdftoppm), decode the code (zbarimg), open what it says, and see the live status."""

from __future__ import annotations

import shutil
import subprocess

from django.urls import reverse

from ratings import services as rating_services
from tests.conftest import require_service


def qr_codes_in_pdf(pdf: bytes, tmp_path) -> list[str]:
    require_service("pdftoppm (poppler-utils)", shutil.which("pdftoppm") is not None)
    require_service("zbarimg (zbar-tools)", shutil.which("zbarimg") is not None)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "200", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
        check=True,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages, "pdftoppm rendered nothing"
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(pages[0])],
        capture_output=True,
    )
    return result.stdout.decode().split()


def test_qr_code_read_back_from_the_pdf_opens_the_live_page(
    client, login, official_a, assessor, certificate_a, tmp_path
):
    pdf = login(official_a).get(reverse("ratings:certificate_pdf", args=[certificate_a.pk])).content
    client.logout()

    codes = qr_codes_in_pdf(pdf, tmp_path)

    assert len(codes) == 1
    url = codes[0]
    assert url.startswith("http://testserver/public/certificates/")
    page = client.get(url.removeprefix("http://testserver"))
    assert page.status_code == 200 and 'data-state="valid"' in page.content.decode()

    rating_services.rating_downgrade(
        rating=certificate_a.rating, by=assessor, reason="发生安全事故"
    )

    html = client.get(url.removeprefix("http://testserver")).content.decode()
    assert 'data-state="downgraded"' in html and "已作废" in html
    assert "newer-certificate" in html  # the new certificate at the lower star


def test_qr_code_uses_the_configured_public_address(
    client, login, official_a, certificate_a, tmp_path, settings
):
    settings.PUBLIC_BASE_URL = "https://stars.example.gov.cn"
    pdf = login(official_a).get(reverse("ratings:certificate_pdf", args=[certificate_a.pk])).content
    assert qr_codes_in_pdf(pdf, tmp_path)[0].startswith(
        "https://stars.example.gov.cn/public/certificates/"
    )
