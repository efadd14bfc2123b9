"""Query-string filters of the dashboard pages: bad input gets a Chinese message, never a guess."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from settlements.models import SettlementClass

from . import selectors as dashboard

CLASS_CHOICES = SettlementClass.choices


class LeagueFilter(forms.Form):
    round = forms.IntegerField(label=_("轮次"), required=False, min_value=1)
    klass = forms.TypedChoiceField(
        label=_("类别"),
        choices=CLASS_CHOICES,
        coerce=int,
        required=False,
        empty_value=1,  # type: ignore[arg-type]  # django-stubs says str; Django takes any value
    )
    township = forms.IntegerField(label=_("乡镇"), required=False, min_value=1)
    after = forms.CharField(label=_("翻页位置"), required=False, max_length=40)

    def clean_after(self) -> tuple[int, int] | None:
        value = self.cleaned_data["after"]
        if not value:
            return None
        try:
            return dashboard.parse_league_key(value)
        except ValueError:
            raise forms.ValidationError(_("翻页位置无效，请从第一页重新查看。")) from None


class HonourFilter(forms.Form):
    klass = forms.TypedChoiceField(
        label=_("类别"),
        choices=CLASS_CHOICES,
        coerce=int,
        required=False,
        empty_value=1,  # type: ignore[arg-type]  # django-stubs says str; Django takes any value
    )
    after = forms.CharField(label=_("翻页位置"), required=False, max_length=60)

    def clean_after(self) -> tuple[int, str] | None:
        value = self.cleaned_data["after"]
        if not value:
            return None
        try:
            return dashboard.parse_honour_key(value)
        except ValueError:
            raise forms.ValidationError(_("翻页位置无效，请从第一页重新查看。")) from None


class YearFilter(forms.Form):
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)


class TownshipFilter(forms.Form):
    township = forms.IntegerField(label=_("乡镇"), required=False, min_value=1)


def errors_text(form: forms.Form) -> str:
    """All of a form's errors as one line for the page."""
    parts: list[Any] = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.extend(f"{label}{_('：')}{e}" if label else str(e) for e in errors)
    return str(_("；")).join(str(p) for p in parts)
