# ruff: noqa: F811 - fixtures are imported from tests.ratings.view_fixtures and requested by name
"""离线自评 on a phone (390×844) in Debian Chromium: an official's self-assessment offline.

The official saves the township's self-assessment to the phone while online, loses the
signal in the settlement, fills it in and photographs the evidence, reloads the page
(the service worker serves it, the entries come back from IndexedDB), and when the
signal returns the draft and the photo reach the server by themselves, once. An answer
lost on the way is retried under the same id and still stores one row; a draft a
colleague changed on the server meanwhile shows both versions. Submitting waits for the
connection and happens on the online form.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ratings import services
from ratings.models import Evidence, SelfAssessment, SyncReceipt
from tests import factories as f
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
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SELF_PATH = "/ratings/field/self/"


def test_self_assessment_filled_offline_survives_a_reload_and_reaches_the_server_once(
    page, context, live_server, log_in, official_a, sa_a, screenshot
):
    zz02 = items_by_code(sa_a.rubric)["ZZ02"].pk
    log_in(official_a)
    page.goto(f"{live_server.url}{SELF_PATH}")
    # The service worker takes control and keeps the shell before the signal goes.
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.wait_for_function("caches.keys().then(k => k.some(n => n.startsWith('field-shell-')))")
    save_to_phone(page, live_server, sa_a.pk, SELF_PATH)

    context.set_offline(True)
    page.click(f'[data-pack="{sa_a.pk}"] a')
    page.fill(f'[data-occ="{zz02}"]', "3")
    page.fill(f'[data-note="{zz02}"]', "离线填写：台账齐全")
    page.select_option('[data-field="star_applied"]', "4")
    page.set_input_files(f'[data-photo="{zz02}"]', camera_photo(seed=11))
    expect(page.locator("[data-status]")).to_have_text("仅保存在本机")
    expect(page.locator("[data-count]")).to_have_attribute("data-count", "2")  # draft + photo
    # Submitting waits for the connection, and says so.
    expect(page.locator("[data-finalise-offline]")).to_be_visible()
    expect(page.locator("[data-finalise-offline]")).to_be_disabled()
    expect(page.locator("[data-finalise]")).to_be_hidden()
    expect(page.locator("[data-finalise-why]")).to_contain_text("提交须联网")
    no_horizontal_scroll(page)
    screenshot("field-self-offline-form", full_page=False)

    page.reload()  # still offline: the worker serves the page, IndexedDB the entries
    expect(page.locator(f'[data-occ="{zz02}"]')).to_have_value("3")
    expect(page.locator(f'[data-note="{zz02}"]')).to_have_value("离线填写：台账齐全")
    expect(page.locator('[data-field="star_applied"]')).to_have_value("4")
    expect(page.locator(f'[data-local-photos="{zz02}"] img')).to_have_count(1)
    assert SelfAssessment.objects.get(pk=sa_a.pk).version == 0

    context.set_offline(False)  # the signal is back: everything uploads by itself
    expect(page.locator("[data-status]")).to_have_text("已同步", timeout=15000)
    saved = SelfAssessment.objects.get(pk=sa_a.pk)
    assert (saved.version, saved.status, saved.star_applied) == (1, "draft", 4)
    row = saved.items.get(item_id=zz02)
    assert (row.occurrences, row.note) == (3, "离线填写：台账齐全")
    photos = Evidence.objects.filter(assessment=sa_a, side=Evidence.SIDE_SELF)
    assert photos.count() == 1
    photo = photos.get()
    assert photo.client_id is not None and photo.item_id == zz02
    assert photo.uploaded_by == official_a
    assert photo.taken_at is not None  # EXIF time kept through the phone
    assert SyncReceipt.objects.filter(self_assessment=sa_a).count() == 1
    # Online, submitting is a link to the online form, where the server checks it.
    expect(page.locator("[data-finalise]")).to_be_visible()
    expect(page.locator("[data-finalise]")).to_have_attribute("href", sa_a.get_absolute_url())
    screenshot("field-self-synced", full_page=False)


def test_an_upload_whose_answer_is_lost_is_retried_and_stored_once(
    no_worker_page, live_server, official_a, sa_a
):
    context, page = no_worker_page
    log_in_on(page, live_server, official_a)
    zz02 = items_by_code(sa_a.rubric)["ZZ02"].pk
    save_to_phone(page, live_server, sa_a.pk, SELF_PATH)

    lost = lose_first_answers(context, "**/ratings/field/self/sync/**")
    context.set_offline(True)
    page.click(f'[data-pack="{sa_a.pk}"] a')
    page.fill(f'[data-occ="{zz02}"]', "1")
    page.set_input_files(f'[data-photo="{zz02}"]', camera_photo(seed=12))
    context.set_offline(False)
    wait_until_lost(page, lost)
    assert Evidence.objects.filter(assessment=sa_a).count() == 1  # the server did store them
    # The phone never heard back: it retries by itself under the same ids.
    expect(page.locator("[data-status]")).to_have_text("已同步", timeout=10000)
    assert Evidence.objects.filter(assessment=sa_a).count() == 1
    assert SyncReceipt.objects.count() == 1
    assert SelfAssessment.objects.get(pk=sa_a.pk).version == 1


def test_a_conflicting_draft_shows_both_versions(no_worker_page, live_server, official_a, sa_a):
    context, page = no_worker_page
    log_in_on(page, live_server, official_a)
    zz02 = items_by_code(sa_a.rubric)["ZZ02"]
    save_to_phone(page, live_server, sa_a.pk, SELF_PATH)

    context.set_offline(True)
    page.click(f'[data-pack="{sa_a.pk}"] a')
    page.fill(f'[data-note="{zz02.pk}"]', "手机上的说明")
    # Meanwhile a colleague of the same township saves the form on the server.
    colleague = f.official("official_a2", sa_a.settlement.village.township)
    services.self_assessment_save(
        assessment=sa_a,
        by=colleague,
        items={zz02.pk: (0, "服务器上的说明")},
        star_applied=0,
        expected_version=0,
    )
    context.set_offline(False)
    page.click("[data-sync-now]")
    box = page.locator("[data-conflict]")
    expect(box).to_be_visible(timeout=10000)
    expect(box.locator("[data-mine]").first).to_have_text("手机上的说明")
    expect(box.locator("[data-theirs]").first).to_have_text("服务器上的说明")
    assert (
        SelfAssessment.objects.get(pk=sa_a.pk).items.get(item=zz02).note == "服务器上的说明"
    )  # nothing overwritten
    no_horizontal_scroll(page)

    page.click("[data-keep-mine]")
    expect(page.locator("[data-status]")).to_have_text("已同步", timeout=10000)
    assert SelfAssessment.objects.get(pk=sa_a.pk).items.get(item=zz02).note == "手机上的说明"


def test_a_draft_for_a_self_assessment_submitted_meanwhile_is_refused_with_its_reason(
    no_worker_page, live_server, official_a, sa_a
):
    context, page = no_worker_page
    log_in_on(page, live_server, official_a)
    zz02 = items_by_code(sa_a.rubric)["ZZ02"].pk
    save_to_phone(page, live_server, sa_a.pk, SELF_PATH)

    context.set_offline(True)
    page.click(f'[data-pack="{sa_a.pk}"] a')
    page.fill(f'[data-occ="{zz02}"]', "2")
    # Meanwhile a colleague submits the township's form online.
    colleague = f.official("official_a2", sa_a.settlement.village.township)
    saved = services.self_assessment_save(
        assessment=sa_a, by=colleague, items={}, star_applied=0, expected_version=0
    )
    services.self_assessment_submit(assessment=saved, by=colleague)
    context.set_offline(False)
    page.click("[data-sync-now]")
    expect(page.locator("[data-form-view] .form-errors")).to_contain_text(
        "自评已提交", timeout=10000
    )
    expect(page.locator("[data-count]")).to_have_attribute("data-count", "1")  # kept on the phone
    stored = SelfAssessment.objects.get(pk=sa_a.pk)
    assert stored.status == "submitted" and not stored.items.filter(occurrences=2).exists()
    assert not SyncReceipt.objects.exists()
