"""#12 Certificates that follow the star: a downgraded settlement that keeps a star gets a
new certificate at its new star (the old one voided with who, when and why; both kept),
a newer year's certificate replaces the last, and a settlement holds at most one current
certificate (a database constraint). The honour roll shows only current certificates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from dashboards.selectors.reports import honour_roll
from public.tokens import certificate_token
from ratings import rules, services
from ratings.models import Certificate, CertificateEnd, Rating
from tests.ratings.workflow import assessment_of, finalise, fresh, self_submit

FOUR_STARS = {"ZZ01": 2, "HJ01": 5}  # 85.0


def open_round(secretary, year: int, quarter: int):
    day = rules.round_dates(year, quarter)
    return services.round_open(year=year, quarter=quarter, by=secretary, today=day)[0]


def rate(rnd, settlement, official, assessor, counts=None) -> Rating:
    sa = assessment_of(rnd, settlement)
    day = rnd.opened_on
    rating = finalise(
        self_submit(sa, official, counts or {}, today=day), assessor, counts or {}, today=day
    )
    assert services.rating_take_effect(
        rating=rating, today=rating.notice_ends_on + dt.timedelta(days=1)
    )
    return fresh(rating)


def current_of(settlement) -> list[Certificate]:
    return list(Certificate.objects.filter(settlement=settlement, revoked_at__isnull=True))


@pytest.fixture
def named_5(secretary, rubric, settlement_a, settlement_b, official_a, assessor) -> Certificate:
    rating = rate(open_round(secretary, 2031, 4), settlement_a, official_a, assessor)
    return Certificate.objects.get(rating=rating)


def test_a_downgrade_that_keeps_a_star_reissues_the_certificate_at_the_new_star(
    named_5, settlement_a, assessor
):
    rating = named_5.rating
    services.rating_downgrade(rating=rating, by=assessor, reason="发生安全事故")
    old = fresh(named_5)
    assert old.revoked_at is not None and old.revoked_by == assessor
    assert (old.revoked_kind, old.revoked_reason) == (CertificateEnd.DOWNGRADED, "发生安全事故")
    new = Certificate.objects.get(replaces=old)
    assert (new.stars, new.year, new.reissued, new.rating_id) == (4, 2031, True, rating.pk)
    assert new.number == "PS-2031-4-0001" and new.revoked_at is None
    # Both kept; one current; the rating's certificate is the current one.
    assert Certificate.objects.filter(settlement=settlement_a).count() == 2
    assert current_of(settlement_a) == [new]
    assert fresh(rating).certificate == new


def test_a_downgrade_to_no_star_voids_the_certificate_and_issues_none(
    named_5, settlement_a, assessor
):
    rating = named_5.rating
    services.rating_downgrade(rating=rating, by=assessor, reason="一")  # 5 → 4
    services.rating_downgrade(rating=fresh(rating), by=assessor, reason="二")  # 4 → 3
    three = current_of(settlement_a)
    assert [c.stars for c in three] == [3]
    services.rating_downgrade(rating=fresh(rating), by=assessor, reason="三")  # 3 → none
    assert current_of(settlement_a) == []
    assert fresh(three[0]).revoked_kind == CertificateEnd.REVOKED
    assert Certificate.objects.filter(settlement=settlement_a).count() == 3


def test_revocation_voids_and_issues_nothing(named_5, settlement_a, assessor):
    services.rating_revoke(rating=named_5.rating, by=assessor, reason="重大问题")
    old = fresh(named_5)
    assert (old.revoked_kind, old.revoked_by, old.revoked_reason) == (
        CertificateEnd.REVOKED,
        assessor,
        "重大问题",
    )
    assert current_of(settlement_a) == []


def test_next_years_final_rating_replaces_last_years_certificate(
    secretary, rubric, settlement_a, settlement_b, official_a, assessor
):
    # 2030's final round runs in January 2031, 2031's in January 2032 (the test calendar's years).
    first = rate(open_round(secretary, 2030, 4), settlement_a, official_a, assessor, FOUR_STARS)
    old = Certificate.objects.get(rating=first)
    assert old.stars == 4
    second = rate(open_round(secretary, 2031, 4), settlement_a, official_a, assessor)
    new = Certificate.objects.get(rating=second)
    old = fresh(old)
    assert old.revoked_kind == CertificateEnd.REPLACED and old.revoked_at is not None
    assert new.replaces == old and (new.year, new.stars, new.reissued) == (2031, 5, False)
    assert current_of(settlement_a) == [new]


def test_the_database_holds_at_most_one_current_certificate_per_settlement(named_5):
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(
            rating=named_5.rating,
            settlement=named_5.settlement,
            year=2030,
            stars=4,
            number="PS-2030-4-9999",
            reissued=True,
        )
    # A voided one beside it is fine (with its kind: a void says why).
    Certificate.objects.create(
        rating=named_5.rating,
        settlement=named_5.settlement,
        year=2030,
        stars=4,
        number="PS-2030-4-9998",
        reissued=True,
        revoked_at=named_5.issued_at,
        revoked_kind=CertificateEnd.REPLACED,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(number="PS-2030-4-9998").update(revoked_kind="")


def test_a_quarterly_downgrade_below_the_plaque_reissues_it_and_one_above_leaves_it(
    secretary, rubric, settlement_a, settlement_b, official_a, official_b, assessor
):
    q4 = open_round(secretary, 2031, 4)
    rate(q4, settlement_a, official_a, assessor)  # 5★ plaque
    rate(q4, settlement_b, official_b, assessor, FOUR_STARS)  # 4★ plaque
    q1 = open_round(secretary, 2032, 1)
    a_q1 = rate(q1, settlement_a, official_a, assessor)  # 5★ again
    b_q1 = rate(q1, settlement_b, official_b, assessor)  # rose to 5★
    services.rating_downgrade(rating=a_q1, by=assessor, reason="问题")  # holds 4 < plaque 5
    services.rating_downgrade(rating=b_q1, by=assessor, reason="问题")  # holds 4 = plaque 4
    [a_now] = current_of(settlement_a)
    assert (a_now.stars, a_now.year, a_now.reissued, a_now.rating_id) == (4, 2031, True, a_q1.pk)
    [b_now] = current_of(settlement_b)
    assert (b_now.stars, b_now.reissued) == (4, False)  # untouched: it names what is held


def test_honour_roll_shows_only_the_current_certificate_naming_the_star_shown(
    secretary, rubric, settlement_a, settlement_b, official_a, official_b, assessor
):
    q4 = open_round(secretary, 2031, 4)
    rate(q4, settlement_a, official_a, assessor)  # 5★ plaque
    rate(q4, settlement_b, official_b, assessor, FOUR_STARS)  # 4★ plaque
    a_q4 = Certificate.objects.get(settlement=settlement_a)
    services.rating_downgrade(rating=a_q4.rating, by=assessor, reason="问题")  # reissued 4★
    q1 = open_round(secretary, 2032, 1)
    rate(q1, settlement_b, official_b, assessor)  # B rose to 5★ at a quarterly rating

    rows = {}
    for klass in {fresh(settlement_a).klass, fresh(settlement_b).klass}:
        rows.update({row.code: row for row in honour_roll(settlement_class=klass).rows})
    reissued = Certificate.objects.get(replaces=a_q4)
    assert (rows[settlement_a.code].stars, rows[settlement_a.code].certificate) == (
        4,
        reissued.number,
    )
    # B: 5★ now, last year's 4★ number is not shown beside it (named at the next final).
    assert (rows[settlement_b.code].stars, rows[settlement_b.code].certificate) == (5, "")


def test_public_page_of_a_replaced_certificate_points_to_the_current_one(
    client, secretary, rubric, settlement_a, settlement_b, official_a, assessor
):
    first = rate(open_round(secretary, 2030, 4), settlement_a, official_a, assessor, FOUR_STARS)
    old = Certificate.objects.get(rating=first)
    second = rate(open_round(secretary, 2031, 4), settlement_a, official_a, assessor)
    new = Certificate.objects.get(rating=second)
    html = client.get(
        reverse("public:certificate", args=[certificate_token(old.pk)])
    ).content.decode()
    assert 'data-state="replaced"' in html and "已作废" in html
    assert reverse("public:certificate", args=[certificate_token(new.pk)]) in html
    html = client.get(
        reverse("public:certificate", args=[certificate_token(new.pk)])
    ).content.decode()
    assert 'data-state="valid"' in html and "newer-certificate" not in html


def test_a_voided_certificate_page_says_who_why_and_links_the_current_one(
    client, login, named_5, official_a, official_b, assessor
):
    services.rating_downgrade(rating=named_5.rating, by=assessor, reason="发生安全事故")
    new = Certificate.objects.get(replaces=named_5)
    html = login(official_a).get(named_5.get_absolute_url()).content.decode()
    assert "发生安全事故" in html and str(assessor) in html
    assert new.get_absolute_url() in html
    assert reverse("ratings:certificate_pdf", args=[named_5.pk]) not in html
    assert login(official_a).get(new.get_absolute_url()).status_code == 200
    # The settlement page lists both: the voided one marked, only the current one printable.
    page = login(official_a).get(named_5.settlement.get_absolute_url()).content.decode()
    assert named_5.number in page and new.number in page and "已作废" in page
    assert reverse("ratings:certificate_pdf", args=[new.pk]) in page
    assert reverse("ratings:certificate_pdf", args=[named_5.pk]) not in page
    # The outsider sees neither.
    outsider = login(official_b)
    assert outsider.get(named_5.get_absolute_url()).status_code == 404
    assert outsider.get(new.get_absolute_url()).status_code == 404
