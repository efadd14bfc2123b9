"""Fixtures of the workflow story (see tests/ratings/workflow.py), registered for the whole suite by ``pytest_plugins`` in tests/conftest.py."""

from __future__ import annotations

import pytest

from ratings import services
from ratings.models import Rating
from tests.ratings.workflow import AFTER_NOTICE, OPENED, assessment_of, finalise, fresh, self_submit


@pytest.fixture
def q1(secretary, rubric, settlement_a, settlement_b):
    rnd, created = services.round_open(year=2031, quarter=1, by=secretary, today=OPENED)
    assert created
    return rnd


@pytest.fixture
def q1_sa_a(q1, settlement_a):
    return assessment_of(q1, settlement_a)


@pytest.fixture
def q1_sa_b(q1, settlement_b):
    return assessment_of(q1, settlement_b)


@pytest.fixture
def q1_submitted_a(q1_sa_a, official_a):
    """Township A's self-assessment: two deductions (ZZ02×2, HJ01×1) → 97.0, applies for 5★."""
    return self_submit(q1_sa_a, official_a, {"ZZ02": 2, "HJ01": 1}, star=5)


@pytest.fixture
def q1_notice_a(q1_submitted_a, assessor) -> Rating:
    """The county agrees with the township: 97.0, five stars, in notice until 04-22."""
    return finalise(q1_submitted_a, assessor, {"ZZ02": 2, "HJ01": 1})


@pytest.fixture
def q1_effective_a(q1_notice_a) -> Rating:
    assert services.rating_take_effect(rating=q1_notice_a, today=AFTER_NOTICE) is True
    return fresh(q1_notice_a)
