"""The review lock as people meet it: the review page says its deadline and, after it, why
it cannot be saved and who can reopen it; the secretary's extension page in the admin (round
trip and access); the rating page after an upheld objection and around the notice window.

Pages act on the real date: the round opens today (``round_now``) and the days around its
deadline are set by patching ``timezone.localdate`` (the services read the same clock).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ratings import services
from ratings.models import ObjectionOutcome, ReopeningKind, Review, ReviewReopening
from tests.html_forms import parse_form
from tests.ratings.view_fixtures import fresh, review_form_data, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_day(monkeypatch):
    def _set(day: dt.date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)

    return _set


def staff(user):
    user.is_staff = True
    user.save()
    return user


def extension_url(sa) -> str:
    return reverse("admin:ratings_selfassessment_review_deadline", args=[sa.pk])


# ------------------------------------------------------------------------ review page


def test_review_page_states_its_deadline(login, assessor, submitted_a, round_now):
    response = login(assessor).get(reverse("ratings:review", args=[submitted_a.pk]))
    assert response.status_code == 200
    assert response.context["deadline"].date == round_now.review_deadline
    assert not response.context["locked"]
    html = response.content.decode()
    assert f'data-review-deadline="{round_now.review_deadline:%Y-%m-%d}"' in html
    assert extension_url(submitted_a) not in html  # only the secretary is offered it


def test_review_page_saves_on_the_deadline(login, assessor, submitted_a, round_now, on_day):
    on_day(round_now.review_deadline)
    client = login(assessor)
    response = client.post(
        reverse("ratings:review", args=[submitted_a.pk]), review_form_data(submitted_a)
    )
    assert response.status_code == 302
    assert Review.objects.filter(self_assessment=submitted_a).exists()


def test_review_page_after_the_deadline_says_why_and_who_can_reopen(
    login, assessor, submitted_a, round_now, on_day
):
    on_day(round_now.review_deadline + dt.timedelta(days=1))
    client = login(assessor)
    url = reverse("ratings:review", args=[submitted_a.pk])
    page = client.get(url)
    assert page.context["locked"] and page.context["send_back"] is None
    reason = page.context["lock_reason"]
    assert round_now.review_deadline.isoformat() in reason and "党组织书记" in reason
    assert "定分并公示" not in page.content.decode()  # no buttons offered

    response = client.post(url, review_form_data(submitted_a))
    assert response.status_code == 400
    assert not Review.objects.filter(self_assessment=submitted_a).exists()


def test_secretary_sees_the_extension_link_and_the_reopening_on_the_review_page(
    login, secretary, submitted_a, round_now, on_day
):
    after = round_now.review_deadline + dt.timedelta(days=1)
    services.review_deadline_extend(
        assessment=submitted_a,
        open_until=after + dt.timedelta(days=5),
        reason="考评组人员调整",
        by=secretary,
        today=after,
    )
    on_day(after)
    page = login(secretary).get(reverse("ratings:review", args=[submitted_a.pk]))
    html = page.content.decode()
    assert not page.context["locked"]
    assert page.context["deadline"].date == after + dt.timedelta(days=5)
    assert extension_url(submitted_a) in html and "考评组人员调整" in html


# --------------------------------------------------------- admin: extend one review


def test_admin_extension_page_round_trip(secretary, submitted_a, round_now):
    client = Client(enforce_csrf_checks=True)  # the CSRF token must come from the page
    client.force_login(secretary)
    url = extension_url(submitted_a)
    page = client.get(url)
    assert page.status_code == 200
    form = parse_form(page.content.decode(), has="open_until")
    assert form.visible_names() == {"open_until", "reason"}
    # The date field starts at the review's current deadline.
    assert form.data()["open_until"].replace("/", "-") == round_now.review_deadline.isoformat()
    until = round_now.review_deadline + dt.timedelta(days=7)
    form.set("open_until", until.isoformat())
    form.set("reason", "乡镇道路塌方")
    response = client.post(form.action or url, form.data())

    assert response.status_code == 302
    reopening = ReviewReopening.objects.get()
    assert (reopening.self_assessment_id, reopening.kind, reopening.open_until) == (
        submitted_a.pk,
        ReopeningKind.EXTENSION,
        until,
    )
    assert (reopening.reason, reopening.by) == ("乡镇道路塌方", secretary)
    assert client.get(url).context["form"].initial["open_until"] == until


def test_admin_extension_refusals_come_back_on_the_form(login, secretary, submitted_a, round_now):
    response = login(secretary).post(
        extension_url(submitted_a),
        {"open_until": round_now.review_deadline.isoformat(), "reason": "延期"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["open_until"]
    assert not ReviewReopening.objects.exists()


def test_admin_lists_extension_links_only_for_the_secretary(login, secretary, assessor, sa_a):
    changelist = reverse("admin:ratings_selfassessment_changelist")
    assert extension_url(sa_a) in login(secretary).get(changelist).content.decode()
    html = login(staff(assessor)).get(changelist).content.decode()
    assert extension_url(sa_a) not in html


@pytest.mark.parametrize(("who", "status"), [("assessor", 403), ("official_a", 403)])
def test_non_secretaries_cannot_extend_a_review(request, login, submitted_a, who, status):
    client = login(staff(request.getfixturevalue(who)))
    url = extension_url(submitted_a)
    assert client.get(url).status_code == status
    data = {"open_until": (today() + dt.timedelta(days=60)).isoformat(), "reason": "x"}
    assert client.post(url, data).status_code == status
    assert not ReviewReopening.objects.exists()


def test_another_townships_official_gets_404_on_the_extension_page(login, official_b, submitted_a):
    client = login(staff(official_b))
    url = extension_url(submitted_a)
    assert client.get(url).status_code == 404
    data = {"open_until": (today() + dt.timedelta(days=60)).isoformat(), "reason": "x"}
    assert client.post(url, data).status_code == 404
    assert not ReviewReopening.objects.exists()


def test_reopenings_are_listed_read_only_and_scoped(
    login, secretary, official_b, submitted_a, round_now
):
    reopening = services.review_deadline_extend(
        assessment=submitted_a,
        open_until=round_now.review_deadline + dt.timedelta(days=3),
        reason="人员调整",
        by=secretary,
    )
    change = reverse("admin:ratings_reviewreopening_change", args=[reopening.pk])
    client = login(secretary)
    assert (
        "人员调整"
        in client.get(reverse("admin:ratings_reviewreopening_changelist")).content.decode()
    )
    assert client.get(change).status_code == 200
    assert login(staff(official_b)).get(change).status_code == 404


# ------------------------------------------------------------------------ rating page


def test_no_objection_is_said_only_once_the_window_has_closed(login, assessor, notice_a, on_day):
    client = login(assessor)
    url = reverse("ratings:rating", args=[notice_a.pk])
    on_day(notice_a.notice_ends_on)  # the last day of the window: still open
    html = client.get(url).content.decode()
    assert 'data-objections="window-open"' in html and "公示期内没有收到异议" not in html
    assert notice_a.notice_ends_on.isoformat() in html
    on_day(notice_a.notice_ends_on + dt.timedelta(days=1))
    html = client.get(url).content.decode()
    assert 'data-objections="none"' in html and "公示期内没有收到异议" in html


def uphold(rating, by):
    objection = services.objection_file(
        rating=rating, by=by, filed_by_name="王五", text="垃圾堆放未计入"
    )
    return services.objection_decide(
        objection=objection, by=by, outcome=ObjectionOutcome.UPHELD, reasons="核实属实"
    )


def test_an_upheld_objection_says_what_follows_and_links_the_county_to_the_review(
    login, assessor2, official_a, notice_a
):
    uphold(notice_a, assessor2)
    reopening = ReviewReopening.objects.get()
    assert reopening.objection.outcome == ObjectionOutcome.UPHELD
    # The later of the reopening's day and the round's own deadline (opened today, 30 days).
    until = max(reopening.open_until, notice_a.round.review_deadline)
    review_url = reverse("ratings:review", args=[notice_a.review.self_assessment_id])
    url = reverse("ratings:rating", args=[notice_a.pk])

    page = login(assessor2).get(url)
    html = page.content.decode()
    assert 'data-code="rating_overturned"' in html and until.isoformat() in html
    assert review_url in html
    assert page.context["reopened"]["deadline"].date == until

    html = login(official_a).get(url).content.decode()  # the township reads it, no link
    assert 'data-code="rating_overturned"' in html and review_url not in html


def test_another_township_cannot_read_the_overturned_rating(login, assessor2, official_b, notice_a):
    uphold(notice_a, assessor2)
    assert login(official_b).get(reverse("ratings:rating", args=[notice_a.pk])).status_code == 404


def test_a_rating_in_notice_has_no_next_step_box(login, assessor, notice_a):
    html = login(assessor).get(reverse("ratings:rating", args=[notice_a.pk])).content.decode()
    assert 'data-code="rating_overturned"' not in html
    assert fresh(notice_a).status == "notice"
