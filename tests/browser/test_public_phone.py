"""The public face on a phone (390×844) in real headless Chromium, as an anonymous resident.

The 公示 board lists exactly the ratings in notice; a resident files an objection with a
photo, gets a reference number, and follows it while the county accepts and hears it; the
rate limit answers in Chinese; a certificate's QR code, read back from its PDF, opens the
live status page, which follows a downgrade.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess

import pytest
from django.core.cache import cache
from playwright.sync_api import FilePayload, Page, expect

from public.models import ResidentObjection, ResidentObjectionStatus
from ratings import services
from ratings.models import RatingStatus, SelfAssessment
from tests.conftest import require_service

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = "13712345678"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def png_photo() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def no_horizontal_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"page is {overflow}px wider than the phone"


def rate(settlement, official, assessor, rnd, *, take_effect: bool = False):
    sa = SelfAssessment.objects.get(round=rnd, settlement=settlement)
    codes = {item.code: item.pk for item in sa.rubric.items.all()}
    saved = services.self_assessment_save(
        assessment=sa,
        by=official,
        items={codes["HJ01"]: (1, "")},
        star_applied=5,
        expected_version=0,
    )
    services.self_assessment_submit(assessment=saved, by=official, expected_version=saved.version)
    review = services.review_save(
        assessment=SelfAssessment.objects.get(pk=sa.pk),
        by=assessor,
        items={codes["HJ01"]: (1, "现场核查", "")},
        visit_date=dt.date.today(),
        team_members="",
        notes="",
        total_gap_reason="",
        expected_version=0,
    )
    rating = services.review_finalise(review=review, by=assessor)
    if take_effect:
        services.rating_take_effect(
            rating=rating, today=rating.notice_ends_on + dt.timedelta(days=1)
        )
        rating.refresh_from_db()
    return rating


def test_resident_objects_from_the_board_and_follows_it(
    page: Page,
    live_server,
    log_in,
    screenshot,
    settings,
    official_a,
    official_b,
    assessor,
    assessor2,
    secretary,
    settlement_a,
    settlement_b,
    rubric,
):
    page.set_default_timeout(30_000)
    settings.PUBLIC_OBJECTION_RATE_PHONE = "1/d"
    today = dt.date.today()
    rnd, _created = services.round_open(
        year=today.year, quarter=1, by=secretary, today=today, allow_early=True
    )
    in_notice = rate(settlement_a, official_a, assessor, rnd)
    effective = rate(settlement_b, official_b, assessor, rnd, take_effect=True)
    assert (in_notice.status, effective.status) == (RatingStatus.NOTICE, RatingStatus.EFFECTIVE)

    # The board: exactly the rating in notice, grouped by township, readable at 390 px.
    page.goto(f"{live_server.url}/public/")
    rows = page.locator("tr.board-row")
    expect(rows).to_have_count(1)
    assert rows.first.get_attribute("data-rating") == str(in_notice.pk)
    expect(page.locator("main")).to_contain_text(settlement_a.name)
    expect(page.locator("main")).not_to_contain_text(settlement_b.name)
    expect(page.locator(".how-to-object")).to_contain_text("如何提出异议")
    assert not [c for c in page.context.cookies() if c["name"] == "sessionid"]
    no_horizontal_scroll(page)
    screenshot("public-01-board")

    # The resident objects, with a photo.
    page.get_by_role("link", name="提出异议").click()
    expect(page.locator("h1")).to_contain_text("提出异议")
    page.fill('textarea[name="text"]', "东侧垃圾点已经一周没有清运。")
    page.set_input_files(
        'input[name="photo"]',
        files=[FilePayload(name="垃圾点.png", mimeType="image/png", buffer=png_photo())],
    )
    page.fill('input[name="name"]', "孙小红")
    page.fill('input[name="phone"]', PHONE)
    no_horizontal_scroll(page)
    screenshot("public-02-objection-form")
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator("h1")).to_have_text("异议已提交")
    reference = page.locator("#reference").inner_text()
    filed = ResidentObjection.objects.get()
    assert reference == filed.reference and filed.photo_type == "image/png"
    screenshot("public-03-filed")

    # Its status, with the reference and the phone's last four digits.
    page.get_by_role("link", name="查询办理结果").click()
    page.fill('input[name="last_four"]', PHONE[-4:])
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".status-card")).to_contain_text("受理中")
    expect(page.locator("main")).not_to_contain_text("孙小红")
    no_horizontal_scroll(page)
    screenshot("public-04-status-processing")

    # Filing again from the same phone today is over the limit: a 429 in Chinese.
    page.goto(f"{live_server.url}/public/ratings/{in_notice.pk}/objection/")
    page.fill('textarea[name="text"]', "再补充一条。")
    page.fill('input[name="name"]', "孙小红")
    page.fill('input[name="phone"]', PHONE)
    with page.expect_response(re.compile(r"/objection/$")) as response:
        page.get_by_role("button", name="提交异议").click()
    assert response.value.status == 429
    expect(page.locator("h1")).to_have_text("操作过于频繁")
    expect(page.locator("[data-code=rate_limited]")).to_contain_text("提交次数过多")
    screenshot("public-05-rate-limited")
    assert ResidentObjection.objects.count() == 1

    # The county's queue: the assessor sees it masked, opens it, accepts it.
    log_in(assessor)
    page.get_by_role("link", name="群众异议").first.click()
    expect(page).to_have_url(re.compile(r"/public/queue/$"))
    row = page.locator("tr.pending-row", has_text=reference)
    expect(row).to_contain_text("孙**")
    expect(row).to_contain_text("137****5678")
    no_horizontal_scroll(page)
    screenshot("public-06-queue")
    row.get_by_role("link", name=reference).click()
    expect(page.locator("main")).to_contain_text("孙小红")
    expect(page.locator("main")).to_contain_text(PHONE)
    page.get_by_role("button", name="受理", exact=True).click()
    expect(page.locator(".resident-status")).to_have_text("已受理")
    screenshot("public-07-accepted")
    filed.refresh_from_db()
    assert filed.status == ResidentObjectionStatus.ACCEPTED

    # An assessor who did not review hears it; the resident reads the outcome.
    services.objection_decide(
        objection=filed.objection,
        by=assessor2,
        outcome="rejected",
        reasons="现场复核，垃圾已按期清运。",
    )
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/public/objections/status/?reference={reference}")
    page.fill('input[name="last_four"]', PHONE[-4:])
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".status-card")).to_contain_text("已处理")
    expect(page.locator(".status-card")).to_contain_text("现场复核，垃圾已按期清运。")
    screenshot("public-08-status-done")


def test_certificate_qr_from_the_pdf_opens_its_live_page(
    page: Page,
    live_server,
    log_in,
    screenshot,
    tmp_path,
    official_a,
    assessor,
    secretary,
    settlement_a,
    settlement_b,
    rubric,
):
    require_service("pdftoppm (poppler-utils)", shutil.which("pdftoppm") is not None)
    require_service("zbarimg (zbar-tools)", shutil.which("zbarimg") is not None)
    page.set_default_timeout(30_000)
    today = dt.date.today()
    rnd, _created = services.round_open(
        year=today.year, quarter=4, by=secretary, today=today, allow_early=True
    )
    rating = rate(settlement_a, official_a, assessor, rnd, take_effect=True)
    certificate = rating.certificate

    log_in(official_a)
    pdf = page.request.get(f"{live_server.url}/ratings/certificates/{certificate.pk}/pdf/")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    (tmp_path / "c.pdf").write_bytes(pdf.body())
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "200",
            "-f",
            "1",
            "-l",
            "1",
            str(tmp_path / "c.pdf"),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    image = sorted(tmp_path.glob("p*.png"))[0]
    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, check=True
    )
    url = decoded.stdout.decode().strip()
    assert url.startswith(f"{live_server.url}/public/certificates/")

    page.context.clear_cookies()  # whoever scans the plaque is nobody in particular
    page.goto(url)
    expect(page.locator(".status-card")).to_contain_text("有效")
    expect(page.locator("main")).to_contain_text(settlement_a.name)
    expect(page.locator(".current-star")).to_contain_text("五星")
    no_horizontal_scroll(page)
    screenshot("public-09-certificate-valid")

    services.rating_downgrade(rating=rating, by=assessor, reason="发生安全事故")
    page.reload()
    expect(page.locator(".status-card")).to_contain_text("已作废")
    expect(page.locator(".newer-certificate")).to_contain_text("四星")
    expect(page.locator(".current-star")).to_contain_text("四星")
    screenshot("public-10-certificate-downgraded")
