from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DisbursementStatus


class LedgerFilterForm(forms.Form):
    """The year and status filters of the reward list; a bad value is an error, not ignored."""

    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *DisbursementStatus.choices]
    )


class LedgerExportForm(forms.Form):
    year = forms.IntegerField(
        label=_("年度"),
        min_value=2000,
        max_value=2100,
        error_messages={"required": _("请指定要导出的年度。"), "invalid": _("年度须为数字。")},
    )
