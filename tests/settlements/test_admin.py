"""The Django admin: every page loads for the secretary, and an official's admin is their township only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from ratings.models import (
    Certificate,
    Evidence,
    Notice,
    Objection,
    Rating,
    Rectification,
    Review,
    ReviewItem,
    ReviewReopening,
    Round,
    SelfAssessment,
    SelfAssessmentItem,
    StarChange,
)
from settlements.models import Settlement, User
from settlements.roles import OFFICIAL
from tests import factories as f

PROJECT_APPS = ("settlements", "ratings")
REGISTERED = sorted(
    (m for m in admin.site._registry if m._meta.app_label in PROJECT_APPS),
    key=lambda m: (m._meta.app_label, m._meta.model_name),
)


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def workflow(settlement_a, settlement_b, rubric, assessor, official_a):
    """One row of every workflow model for each township, written directly (no services needed)."""
    rnd = Round.objects.create(
        year=2025,
        quarter=1,
        stage="initial",
        opened_on=date(2025, 4, 1),
        self_deadline=date(2025, 4, 11),
        review_deadline=date(2025, 5, 1),
        rubric=rubric,
    )
    item = rubric.items.order_by("position").first()
    rows = {}
    for s in (settlement_a, settlement_b):
        sa = SelfAssessment.objects.create(
            round=rnd,
            settlement=s,
            settlement_class=s.klass,
            rubric=rubric,
            status="submitted",
            score=Decimal("92.0"),
            star_applied=5,
            deadline=rnd.self_deadline,
            submitted_by=official_a,
        )
        SelfAssessmentItem.objects.create(
            assessment=sa, item=item, occurrences=1, points=item.points
        )
        review = Review.objects.create(
            self_assessment=sa, assessor=assessor, status="final", score=Decimal("91.0")
        )
        ReviewItem.objects.create(review=review, item=item, occurrences=1, points=item.points)
        rating = Rating.objects.create(
            settlement=s,
            round=rnd,
            review=review,
            stage="initial",
            rubric=rubric,
            settlement_class=s.klass,
            score=Decimal("91.0"),
            awarded_stars=5,
            stars=5,
            notice_ends_on=date(2025, 5, 10),
            decided_by=assessor,
        )
        rows[s.code] = {
            SelfAssessment: sa,
            Review: review,
            Rating: rating,
            StarChange: StarChange.objects.create(
                settlement=s, rating=rating, kind="rated", from_stars=0, to_stars=5, by=assessor
            ),
            Objection: Objection.objects.create(
                rating=rating,
                filed_by_name="居民甲",
                text="有异议",
                recorded_by=official_a,
                reviewed_by=assessor,
            ),
            Rectification: Rectification.objects.create(
                settlement=s, rating=rating, trigger="分数下降"
            ),
            Evidence: Evidence.objects.create(
                settlement=s,
                assessment=sa,
                item=item,
                side="self",
                file="evidence/x.jpg",
                original_name="照片.jpg",
                content_type="image/jpeg",
                size=10,
                uploaded_by=official_a,
            ),
            Certificate: Certificate.objects.create(
                rating=rating, settlement=s, year=2025, stars=5, number=f"PS-{s.code}"
            ),
            ReviewReopening: ReviewReopening.objects.create(
                self_assessment=sa,
                kind="extension",
                open_until=date(2025, 5, 20),
                reason="暴雨延期",
                by=assessor,
            ),
        }
    Notice.objects.create(user=official_a, key="deadline", text="自评即将截止")
    return rows


@pytest.fixture
def staff_official_a(official_a):
    official_a.is_staff = True
    official_a.save()
    return official_a


@pytest.fixture
def staff_official_b(official_b):
    official_b.is_staff = True
    official_b.save()
    return official_b


# --------------------------------------------------------------------- smoke


def test_every_project_model_is_registered():
    names = {m.__name__ for m in REGISTERED}
    expected = {
        "Township",
        "Village",
        "Settlement",
        "User",
        "Rubric",
        "RubricItem",
        "Round",
        "SelfAssessment",
        "Review",
        "ReviewReopening",
        "Rating",
        "StarChange",
        "Objection",
        "Rectification",
        "Evidence",
        "Certificate",
        "Notice",
    }
    assert expected <= names


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: f"{m._meta.app_label}.{m.__name__}")
def test_changelist_loads_for_the_secretary(login, secretary, workflow, model):
    client = login(secretary)

    response = client.get(url(model, "changelist"))

    assert response.status_code == 200
    obj = admin.site._registry[model].get_queryset(response.wsgi_request).first()
    if obj is not None:  # and one object's page, read-only or not
        assert client.get(url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: f"{m._meta.app_label}.{m.__name__}")
def test_search_and_filters_do_not_break(login, secretary, workflow, model, township_a):
    model_admin = admin.site._registry[model]
    params: dict[str, object] = {"q": "甲"} if model_admin.search_fields else {}
    if any(getattr(flt, "parameter_name", None) == "township" for flt in model_admin.list_filter):
        params["township"] = township_a.pk
    if any(getattr(flt, "parameter_name", None) == "class" for flt in model_admin.list_filter):
        params["class"] = 1

    response = login(secretary).get(url(model, "changelist"), params)

    assert response.status_code == 200
    assert "?e=1" not in response.get("Location", "")


def test_settlement_changelist_query_count(login, secretary, django_assert_num_queries):
    for i in range(30):
        f.settlement(f.village(f.township(f"镇{i}")), households=10 + i * 5)
    client = login(secretary)
    client.get(reverse("admin:settlements_settlement_changelist"))  # warm the content-type cache

    # the user with roles (the scope), user permissions, group permissions,
    # townships for the filter, count, whether a five-star target exists (the
    # sidebar's add link), the page of settlements joined with village and township.
    # Class, gaps and the star filter cost nothing.
    with django_assert_num_queries(7):
        response = client.get(reverse("admin:settlements_settlement_changelist"))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 30


def test_settlement_list_shows_derived_class_and_organisation_gaps(login, secretary, village_a):
    f.settlement(
        village_a,
        code="G1",
        name="缺口苑",
        households=60,
        residents=200,
        party_members=0,
        party_org="branch",
        self_management="executor",
    )

    page = login(secretary).get(reverse("admin:settlements_settlement_changelist")).content.decode()

    assert "二类（50–99户）" in page
    assert "党组织形式与党员人数不符" in page and "自治组织形式与户数不符" in page


def test_class_and_star_are_read_only_on_the_settlement_form(login, secretary, settlement_a):
    response = login(secretary).get(url(Settlement, "change", settlement_a.pk))

    form_fields = response.context["adminform"].form.fields
    assert (
        "klass" not in form_fields
        and "current_star" not in form_fields
        and "current_score" not in form_fields
    )
    assert "一类（100户及以上）" in response.content.decode()


# --------------------------------------------------------------------- scope


def test_official_admin_lists_only_their_township(
    login, staff_official_a, settlement_a, settlement_b, village_b
):
    response = login(staff_official_a).get(reverse("admin:settlements_settlement_changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [settlement_a]
    page = response.content.decode()
    assert "幸福苑" in page and "安居园" not in page
    assert "乙镇" not in page  # not even in the township filter


def test_outsider_gets_404_for_another_townships_settlement_in_admin(
    login, staff_official_b, settlement_a
):
    client = login(staff_official_b)

    assert client.get(url(Settlement, "change", settlement_a.pk)).status_code == 404
    assert client.get(url(Settlement, "history", settlement_a.pk)).status_code == 404
    record = settlement_a.history.latest()
    assert (
        client.get(
            reverse(
                "admin:settlements_settlement_simple_history",
                args=[settlement_a.pk, record.history_id],
            )
        ).status_code
        == 404
    )


def test_official_form_offers_only_their_villages(login, staff_official_a, settlement_a, village_b):
    response = login(staff_official_a).get(url(Settlement, "change", settlement_a.pk))

    choices = list(response.context["adminform"].form.fields["village"].queryset)
    assert choices == [settlement_a.village]


def test_official_cannot_move_a_settlement_to_another_township(
    login, staff_official_a, settlement_a, village_b
):
    data = {
        "code": "SA1",
        "name": "幸福苑",
        "village": village_b.pk,
        "households": 120,
        "residents": 400,
        "party_members": 5,
        "party_org": "branch",
        "self_management": "committee",
        "version": settlement_a.version,
    }

    response = login(staff_official_a).post(url(Settlement, "change", settlement_a.pk), data)

    assert response.status_code == 200  # the form comes back with an error
    assert "village" in response.context["adminform"].form.errors
    settlement_a.refresh_from_db()
    assert settlement_a.village.township.name == "甲镇"


def test_settlement_change_in_admin_keeps_history_with_the_user(login, secretary, settlement_a):
    data = {
        "code": "SA1",
        "name": "幸福苑新区",
        "village": settlement_a.village_id,
        "households": 120,
        "residents": 400,
        "party_members": 5,
        "party_org": "branch",
        "self_management": "committee",
        "version": settlement_a.version,
    }

    response = login(secretary).post(url(Settlement, "change", settlement_a.pk), data)

    assert response.status_code == 302
    record = settlement_a.history.latest()
    assert (record.name, record.history_user) == ("幸福苑新区", secretary)
    assert login(secretary).get(url(Settlement, "history", settlement_a.pk)).status_code == 200


def test_history_cannot_be_reverted_from_the_admin(login, secretary, settlement_a):
    record = settlement_a.history.earliest()
    history_url = reverse(
        "admin:settlements_settlement_simple_history", args=[settlement_a.pk, record.history_id]
    )

    assert login(secretary).get(history_url).status_code == 200
    assert login(secretary).post(history_url, {"name": "回滚"}).status_code == 403


# --------------------------------------------------------------------- users


def test_secretary_creates_an_official_who_must_have_a_township(login, secretary, township_a):
    official_group = Group.objects.get(name=OFFICIAL)
    data = {
        "username": "new_official",
        "display_name": "新干部",
        "usable_password": "true",
        "password1": "Zx-9876-long-pass",
        "password2": "Zx-9876-long-pass",
        "groups": [official_group.pk],
        "is_staff": "on",
    }
    client = login(secretary)

    response = client.post(url(User, "add"), data)

    assert response.status_code == 200
    assert "乡镇干部必须指定所属乡镇" in response.content.decode()
    assert not User.objects.filter(username="new_official").exists()

    response = client.post(url(User, "add"), {**data, "township": township_a.pk})

    assert response.status_code == 302
    user = User.objects.get(username="new_official")
    assert user.township == township_a and list(user.groups.all()) == [official_group]


def test_user_list_shows_roles_without_a_query_per_row(
    login, secretary, official_a, official_b, assessor, django_assert_num_queries
):
    for i in range(10):
        f.official(f"o{i}", official_a.township)
    client = login(secretary)
    client.get(url(User, "changelist"))

    # the user with roles, user permissions, group permissions, groups
    # for the filter, townships for the filter, count, whether a five-star target exists
    # (sidebar), users with township, their groups.
    with django_assert_num_queries(9):
        response = client.get(url(User, "changelist"))

    assert "乡镇干部" in response.content.decode()
