# ruff: noqa: F811 - fixtures are imported from tests.ratings.view_fixtures and requested by name
"""One phone, two officials (a township office shares its phones): each keeps their own
offline work (离线自评) in a database of their own on the phone. The next user never sees,
edits or uploads what the last one kept, and the first finds it again, unsent work
included, when they sign back in; it then reaches the server."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ratings.models import SelfAssessment
from tests.browser.field_helpers import (  # noqa: F401 - no_worker_page is a fixture
    log_in_on,
    no_worker_page,
    save_to_phone,
)
from tests.ratings.view_fixtures import (  # noqa: F401 - fixtures
    items_by_code,
    round_now,
    sa_a,
    sa_b,
    submitted_a,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SELF_PATH = "/ratings/field/self/"
SYNC = "**/ratings/field/self/sync/**"


def log_out(page) -> None:
    page.locator(f'form[action="{reverse("logout")}"] button').click()
    page.wait_for_load_state()


def test_the_next_official_on_a_phone_never_sees_the_last_ones_work(
    no_worker_page, live_server, official_a, official_b, sa_a, sa_b
):
    context, page = no_worker_page
    zz02 = items_by_code(sa_a.rubric)["ZZ02"].pk
    log_in_on(page, live_server, official_a)
    save_to_phone(page, live_server, sa_a.pk, SELF_PATH)
    context.route(SYNC, lambda route: route.abort())  # no signal for uploads: the note waits
    page.click(f'[data-pack="{sa_a.pk}"] a')
    page.fill(f'[data-note="{zz02}"]', "甲镇干部的说明")
    expect(page.locator("[data-count]")).to_have_attribute("data-count", "1")
    log_out(page)

    log_in_on(page, live_server, official_b)
    page.goto(f"{live_server.url}{SELF_PATH}")
    expect(page.locator(f'[data-candidate="{sa_b.pk}"]')).to_be_visible()
    expect(page.locator("[data-pack]")).to_have_count(0)
    expect(page.locator("[data-packs]")).not_to_contain_text(sa_a.settlement.name)
    expect(page.locator("[data-count]")).to_have_attribute("data-count", "0")
    save_to_phone(page, live_server, sa_b.pk, SELF_PATH)
    expect(page.locator("[data-pack]")).to_have_count(1)
    context.unroute(SYNC)
    log_out(page)
    assert SelfAssessment.objects.get(pk=sa_a.pk).version == 0  # nothing of A's went up

    log_in_on(page, live_server, official_a)
    page.goto(f"{live_server.url}{SELF_PATH}")
    expect(page.locator("[data-pack]")).to_have_count(1)
    expect(page.locator(f'[data-pack="{sa_a.pk}"]')).to_be_visible()
    expect(page.locator("[data-status]")).to_have_text("已同步", timeout=15000)
    saved = SelfAssessment.objects.get(pk=sa_a.pk)
    assert saved.version == 1
    assert saved.items.get(item_id=zz02).note == "甲镇干部的说明"


def test_work_kept_before_phones_had_one_database_per_user_is_not_lost(
    no_worker_page, live_server, official_a, sa_a
):
    """What a phone kept in the one shared database of the earlier version moves to the
    first user who opens the form, and the shared database is removed."""
    context, page = no_worker_page
    log_in_on(page, live_server, official_a)
    save_to_phone(page, live_server, sa_a.pk, SELF_PATH)
    owner = page.locator("#field-app").get_attribute("data-owner")
    assert owner == str(official_a.pk)
    # Put the phone back as the earlier version left it: the pack in "field-self" only.
    page.evaluate(
        """async (name) => {
          const open = (n, make) => new Promise((ok, no) => {
            const r = indexedDB.open(n, 1);
            r.onupgradeneeded = () => { if (make) for (const s of ["packs", "drafts", "photos"])
              r.result.createObjectStore(s, { keyPath: s === "photos" ? "client_id" : "assessment" }); };
            r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error);
          });
          const mine = await open(name, false);
          const packs = await new Promise((ok) => {
            const q = mine.transaction("packs").objectStore("packs").getAll();
            q.onsuccess = () => ok(q.result);
          });
          mine.close();
          await new Promise((ok) => { const d = indexedDB.deleteDatabase(name); d.onsuccess = d.onblocked = ok; });
          const shared = await open("field-self", true);
          await new Promise((ok) => {
            const t = shared.transaction("packs", "readwrite");
            for (const p of packs) t.objectStore("packs").put(p);
            t.oncomplete = ok;
          });
          shared.close();
        }""",
        f"field-self-user-{owner}",
    )
    page.goto(f"{live_server.url}/")  # leave the form so its connection closes
    page.goto(f"{live_server.url}{SELF_PATH}")
    expect(page.locator(f'[data-pack="{sa_a.pk}"]')).to_be_visible()
    names = page.evaluate("indexedDB.databases().then((all) => all.map((d) => d.name))")
    assert "field-self" not in names
    assert f"field-self-user-{owner}" in names


@pytest.mark.parametrize("kind", ["review", "self"])
def test_a_form_kept_on_the_phone_locks_itself_after_its_last_day(
    request, no_worker_page, live_server, kind, round_now
):
    """Offline, the phone's own date passing the deadline locks the form with the reason
    (the server would refuse the upload): nothing is typed in that cannot be sent."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    context, page = no_worker_page
    if kind == "review":
        assessment, user, path = (
            request.getfixturevalue("submitted_a"),
            request.getfixturevalue("assessor"),
            "/ratings/field/",
        )
        last_day = round_now.review_deadline
    else:
        assessment, user, path = (
            request.getfixturevalue("sa_a"),
            request.getfixturevalue("official_a"),
            SELF_PATH,
        )
        last_day = assessment.deadline
    zz02 = items_by_code(assessment.rubric)["ZZ02"].pk
    log_in_on(page, live_server, user)
    save_to_phone(page, live_server, assessment.pk, path)
    context.set_offline(True)
    shanghai = ZoneInfo("Asia/Shanghai")
    page.clock.set_fixed_time(dt.datetime.combine(last_day, dt.time(23, 50), tzinfo=shanghai))
    page.click(f'[data-pack="{assessment.pk}"] a')
    expect(page.locator(f'[data-occ="{zz02}"]')).to_be_enabled()  # its last day: open
    expect(page.locator("[data-closed]")).to_have_count(0)

    page.click("text=←")
    next_day = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0, 10), tzinfo=shanghai)
    page.clock.set_fixed_time(next_day)
    page.click(f'[data-pack="{assessment.pk}"] a')
    expect(page.locator("[data-closed]")).to_contain_text(last_day.isoformat())
    expect(page.locator(f'[data-occ="{zz02}"]')).to_be_disabled()
    expect(page.locator(f'[data-note="{zz02}"]')).to_be_disabled()
    expect(page.locator(f'[data-photo="{zz02}"]')).to_have_count(0)


SHELL_KEPT = """(path) => caches.keys().then((names) => Promise.all(
  names.filter((n) => n.startsWith("field-shell-")).map((n) => caches.open(n).then((c) => c.match(path)))
)).then((found) => found.some(Boolean))"""


def test_signing_out_forgets_the_kept_shell(page, context, live_server, log_in, official_a, sa_a):
    """The kept shell names the user it was served to: once they sign out, the phone
    offline shows nobody's work, not theirs."""
    log_in(official_a)
    page.goto(f"{live_server.url}{SELF_PATH}")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    save_to_phone(page, live_server, sa_a.pk, SELF_PATH)
    page.wait_for_function(f"({SHELL_KEPT})('{SELF_PATH}')")
    log_out(page)
    page.wait_for_function(f"({SHELL_KEPT})('{SELF_PATH}').then((kept) => !kept)")
    context.set_offline(True)
    try:
        page.goto(f"{live_server.url}{SELF_PATH}")
    except Exception:  # noqa: BLE001 - offline with nothing kept: the browser's own error
        shown = ""
    else:
        shown = page.content()
    assert sa_a.settlement.name not in shown and f'data-owner="{official_a.pk}"' not in shown
