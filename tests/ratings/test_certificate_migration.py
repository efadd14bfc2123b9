"""The migration to one current certificate per settlement, over data stored before it:
a settlement holding several valid certificates keeps its newest, the older ones are
recorded as replaced by it; a voided certificate gets its kind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection

from ratings import rules, services
from ratings.models import Certificate, CertificateEnd
from tests.ratings.workflow import assessment_of, finalise, fresh, self_submit

BEFORE = "0017_review_reopening"


def rate(rnd, settlement, official, assessor):
    sa = assessment_of(rnd, settlement)
    rating = finalise(
        self_submit(sa, official, {}, today=rnd.opened_on), assessor, {}, today=rnd.opened_on
    )
    assert services.rating_take_effect(
        rating=rating, today=rating.notice_ends_on + dt.timedelta(days=1)
    )
    return fresh(rating)


def open_round(secretary, year, quarter):
    day = rules.round_dates(year, quarter)
    return services.round_open(year=year, quarter=quarter, by=secretary, today=day)[0]


@pytest.mark.django_db(transaction=True)
def test_older_valid_certificates_become_replaced_and_voided_ones_get_their_kind(
    secretary, rubric, settlement_a, settlement_b, official_a, official_b, assessor
):
    old = Certificate.objects.get(
        rating=rate(open_round(secretary, 2030, 4), settlement_a, official_a, assessor)
    )
    q4 = open_round(secretary, 2031, 4)
    new = Certificate.objects.get(rating=rate(q4, settlement_a, official_a, assessor))
    b = Certificate.objects.get(rating=rate(q4, settlement_b, official_b, assessor))
    services.rating_revoke(rating=b.rating, by=assessor, reason="重大问题")
    try:
        call_command("migrate", "ratings", BEFORE, verbosity=0)
        with connection.cursor() as cursor:
            # As stored before: both of A's certificates valid, the new one replacing nothing.
            cursor.execute(
                "UPDATE ratings_certificate SET revoked_at = NULL, revoked_reason = '' WHERE id = %s",
                [old.pk],
            )
    finally:
        call_command("migrate", "ratings", verbosity=0)
    old, new, b = fresh(old), fresh(new), fresh(b)
    assert new.revoked_at is None and new.replaces_id == old.pk
    assert old.revoked_at is not None and old.revoked_kind == CertificateEnd.REPLACED
    assert b.revoked_kind == CertificateEnd.REVOKED  # its rating holds no star
    assert Certificate.objects.filter(settlement=settlement_a, revoked_at__isnull=True).count() == 1
