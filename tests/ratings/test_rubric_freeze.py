"""A rubric version used by a round is frozen, in the model layer and in the admin (SPEC §3)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from ratings.codes import Refusal
from ratings.models import Rubric, RubricFrozen, RubricItem
from ratings.rubric_loader import rubric_make_current, rubric_new_version
from tests.refusals import refused

CHANGELIST = reverse("admin:ratings_rubric_changelist")


@pytest.fixture
def frozen(rubric):
    Rubric.objects.filter(pk=rubric.pk).update(frozen_at=timezone.now())
    rubric.refresh_from_db()
    return rubric


def rubric_form_data(rubric: Rubric, **changes) -> dict:
    items = list(rubric.items.order_by("position", "code"))
    data = {
        "version": rubric.version,
        "edit_version": rubric.edit_version,
        "name": rubric.name,
        "bonus_cap": rubric.bonus_cap,
        "items-TOTAL_FORMS": len(items),
        "items-INITIAL_FORMS": len(items),
        "items-MIN_NUM_FORMS": 0,
        "items-MAX_NUM_FORMS": 1000,
    }
    for i, item in enumerate(items):
        data.update(
            {
                f"items-{i}-id": item.pk,
                f"items-{i}-rubric": rubric.pk,
                f"items-{i}-position": item.position,
                f"items-{i}-area": item.area,
                f"items-{i}-code": item.code,
                f"items-{i}-text": item.text,
                f"items-{i}-kind": item.kind,
                f"items-{i}-points": item.points,
                f"items-{i}-cap": item.cap,
                f"items-{i}-version": item.version,
            }
        )
        if item.flagged:
            data[f"items-{i}-flagged"] = "on"
    data.update(changes)
    return data


# ----------------------------------------------------------------- model layer


def test_frozen_rubric_refuses_changes_and_deletion(frozen):
    frozen.bonus_cap = Decimal("20")
    with pytest.raises(RubricFrozen):
        frozen.save()
    with pytest.raises(RubricFrozen):
        Rubric.objects.get(pk=frozen.pk).delete()
    with pytest.raises(RubricFrozen):
        Rubric.objects.filter(pk=frozen.pk).update(name="改")
    with pytest.raises(RubricFrozen):
        Rubric.objects.filter(pk=frozen.pk).delete()
    assert Rubric.objects.get(pk=frozen.pk).bonus_cap == Decimal("10")


def test_frozen_rubric_items_refuse_changes_additions_and_deletion(frozen):
    item = frozen.items.first()
    item.points = Decimal("9")
    with pytest.raises(RubricFrozen):
        item.save()
    with pytest.raises(RubricFrozen):
        RubricItem.objects.filter(pk=item.pk).update(points=Decimal("9"))
    with pytest.raises(RubricFrozen):
        RubricItem.objects.get(pk=item.pk).delete()
    with pytest.raises(RubricFrozen):
        frozen.items.all().delete()
    with pytest.raises(RubricFrozen):
        RubricItem(
            rubric=frozen, area="safety", code="NEW", text="新", kind="deduction", points=1, cap=1
        ).save()
    assert frozen.items.count() == 31


def test_unfrozen_rubric_can_still_be_edited(rubric):
    item = rubric.items.first()
    item.points = Decimal("2")
    item.save()
    rubric.name = "试行细则"
    rubric.save()
    assert RubricItem.objects.get(pk=item.pk).points == Decimal("2")


# -------------------------------------------------------------------- versions


def test_new_version_copies_a_frozen_version_into_an_editable_one(frozen, secretary):
    new = rubric_new_version(rubric=frozen, by=secretary)

    assert (new.version, new.frozen_at, new.is_current, new.bonus_cap) == (
        2,
        None,
        False,
        frozen.bonus_cap,
    )
    copied = list(
        new.items.order_by("position").values_list(
            "code", "area", "kind", "points", "cap", "flagged"
        )
    )
    original = list(
        frozen.items.order_by("position").values_list(
            "code", "area", "kind", "points", "cap", "flagged"
        )
    )
    assert copied == original
    item = new.items.get(code="ZZ01")
    item.points = Decimal("6")
    item.save()  # the copy is editable; the original is untouched
    assert frozen.items.get(code="ZZ01").points == Decimal("5")


def test_a_repeated_copy_returns_the_existing_draft(frozen, secretary):
    first = rubric_new_version(rubric=frozen, by=secretary)

    assert rubric_new_version(rubric=frozen, by=secretary) == first
    assert Rubric.objects.count() == 2


def test_only_a_secretary_makes_versions(frozen, official_a, assessor):
    for user in (official_a, assessor):
        with pytest.raises(PermissionDenied):
            rubric_new_version(rubric=frozen, by=user)
    assert Rubric.objects.count() == 1


def test_make_current_moves_the_flag_even_off_a_frozen_version(frozen, secretary):
    new = rubric_new_version(rubric=frozen, by=secretary)

    rubric_make_current(rubric=new, by=secretary)

    assert list(Rubric.objects.filter(is_current=True)) == [new]
    frozen.refresh_from_db()
    assert frozen.frozen_at is not None and not frozen.is_current


def test_an_empty_version_cannot_become_current(rubric, secretary):
    empty = Rubric.objects.create(version=9, name="空")

    with refused(ValidationError, Refusal.RUBRIC_EMPTY):
        rubric_make_current(rubric=empty, by=secretary)
    assert Rubric.objects.get(is_current=True) == rubric


# ------------------------------------------------------------------------ admin


def test_frozen_rubric_is_read_only_in_admin(login, secretary, frozen):
    client = login(secretary)
    change_url = reverse("admin:ratings_rubric_change", args=[frozen.pk])

    page = client.get(change_url)

    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert not page.context["adminform"].form.fields  # every field shown read-only
    inline = page.context["inline_admin_formsets"][0]
    assert (
        not inline.has_add_permission
        and not inline.has_change_permission
        and not inline.has_delete_permission
    )
    assert client.post(change_url, rubric_form_data(frozen, bonus_cap="20")).status_code == 403
    assert (
        client.post(
            reverse("admin:ratings_rubric_delete", args=[frozen.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    frozen.refresh_from_db()
    assert frozen.bonus_cap == Decimal("10")


def test_frozen_rubric_items_are_read_only_in_admin(login, secretary, frozen):
    client = login(secretary)
    item = frozen.items.get(code="ZZ01")
    change_url = reverse("admin:ratings_rubricitem_change", args=[item.pk])
    data = {
        "rubric": frozen.pk,
        "area": item.area,
        "code": item.code,
        "text": "改",
        "kind": item.kind,
        "points": "9",
        "cap": "9",
        "position": item.position,
    }

    assert client.get(change_url).context["has_change_permission"] is False
    assert client.post(change_url, data).status_code == 403
    assert (
        client.post(
            reverse("admin:ratings_rubricitem_delete", args=[item.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    response = client.post(
        reverse("admin:ratings_rubricitem_changelist"),
        {"action": "delete_selected", "_selected_action": [item.pk], "post": "yes"},
        follow=True,
    )
    assert "不能删除" in response.content.decode()
    assert RubricItem.objects.get(pk=item.pk).points == Decimal("5")


def test_new_items_cannot_be_added_to_a_frozen_version_in_admin(login, secretary, frozen):
    page = login(secretary).get(reverse("admin:ratings_rubricitem_add"))

    assert frozen not in page.context["adminform"].form.fields["rubric"].queryset


def test_unfrozen_rubric_and_items_are_editable_in_admin(login, secretary, rubric):
    client = login(secretary)
    data = rubric_form_data(rubric, name="试行细则", **{"items-0-points": "3", "items-0-cap": "12"})

    response = client.post(reverse("admin:ratings_rubric_change", args=[rubric.pk]), data)

    assert response.status_code == 302, (
        response.context and response.context["adminform"].form.errors
    )
    rubric.refresh_from_db()
    assert rubric.name == "试行细则"
    assert rubric.items.order_by("position", "code").first().points == Decimal("3")


def test_copy_as_new_version_action(login, secretary, frozen):
    response = login(secretary).post(
        CHANGELIST, {"action": "copy_as_new_version", "_selected_action": [frozen.pk]}, follow=True
    )

    new = Rubric.objects.get(version=2)
    assert "可编辑的新版本" in response.content.decode()
    assert new.items.count() == 31 and new.frozen_at is None
    assert (
        login(secretary)
        .get(reverse("admin:ratings_rubric_change", args=[new.pk]))
        .context["has_change_permission"]
    )


def test_make_current_action(login, secretary, frozen):
    new = rubric_new_version(rubric=frozen, by=secretary)

    response = login(secretary).post(
        CHANGELIST, {"action": "make_current", "_selected_action": [new.pk]}, follow=True
    )

    assert "当前评分细则版本为" in response.content.decode()
    assert Rubric.objects.get(is_current=True) == new


def test_deleting_a_frozen_version_by_action_is_refused(login, secretary, frozen):
    response = login(secretary).post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [frozen.pk], "post": "yes"},
        follow=True,
    )

    assert "不能删除" in response.content.decode()
    assert Rubric.objects.filter(pk=frozen.pk).exists()


def test_opening_a_round_freezes_the_current_version(secretary, rubric, settlement_a):
    from ratings.services import round_open

    round_open(year=2025, quarter=1, by=secretary)

    rubric.refresh_from_db()
    assert rubric.is_frozen
    with pytest.raises(RubricFrozen):
        rubric.items.first().delete()
