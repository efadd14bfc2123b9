# ruff: noqa: F811 - fixtures are imported from tests.ratings.view_fixtures and requested by name
"""今日考评 on a phone (390×844) in Debian Chromium: offline, reload, back online, stored once.

The assessor saves the day's settlement to the phone while online, loses the signal,
scores and photographs on site, reloads the page (the service worker serves it, the
entries come back from IndexedDB), and when the signal returns the draft and the photo
reach the server by themselves, once. An answer lost on the way is retried under the
same id and still stores one row; a draft changed on the server meanwhile shows both
versions.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ratings import services
from ratings.models import Evidence, Review, SyncReceipt
from tests.browser.field_helpers import (  # noqa: F401 - no_worker_page is a fixture
    camera_photo,
    log_in_on,
    lose_first_answers,
    no_horizontal_scroll,
    no_worker_page,
    save_to_phone,
    wait_until_lost,
)
from tests.ratings.view_fixtures import (  # noqa: F401 - fixtures
    items_by_code,
    round_now,
    sa_a,
    self_submit,
    submitted_a,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_review_filled_offline_survives_a_reload_and_reaches_the_server_once(
    page, context, live_server, log_in, assessor, submitted_a, screenshot
):
    zz02 = items_by_code(submitted_a.rubric)["ZZ02"].pk
    log_in(assessor)
    page.goto(f"{live_server.url}/ratings/field/")
    # The service worker takes control and keeps the shell before the signal goes.
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.wait_for_function("caches.keys().then(k => k.some(n => n.startsWith('field-shell-')))")
    save_to_phone(page, live_server, submitted_a.pk)

    context.set_offline(True)
    page.click(f'[data-pack="{submitted_a.pk}"] a')
    page.fill(f'[data-occ="{zz02}"]', "3")
    page.fill('[data-field="notes"]', "离线填写的考评意见")
    page.set_input_files(f'[data-photo="{zz02}"]', camera_photo())
    expect(page.locator("[data-status]")).to_have_text("仅保存在本机")
    expect(page.locator("[data-count]")).to_have_attribute(
        "data-count", "2"
    )  # the draft and the photo
    expect(page.locator("[data-finalise-offline]")).to_be_visible()
    expect(page.locator("[data-finalise]")).to_be_hidden()  # no link to a page it cannot reach
    expect(page.locator("[data-finalise-why]")).to_contain_text("定分须联网")
    no_horizontal_scroll(page)
    screenshot("field-offline-form", full_page=False)

    page.reload()  # still offline: the worker serves the page, IndexedDB the entries
    expect(page.locator(f'[data-occ="{zz02}"]')).to_have_value("3")
    expect(page.locator('[data-field="notes"]')).to_have_value("离线填写的考评意见")
    expect(page.locator(f'[data-local-photos="{zz02}"] img')).to_have_count(1)
    assert not Review.objects.filter(self_assessment=submitted_a).exists()

    context.set_offline(False)  # the signal is back: everything uploads by itself
    expect(page.locator("[data-status]")).to_have_text("已同步", timeout=15000)
    review = Review.objects.get(self_assessment=submitted_a)
    assert review.notes == "离线填写的考评意见" and review.status == "draft"
    assert review.items.get(item_id=zz02).occurrences == 3
    photos = Evidence.objects.filter(assessment=submitted_a, side=Evidence.SIDE_COUNTY)
    assert photos.count() == 1 and photos.get().client_id is not None
    assert photos.get().taken_at is not None  # EXIF time kept through the phone
    assert SyncReceipt.objects.count() == 1
    screenshot("field-synced", full_page=False)


def test_an_upload_whose_answer_is_lost_is_retried_and_stored_once(
    no_worker_page, live_server, assessor, submitted_a
):
    context, page = no_worker_page
    log_in_on(page, live_server, assessor)
    zz02 = items_by_code(submitted_a.rubric)["ZZ02"].pk
    save_to_phone(page, live_server, submitted_a.pk)

    lost = lose_first_answers(context, "**/ratings/field/sync/**")
    context.set_offline(True)
    page.click(f'[data-pack="{submitted_a.pk}"] a')
    page.fill(f'[data-occ="{zz02}"]', "1")
    page.set_input_files(f'[data-photo="{zz02}"]', camera_photo(seed=6))
    context.set_offline(False)
    wait_until_lost(page, lost)
    assert Evidence.objects.filter(assessment=submitted_a).count() == 1  # the server did store them
    # The phone never heard back: it retries by itself under the same ids.
    expect(page.locator("[data-status]")).to_have_text("已同步", timeout=10000)
    assert Evidence.objects.filter(assessment=submitted_a).count() == 1
    assert SyncReceipt.objects.count() == 1
    assert Review.objects.get(self_assessment=submitted_a).version == 1


def test_a_conflicting_draft_shows_both_versions(
    no_worker_page, live_server, assessor, assessor2, submitted_a
):
    context, page = no_worker_page
    log_in_on(page, live_server, assessor)
    save_to_phone(page, live_server, submitted_a.pk)

    context.set_offline(True)
    page.click(f'[data-pack="{submitted_a.pk}"] a')
    page.fill('[data-field="notes"]', "手机上的意见")
    # Meanwhile a colleague saves the same review on the server.
    services.review_save(
        assessment=submitted_a,
        by=assessor2,
        items={},
        visit_date=submitted_a.round.opened_on,
        team_members="",
        notes="服务器上的意见",
        total_gap_reason="",
        expected_version=0,
    )
    context.set_offline(False)
    page.click("[data-sync-now]")
    box = page.locator("[data-conflict]")
    expect(box).to_be_visible(timeout=10000)
    expect(box.locator("[data-mine]").first).to_have_text("手机上的意见")
    expect(box.locator("[data-theirs]").first).to_have_text("服务器上的意见")
    assert (
        Review.objects.get(self_assessment=submitted_a).notes == "服务器上的意见"
    )  # nothing overwritten
    no_horizontal_scroll(page)

    page.click("[data-keep-mine]")
    expect(page.locator("[data-status]")).to_have_text("已同步", timeout=10000)
    assert Review.objects.get(self_assessment=submitted_a).notes == "手机上的意见"
