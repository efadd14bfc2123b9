"""Through the real workflow services: ratings announces, rewards listens (no import the
other way: the layers contract in pyproject.toml, proved in tests/test_architecture.py),
and the proposal follows a rating taking effect, an upgrade and a downgrade."""

import datetime as dt
from decimal import Decimal as D

import pytest

from config.celery import app as celery_app
from ratings import services as workflow
from rewards.models import Disbursement

from .conftest import YEAR, rate

pytestmark = pytest.mark.django_db
AFTER_NOTICES = dt.date(YEAR + 1, 3, 1)


@pytest.fixture
def eager_celery():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def take_effect(rating, capture):
    with capture(execute=True):
        assert workflow.rating_take_effect(rating=rating, today=AFTER_NOTICES) is True


def test_workflow_signals_drive_the_ledger(
    settlement_a, rubric, spec_schedule, assessor, eager_celery, django_capture_on_commit_callbacks
):
    q1 = rate(settlement_a, 1, 3, rubric=rubric, status="notice")
    take_effect(q1, django_capture_on_commit_callbacks)
    assert [(d.kind, d.amount) for d in Disbursement.objects.order_by("pk")] == [
        ("initial", D("4000.00"))
    ]

    q2 = rate(settlement_a, 2, 5, rubric=rubric, status="notice")
    take_effect(q2, django_capture_on_commit_callbacks)
    assert [(d.kind, d.amount) for d in Disbursement.objects.order_by("pk")] == [
        ("initial", D("4000.00")),
        ("top_up", D("8000.00")),
        ("re", D("9000.00")),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        workflow.rating_downgrade(rating=q2, by=assessor, reason="发生重大安全问题")
    assert Disbursement.objects.count() == 3  # a fall claws nothing back
    assert Disbursement.objects.get(kind="re").basis_lowered

    q4 = rate(settlement_a, 4, 5, rubric=rubric, status="notice")
    take_effect(q4, django_capture_on_commit_callbacks)
    assert Disbursement.objects.get(kind="final").amount == D("9000.00")
    assert sum(d.amount for d in Disbursement.objects.all()) == D("30000.00")
