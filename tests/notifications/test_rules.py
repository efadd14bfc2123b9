"""The inbox's pure rules, no database."""

import datetime as dt

from notifications import rules

TODAY = dt.date(2031, 4, 8)


def test_reminder_due_from_three_days_before_to_the_day_itself():
    assert rules.reminder_due(deadline=TODAY + dt.timedelta(days=3), today=TODAY)
    assert rules.reminder_due(deadline=TODAY, today=TODAY)
    assert not rules.reminder_due(deadline=TODAY + dt.timedelta(days=4), today=TODAY)
    assert not rules.reminder_due(deadline=TODAY - dt.timedelta(days=1), today=TODAY)
    assert not rules.reminder_due(deadline=None, today=TODAY)


def test_badge_text():
    assert rules.badge(0) == ""
    assert rules.badge(7) == "7"
    assert rules.badge(100) == "99+"


def test_every_kind_is_a_model_choice():
    from notifications.models import Kind

    assert set(rules.KINDS) == set(Kind.values)
