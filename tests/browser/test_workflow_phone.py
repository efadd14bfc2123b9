"""The quarterly workflow on a phone (390×844) in real headless Chromium.

An official logs in, fills the self-assessment with a photo and submits it; an assessor
logs in, reviews on site with a photo, finalises; the notice period passes; the star
shows on the settlement page. Screenshots land in tests/screenshots/ for a human eye.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import FilePayload, Page, expect

from ratings import services
from ratings.models import AssessmentStatus, Evidence, Rating, RatingStatus, SelfAssessment

# live_server needs committed rows; serialized_rollback gives each test the migrated data
# (rubric, role groups) even after another module's transactional test flushed them.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def png_photo() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (200, 220, 240))
    ImageDraw.Draw(image).rectangle((40, 60, 280, 200), fill=(183, 28, 28))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_photo() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 120, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


def item_id(rubric, code: str) -> int:
    return rubric.items.get(code=code).pk


def open_round(secretary):
    today = dt.date.today()
    rnd, _created = services.round_open(year=today.year, quarter=1, by=secretary, today=today)
    return rnd


def no_horizontal_scroll(page: Page) -> None:
    """At 390px nothing may push the page wider than the screen."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"page is {overflow}px wider than the phone"


def test_official_fills_and_submits_a_self_assessment_with_a_photo(
    page: Page,
    live_server,
    log_in,
    screenshot,
    official_a,
    secretary,
    settlement_a,
    settlement_b,
    rubric,
):
    page.set_default_timeout(30_000)
    rnd = open_round(secretary)
    sa = SelfAssessment.objects.get(round=rnd, settlement=settlement_a)

    log_in(official_a)
    # The official lands on the township's view; the round is one tap away.
    expect(page).to_have_url(re.compile(r"/dashboard/townships/\d+/$"))
    no_horizontal_scroll(page)
    screenshot("official-00-township")
    page.get_by_role("link", name="本轮自评").first.click()
    expect(page).to_have_url(re.compile(r"/ratings/$"))
    expect(page.locator("h1")).to_contain_text("第1季度")
    expect(page.get_by_text(settlement_a.name).first).to_be_visible()
    expect(page.get_by_text(settlement_b.name)).to_have_count(0)
    no_horizontal_scroll(page)
    screenshot("official-01-round")

    page.get_by_role("link", name="开始自评").click()
    expect(page.locator("h1")).to_contain_text(settlement_a.name)
    no_horizontal_scroll(page)
    screenshot("official-02-form-empty")

    # 组织建设 is open; two members missing from the 5员1长 team
    page.fill(f'input[name="occ_{item_id(rubric, "ZZ02")}"]', "2")
    # 环境整治 starts folded on a phone: open it, count one rubbish spot, add a photo
    page.locator("details.area summary", has_text="环境整治").click()
    hj01 = item_id(rubric, "HJ01")
    page.fill(f'input[name="occ_{hj01}"]', "1")
    page.fill(f'textarea[name="note_{hj01}"]', "东侧垃圾点一处，已清理")
    page.set_input_files(
        f'input[name="evidence_{hj01}"]',
        files=[FilePayload(name="垃圾点.png", mimeType="image/png", buffer=png_photo())],
    )
    # the running total is previewed while typing (the server computes the real one)
    expect(page.locator("[data-preview-total]")).to_have_text("97.0")
    expect(page.locator("[data-preview-stars]")).to_have_text("★★★★★")
    page.select_option('select[name="star_applied"]', "5")
    no_horizontal_scroll(page)
    screenshot("official-03-form-filled")
    screenshot("official-03b-form-on-screen", full_page=False)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="提交自评").click()
    expect(page.locator(".messages")).to_contain_text("自评已提交")
    expect(page.locator(".locked-notice")).to_contain_text("自评已提交，不能再修改")
    screenshot("official-04-submitted")

    sa = SelfAssessment.objects.get(pk=sa.pk)
    assert (sa.status, sa.score, sa.star_applied) == (
        AssessmentStatus.SUBMITTED,
        Decimal("97.0"),
        5,
    )
    photo = Evidence.objects.get(assessment=sa)
    assert (photo.original_name, photo.content_type, photo.item_id) == (
        "垃圾点.png",
        "image/png",
        hj01,
    )

    # the photo opens through the permission-checked view
    page.locator("details.area summary", has_text="环境整治").click()
    with page.expect_popup() as popup:
        page.get_by_role("link", name=re.compile("垃圾点.png")).click()
    assert popup.value.url.endswith(photo.get_absolute_url())


def test_assessor_reviews_finalises_and_the_star_shows_after_notice(
    page: Page,
    live_server,
    log_in,
    screenshot,
    official_a,
    assessor,
    secretary,
    settlement_a,
    settlement_b,
    rubric,
):
    page.set_default_timeout(30_000)
    rnd = open_round(secretary)
    sa = SelfAssessment.objects.get(round=rnd, settlement=settlement_a)
    codes = {item.code: item.pk for item in rubric.items.all()}
    saved = services.self_assessment_save(
        assessment=sa,
        by=official_a,
        items={codes["ZZ02"]: (2, ""), codes["HJ01"]: (1, "")},
        star_applied=5,
        expected_version=0,
    )
    services.self_assessment_submit(assessment=saved, by=official_a, expected_version=saved.version)

    log_in(assessor)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))  # the county dashboard
    page.get_by_role("link", name="考评队列").first.click()
    expect(page).to_have_url(re.compile(r"/ratings/queue/$"))
    expect(page.get_by_text(settlement_a.name).first).to_be_visible()
    expect(page.get_by_text("97.0").first).to_be_visible()
    no_horizontal_scroll(page)
    screenshot("assessor-01-queue")

    page.locator("tr", has_text=settlement_a.name).get_by_role("link", name="现场考评").click()
    expect(page.locator("h1")).to_contain_text("县级现场考评")
    page.fill('input[name="team_members"]', "张三、李四")
    page.fill(f'input[name="county_occ_{codes["ZZ02"]}"]', "2")
    page.locator("details.area summary", has_text="环境整治").click()
    page.fill(f'input[name="county_occ_{codes["HJ01"]}"]', "2")
    page.fill(f'textarea[name="county_note_{codes["HJ01"]}"]', "现场又发现一处")
    page.set_input_files(
        f'input[name="photos_{codes["HJ01"]}"]',
        files=[FilePayload(name="现场.jpg", mimeType="image/jpeg", buffer=jpeg_photo())],
    )
    expect(page.locator("[data-preview-total]")).to_have_text("96.0")
    expect(page.locator("[data-preview-gap]")).to_have_text("−1.0")
    no_horizontal_scroll(page)
    screenshot("assessor-02-review")
    screenshot("assessor-02b-review-on-screen", full_page=False)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="定分并公示").click()
    expect(page.locator(".messages")).to_contain_text("进入公示")
    no_horizontal_scroll(page)
    screenshot("assessor-03-rating-notice")

    rating = Rating.objects.get(settlement=settlement_a, round=rnd)
    assert (rating.status, rating.score, rating.awarded_stars) == (
        RatingStatus.NOTICE,
        Decimal("96.0"),
        5,
    )
    assert (
        Evidence.objects.get(assessment=sa, side=Evidence.SIDE_COUNTY).original_name == "现场.jpg"
    )

    # the notice period passes without objection
    assert services.rating_take_effect(
        rating=rating, today=rating.notice_ends_on + dt.timedelta(days=1)
    )

    page.goto(f"{live_server.url}{settlement_a.get_absolute_url()}")
    expect(page.locator(".current-star")).to_contain_text("★★★★★")
    expect(page.get_by_text("公示期满生效").first).to_be_visible()
    no_horizontal_scroll(page)
    screenshot("assessor-04-settlement-star")

    # and the township sees the county's result item by item
    page.context.clear_cookies()
    log_in(official_a)
    page.goto(f"{live_server.url}/ratings/self/{sa.pk}/result/")
    expect(page.locator(".result-summary")).to_contain_text("96.0")
    no_horizontal_scroll(page)
    screenshot("official-05-result")


def test_rectification_and_certificate_pages_on_a_phone(
    page: Page,
    live_server,
    log_in,
    screenshot,
    official_a,
    assessor,
    secretary,
    settlement_a,
    settlement_b,
    rubric,
):
    """A final rating with a flagged item: the certificate prints, the township answers the order."""
    page.set_default_timeout(30_000)
    today = dt.date.today()
    rnd, _created = services.round_open(
        year=today.year, quarter=4, by=secretary, today=today, allow_early=True
    )
    sa = SelfAssessment.objects.get(round=rnd, settlement=settlement_a)
    codes = {item.code: item.pk for item in rubric.items.all()}
    saved = services.self_assessment_save(
        assessment=sa,
        by=official_a,
        items={codes["HJ01"]: (1, "")},
        star_applied=5,
        expected_version=0,
    )
    services.self_assessment_submit(assessment=saved, by=official_a, expected_version=saved.version)
    review = services.review_save(
        assessment=sa,
        by=assessor,
        items={codes["HJ01"]: (1, "", ""), codes["AQ01"]: (2, "电线老化", "")},
        visit_date=today,
        team_members="张三",
        notes="",
        total_gap_reason="",
        expected_version=0,
    )
    rating = services.review_finalise(review=review, by=assessor)
    assert services.rating_take_effect(
        rating=rating, today=rating.notice_ends_on + dt.timedelta(days=1)
    )
    rating.refresh_from_db()
    rectification = rating.rectifications.get()
    services.rectification_issue(
        rectification=rectification,
        by=assessor,
        deadline=today + dt.timedelta(days=15),
        requirements="更换老化电线",
    )

    log_in(official_a)
    page.goto(f"{live_server.url}{rating.certificate.get_absolute_url()}")
    expect(page.locator(".certificate")).to_contain_text(settlement_a.name)
    expect(page.locator(".cert-star")).to_contain_text("五星")
    no_horizontal_scroll(page)
    screenshot("official-06-certificate")

    page.goto(f"{live_server.url}{rectification.get_absolute_url()}")
    page.fill('textarea[name="answer"]', "已更换全部老化电线")
    page.set_input_files(
        'input[name="evidence"]',
        files=[FilePayload(name="电线.png", mimeType="image/png", buffer=png_photo())],
    )
    no_horizontal_scroll(page)
    screenshot("official-07-rectification-answer")
    page.get_by_role("button", name="提交整改情况").click()
    expect(page.locator(".messages")).to_contain_text("整改情况已提交")
    expect(page.get_by_role("link", name=re.compile("电线.png"))).to_be_visible()
    rectification.refresh_from_db()
    assert (rectification.status, rectification.answer) == ("answered", "已更换全部老化电线")
