"""Forms for the quarterly workflow pages.

Forms parse and shape input only. Which items a user may edit is decided from the
assessment's state by the view and passed in; the services check every rule again
(state, deadline, returned items, star applied, gap reasons), so a tampered POST that
slips past a form still changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.locking import EditConflict, parse_version, version_field
from ratings.models import (
    AssessmentStatus,
    ItemKind,
    ObjectionOutcome,
    RubricItem,
    SelfAssessmentItem,
)
from ratings.services import StaleVersion, WorkflowPermissionDenied
from settlements.forms import (
    class_filter_field,
    search_field,
    township_filter_field,
    use_townships,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

EVIDENCE_ACCEPT = (
    ".jpg,.jpeg,.png,.pdf,.docx,.xlsx,image/jpeg,image/png,application/pdf,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)
# On-site photos: a phone opens its rear camera straight away (the server reads time and place).
CAMERA_ATTRS = {"accept": "image/*", "capture": "environment"}
MAX_OCCURRENCES = 99

STAR_CHOICES = [
    (0, _("不申报星级")),
    (3, _("三星")),
    (4, _("四星")),
    (5, _("五星")),
]

# Field names the county side uses; never accepted on a township's form.
COUNTY_PREFIXES = (
    "county_occ_",
    "county_note_",
    "gap_reason_",
    "photos_",
    "total_gap_reason",
    "visit_date",
)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (a phone's gallery picker); type and size are checked by evidence_add."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": EVIDENCE_ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def occurrence_field(
    item: RubricItem, *, label: StrOrPromise, disabled: bool
) -> forms.IntegerField:
    # A veto item either happened or not; other items count occurrences (the cap limits points).
    maximum = 1 if item.kind == ItemKind.VETO else MAX_OCCURRENCES
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=maximum,
        required=False,
        disabled=disabled,
        widget=forms.NumberInput(
            attrs={"inputmode": "numeric", "class": "occ", "min": 0, "max": maximum}
        ),
        error_messages={
            "min_value": _("次数不能小于 0。"),
            "max_value": _("次数不能大于 %(limit_value)s。"),
            "invalid": _("请输入整数次数。"),
        },
    )


def add_service_error(
    form: forms.Form, exc: ValidationError, *, field_for_key: Mapping[str, str] | None = None
) -> None:
    """Show a service's refusal on the form: next to its field when the service names one.

    A WorkflowError raised with a dict ({"total_gap_reason": …, "gap_reason_12": …} or
    {12: …} for an item id) lands on the matching field; anything else is a form error.
    """
    field_for_key = field_for_key or {}
    # The page answers 409 when someone else saved first, 403 when the role may not act.
    if isinstance(exc, StaleVersion):
        form.refusal_status = 409  # type: ignore[attr-defined]
    elif isinstance(exc, WorkflowPermissionDenied):
        form.refusal_status = 403  # type: ignore[attr-defined]
    else:
        form.refusal_status = 400  # type: ignore[attr-defined]
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            name = field_for_key.get(str(key), str(key))
            target = name if name in form.fields else None
            for error in errors:
                form.add_error(target, error)
        return
    for message in exc.messages:
        form.add_error(None, message)


class _ItemsForm(forms.Form):
    """Shared parts of the township and county forms: a version field and per-item fields."""

    version = version_field()

    def __init__(self, *args: Any, items: Iterable[RubricItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = list(items)

    def clean_version(self) -> int | None:
        try:
            return parse_version(self.cleaned_data.get("version"))
        except EditConflict as exc:
            # On the form, not on the hidden field: a hidden field's error shows nowhere.
            self.add_error(None, exc)
            return None

    def item_field(self, prefix: str, item: RubricItem) -> forms.BoundField:
        return self[f"{prefix}{item.pk}"]


class SelfAssessmentForm(_ItemsForm):
    """The township's self-assessment: occurrences, note and evidence per item, the star applied."""

    star_applied = forms.TypedChoiceField(
        label=_("申报星级"),
        choices=STAR_CHOICES,
        coerce=int,
        required=False,
        empty_value=0,  # type: ignore[arg-type]  # django-stubs says str; Django takes any value
    )

    def __init__(
        self,
        *args: Any,
        items: Iterable[RubricItem],
        stored: Mapping[int, SelfAssessmentItem],
        editable_ids: set[int],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, items=items, **kwargs)
        self.editable_ids = set(editable_ids)
        self.fields["star_applied"].disabled = not self.editable_ids
        for item in self.items:
            row = stored.get(item.pk)
            locked = item.pk not in self.editable_ids
            self.fields[f"occ_{item.pk}"] = occurrence_field(item, label=_("次数"), disabled=locked)
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=_("说明"),
                required=False,
                max_length=2000,
                disabled=locked,
                widget=forms.Textarea(attrs={"rows": 1}),
            )
            self.fields[f"evidence_{item.pk}"] = MultipleFileField(
                label=_("佐证材料"), disabled=locked
            )
            self.initial.setdefault(f"occ_{item.pk}", row.occurrences if row else 0)
            self.initial.setdefault(f"note_{item.pk}", row.note if row else "")

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for key in list(self.data.keys()) + list(self.files.keys()):
            if key.startswith(COUNTY_PREFIXES):
                raise ValidationError(_("乡镇自评不能填写县级考评的内容。"), code="county_field")
        for item in self.items:
            if item.pk in self.editable_ids:
                continue
            # Disabled inputs are never sent by a browser: their presence means a tampered POST.
            for name in (f"occ_{item.pk}", f"note_{item.pk}", f"evidence_{item.pk}"):
                if name in self.data or name in self.files:
                    self.add_error(
                        name,
                        _("条目 %(code)s 当前不可修改（已提交、已锁定或未被退回）。")
                        % {"code": item.code},
                    )
        return cleaned

    def items_payload(self) -> dict[int, tuple[int, str]]:
        """rubric item id -> (occurrences, note), for the items this user may edit."""
        return {
            item.pk: (
                self.cleaned_data.get(f"occ_{item.pk}") or 0,
                self.cleaned_data.get(f"note_{item.pk}") or "",
            )
            for item in self.items
            if item.pk in self.editable_ids
        }

    def uploads(self) -> list[tuple[RubricItem, str, list]]:
        return [
            (item, f"evidence_{item.pk}", files)
            for item in self.items
            if item.pk in self.editable_ids
            and (files := self.cleaned_data.get(f"evidence_{item.pk}"))
        ]


class ReviewForm(_ItemsForm):
    """The county's on-site review: its own occurrences per item beside the township's."""

    visit_date = forms.DateField(label=_("现场考评日期"), required=False, widget=date_input())
    team_members = forms.CharField(label=_("考评组成员"), required=False, max_length=200)
    notes = forms.CharField(
        label=_("考评意见"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    total_gap_reason = forms.CharField(
        label=_("总分差异说明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("县级得分与自评得分相差 10 分及以上时必须填写。"),
    )

    def __init__(
        self,
        *args: Any,
        items: Iterable[RubricItem],
        stored: Mapping[int, Any],
        locked: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, items=items, **kwargs)
        self.locked = locked
        for name in ("visit_date", "team_members", "notes", "total_gap_reason"):
            self.fields[name].disabled = locked
        for item in self.items:
            row = stored.get(item.pk)
            self.fields[f"county_occ_{item.pk}"] = occurrence_field(
                item, label=_("县级次数"), disabled=locked
            )
            self.fields[f"county_note_{item.pk}"] = forms.CharField(
                label=_("考评说明"),
                required=False,
                max_length=2000,
                disabled=locked,
                widget=forms.Textarea(attrs={"rows": 1}),
            )
            self.fields[f"gap_reason_{item.pk}"] = forms.CharField(
                label=_("差异说明"),
                required=False,
                max_length=2000,
                disabled=locked,
                widget=forms.Textarea(attrs={"rows": 1}),
            )
            self.fields[f"photos_{item.pk}"] = MultipleFileField(
                label=_("现场照片"), disabled=locked, widget=MultipleFileInput(attrs=CAMERA_ATTRS)
            )
            self.initial.setdefault(f"county_occ_{item.pk}", row.occurrences if row else 0)
            self.initial.setdefault(f"county_note_{item.pk}", row.note if row else "")
            self.initial.setdefault(f"gap_reason_{item.pk}", row.gap_reason if row else "")

    def items_payload(self) -> dict[int, tuple[int, str, str]]:
        """rubric item id -> (occurrences, note, gap reason)."""
        cd = self.cleaned_data
        return {
            item.pk: (
                cd.get(f"county_occ_{item.pk}") or 0,
                cd.get(f"county_note_{item.pk}") or "",
                cd.get(f"gap_reason_{item.pk}") or "",
            )
            for item in self.items
        }

    def uploads(self) -> list[tuple[RubricItem, str, list]]:
        return [
            (item, f"photos_{item.pk}", files)
            for item in self.items
            if (files := self.cleaned_data.get(f"photos_{item.pk}"))
        ]

    def field_for_service_key(self) -> dict[str, str]:
        """Service error keys (item ids, item codes) -> this form's field names."""
        mapping: dict[str, str] = {}
        for item in self.items:
            mapping[str(item.pk)] = f"gap_reason_{item.pk}"
            mapping[item.code] = f"gap_reason_{item.pk}"
        return mapping


class SendBackForm(forms.Form):
    items = forms.MultipleChoiceField(
        label=_("退回条目"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一个退回条目。")},
    )
    reason = forms.CharField(
        label=_("退回原因"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写退回原因。")},
    )
    deadline = forms.DateField(
        label=_("新的截止日期"),
        widget=date_input(),
        error_messages={"required": _("请填写新的截止日期。")},
    )

    def __init__(self, *args: Any, items: Iterable[RubricItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["items"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(i.pk), f"{i.code} {i.text}") for i in items]

    def item_ids(self) -> list[int]:
        return [int(v) for v in self.cleaned_data["items"]]


class ObjectionFileForm(forms.Form):
    filed_by_name = forms.CharField(
        label=_("异议人"), max_length=64, error_messages={"required": _("请填写异议人。")}
    )
    text = forms.CharField(
        label=_("异议内容"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写异议内容。")},
    )


class ObjectionDecideForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("处理结果"),
        choices=[
            (ObjectionOutcome.REJECTED, ObjectionOutcome.REJECTED.label),
            (ObjectionOutcome.UPHELD, ObjectionOutcome.UPHELD.label),
        ],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("处理理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写处理理由。")},
    )


class RatingChangeForm(forms.Form):
    # The stars the user saw: a double-posted form is refused instead of downgrading twice.
    expected_stars = forms.TypedChoiceField(
        choices=STAR_CHOICES, coerce=int, widget=forms.HiddenInput
    )
    action = forms.ChoiceField(
        label=_("处理"),
        choices=[("downgrade", _("降低一个星级")), ("revoke", _("取消星级"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("原因"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写原因。")},
    )


class RectificationIssueForm(forms.Form):
    deadline = forms.DateField(
        label=_("整改期限"), widget=date_input(), error_messages={"required": _("请填写整改期限。")}
    )
    requirements = forms.CharField(
        label=_("整改要求"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写整改要求。")},
    )


class RectificationDismissForm(forms.Form):
    reason = forms.CharField(
        label=_("不予下达的理由"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("请填写不予下达的理由。")},
    )


class RectificationAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("整改情况"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请填写整改情况。")},
    )
    evidence = MultipleFileField(label=_("整改佐证"))


class RectificationCheckForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("复查结果"),
        choices=[
            ("passed", _("复查通过")),
            ("downgraded", _("降低一个星级")),
            ("revoked", _("取消星级")),
        ],
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=_("复查意见"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写复查意见。")},
    )


STAR_FILTER = [
    ("", _("全部星级")),
    (5, _("五星")),
    (4, _("四星")),
    (3, _("三星")),
    (0, _("未评星")),
]


class QueueFilterForm(forms.Form):
    q = search_field()
    township = township_filter_field()
    klass = class_filter_field()
    status = forms.ChoiceField(
        label=_("自评状态"),
        choices=[("", _("全部状态")), *AssessmentStatus.choices],
        required=False,
    )
    star = forms.TypedChoiceField(
        label=_("申报星级"), choices=STAR_FILTER, coerce=int, required=False, empty_value=None
    )
    review = forms.ChoiceField(
        label=_("考评进度"),
        choices=[
            ("", _("全部考评进度")),
            ("todo", _("未考评")),
            ("draft", _("考评中")),
            ("final", _("已定分")),
        ],
        required=False,
    )

    def __init__(self, *args: Any, townships: Any, options: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_townships(self.fields["township"], townships, options)


RECTIFICATION_FILTERS = [
    ("", _("全部")),
    ("proposed", _("系统建议")),
    ("issued", _("已下达")),
    ("answered", _("已整改待复查")),
    ("overdue", _("逾期未整改")),
    ("closed", _("已办结")),
]


class RectificationFilterForm(forms.Form):
    q = search_field()
    township = township_filter_field()
    klass = class_filter_field()
    star = forms.TypedChoiceField(
        label=_("评定星级"), choices=STAR_FILTER, coerce=int, required=False, empty_value=None
    )
    status = forms.ChoiceField(label=_("状态"), choices=RECTIFICATION_FILTERS, required=False)

    def __init__(
        self, *args: Any, townships: Any = None, options: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if townships is None:
            del self.fields["township"]  # an official has only their own
        else:
            use_townships(self.fields["township"], townships, options)


ROUND_SORTS = [
    ("code", _("按代码")),
    ("name", _("按名称")),
    ("status", _("按状态")),
    ("deadline", _("按截止日期")),
    ("-score", _("按自评得分")),
]


class RoundListForm(forms.Form):
    """The official's round list: search, status and an order."""

    q = search_field()
    status = forms.ChoiceField(
        label=_("自评状态"),
        choices=[("", _("全部状态")), *AssessmentStatus.choices],
        required=False,
    )
    sort = forms.ChoiceField(label=_("排序"), choices=ROUND_SORTS, required=False)
