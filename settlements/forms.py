"""The settlement list's filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.widgets import QuickInput, QuickModelChoiceField, QuickSelect

from .models import SettlementClass, Township

STAR_FILTER = [
    ("", _("全部星级")),
    (5, _("五星")),
    (4, _("四星")),
    (3, _("三星")),
    (0, _("未评星")),
]


def search_field() -> forms.CharField:
    """A list's search box: name or code."""
    return forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        widget=QuickInput(attrs={"placeholder": _("名称或代码"), "type": "search"}),
    )


def township_filter_field() -> forms.ModelChoiceField:
    """A list's township filter; the form sets the townships the user may see."""
    return QuickModelChoiceField(
        label=_("乡镇"),
        queryset=Township.objects.none(),
        required=False,
        empty_label=_("全部乡镇"),
        label_column="name",  # Township.__str__
    )


def use_townships(field: Any, townships: Any, options: Any = None) -> None:
    """A township filter's choices: ``townships`` (a queryset: what a submitted value must
    be one of) shown as ``options()`` ((id, name) rows, asked only if the form is shown)
    when given."""
    assert isinstance(field, QuickModelChoiceField)
    field.queryset = townships
    field.option_rows = options


def class_filter_field() -> forms.TypedChoiceField:
    """A list's class filter (一类…四类, or all)."""
    return forms.TypedChoiceField(
        label=_("类别"),
        choices=[("", _("全部类别")), *SettlementClass.choices],
        coerce=int,
        required=False,
        empty_value=None,
        widget=QuickSelect,
    )


class SettlementFilterForm(forms.Form):
    q = search_field()
    township = township_filter_field()
    klass = class_filter_field()
    star = forms.TypedChoiceField(
        label=_("星级"),
        choices=STAR_FILTER,
        coerce=int,
        required=False,
        empty_value=None,
        widget=QuickSelect,
    )

    def __init__(
        self, *args: Any, townships: Any = None, options: Any = None, **kwargs: Any
    ) -> None:
        """``townships``: the choices for the county roles; None for an official, who has one.
        ``options``: a function giving their (id, name) rows (selectors.township_options)."""
        super().__init__(*args, **kwargs)
        if townships is None:
            del self.fields["township"]
        else:
            use_townships(self.fields["township"], townships, options)

    def selector_filters(self) -> dict[str, Any]:
        cd = self.cleaned_data if self.is_valid() else {}
        township = cd.get("township")
        return {
            "q": (cd.get("q") or "").strip(),
            "township_id": township.pk if township else None,
            "klass": cd.get("klass"),
            "star": cd.get("star"),
        }
