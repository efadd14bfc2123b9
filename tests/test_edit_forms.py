"""Every edit form of the product really saves, and a stale one saves nothing.

One parametrised round trip over every edit form (admin change forms and the pages'
edit forms): open the form, change every field a person can change, post back every
control the page rendered (hidden version and CSRF included, parsed from the HTML as a
browser would), then read the database. A form gaining a field fails here until its
case changes that field too.

The admin cases are discovered: every model of the project registered in the admin is
either an edit case below or read-only there (no change permission for anyone), so a
new ModelAdmin cannot be forgotten.

Then optimistic locking: two people open the same form, both post; the second is
refused with ``core.locking.Conflict.STALE_VERSION`` (409), their typed values are
still on the page, and the database holds the first person's values.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db import models
from django.test import Client, RequestFactory
from django.urls import reverse

from core.locking import STALE_MESSAGE, Conflict, EditConflict
from ratings.models import RubricItem
from settlements.governance import services as governance
from settlements.models import (
    Household,
    TeamMember,
    User,
)
from tests.html_forms import Form, parse_form

pytest_plugins = ["tests.ratings.view_fixtures"]

pytestmark = pytest.mark.django_db

from tests.edit_form_cases import (  # noqa: E402
    ADMIN_CASES,
    CASES,
    ID_1,
    PROJECT_APPS,
    Case,
    World,
    _draft_rubric,
    admin_url,
)

READ_ONLY_IN_ADMIN = {
    "settlements.SettlementOrganisation",
    "settlements.CommitteeMember",
    "settlements.TeamMember",
    "settlements.Household",
    "settlements.PointEntry",
    "settlements.HonourList",
    "ratings.Round",
    "ratings.SelfAssessment",
    "ratings.Review",
    "ratings.ReviewReopening",
    "ratings.Rating",
    "ratings.StarChange",
    "ratings.Objection",
    "ratings.Rectification",
    "ratings.Evidence",
    "ratings.Certificate",
    "ratings.Notice",
    "rewards.Disbursement",
    "notifications.Notification",
    "dashboards.CountyRoundStat",
    "dashboards.RoundStat",
    "dashboards.AssessorRoundStat",
}


@pytest.fixture
def world(secretary, official_a, settlement_a, village_b, township_b, request, media_root) -> World:
    return World(secretary, official_a, settlement_a, village_b, township_b, request)


def _client(user: User) -> Client:
    client = Client(enforce_csrf_checks=True)  # the CSRF token must come from the page
    client.force_login(user)
    return client


def _open(client: Client, url: str, case: Case) -> Form:
    response = client.get(url)
    assert response.status_code == 200, (case.id, response.status_code)
    html = response.content.decode()
    return (
        parse_form(html, form_id=case.form_id) if case.form_id else parse_form(html, has=case.has)
    )


def _post(client: Client, url: str, form: Form) -> Any:
    return client.post(form.action or url, form.data())


def _errors(response: Any) -> Any:
    context = response.context or {}
    if "adminform" in context:
        return context["adminform"].form.errors, context.get("inline_admin_formsets")
    return context.get("form") and context["form"].errors


# ---------------------------------------------------------------------------- discovery


def _admin_label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def test_every_admin_of_the_project_is_an_edit_case_or_read_only(secretary):
    cased = {_admin_label(_case_model(c)) for c in ADMIN_CASES}
    request = RequestFactory().get("/")
    request.user = User.objects.create_superuser("root_checker", password="x-Test-12345")
    missing, not_read_only = [], []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in PROJECT_APPS:
            continue
        label = _admin_label(model)
        if label in cased:
            continue
        if label not in READ_ONLY_IN_ADMIN:
            missing.append(label)
        elif model_admin.has_change_permission(request) or model_admin.has_add_permission(request):
            not_read_only.append(label)
    assert missing == [], (
        f"admin models with no edit-form case in tests/test_edit_forms.py: {missing}"
    )
    assert not_read_only == [], f"listed as read-only but editable in the admin: {not_read_only}"


def _case_model(case: Case) -> type[models.Model]:
    name = case.form_id.removesuffix("_form")
    return next(
        m
        for m in admin.site._registry
        if m._meta.model_name == name and m._meta.app_label in PROJECT_APPS
    )


# ---------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_edit_form_saves_every_field(case: Case, world: World):
    obj = case.make(world)
    user = world.user(case.user)
    client = _client(user)
    url = case.url(world, obj)
    form = _open(client, url, case)
    changes = case.changes(world, obj)

    # Every control a person can change is changed (or listed with a reason).
    assert form.visible_names() - set(case.unchanged) == set(changes), case.id
    assert {"csrfmiddlewaretoken"} <= form.names()
    for name, value in changes.items():
        form.set(name, value)
    response = _post(client, url, form)

    assert response.status_code == 302, (case.id, _errors(response))
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    for what, (stored, expected) in case.stored(fresh, world).items():
        assert stored == expected, (case.id, what)
    if hasattr(fresh, "history"):
        assert fresh.history.latest().history_user == user  # the save is on record, with who


# ---------------------------------------------------------------------------- conflicts


def _conflict_cases() -> list[Case]:
    return [c for c in CASES if c.locking]


@pytest.mark.parametrize("case", _conflict_cases(), ids=[c.id for c in _conflict_cases()])
def test_the_later_of_two_edits_is_refused_and_keeps_what_was_typed(case: Case, world: World):
    obj = case.make(world)
    user = world.user(case.user)
    first, second = _client(user), _client(user)
    url = case.url(world, obj)
    first_form, second_form = _open(first, url, case), _open(second, url, case)
    changes = case.changes(world, obj)
    for name, value in changes.items():
        first_form.set(name, value)
    # The second person makes the same edit but writes one text differently.
    free_text = [
        n for n in changes if n in _texts(second_form) and n not in ("id_number", "username")
    ]
    typed = {**changes, **({free_text[0]: "另一人填写"} if free_text else {"amount": "777.00"})}
    for name, value in typed.items():
        second_form.set(name, value)

    assert _post(first, url, first_form).status_code == 302, _errors(_post(first, url, first_form))
    refused = _post(second, url, second_form)

    assert refused.status_code == 409, (case.id, _errors(refused))
    errors = _non_field_errors(refused)
    assert [e.code for e in errors] == [Conflict.STALE_VERSION], (case.id, errors)
    assert str(STALE_MESSAGE) in refused.content.decode()
    shown = (
        parse_form(refused.content.decode(), form_id=case.form_id)
        if case.form_id
        else parse_form(refused.content.decode(), has=case.has)
    )
    for name in typed:  # every control shows what the second person entered
        assert _shown(shown, name) == _shown(second_form, name), (case.id, name)
    fresh = type(obj)._default_manager.get(pk=obj.pk)
    for what, (stored, expected) in case.stored(fresh, world).items():
        assert stored == expected, (case.id, what)  # the first person's values, untouched


def _shown(form: Form, name: str) -> Any:
    controls = form.named(name)
    if controls[0].kind in ("checkbox", "radio"):
        return sorted(c.value for c in controls if c.checked)
    return controls[0].value


def _texts(form: Form) -> set[str]:
    return {c.name for c in form.controls if c.kind in ("text", "textarea", "tel", "email")}


def _non_field_errors(response: Any) -> list[Any]:
    context = response.context
    form = context["adminform"].form if "adminform" in context else context["form"]
    return list(form.errors.as_data().get("__all__", []))


def test_a_tampered_version_is_refused_on_the_form(world: World):
    household = Household.objects.create(
        settlement=world.settlement, head_name="张三", id_number=ID_1
    )
    client = _client(world.official)
    url = reverse("settlements:household_edit", args=[world.settlement.pk, household.pk])
    form = parse_form(client.get(url).content.decode(), has="version")
    form.set("head_name", "李四")
    form.set("version", "abc")

    response = _post(client, url, form)

    assert [e.code for e in _non_field_errors(response)] == [Conflict.BAD_VERSION]
    assert Household.objects.get(pk=household.pk).head_name == "张三"


def test_a_service_called_with_a_stale_version_saves_nothing(world: World):
    member = TeamMember.objects.create(settlement=world.settlement, role="grid", name="甲")
    governance.team_member_update(
        member=member, by=world.official, role="grid", name="乙", expected_version=0
    )

    with pytest.raises(EditConflict) as refused:
        governance.team_member_update(
            member=member, by=world.official, role="grid", name="丙", expected_version=0
        )

    assert refused.value.code == Conflict.STALE_VERSION
    assert TeamMember.objects.get(pk=member.pk).name == "乙"


def test_a_rubric_item_changed_on_its_own_page_is_not_overwritten_from_the_rubric_page(
    world: World,
):
    rubric = _draft_rubric(world)
    item = rubric.items.get()
    on_rubric, on_item = _client(world.secretary), _client(world.secretary)
    rubric_form = parse_form(
        on_rubric.get(admin_url(rubric)).content.decode(), form_id="rubric_form"
    )
    item_form = parse_form(on_item.get(admin_url(item)).content.decode(), form_id="rubricitem_form")
    item_form.set("text", "条目页改的")
    assert _post(on_item, admin_url(item), item_form).status_code == 302
    rubric_form.set("items-0-text", "细则页改的")

    refused = _post(on_rubric, admin_url(rubric), rubric_form)

    assert refused.status_code == 200  # an inline row's refusal is shown on its row
    formset = refused.context["inline_admin_formsets"][0].formset
    assert [e.code for form in formset for e in form.non_field_errors().as_data()] == [
        Conflict.STALE_VERSION
    ]
    assert RubricItem.objects.get(pk=item.pk).text == "条目页改的"
