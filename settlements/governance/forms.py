"""Forms of the governance pages: they parse input; the services decide."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.locking import version_field

from ..models import (
    CommitteeMember,
    Household,
    PartyOrg,
    PointCategory,
    SelfManagement,
    SettlementOrganisation,
    TeamMember,
)
from .services import HONOUR_LIST_MAX_SIZE, clean_id_number

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VersionedModelForm(forms.ModelForm):
    """Carries the version the record was opened at; the service compares it (core.locking).

    Not a model field of the form: the ModelForm must not write it onto the instance.
    """

    version = version_field()
    # A record the save creates when missing (the organisation) is "opened" at version 0.
    versioned_when_new = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk or self.versioned_when_new:
            self.fields["version"].initial = self.instance.version
        else:
            del self.fields["version"]


class OrganisationForm(VersionedModelForm):
    party_org = forms.ChoiceField(label=_("党组织形式"), choices=PartyOrg.choices)
    self_management = forms.ChoiceField(label=_("自治组织形式"), choices=SelfManagement.choices)
    # The settlement's version too: this form also sets the settlement's two forms.
    settlement_version = version_field()
    versioned_when_new = True

    class Meta:
        model = SettlementOrganisation
        fields = [
            "party_org",
            "party_leader_name",
            "party_leader_phone",
            "dispatched_member_name",
            "dispatched_member_phone",
            "self_management",
            "executor_name",
            "executor_phone",
        ]
        widgets = {
            f: forms.TextInput(attrs={"inputmode": "tel"})
            for f in ("party_leader_phone", "dispatched_member_phone", "executor_phone")
        }


class CommitteeMemberForm(VersionedModelForm):
    class Meta:
        model = CommitteeMember
        fields = ["post", "name", "phone"]
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel"})}


class TeamMemberForm(VersionedModelForm):
    class Meta:
        model = TeamMember
        fields = ["role", "name", "phone"]
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel"})}


class HouseholdForm(VersionedModelForm):
    class Meta:
        model = Household
        fields = ["head_name", "id_number", "phone", "members", "base_score"]
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The base is fixed once a household exists: points move by entries.
            del self.fields["base_score"]
        members = self.fields["members"]
        assert isinstance(members, forms.IntegerField)
        members.min_value = 1
        self.fields["members"].widget.attrs["min"] = 1

    def clean_id_number(self) -> str:
        return clean_id_number(self.cleaned_data["id_number"])

    def validate_unique(self) -> None:
        # The service checks the (settlement, ID number) pair; the form has no settlement.
        pass


class PointEntryForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("积分类别"), queryset=PointCategory.objects.filter(is_active=True), empty_label=None
    )
    points = forms.DecimalField(
        label=_("分值"),
        max_digits=7,
        decimal_places=1,
        help_text=_("加分填正数，扣分填负数，如 -2。"),
    )
    reason = forms.CharField(label=_("事由"), max_length=200)
    occurred_on = forms.DateField(label=_("发生日期"), widget=DATE_INPUT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_on"].initial = timezone.localdate()


class ReverseForm(forms.Form):
    reason = forms.CharField(label=_("冲正原因"), max_length=200)


class HonourPublishForm(forms.Form):
    period_start = forms.DateField(label=_("起始日期"), widget=DATE_INPUT)
    period_end = forms.DateField(label=_("截止日期"), widget=DATE_INPUT)
    size = forms.IntegerField(
        label=_("每榜户数"), min_value=1, max_value=HONOUR_LIST_MAX_SIZE, initial=10
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        # Default: the last full calendar month, the period a settlement usually posts.
        last_month_end = today.replace(day=1) - datetime.timedelta(days=1)
        self.fields["period_start"].initial = last_month_end.replace(day=1)
        self.fields["period_end"].initial = last_month_end

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            raise ValidationError(_("截止日期不能早于起始日期。"))
        return data
