"""QuickSelect writes the same <select> as Django's Select, only faster."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django import forms
from django.test.html import parse_html

from core.widgets import QuickSelect
from settlements.forms import SettlementFilterForm
from settlements.models import Township
from tests import factories as f


def both(field_kwargs: dict, data: dict) -> tuple[str, str]:
    class Quick(forms.Form):
        pick = forms.ChoiceField(widget=QuickSelect, **field_kwargs)

    class Plain(forms.Form):
        pick = forms.ChoiceField(**field_kwargs)

    return str(Quick(data)["pick"]), str(Plain(data)["pick"])


@pytest.mark.parametrize("data", [{}, {"pick": "2"}, {"pick": "<b>"}, {"pick": "nope"}])
def test_same_markup_as_djangos_select(data):
    choices = [("", "全部"), ("1", "一类 & <二>"), ("2", "二类"), ("<b>", "粗")]
    for required in (True, False):
        quick, plain = both({"choices": choices, "required": required}, data)
        assert parse_html(quick) == parse_html(plain), (quick, plain)


@pytest.mark.django_db
def test_township_filter_marks_the_chosen_township():
    a, b = f.township(name="甲镇"), f.township(name="乙镇")
    form = SettlementFilterForm({"township": str(b.pk)}, townships=Township.objects.order_by("pk"))
    html = str(form["township"])
    assert f'<option value="{b.pk}" selected>乙镇</option>' in html
    assert f'<option value="{a.pk}">甲镇</option>' in html
    # The same options as Django's ModelChoiceField, which labels each instance by str().
    field = forms.ModelChoiceField(Township.objects.order_by("pk"), empty_label="全部乡镇")
    plain = forms.Select(choices=cast(Any, field.choices)).render(
        "township", str(b.pk), attrs={"id": "id_township"}
    )
    assert parse_html(html) == parse_html(plain)


@pytest.mark.django_db
def test_township_filter_reads_one_column_and_cleans_to_the_township(
    django_assert_num_queries,
):
    a = f.township(name="甲镇 & <乙>")
    form = SettlementFilterForm({"township": str(a.pk)}, townships=Township.objects.order_by("pk"))
    with django_assert_num_queries(1):
        assert form.is_valid(), form.errors
    assert form.cleaned_data["township"] == a
    with django_assert_num_queries(1):
        html = str(form["township"])
    assert "甲镇 &amp; &lt;乙&gt;</option>" in html


@pytest.mark.django_db
def test_township_filter_refuses_a_township_outside_its_choices():
    a, b = f.township(name="甲镇"), f.township(name="乙镇")
    form = SettlementFilterForm({"township": str(b.pk)}, townships=Township.objects.filter(pk=a.pk))
    assert not form.is_valid()
    assert form.has_error("township", "invalid_choice")


def test_option_groups_fall_back_to_djangos_select():
    choices = [("组", [("1", "一"), ("2", "二")])]
    quick = QuickSelect(choices=choices).render("g", "2")
    assert parse_html(quick) == parse_html(forms.Select(choices=choices).render("g", "2"))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("name", ["klass", "star"])
def test_class_and_star_filters_translate_like_djangos_select(language, name):
    from django.utils import translation

    with translation.override(language):
        field = SettlementFilterForm({name: "4"}).fields[name]
        assert isinstance(field, forms.ChoiceField) and isinstance(field.widget, QuickSelect)
        quick = field.widget.render(name, "4", attrs={"id": f"id_{name}"})
        plain = forms.Select(choices=cast(Any, field.choices)).render(
            name, "4", attrs={"id": f"id_{name}"}
        )
    assert parse_html(quick) == parse_html(plain)
    assert ("All classes" in quick or "All stars" in quick) == (language == "en")


def test_options_written_once_never_carry_a_selection_into_the_next_page():
    choices = [("", "全部"), ("1", "一"), ("2", "二"), ("12", "十二")]
    widget = QuickSelect(choices=choices)
    first = widget.render("g", "12")
    assert '<option value="12" selected>' in first and first.count(" selected") == 1
    assert " selected" not in widget.render("g", "nope")
    second = widget.render("g", "1")
    assert '<option value="1" selected>' in second and second.count(" selected") == 1
    for value in ("12", "1", None, "nope"):
        plain = forms.Select(choices=choices).render("g", value)
        assert parse_html(widget.render("g", value)) == parse_html(plain)


@pytest.mark.parametrize("value", [None, "", "甲镇 & <b>\"'", "0", "  空格 "])
def test_quick_input_writes_the_same_markup_as_djangos_text_input(value):
    from core.widgets import QuickInput

    for attrs in ({"placeholder": "名称或代码", "type": "search"}, {"required": True, "x": False}):
        quick = QuickInput(attrs=attrs).render("q", value, attrs={"id": "id_q"})
        plain = forms.TextInput(attrs=attrs).render("q", value, attrs={"id": "id_q"})
        assert parse_html(quick) == parse_html(plain), (quick, plain)


@pytest.mark.django_db
def test_township_filter_from_kept_rows_writes_the_same_markup(django_assert_num_queries):
    """Rows kept as one tuple (selectors.township_options) are shown without a query and
    read the same as Django's ModelChoiceField, the chosen township marked."""
    a, b = f.township(name="甲镇 & <乙>"), f.township(name="丙镇")
    rows = ((a.pk, a.name), (b.pk, b.name))
    form = SettlementFilterForm(
        {"township": str(b.pk)}, townships=Township.objects.order_by("pk"), options=lambda: rows
    )
    assert form.is_valid()  # the chosen township is read, as the list's filters do
    with django_assert_num_queries(0):
        html = str(form["township"])
    field = forms.ModelChoiceField(Township.objects.order_by("pk"), empty_label="全部乡镇")
    plain = forms.Select(choices=cast(Any, field.choices)).render(
        "township", str(b.pk), attrs={"id": "id_township"}
    )
    assert parse_html(html) == parse_html(plain)
    assert html.count(" selected") == 1
    # Another page of the same process, another choice: nothing carried over.
    other = SettlementFilterForm({}, townships=Township.objects.all(), options=lambda: rows)
    again = str(other["township"])
    assert again.count(" selected") == 1 and '<option value="" selected>' in again
