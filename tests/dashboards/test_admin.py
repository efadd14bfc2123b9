"""The five-star target moved with its permissions: secretaries still set it in the admin."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from dashboards.models import FiveStarTarget

pytestmark = pytest.mark.django_db


def test_a_secretary_sets_the_five_star_target_and_reads_it_back(login, secretary):
    client = login(secretary)
    response = client.post(
        reverse("admin:dashboards_fivestartarget_add"),
        {"deadline": "2027-06-30", "share": "0.55"},
    )
    assert response.status_code == 302
    target = FiveStarTarget.objects.get()
    assert (target.deadline, target.share) == (dt.date(2027, 6, 30), Decimal("0.55"))
    form = client.get(reverse("admin:dashboards_fivestartarget_change", args=[target.pk]))
    assert form.context["adminform"].form.initial["share"] == Decimal("0.55")
    assert target.history.count() == 1


def test_assessors_and_officials_cannot_change_it(login, assessor, official_a):
    for user in (assessor, official_a):
        client = login(user)
        response = client.post(
            reverse("admin:dashboards_fivestartarget_add"),
            {"deadline": "2027-06-30", "share": "0.9"},
        )
        assert response.status_code in (302, 403)  # to the login page, or refused
    assert not FiveStarTarget.objects.exists()
