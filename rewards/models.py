"""Reward schedules, yearly budgets and the disbursement ledger (SPEC §6).

The rule is in rules.py and every write in services.py; the database itself refuses a
second row for the same tranche or top-up, a negative amount, or a paid row without
who paid it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ratings.models import Rating
from settlements.models import Settlement, SettlementClass, User

from . import rules
from .codes import RewardRefusal

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}
YEAR_RANGE = Q(year__gte=2000, year__lte=2100)


class StarLevel(models.IntegerChoices):
    THREE = 3, _("三星")
    FOUR = 4, _("四星")
    FIVE = 5, _("五星")


class ScheduleFrozen(ValidationError):
    """A year's reward amounts cannot change once money has been proposed for that year."""

    code: RewardRefusal

    def __init__(self, message: Any) -> None:
        super().__init__(message, code=RewardRefusal.SCHEDULE_FROZEN)
        self.code = RewardRefusal.SCHEDULE_FROZEN


def _year_has_disbursements(year: int) -> bool:
    return Disbursement.objects.filter(year=year).exists()


class RewardSchedule(models.Model):
    """The reward for a star level in a year; a row with a class wins over the general one."""

    year = models.PositiveSmallIntegerField(_("年度"))
    settlement_class = models.PositiveSmallIntegerField(
        _("类别"),
        choices=SettlementClass.choices,
        null=True,
        blank=True,
        help_text=_("留空表示适用于所有类别；填写类别的标准优先于通用标准。"),
    )
    star = models.PositiveSmallIntegerField(_("星级"), choices=StarLevel.choices)
    amount = models.DecimalField(_("奖励金额（元）"), **MONEY)

    # Optimistic lock: the version a form was opened at must still be stored when it is saved.
    version = models.PositiveIntegerField(_("版本"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("奖励标准")
        verbose_name_plural = _("奖励标准")
        ordering = ["-year", "settlement_class", "star"]
        constraints = [
            # NULL never equals NULL in a unique index, so the general row needs its own.
            models.UniqueConstraint(
                fields=["year", "star"],
                condition=Q(settlement_class__isnull=True),
                name="reward_schedule_general_unique",
            ),
            models.UniqueConstraint(
                fields=["year", "settlement_class", "star"],
                condition=Q(settlement_class__isnull=False),
                name="reward_schedule_class_unique",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="reward_schedule_amount_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(star__in=rules.STARRED), name="reward_schedule_star_valid"
            ),
            models.CheckConstraint(
                condition=Q(settlement_class__isnull=True)
                | Q(settlement_class__in=SettlementClass.values),
                name="reward_schedule_class_valid",
            ),
            models.CheckConstraint(condition=YEAR_RANGE, name="reward_schedule_year_sane"),
        ]

    def __str__(self) -> str:
        scope = self.get_settlement_class_display() if self.settlement_class else _("通用")
        return _("%(year)s年 %(scope)s %(star)s ¥%(amount)s") % {
            "year": self.year,
            "scope": scope,
            "star": self.get_star_display(),
            "amount": f"{self.amount:,.2f}",
        }

    # Amounts priced money already in the ledger: changing them afterwards would make
    # the ledger disagree with the rule, so a year's schedule freezes with its first row.
    def save(self, *args, **kwargs) -> None:
        if any(_year_has_disbursements(y) for y in self._touched_years()):
            raise ScheduleFrozen(_("该年度已有奖励发放记录，奖励标准不能再修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if any(_year_has_disbursements(y) for y in self._touched_years()):
            raise ScheduleFrozen(_("该年度已有奖励发放记录，奖励标准不能删除。"))
        return super().delete(*args, **kwargs)

    def _touched_years(self) -> set[int]:
        years = {self.year}
        if self.pk:
            stored = (
                RewardSchedule.objects.filter(pk=self.pk).values_list("year", flat=True).first()
            )
            if stored is not None:
                years.add(stored)
        return years


class YearBudget(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    amount = models.DecimalField(_("奖励预算（元）"), default=rules.DEFAULT_BUDGET, **MONEY)

    # Optimistic lock: the version a form was opened at must still be stored when it is saved.
    version = models.PositiveIntegerField(_("版本"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("年度奖励预算")
        verbose_name_plural = _("年度奖励预算")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="year_budget_amount_non_negative"
            ),
            models.CheckConstraint(condition=YEAR_RANGE, name="year_budget_year_sane"),
        ]

    def __str__(self) -> str:
        return _("%(year)s年 ¥%(amount)s") % {"year": self.year, "amount": f"{self.amount:,.2f}"}


class DisbursementKind(models.TextChoices):
    INITIAL = rules.INITIAL, _("初评奖补（40%）")
    RE = rules.RE, _("复评奖补（30%）")
    FINAL = rules.FINAL, _("定评奖补（30%）")
    TOP_UP = rules.TOP_UP, _("升星补差")


class DisbursementStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    APPROVED = "approved", _("已审批")
    PAID = "paid", _("已发放")


TRANCHE_KINDS = [DisbursementKind.INITIAL, DisbursementKind.RE, DisbursementKind.FINAL]


class DisbursementQuerySet(models.QuerySet["Disbursement"]):
    def for_pages(self) -> DisbursementQuerySet:
        return self.select_related("settlement__village__township", "rating__round", "tops_up")

    def approved(self) -> DisbursementQuerySet:
        return self.filter(status__in=[DisbursementStatus.APPROVED, DisbursementStatus.PAID])

    def paid(self) -> DisbursementQuerySet:
        return self.filter(status=DisbursementStatus.PAID)


class Disbursement(models.Model):
    """One tranche of a settlement's yearly reward, or one top-up completing a tranche."""

    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, related_name="disbursements", verbose_name=_("聚居点")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("款项"), max_length=10, choices=DisbursementKind.choices)
    tops_up = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="top_ups",
        verbose_name=_("补差对应款项"),
    )
    rating = models.ForeignKey(
        Rating,
        on_delete=models.PROTECT,
        related_name="disbursements",
        verbose_name=_("依据评定"),
    )
    star_basis = models.PositiveSmallIntegerField(_("计发星级"), choices=StarLevel.choices)
    # The class whose schedule priced the row (the class frozen on the year's first rating).
    settlement_class = models.PositiveSmallIntegerField(_("类别"), choices=SettlementClass.choices)
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=DisbursementStatus.choices,
        default=DisbursementStatus.PROPOSED,
    )
    over_budget = models.BooleanField(
        _("超出预算"), default=False, help_text=_("提出时已承诺金额超过年度预算。")
    )
    proposed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审批人"),
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    approved_over_budget = models.BooleanField(_("确认超预算审批"), default=False)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("发放登记人"),
    )
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)

    objects = DisbursementQuerySet.as_manager()
    # Set before save() for django-simple-history: who made the change, and why.
    _history_user: User | None
    _change_reason: str

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("奖励发放")
        verbose_name_plural = _("奖励发放")
        ordering = ["-year", "settlement__code", "pk"]
        permissions = [
            ("approve_disbursement", _("可审批奖励发放")),
            ("pay_disbursement", _("可登记奖励已发放")),
            ("export_disbursement", _("可导出奖励台账")),
        ]
        constraints = [
            # Paid exactly once: one row per tranche of a settlement's year ...
            models.UniqueConstraint(
                fields=["settlement", "year", "kind"],
                condition=~Q(kind=rules.TOP_UP),
                name="disbursement_one_per_tranche",
            ),
            # ... and one top-up of a tranche per rating that caused it.
            models.UniqueConstraint(
                fields=["tops_up", "rating"],
                condition=Q(tops_up__isnull=False),
                name="disbursement_one_top_up_per_rating",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="disbursement_amount_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(star_basis__in=rules.STARRED), name="disbursement_star_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind=rules.TOP_UP, tops_up__isnull=False)
                | (~Q(kind=rules.TOP_UP) & Q(tops_up__isnull=True)),
                name="disbursement_top_up_points_at_tranche",
            ),
            models.CheckConstraint(
                condition=Q(status=DisbursementStatus.PROPOSED)
                | Q(approved_by__isnull=False, approved_at__isnull=False),
                name="disbursement_approved_has_approver",
            ),
            models.CheckConstraint(
                condition=~Q(status=DisbursementStatus.PAID)
                | Q(paid_by__isnull=False, paid_at__isnull=False),
                name="disbursement_paid_has_payer",
            ),
            models.CheckConstraint(condition=YEAR_RANGE, name="disbursement_year_sane"),
        ]
        indexes = [
            models.Index(fields=["year", "status"], name="disbursement_year_status"),
            models.Index(fields=["settlement", "year"], name="disbursement_settlement_year"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.voucher_number} {self.settlement} {self.get_kind_display()} ¥{self.amount:,.2f}"
        )

    def get_absolute_url(self) -> str:
        return reverse("rewards:voucher", args=[self.pk])

    @property
    def voucher_number(self) -> str:
        return f"JB{self.year}-{self.pk:06d}" if self.pk else ""

    @property
    def tranche(self) -> str:
        """The tranche the money belongs to: the row's own kind, or the one it tops up."""
        return self.tops_up.kind if self.tops_up is not None else self.kind

    @property
    def amount_in_capitals(self) -> str:
        return rules.amount_in_chinese_capitals(self.amount)

    @property
    def basis_lowered(self) -> bool:
        """The rating that caused the row has since been downgraded or revoked."""
        return self.rating.stars < self.star_basis

    @property
    def quarter(self) -> int:
        return self.rating.round.quarter
