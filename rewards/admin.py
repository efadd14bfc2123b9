"""Admin for Party secretaries: reward schedules, yearly budgets, and the disbursement ledger.

Ledger rows are never edited by hand: the system proposes them, and the approve and
mark-paid actions loop through the services (state checked, history with the user), never
a bare ``queryset.update()``. Approving past the year's budget shows a confirmation page
first; only a confirmed post passes ``confirm_over_budget=True``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import DecimalField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from core.admin import VersionedAdminMixin
from settlements.http import acting_user

from . import exports, selectors, services
from .models import Disbursement, DisbursementStatus, RewardSchedule, YearBudget
from .permissions import may_manage_money
from .templatetags.rewards_format import format_yuan

if TYPE_CHECKING:
    from typing import TypeAlias, TypedDict

    from django_stubs_ext import WithAnnotations

    class _BudgetSums(TypedDict):
        committed_sum: Decimal
        approved_sum: Decimal
        paid_sum: Decimal

    # A budget row as YearBudgetAdmin.get_queryset annotates it.
    BudgetRow: TypeAlias = WithAnnotations[YearBudget, _BudgetSums]


class SecretaryOnlyAdmin(SimpleHistoryAdmin):
    """Money is for Party secretaries only, whatever other permissions a user holds."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_manage_money(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_manage_money(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_manage_money(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_manage_money(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_manage_money(request.user) and super().has_delete_permission(request, obj)


# ----------------------------------------------------------------------------- schedules


class RewardScheduleForm(forms.ModelForm):
    class Meta:
        model = RewardSchedule
        fields = ["year", "settlement_class", "star", "amount"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        years = {data.get("year"), self.instance.year if self.instance.pk else None} - {None}
        if Disbursement.objects.filter(year__in=years).exists():
            raise forms.ValidationError(_("该年度已有奖励发放记录，奖励标准不能再修改。"))
        return data


@admin.register(RewardSchedule)
class RewardScheduleAdmin(VersionedAdminMixin, SecretaryOnlyAdmin):
    form = RewardScheduleForm
    list_display = ("year", "settlement_class", "star", "amount")
    list_filter = ("year", "settlement_class", "star")
    ordering = ("-year", "settlement_class", "star")

    actions = ["propose_now"]

    @admin.action(description=gettext_lazy("立即生成奖励建议"), permissions=["view"])
    def propose_now(self, request: HttpRequest, queryset: QuerySet[RewardSchedule]) -> None:
        """The nightly job's work on demand: amounts just entered take effect now, not at 02:00."""
        created = services.disbursements_catch_up(today=timezone.localdate())
        if created:
            self.message_user(
                request,
                _("已生成 %(n)d 笔奖励建议，请在奖励发放台账中审批。") % {"n": created},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _(
                    "没有需要新生成的奖励建议（已生效的评定均已有奖励建议，或该年度奖励标准尚不完整）。"
                ),
                messages.INFO,
            )

    def _frozen(self, obj: RewardSchedule | None) -> bool:
        return obj is not None and Disbursement.objects.filter(year=obj.year).exists()

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and not self._frozen(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not self._frozen(obj)


# ------------------------------------------------------------------------------- budgets


def _year_sum(condition: Q | None = None) -> Coalesce:
    rows = Disbursement.objects.filter(year=OuterRef("year"))
    if condition is not None:
        rows = rows.filter(condition)
    total = rows.order_by().values("year").annotate(total=Sum("amount")).values("total")
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Subquery(total, output_field=money), Value(0), output_field=money)


@admin.register(YearBudget)
class YearBudgetAdmin(VersionedAdminMixin, SecretaryOnlyAdmin):
    list_display = ("year", "amount", "committed", "approved", "paid", "remaining")

    def get_queryset(self, request: HttpRequest) -> QuerySet[YearBudget]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                committed_sum=_year_sum(),
                approved_sum=_year_sum(Q(status__in=selectors.APPROVED_OR_PAID)),
                paid_sum=_year_sum(Q(status=DisbursementStatus.PAID)),
            )
        )

    @admin.display(description=gettext_lazy("已承诺"))
    def committed(self, obj: BudgetRow) -> str:
        return format_yuan(obj.committed_sum)

    @admin.display(description=gettext_lazy("已审批"))
    def approved(self, obj: BudgetRow) -> str:
        return format_yuan(obj.approved_sum)

    @admin.display(description=gettext_lazy("已发放"))
    def paid(self, obj: BudgetRow) -> str:
        return format_yuan(obj.paid_sum)

    @admin.display(description=gettext_lazy("预算余额"))
    def remaining(self, obj: BudgetRow) -> str:
        left = obj.amount - obj.committed_sum
        if left < 0:
            return format_html(
                '<strong class="over-budget-text" style="color:#b42318">{}</strong>',
                format_yuan(left),
            )
        return format_yuan(left)


# -------------------------------------------------------------------------- disbursements


@admin.register(Disbursement)
class DisbursementAdmin(SecretaryOnlyAdmin):
    change_list_template = "rewards/admin/disbursement_change_list.html"
    list_display = (
        "voucher",
        "year",
        "township",
        "settlement",
        "kind",
        "tops_up_voucher",
        "basis",
        "amount_display",
        "status",
        "approved_by",
        "paid_by",
    )
    list_filter = ("year", "settlement__village__township", "status", "kind", "over_budget")
    list_select_related = (
        "settlement__village__township",
        "rating__round",
        "tops_up",
        "approved_by",
        "paid_by",
    )
    search_fields = ("settlement__name", "settlement__code")
    list_per_page = 100
    actions = ["approve_selected", "mark_paid_selected", "export_ledger", "print_vouchers"]
    readonly_fields = [f.name for f in Disbursement._meta.fields] + ["amount_capitals"]

    # The system proposes rows and services move them on: nobody adds, edits or deletes one.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return may_manage_money(request.user) and request.user.has_perm(
            "rewards.approve_disbursement"
        )

    def has_pay_permission(self, request: HttpRequest) -> bool:
        return may_manage_money(request.user) and request.user.has_perm("rewards.pay_disbursement")

    def has_export_permission(self, request: HttpRequest) -> bool:
        return may_manage_money(request.user) and request.user.has_perm(
            "rewards.export_disbursement"
        )

    # ---- columns

    @admin.display(description=gettext_lazy("凭证号"), ordering="pk")
    def voucher(self, obj: Disbursement) -> str:
        return obj.voucher_number

    @admin.display(description=gettext_lazy("乡镇"), ordering="settlement__village__township__code")
    def township(self, obj: Disbursement) -> str:
        return obj.settlement.village.township.name

    @admin.display(description=gettext_lazy("补差对应"))
    def tops_up_voucher(self, obj: Disbursement) -> str:
        return obj.tops_up.voucher_number if obj.tops_up is not None else "—"

    @admin.display(description=gettext_lazy("依据评定"))
    def basis(self, obj: Disbursement) -> str:
        text = _("%(y)s年Q%(q)s，%(s)s★") % {
            "y": obj.rating.round.year,
            "q": obj.quarter,
            "s": obj.star_basis,
        }
        if obj.basis_lowered:
            return format_html(
                '{} <span style="color:#9a6700">{}</span>', text, _("（评定已降级/取消）")
            )
        return text

    @admin.display(description=gettext_lazy("金额（元）"), ordering="amount")
    def amount_display(self, obj: Disbursement) -> str:
        if obj.over_budget:
            return format_html(
                '<strong class="over-budget" style="color:#b42318">{} {}</strong>',
                format_yuan(obj.amount),
                _("超预算"),
            )
        return format_yuan(obj.amount)

    @admin.display(description=gettext_lazy("金额大写"))
    def amount_capitals(self, obj: Disbursement) -> str:
        return _("人民币") + obj.amount_in_capitals

    # ---- budget summary above the list

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        year = request.GET.get("year__exact") or request.GET.get("year")
        if year and year.isdigit():
            years = [int(year)]
        else:
            years = selectors.years_with_disbursements(Disbursement.objects.all())[:3]
        extra_context = {
            **(extra_context or {}),
            "budgets": [selectors.budget_figures(year=y) for y in years],
        }
        return super().changelist_view(request, extra_context)

    # ---- actions, each looping through one service

    @admin.action(description=gettext_lazy("审批所选奖励"), permissions=["approve"])
    def approve_selected(
        self, request: HttpRequest, queryset: QuerySet[Disbursement]
    ) -> HttpResponse | None:
        rows = list(queryset.select_related("settlement").order_by("year", "pk"))
        confirmed = request.POST.get("confirm_over_budget") == "yes"
        if not confirmed:
            overruns = selectors.approval_overruns(rows)
            if overruns:
                return TemplateResponse(
                    request,
                    "rewards/admin/confirm_over_budget.html",
                    {
                        **self.admin_site.each_context(request),
                        "title": _("确认超预算审批"),
                        "opts": self.model._meta,
                        "rows": [r for r in rows if r.status == DisbursementStatus.PROPOSED],
                        "all_rows": rows,
                        "overruns": overruns,
                        "action": "approve_selected",
                        "action_checkbox_name": ACTION_CHECKBOX_NAME,
                    },
                )
        done, failures = 0, []
        for row in rows:
            if row.status != DisbursementStatus.PROPOSED:
                continue
            try:
                services.disbursement_approve(
                    disbursement=row, by=acting_user(request), confirm_over_budget=confirmed
                )
                done += 1
            except services.RewardsError as exc:
                failures.append(f"{row.voucher_number}{_('：')}{' '.join(exc.messages)}")
        self._report(request, done, failures, _("已审批 %(n)d 笔奖励。"))
        return None

    @admin.action(description=gettext_lazy("登记所选奖励已发放"), permissions=["pay"])
    def mark_paid_selected(self, request: HttpRequest, queryset: QuerySet[Disbursement]) -> None:
        done, failures = 0, []
        for row in queryset.order_by("year", "pk"):
            if row.status == DisbursementStatus.PAID:
                continue
            try:
                services.disbursement_mark_paid(disbursement=row, by=acting_user(request))
                done += 1
            except services.RewardsError as exc:
                failures.append(" ".join(exc.messages))
        self._report(request, done, failures, _("已登记 %(n)d 笔奖励为已发放。"))

    @admin.action(description=gettext_lazy("导出所选奖励台账（xlsx）"), permissions=["export"])
    def export_ledger(self, request: HttpRequest, queryset: QuerySet[Disbursement]) -> HttpResponse:
        rows = exports.ledger_rows(queryset)
        response = HttpResponse(
            exports.ledger_workbook(rows), content_type=exports.XLSX_CONTENT_TYPE
        )
        response["Content-Disposition"] = 'attachment; filename="rewards-ledger.xlsx"'
        return response

    @admin.action(description=gettext_lazy("打印所选奖励发放凭证"), permissions=["view"])
    def print_vouchers(
        self, request: HttpRequest, queryset: QuerySet[Disbursement]
    ) -> HttpResponse:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        return HttpResponseRedirect(
            reverse("rewards:vouchers") + "?" + urlencode({"id": ids}, doseq=True)
        )

    def _report(self, request: HttpRequest, done: int, failures: list[str], template: str) -> None:
        if done:
            self.message_user(request, template % {"n": done}, messages.SUCCESS)
        for failure in failures:
            self.message_user(request, failure, messages.ERROR)
        if not done and not failures:
            self.message_user(request, _("所选奖励没有需要处理的。"), messages.WARNING)
