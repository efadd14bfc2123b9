"""Issue 15 — an inbox for what needs me: each workflow event reaches the people it concerns
(inbox row and, with an address, an email), once; the bell counts unread; the list marks
read one or all; nobody sees another user's notifications (404)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from notifications import rules, services
from notifications.models import Notification
from ratings import services as ratings_services
from ratings.models import Rectification
from tests.ratings.workflow import AFTER_NOTICE, REVIEW_DAY, items_by_code

pytestmark = pytest.mark.django_db


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_sent_back_reaches_the_townships_officials_with_email(
    q1_submitted_a, official_a, official_b, assessor, django_capture_on_commit_callbacks
):
    official_a.email = "a@example.org"
    official_a.save(update_fields=["email"])
    item = items_by_code(q1_submitted_a.rubric)["ZZ02"]
    with django_capture_on_commit_callbacks(execute=True):
        ratings_services.self_assessment_send_back(
            assessment=q1_submitted_a,
            by=assessor,
            item_ids=[item.pk],
            reason="照片不清楚",
            deadline=REVIEW_DAY,
            today=REVIEW_DAY - dt.timedelta(days=2),
        )
    assert kinds(official_a) == [rules.SENT_BACK]
    assert kinds(official_b) == [] and kinds(assessor) == []
    row = Notification.objects.get(recipient=official_a)
    assert row.link == reverse("ratings:self_assessment", args=[q1_submitted_a.pk])
    assert row.emailed_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["a@example.org"]
    assert "退回" in mail.outbox[0].subject and "幸福苑" in mail.outbox[0].body


def test_the_same_event_twice_is_one_notification(official_a, township_a):
    for _ in range(2):
        services.notify(
            recipients=[official_a],
            kind=rules.RATING_EFFECTIVE,
            key="rating-effective:1",
            params={"settlement": "甲", "round": "2031年Q1", "stars": 5},
        )
    assert Notification.objects.filter(recipient=official_a).count() == 1


def test_objection_filed_tells_assessors_and_decided_tells_the_township(
    q1_notice_a, official_a, assessor, assessor2, secretary, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        objection = ratings_services.objection_file(
            rating=q1_notice_a,
            by=official_a,
            filed_by_name="居民甲",
            text="分数偏高",
            today=REVIEW_DAY,
        )
    assert kinds(assessor) == [rules.OBJECTION_FILED] and kinds(assessor2) == [
        rules.OBJECTION_FILED
    ]
    assert kinds(official_a) == []
    with django_capture_on_commit_callbacks(execute=True):
        ratings_services.objection_decide(
            objection=objection, by=assessor2, outcome="rejected", reasons="核实无误"
        )
    assert rules.OBJECTION_DECIDED in kinds(official_a)
    assert rules.OBJECTION_DECIDED in kinds(assessor)  # the reviewer hears the outcome


def test_rating_effect_and_rectification_order_and_check_reach_the_township(
    q1_notice_a, official_a, assessor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ratings_services.rating_take_effect(rating=q1_notice_a, today=AFTER_NOTICE)
    assert kinds(official_a) == [rules.RATING_EFFECTIVE]
    rect = Rectification.objects.create(
        settlement=q1_notice_a.settlement, rating=q1_notice_a, trigger="测试"
    )
    with django_capture_on_commit_callbacks(execute=True):
        ratings_services.rectification_issue(
            rectification=rect,
            by=assessor,
            deadline=AFTER_NOTICE + dt.timedelta(days=30),
            requirements="整改",
            today=AFTER_NOTICE,
        )
        ratings_services.rectification_answer(
            rectification=rect, by=official_a, answer="已整改", today=AFTER_NOTICE
        )
        ratings_services.rectification_check(
            rectification=rect, by=assessor, outcome="passed", notes="合格", today=AFTER_NOTICE
        )
    assert set(kinds(official_a)) == {
        rules.RATING_EFFECTIVE,
        rules.RECTIFICATION_ORDERED,
        rules.RECTIFICATION_CHECKED,
    }


def test_daily_reminders_once_per_deadline(q1_sa_a, q1_sa_b, official_a, official_b):
    today = q1_sa_a.deadline - dt.timedelta(days=2)
    first = services.reminders_send(today=today)
    assert first == 2  # each township's open self-assessment
    assert kinds(official_a) == [rules.DEADLINE_APPROACHING]
    assert services.reminders_send(today=today + dt.timedelta(days=1)) == 0
    assert services.reminders_send(today=q1_sa_a.deadline - dt.timedelta(days=5)) == 0


def test_rectification_due_reminder(q1_notice_a, official_a, assessor):
    ratings_services.rating_take_effect(rating=q1_notice_a, today=AFTER_NOTICE)
    deadline = AFTER_NOTICE + dt.timedelta(days=10)
    Rectification.objects.create(
        settlement=q1_notice_a.settlement,
        rating=q1_notice_a,
        trigger="t",
        status="issued",
        deadline=deadline,
        requirements="r",
        issued_by=assessor,
    )
    services.reminders_send(today=deadline - dt.timedelta(days=3))
    assert rules.RECTIFICATION_DUE in kinds(official_a)


def test_reward_approved_and_paid_reach_the_township(
    settlement_a, official_a, secretary, rubric, django_capture_on_commit_callbacks
):
    from rewards import services as rewards_services
    from tests.rewards.conftest import rate, schedule

    schedule()
    rating = rate(settlement_a, 1, 4, rubric=rubric)
    [row] = rewards_services.disbursements_propose(
        settlement_id=settlement_a.pk, year=rating.round.year, rating_id=rating.pk
    )
    with django_capture_on_commit_callbacks(execute=True):
        rewards_services.disbursement_approve(disbursement=row, by=secretary)
        rewards_services.disbursement_mark_paid(disbursement=row, by=secretary)
    assert set(kinds(official_a)) == {rules.REWARD_APPROVED, rules.REWARD_PAID}


# ------------------------------------------------------------------ pages


def _note(user, key="k1"):
    return services.notify(
        recipients=[user],
        kind=rules.SENT_BACK,
        key=key,
        params={"settlement": "幸福苑", "round": "2031年Q1", "deadline": "2031-04-15"},
        link=reverse("ratings:rectification_list"),
    )[0]


def test_bell_counts_unread_and_list_marks_read(login, official_a):
    first, second = _note(official_a, "k1"), _note(official_a, "k2")
    client = login(official_a)
    page = client.get(reverse("notifications:inbox"))
    body = page.content.decode()
    assert page.status_code == 200 and "幸福苑" in body and 'class="badge">2<' in body
    opened = client.post(reverse("notifications:read", args=[first.pk]), {"open": "1"})
    assert opened.status_code == 302 and opened["Location"] == reverse("ratings:rectification_list")
    first.refresh_from_db()
    assert first.read_at is not None
    assert 'class="badge">1<' in client.get(reverse("notifications:inbox")).content.decode()
    client.post(reverse("notifications:read_all"))
    second.refresh_from_db()
    assert second.read_at is not None
    assert 'class="badge">' not in client.get(reverse("notifications:inbox")).content.decode()


def test_outsider_gets_404_and_sees_nothing(login, official_a, official_b):
    mine = _note(official_a)
    client = login(official_b)
    assert client.post(reverse("notifications:read", args=[mine.pk])).status_code == 404
    assert "幸福苑" not in client.get(reverse("notifications:inbox")).content.decode()
    client.post(reverse("notifications:read_all"))
    mine.refresh_from_db()
    assert mine.read_at is None


def test_inbox_needs_login_and_post(client, login, official_a):
    assert client.get(reverse("notifications:inbox")).status_code == 302
    note = _note(official_a)
    assert login(official_a).get(reverse("notifications:read", args=[note.pk])).status_code == 405


def test_inbox_query_count(login, official_a, django_assert_num_queries):
    for i in range(5):
        _note(official_a, f"k{i}")
    client = login(official_a)
    # user (with roles, bell), page count, page rows
    with django_assert_num_queries(3):
        client.get(reverse("notifications:inbox"))


def test_inbox_in_english(login, official_a):
    _note(official_a)
    client = login(official_a)
    body = client.get(reverse("notifications:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Notifications" in body


def test_daily_reminders_task_calls_the_service(q1_sa_a, official_a):
    from notifications.tasks import daily_reminders

    day = (q1_sa_a.deadline - dt.timedelta(days=1)).isoformat()
    assert daily_reminders(day) >= 1
    assert daily_reminders(day) == 0  # idempotent: each deadline reminded once
    assert kinds(official_a) == [rules.DEADLINE_APPROACHING]


def test_reminders_are_on_the_beat_schedule():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "notifications.tasks.daily_reminders" in tasks
