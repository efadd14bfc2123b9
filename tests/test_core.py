"""core: the shared plumbing scopes through what the apps register and imports no app."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings
from django.contrib import admin

from core.admin import choice_filter
from core.scoping import restrict_to, scoped_choices
from core.tasks import RETRYING
from settlements.models import Settlement, Township, Village

PROJECT_APPS = {"settlements", "ratings", "rewards", "dashboards", "public"}


def test_core_imports_no_app_of_the_project():
    core = Path(settings.BASE_DIR) / "core"
    offenders = []
    for path in core.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in PROJECT_APPS]
    assert offenders == []


def test_restrict_to_keeps_only_allowed_rows_and_none_means_every_row(settlement_a, settlement_b):
    everything = Settlement.objects.all()
    assert set(restrict_to(everything, "pk", None)) == {settlement_a, settlement_b}
    only_a = Settlement.objects.filter(pk=settlement_a.pk)
    assert list(restrict_to(everything, "pk", only_a)) == [settlement_a]


def test_place_choices_are_scoped_to_the_official_and_other_models_are_not(
    official_a, township_a, township_b, settlement_a, settlement_b
):
    assert list(scoped_choices(Township, official_a)) == [township_a]
    assert list(scoped_choices(Settlement, official_a)) == [settlement_a]
    assert set(scoped_choices(Village, official_a)) == {settlement_a.village}
    assert scoped_choices(type(official_a), official_a) is None


def test_choice_filter_refuses_a_value_it_does_not_offer(rf, settlement_a):
    offered = str(settlement_a.klass)
    filter_class = choice_filter(
        title="类别", parameter_name="class", path="klass", choices=lambda: [(offered, "x")]
    )
    model_admin = admin.site._registry[Settlement]

    def filtered(value: str) -> list:
        request = rf.get("/", {"class": value})
        f = filter_class(request, {"class": value}, Settlement, model_admin)
        return list(f.queryset(request, Settlement.objects.all()))

    assert filtered(offered) == [settlement_a]
    assert filtered("9") == []  # not offered: nothing, not an error


def test_shared_task_options_retry_database_hiccups_late_acked():
    assert RETRYING["acks_late"] is True
    assert RETRYING["max_retries"] > 0
