"""The ratings admin: rounds opened through the service, workflow records read-only and scoped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from ratings.models import Rating, Review, Round, SelfAssessment

OPEN_URL = reverse("admin:ratings_round_open")


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def rated_round(rubric, settlement_a, settlement_b, assessor):
    """A round with a self-assessment, review and rating for each township (written directly)."""
    rnd = Round.objects.create(
        year=2025,
        quarter=1,
        stage="initial",
        opened_on=date(2025, 4, 1),
        self_deadline=date(2025, 4, 11),
        review_deadline=date(2025, 5, 1),
        rubric=rubric,
    )
    out = {}
    for s in (settlement_a, settlement_b):
        sa = SelfAssessment.objects.create(
            round=rnd,
            settlement=s,
            settlement_class=s.klass,
            rubric=rubric,
            deadline=rnd.self_deadline,
        )
        review = Review.objects.create(self_assessment=sa, assessor=assessor)
        rating = Rating.objects.create(
            settlement=s,
            round=rnd,
            review=review,
            stage="initial",
            rubric=rubric,
            settlement_class=s.klass,
            score=Decimal("85.0"),
            awarded_stars=4,
            stars=4,
            notice_ends_on=date(2025, 5, 10),
            decided_by=assessor,
        )
        out[s.code] = {SelfAssessment: sa, Review: review, Rating: rating}
    return out


@pytest.fixture
def viewing_official_a(official_a):
    """Official A with staff access and view permissions on the workflow (not given by default)."""
    official_a.is_staff = True
    official_a.save()
    official_a.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_selfassessment", "view_review", "view_rating"]
        )
    )
    return official_a


@pytest.fixture
def viewing_official_b(official_b):
    official_b.is_staff = True
    official_b.save()
    official_b.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_selfassessment", "view_review", "view_rating"]
        )
    )
    return official_b


# ------------------------------------------------------------------------ rounds


def test_secretary_opens_a_round_from_the_admin(
    login, secretary, rubric, settlement_a, settlement_b
):
    client = login(secretary)
    assert "开启考评轮次" in client.get(url(Round, "changelist")).content.decode()

    response = client.post(OPEN_URL, {"year": 2025, "quarter": 2}, follow=True)

    rnd = Round.objects.get(year=2025, quarter=2)
    assert rnd.stage == "re" and rnd.opened_by == secretary
    assert SelfAssessment.objects.filter(round=rnd).count() == 2
    page = response.content.decode()
    assert "已开启" in page and "生成 2 份乡镇自评表" in page
    rubric.refresh_from_db()
    assert rubric.is_frozen


def test_opening_the_same_quarter_again_creates_nothing(login, secretary, rubric, settlement_a):
    client = login(secretary)
    client.post(OPEN_URL, {"year": 2025, "quarter": 1})

    response = client.post(OPEN_URL, {"year": 2025, "quarter": 1}, follow=True)

    assert "此前已经开启，没有重复创建" in response.content.decode()
    assert Round.objects.count() == 1 and SelfAssessment.objects.count() == 1


def test_bad_input_and_service_refusals_come_back_as_form_errors(login, secretary, rubric):
    client = login(secretary)

    response = client.post(OPEN_URL, {"year": 1999, "quarter": 5})
    assert set(response.context["form"].errors) == {"year", "quarter"}

    rubric.is_current = False
    rubric.save()
    response = client.post(OPEN_URL, {"year": 2025, "quarter": 1})
    assert "没有当前使用的评分细则版本" in " ".join(response.context["form"].non_field_errors())
    assert not Round.objects.exists()


def test_only_those_who_may_add_rounds_can_open_one(login, official_a, rubric):
    official_a.is_staff = True
    official_a.save()  # officials may view rounds, not open them
    client = login(official_a)

    assert client.get(OPEN_URL).status_code == 403
    assert client.post(OPEN_URL, {"year": 2025, "quarter": 1}).status_code == 403
    assert "开启考评轮次" not in client.get(url(Round, "changelist")).content.decode()
    assert not Round.objects.exists()


def test_rounds_are_not_added_or_edited_by_hand(login, secretary, rated_round):
    rnd = Round.objects.get()
    client = login(secretary)

    assert client.get(url(Round, "add")).status_code == 403
    assert client.post(url(Round, "change", rnd.pk), {"year": 2030}).status_code == 403
    assert client.get(url(Round, "history", rnd.pk)).status_code == 200


# ------------------------------------------------------------- workflow records


@pytest.mark.parametrize("model", [SelfAssessment, Review, Rating])
def test_workflow_records_are_read_only_in_admin(login, secretary, rated_round, model):
    obj = rated_round["SA1"][model]
    client = login(secretary)

    page = client.get(url(model, "change", obj.pk))

    assert page.status_code == 200 and page.context["has_change_permission"] is False
    assert client.get(url(model, "add")).status_code == 403
    assert client.post(url(model, "change", obj.pk), {}).status_code == 403
    assert client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert client.get(url(model, "history", obj.pk)).status_code == 200
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", [SelfAssessment, Review, Rating])
def test_official_sees_only_their_townships_workflow_records(
    login, viewing_official_a, rated_round, model
):
    response = login(viewing_official_a).get(url(model, "changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [rated_round["SA1"][model]]
    assert "安居园" not in response.content.decode()


@pytest.mark.parametrize("model", [SelfAssessment, Review, Rating])
def test_outsider_gets_404_for_another_townships_workflow_record(
    login, viewing_official_b, rated_round, model
):
    obj = rated_round["SA1"][model]
    client = login(viewing_official_b)

    assert client.get(url(model, "change", obj.pk)).status_code == 404
    assert client.get(url(model, "history", obj.pk)).status_code == 404
    assert client.get(url(model, "change", rated_round["SB1"][model].pk)).status_code == 200


def test_workflow_changelist_query_count_does_not_grow_per_row(
    login, secretary, rated_round, django_assert_num_queries
):
    client = login(secretary)
    client.get(url(Rating, "changelist"))

    # user with roles, user permissions, group permissions,
    # townships for the filter, count, whether a five-star target exists (sidebar's add
    # link), ratings joined with settlement, village, township, round and rubric, then the
    # distinct years and quarters of the (few) rounds for their filters.
    with django_assert_num_queries(9):
        response = client.get(url(Rating, "changelist"))

    assert len(response.context["cl"].result_list) == 2
