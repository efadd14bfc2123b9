"""The public pages as an anonymous visitor sees them, and the county's queue.

The board lists exactly the ratings in notice; no public page shows a person's name or
phone, sets a session cookie, or reads the session or the user; the board's queries are
fixed whatever the number of ratings, and none at all once cached.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from public import services
from public.models import ResidentObjection, ResidentObjectionStatus
from public.tokens import certificate_token
from ratings import services as rating_services
from ratings.models import Certificate, Objection, RatingStatus, Round, SelfAssessment
from tests import factories as f
from tests.ratings.view_fixtures import (
    finalise,
    fresh,
    self_submit,
    take_effect,
    today,
)

PHONE = "13987654321"
BOARD = reverse("public:board")


@pytest.fixture
def effective_b(sa_b, official_b, assessor):
    """Township B's settlement: rated and past its notice (effective), so not on the board."""
    self_submit(sa_b, official_b, {"HJ01": 1}, star=5)
    return take_effect(finalise(sa_b, assessor, {"HJ01": 1}))


@pytest.fixture
def resident_objection(notice_a):
    return services.resident_objection_file(
        rating=notice_a, name="赵铁柱", phone=PHONE, text="公共厕所长期上锁。"
    )


def more_settlements_in_notice(n: int, official, assessor, village) -> None:
    """n more settlements of the open round, each rated and in notice."""
    rnd = Round.objects.get(year=today().year, quarter=1)
    for i in range(n):
        settlement = f.settlement(
            village, code=f"SX{i}", name=f"新苑{i}", households=60, residents=200
        )
        sa = SelfAssessment.objects.create(
            round=rnd,
            settlement=settlement,
            settlement_class=settlement.klass,
            rubric=rnd.rubric,
            deadline=rnd.self_deadline,
        )
        self_submit(sa, official, {"HJ01": 1}, star=5)
        finalise(sa, assessor, {"HJ01": 1})


def personal_data(*people) -> list[str]:
    """Strings that must never appear on a public page."""
    values = ["赵铁柱", PHONE, PHONE[-4:] + "</", "张三", "李四"]
    for person in people:
        values += [person.username, person.get_full_name() or person.username]
        if getattr(person, "display_name", ""):
            values.append(person.display_name)
    return [v for v in values if v]


# ----------------------------------------------------------------------------- board


def board_rating_ids(html: str) -> set[int]:
    return {int(x) for x in re.findall(r'data-rating="(\d+)"', html)}


def test_board_lists_exactly_the_ratings_in_notice(
    client, notice_a, effective_b, settlement_a, settlement_b
):
    response = client.get(BOARD)

    assert response.status_code == 200
    html = response.content.decode()
    assert board_rating_ids(html) == {notice_a.pk}
    assert settlement_a.name in html and settlement_b.name not in html
    assert "甲镇" in html and "甲村" in html and "一类" in html
    assert "93.0" in html and "五星" in html
    assert notice_a.notice_ends_on.isoformat() in html
    assert reverse("public:objection_new", args=[notice_a.pk]) in html
    assert "如何提出异议" in html


def test_board_for_one_township_is_its_printable_sheet(client, notice_a, township_a, township_b):
    html = client.get(BOARD, {"township": township_a.pk}).content.decode()
    assert board_rating_ids(html) == {notice_a.pk}
    assert "@media print" not in html  # print rules are in the stylesheet
    assert "css/public.css" in html and "打印公示" in html
    assert (
        board_rating_ids(client.get(BOARD, {"township": township_b.pk}).content.decode()) == set()
    )
    assert client.get(BOARD, {"township": 999999}).status_code == 404


def test_board_sets_no_session_cookie_and_reads_no_session(
    client, notice_a, django_assert_num_queries
):
    with django_assert_num_queries(
        2
    ):  # ratings in notice (joined), archive rounds; no session, no user
        response = client.get(BOARD)
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert "public" in response["Cache-Control"]


@pytest.mark.parametrize("extra", [0, 3])
def test_board_makes_a_fixed_number_of_queries(
    client, notice_a, official_a, assessor, village_a, extra, django_assert_num_queries
):
    more_settlements_in_notice(extra, official_a, assessor, village_a)
    cache.clear()
    with django_assert_num_queries(
        2
    ):  # ratings in notice with settlement/village/township, archive rounds
        html = client.get(BOARD).content.decode()
    assert len(board_rating_ids(html)) == 1 + extra
    with django_assert_num_queries(0):  # cached
        client.get(BOARD)


def test_board_cache_follows_a_notice_opening_and_closing(
    client, notice_a, sa_b, official_b, assessor, django_capture_on_commit_callbacks
):
    assert board_rating_ids(client.get(BOARD).content.decode()) == {notice_a.pk}

    with django_capture_on_commit_callbacks(execute=True):  # a notice opens
        self_submit(sa_b, official_b, {"HJ01": 1}, star=5)
        notice_b = finalise(sa_b, assessor, {"HJ01": 1})
    assert board_rating_ids(client.get(BOARD).content.decode()) == {notice_a.pk, notice_b.pk}

    with django_capture_on_commit_callbacks(execute=True):  # a notice closes
        take_effect(notice_a)
    assert board_rating_ids(client.get(BOARD).content.decode()) == {notice_b.pk}


def test_past_notices_stay_readable_with_their_outcome(client, effective_a, round_now):
    html = client.get(BOARD).content.decode()
    assert reverse("public:board_round", args=[round_now.pk]) in html
    past = client.get(reverse("public:board_round", args=[round_now.pk])).content.decode()
    assert board_rating_ids(past) == {effective_a.pk}
    assert "已生效" in past


def test_board_in_english(client, notice_a):
    html = client.get(BOARD, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "How to object" in html and "Object" in html


# ------------------------------------------------------------------------ objections


def objection_form(**overrides):
    data = {"text": "垃圾清运并未做到每日一次。", "name": "赵铁柱", "phone": PHONE}
    data.update(overrides)
    return data


def test_resident_files_an_objection_and_sees_its_status(client, notice_a):
    url = reverse("public:objection_new", args=[notice_a.pk])
    form = client.get(url)
    assert form.status_code == 200 and "sessionid" not in form.cookies

    response = client.post(url, objection_form())

    filed = ResidentObjection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("public:objection_filed", args=[filed.reference])
    page = client.get(response["Location"]).content.decode()
    assert filed.reference in page and "赵铁柱" not in page and PHONE not in page

    status = client.post(
        reverse("public:objection_status"),
        {"reference": filed.reference.lower(), "last_four": "4321"},
    )
    html = status.content.decode()
    assert 'data-state="processing"' in html and "受理中" in html
    assert "赵铁柱" not in html and PHONE not in html


def test_status_needs_the_right_last_four_digits(client, resident_objection):
    response = client.post(
        reverse("public:objection_status"),
        {"reference": resident_objection.reference, "last_four": "0000"},
    )
    assert 'data-code="not_found"' in response.content.decode()
    assert "data-state" not in response.content.decode()


def test_resident_sees_decline_with_its_reason_and_the_outcome_once_heard(
    client, resident_objection, assessor, assessor2, notice_a
):
    def state() -> str:
        html = client.post(
            reverse("public:objection_status"),
            {"reference": resident_objection.reference, "last_four": "4321"},
        ).content.decode()
        return html

    services.resident_objection_accept(resident_objection=resident_objection, by=assessor2)
    assert "受理中" in state()
    rating_services.objection_decide(
        objection=fresh(resident_objection).objection,
        by=assessor2,
        outcome="rejected",
        reasons="现场核实，厕所正常开放。",
    )
    html = state()
    assert 'data-state="done"' in html and "已处理" in html and "现场核实，厕所正常开放。" in html

    other = services.resident_objection_file(
        rating=notice_a, name="钱多多", phone="13700001111", text="另一件事。"
    )
    services.resident_objection_decline(
        resident_objection=other, by=assessor2, reason="不属于评分内容。"
    )
    html = client.post(
        reverse("public:objection_status"), {"reference": other.reference, "last_four": "1111"}
    ).content.decode()
    assert 'data-state="declined"' in html and "不予受理" in html and "不属于评分内容。" in html


def test_resident_whose_objection_is_upheld_is_told_what_follows(
    client, resident_objection, assessor2
):
    def status_page() -> str:
        return client.post(
            reverse("public:objection_status"),
            {"reference": resident_objection.reference, "last_four": "4321"},
        ).content.decode()

    services.resident_objection_accept(resident_objection=resident_objection, by=assessor2)
    assert 'data-next="re-review"' not in status_page()  # not decided yet
    rating_services.objection_decide(
        objection=fresh(resident_objection).objection,
        by=assessor2,
        outcome="upheld",
        reasons="现场核实属实。",
    )
    html = status_page()
    assert 'data-state="done"' in html and 'data-next="re-review"' in html


def test_refused_objection_keeps_the_form_and_says_why(client, notice_a):
    response = client.post(
        reverse("public:objection_new", args=[notice_a.pk]), objection_form(phone="123")
    )
    assert response.status_code == 400
    assert "请填写正确的手机号码" in response.content.decode()
    assert not ResidentObjection.objects.exists()


def test_objection_after_the_window_is_refused_with_the_date(client, effective_a):
    html = client.get(reverse("public:objection_new", args=[effective_a.pk])).content.decode()
    assert 'data-code="window_closed"' in html and "<form" not in html.split("</header>")[1]


def test_window_closed_page_names_the_day_it_closed(client, notice_a, monkeypatch):
    import datetime as dt

    day_after = notice_a.notice_ends_on + dt.timedelta(days=1)
    monkeypatch.setattr("public.views.timezone.localdate", lambda: day_after)
    html = client.get(reverse("public:objection_new", args=[notice_a.pk])).content.decode()
    assert notice_a.notice_ends_on.isoformat() in html and 'data-code="window_closed"' in html
    response = client.post(reverse("public:objection_new", args=[notice_a.pk]), objection_form())
    assert response.status_code == 400 and not ResidentObjection.objects.exists()


def test_rate_limit_per_phone_answers_429_in_chinese(client, notice_a, settings):
    settings.PUBLIC_OBJECTION_RATE_PHONE = "2/d"
    url = reverse("public:objection_new", args=[notice_a.pk])
    for i in range(2):
        assert (
            client.post(url, objection_form(text=f"第{i}条"), REMOTE_ADDR=f"10.0.0.{i}").status_code
            == 302
        )
    response = client.post(url, objection_form(text="第三条"), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    assert "提交次数过多" in response.content.decode()
    assert ResidentObjection.objects.count() == 2


def test_rate_limit_per_ip(client, notice_a, settings):
    settings.PUBLIC_OBJECTION_RATE_IP = "2/h"
    url = reverse("public:objection_new", args=[notice_a.pk])
    for i in range(2):
        client.post(url, objection_form(text=f"第{i}条", phone=f"1390000000{i}"))
    response = client.post(url, objection_form(text="第三条", phone="13900000009"))
    assert response.status_code == 429 and 'data-code="rate_limited"' in response.content.decode()


def test_status_lookups_are_rate_limited(client, resident_objection, settings):
    settings.PUBLIC_STATUS_RATE_IP = "3/h"
    for _ in range(3):
        client.post(
            reverse("public:objection_status"),
            {"reference": resident_objection.reference, "last_four": "0000"},
        )
    assert (
        client.post(
            reverse("public:objection_status"),
            {"reference": resident_objection.reference, "last_four": "4321"},
        ).status_code
        == 429
    )


def test_overturned_rating_has_no_public_objection_page(client, notice_a, assessor2):
    formal = rating_services.objection_file(
        rating=notice_a, by=assessor2, filed_by_name="某某", text="x"
    )
    rating_services.objection_decide(
        objection=formal, by=assessor2, outcome="upheld", reasons="属实"
    )
    assert fresh(notice_a).status == RatingStatus.OVERTURNED
    assert client.get(reverse("public:objection_new", args=[notice_a.pk])).status_code == 404


# ---------------------------------------------------------------------- county queue


def test_queue_shows_pending_objections_masked(client, login, assessor, resident_objection):
    html = login(assessor).get(reverse("public:queue")).content.decode()
    assert resident_objection.reference in html
    assert "赵**" in html and "139****4321" in html
    assert "赵铁柱" not in html and PHONE not in html


def test_objections_own_page_shows_name_and_phone_to_the_county(
    client, login, assessor, resident_objection
):
    html = (
        login(assessor)
        .get(reverse("public:queue_detail", args=[resident_objection.pk]))
        .content.decode()
    )
    assert "赵铁柱" in html and PHONE in html


def test_assessor_accepts_from_the_queue(client, login, assessor2, resident_objection):
    url = reverse("public:queue_detail", args=[resident_objection.pk])
    response = login(assessor2).post(url, {"action": "accept"})
    assert response.status_code == 302
    assert fresh(resident_objection).status == ResidentObjectionStatus.ACCEPTED
    assert Objection.objects.get().resident_objection == fresh(resident_objection)


def test_assessor_declines_from_the_queue_round_trip(client, login, assessor, resident_objection):
    url = reverse("public:queue_detail", args=[resident_objection.pk])
    login(assessor)
    assert client.post(url, {"action": "decline", "reason": ""}).status_code == 200
    assert fresh(resident_objection).status == ResidentObjectionStatus.PENDING
    assert client.post(url, {"action": "decline", "reason": "与评分无关。"}).status_code == 302
    html = client.get(url).content.decode()
    assert "不予受理" in html and "与评分无关。" in html
    assert fresh(resident_objection).decline_reason == "与评分无关。"


@pytest.mark.parametrize("who", ["official_a", "official_b", "outsider"])
def test_queue_is_closed_to_everyone_but_the_county(
    client, login, request, who, resident_objection
):
    user = f.user("outsider") if who == "outsider" else request.getfixturevalue(who)
    login(user)
    assert client.get(reverse("public:queue")).status_code == 403
    assert (
        client.get(reverse("public:queue_detail", args=[resident_objection.pk])).status_code == 404
    )
    assert (
        client.post(
            reverse("public:queue_detail", args=[resident_objection.pk]), {"action": "accept"}
        ).status_code
        == 404
    )
    assert fresh(resident_objection).status == ResidentObjectionStatus.PENDING


def test_queue_needs_a_login(client, resident_objection):
    assert client.get(reverse("public:queue")).status_code == 302
    assert (
        client.get(reverse("public:queue_detail", args=[resident_objection.pk])).status_code == 302
    )


def test_queue_is_linked_from_the_county_navigation(client, login, assessor, official_a):
    assert reverse("public:queue") in login(assessor).get(reverse("ratings:queue")).content.decode()


# ---------------------------------------------------------------------- certificates


def test_certificate_page_shows_valid_with_current_star(
    client, certificate_a, settlement_a, django_assert_num_queries
):
    url = reverse("public:certificate", args=[certificate_token(certificate_a.pk)])
    with django_assert_num_queries(1):  # certificate with rating/settlement/village/township
        response = client.get(url)
    html = response.content.decode()
    assert 'data-state="valid"' in html and "有效" in html
    assert (
        settlement_a.name in html
        and certificate_a.number in html
        and str(certificate_a.year) in html
    )
    assert "newer-certificate" not in html
    assert "sessionid" not in response.cookies


def test_certificate_page_follows_downgrade_and_revocation(
    client, certificate_a, assessor, django_assert_num_queries
):
    url = reverse("public:certificate", args=[certificate_token(certificate_a.pk)])
    rating_services.rating_downgrade(
        rating=certificate_a.rating, by=assessor, reason="发生安全事故"
    )
    reissued = Certificate.objects.get(replaces=certificate_a)
    with django_assert_num_queries(2):  # the certificate, the settlement's current one
        html = client.get(url).content.decode()
    # Voided, says so, and points to the certificate at the new star.
    assert 'data-state="downgraded"' in html and "已作废" in html
    assert reverse("public:certificate", args=[certificate_token(reissued.pk)]) in html
    assert reissued.number in html and "四星" in html

    rating_services.rating_revoke(rating=certificate_a.rating, by=assessor, reason="重大问题")
    html = client.get(url).content.decode()
    assert 'data-state="downgraded"' in html and "newer-certificate" not in html
    assert "没有有效的星级证书" in html
    html = client.get(
        reverse("public:certificate", args=[certificate_token(reissued.pk)])
    ).content.decode()
    assert 'data-state="revoked"' in html and "已作废" in html
    assert timezone.localtime(fresh(reissued).revoked_at).date().isoformat() in html


def test_a_forged_or_guessed_token_is_404(client, certificate_a):
    assert client.get(reverse("public:certificate", args=[certificate_a.number])).status_code == 404
    token = certificate_token(certificate_a.pk)
    assert client.get(reverse("public:certificate", args=[token[:-1] + "x"])).status_code == 404
    assert (
        client.get(reverse("public:certificate", args=[str(certificate_a.pk)])).status_code == 404
    )


def test_certificate_html_carries_the_qr_code_of_its_check_page(
    client, login, official_a, certificate_a
):
    html = (
        login(official_a)
        .get(reverse("ratings:certificate", args=[certificate_a.pk]))
        .content.decode()
    )
    check = "http://testserver" + reverse(
        "public:certificate", args=[certificate_token(certificate_a.pk)]
    )
    assert 'class="cert-qr" src="data:image/png;base64,' in html
    assert f'data-check-url="{check}"' in html


def test_honour_roll_links_each_settlement_to_its_certificate_page(
    client, certificate_a, settlement_a
):
    html = client.get(reverse("honour_roll"), {"klass": settlement_a.klass}).content.decode()
    assert reverse("public:certificate", args=[certificate_token(certificate_a.pk)]) in html


# ----------------------------------------------------------------- no personal data


def test_public_pages_leak_no_personal_data(
    client, resident_objection, certificate_a, official_a, assessor, notice_a, round_now
):
    pages = [
        BOARD,
        reverse("public:board_round", args=[round_now.pk]),
        reverse("public:objection_new", args=[notice_a.pk]),
        reverse("public:objection_filed", args=[resident_objection.reference]),
        reverse("public:certificate", args=[certificate_token(certificate_a.pk)]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for secret in personal_data(official_a, assessor):
            assert secret not in html, (url, secret)
        assert not re.search(r"1[3-9]\d{9}", html), url  # no mobile number at all
        assert "sessionid" not in response.cookies


def test_certificate_token_survives_a_key_rotation_listed_in_fallbacks(
    client, certificate_a, settings
):
    token = certificate_token(certificate_a.pk)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "rotated-" + "k" * 50
    assert client.get(reverse("public:certificate", args=[token])).status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert client.get(reverse("public:certificate", args=[token])).status_code == 404


def test_objection_form_and_status_pages_make_fixed_queries(
    client, notice_a, resident_objection, django_assert_num_queries
):
    with django_assert_num_queries(1):  # the rating with settlement, village, township and round
        client.get(reverse("public:objection_new", args=[notice_a.pk]))
    with django_assert_num_queries(
        1
    ):  # the objection with its rating, settlement, round, formal objection
        client.post(
            reverse("public:objection_status"),
            {"reference": resident_objection.reference, "last_four": "4321"},
        )


def test_public_pages_in_english_have_no_chinese_left(
    client, certificate_a, notice_a, settlement_a, settlement_b, township_a, village_a
):
    han = re.compile(r"[\u3400-\u9fff]+")
    for obj, name in (
        (settlement_a, "Happy Court"),
        (settlement_b, "Peace Garden"),
        (township_a, "Town A"),
        (village_a, "Village A"),
    ):
        obj.name = name
        obj.save()
    filed = services.resident_objection_file(rating=notice_a, name="Zhao", phone=PHONE, text="x")
    pages = [
        BOARD,
        reverse("public:objection_new", args=[notice_a.pk]),
        reverse("public:objection_filed", args=[filed.reference]),
        reverse("public:objection_status"),
        reverse("public:certificate", args=[certificate_token(certificate_a.pk)]),
    ]
    for url in pages:
        assert not han.findall(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()), url
    status = client.post(
        reverse("public:objection_status"),
        {"reference": filed.reference, "last_four": PHONE[-4:]},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Being handled" in status and not han.findall(status)
