"""命名授牌: the print-friendly certificate page and the Chinese PDF, read back with pdftotext."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse

from ratings import services
from ratings.templatetags.ratings_format import (
    days_between,
    format_score,
    format_signed,
    format_stars,
)
from tests.conftest import require_service
from tests.ratings.view_fixtures import (
    fresh,
    today,
)

SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"


def pdf_text(pdf: bytes, tmp_path) -> str:
    require_service("pdftotext (poppler-utils)", shutil.which("pdftotext") is not None)
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def test_final_rating_that_takes_effect_issues_a_certificate(certificate_a, settlement_a):
    assert (certificate_a.settlement, certificate_a.stars, certificate_a.year) == (
        settlement_a,
        5,
        today().year,
    )
    assert certificate_a.number


def test_certificate_page_is_print_friendly(client, login, official_a, certificate_a, settlement_a):
    html = (
        login(official_a)
        .get(reverse("ratings:certificate", args=[certificate_a.pk]))
        .content.decode()
    )
    assert settlement_a.name in html
    assert "五星" in html and f"{certificate_a.year} 年度" in html
    assert certificate_a.number in html
    assert reverse("ratings:certificate_pdf", args=[certificate_a.pk]) in html
    assert 'class="no-print cert-actions"' in html  # buttons are hidden when printed


def test_certificate_pdf_names_settlement_star_and_year_in_chinese(
    client, login, official_a, certificate_a, settlement_a, tmp_path
):
    response = login(official_a).get(reverse("ratings:certificate_pdf", args=[certificate_a.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert certificate_a.number in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    # kept for a human eye beside the browser screenshots (tests/screenshots is gitignored)
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "certificate.pdf").write_bytes(pdf)
    text = pdf_text(pdf, tmp_path)
    assert settlement_a.name in text  # 幸福苑: the CJK font is embedded, not tofu
    assert "五星" in text
    assert str(certificate_a.year) in text
    assert certificate_a.number in text
    assert "命名证书" in text


def test_certificate_pdf_embeds_the_noto_cjk_font(client, login, assessor, certificate_a, tmp_path):
    require_service("pdffonts (poppler-utils)", shutil.which("pdffonts") is not None)
    pdf = login(assessor).get(reverse("ratings:certificate_pdf", args=[certificate_a.pk])).content
    path = tmp_path / "c.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout.decode()
    assert "Noto-Sans-CJK-SC" in fonts  # embedded (emb = yes) in the rows that name it
    assert all(" yes " in line for line in fonts.splitlines() if "Noto-Sans-CJK" in line)


def test_outsider_gets_404_for_certificate_and_pdf(client, login, official_b, certificate_a):
    client = login(official_b)
    assert client.get(reverse("ratings:certificate", args=[certificate_a.pk])).status_code == 404
    assert (
        client.get(reverse("ratings:certificate_pdf", args=[certificate_a.pk])).status_code == 404
    )


def test_revoked_rating_voids_the_certificate(client, login, assessor, certificate_a):
    services.rating_revoke(rating=certificate_a.rating, by=assessor, reason="发生重大安全事故")
    assert fresh(certificate_a).revoked_at is not None
    client = login(assessor)
    page = client.get(reverse("ratings:certificate", args=[certificate_a.pk])).content.decode()
    assert "此证书已于" in page and "作废" in page and "发生重大安全事故" in page
    assert reverse("ratings:certificate_pdf", args=[certificate_a.pk]) not in page
    assert (
        client.get(reverse("ratings:certificate_pdf", args=[certificate_a.pk])).status_code == 410
    )


def test_settlement_page_links_the_certificate(
    client, login, official_a, certificate_a, settlement_a
):
    html = login(official_a).get(settlement_a.get_absolute_url()).content.decode()
    assert certificate_a.get_absolute_url() in html
    assert "年度五星聚居点" in html


# The formatting the certificate and every workflow page rely on (pure functions).


@pytest.mark.parametrize(
    "value,text",
    [(None, "—"), ("97", "97.0"), ("89.95", "90.0"), ("0", "0.0"), ("100.04", "100.0")],
)
def test_format_score(value, text):
    from decimal import Decimal

    assert format_score(None if value is None else Decimal(value)) == text


def test_format_signed_uses_a_minus_sign():
    from decimal import Decimal

    assert (
        format_signed(Decimal("2")),
        format_signed(Decimal("-3.25")),
        format_signed(Decimal(0)),
    ) == ("+2.0", "−3.3", "0.0")


def test_format_stars_and_days():
    import datetime as dt

    assert (format_stars(5), format_stars(0), format_stars(None)) == ("★★★★★", "", "")
    day = dt.date(2031, 4, 11)
    assert (
        days_between(day, dt.date(2031, 4, 1)),
        days_between(day, day),
        days_between(day, dt.date(2031, 4, 12)),
    ) == (10, 0, -1)


def test_certificate_is_signed_in_the_countys_name(login, official_a, certificate_a):
    from settlements.models import CountySettings

    url = reverse("ratings:certificate", args=[certificate_a.pk])
    assert (
        '<div class="cert-issuer">县聚居点星级评定工作领导小组</div>'
        in login(official_a).get(url).content.decode()
    )
    CountySettings.objects.create(county_name="屏山县")
    assert (
        '<div class="cert-issuer">屏山县聚居点星级评定工作领导小组</div>'
        in login(official_a).get(url).content.decode()
    )
