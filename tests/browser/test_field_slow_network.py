# ruff: noqa: F811 - fixtures are imported from tests.ratings.view_fixtures and requested by name
"""今日考评 over a slow mountain connection (390×844, Debian Chromium, throttled by the
DevTools protocol): every request takes seconds and a photo crawls up at 20 KB/s. The
assessor keeps typing while an upload is on its way; when everything has arrived the
server holds the last thing typed, one review and one photo, whichever way the uploads
and the typing interleaved."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ratings.models import Evidence, Review, SyncReceipt
from tests.browser.field_helpers import (  # noqa: F401 - no_worker_page is a fixture
    camera_photo,
    log_in_on,
    no_worker_page,
    save_to_phone,
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

SLOW = {
    "offline": False,
    "latency": 1500,  # ms added to every request
    "downloadThroughput": 20 * 1024,  # bytes per second
    "uploadThroughput": 20 * 1024,
}


def test_a_slow_connection_stores_the_last_thing_typed_once(
    no_worker_page, live_server, assessor, submitted_a
):
    context, page = no_worker_page
    log_in_on(page, live_server, assessor)
    zz02 = items_by_code(submitted_a.rubric)["ZZ02"].pk
    save_to_phone(page, live_server, submitted_a.pk)
    page.click(f'[data-pack="{submitted_a.pk}"] a')

    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW)

    page.fill(f'[data-occ="{zz02}"]', "2")
    page.set_input_files(f'[data-photo="{zz02}"]', camera_photo(seed=8))
    page.fill('[data-field="notes"]', "山里信号差")
    page.fill('[data-field="notes"]', "山里信号差，照片已补拍")  # typed while uploading

    expect(page.locator("[data-status]")).to_have_text("已同步", timeout=90000)
    review = Review.objects.get(self_assessment=submitted_a)
    assert review.notes == "山里信号差，照片已补拍"
    assert review.items.get(item_id=zz02).occurrences == 2
    assert Evidence.objects.filter(assessment=submitted_a, side=Evidence.SIDE_COUNTY).count() == 1
    assert Review.objects.filter(self_assessment=submitted_a).count() == 1
    assert SyncReceipt.objects.filter(review=review).exists()
