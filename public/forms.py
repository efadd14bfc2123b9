from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import rules


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("异议内容（哪里不符合实际）"),
        max_length=rules.MAX_OBJECTION_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    photo = forms.FileField(
        label=_("照片（可选，JPG 或 PNG，不超过 5 MB）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    name = forms.CharField(label=_("姓名"), max_length=rules.MAX_NAME)
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


class StatusForm(forms.Form):
    reference = forms.CharField(label=_("受理编号"), max_length=24)
    last_four = forms.CharField(
        label=_("联系电话后四位"),
        max_length=4,
        min_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("不予受理理由（群众可见）"),
        max_length=rules.MAX_OBJECTION_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
