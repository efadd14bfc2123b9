"""The county's own calendar and settings, and the stored organisation gaps of each settlement."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import rules

# ------------------------------------------------------------------ county calendar


class CalendarDayKind(models.TextChoices):
    REST = rules.CALENDAR_REST, _("休息日")
    WORK = rules.CALENDAR_WORK, _("调休上班日")


class CalendarDay(models.Model):
    """A day of the State Council's holiday arrangement, entered by the county.

    Overrides the built-in calendar for that date. A year with any entry counts as
    filled in: its other days are Monday–Friday working days (settlements.calendar).
    """

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=CalendarDayKind.choices)
    note = models.CharField(
        _("说明"), max_length=64, blank=True, help_text=_("例如：国庆节、春节调休。")
    )

    # Optimistic lock: the version a form was opened at must still be stored when it is saved.
    version = models.PositiveIntegerField(_("版本"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"


# ------------------------------------------------------------------ county settings


class CountySettings(models.Model):
    """The county's own settings (one row, edited by the Party secretary in the admin).

    The workflow's constants (ratings.rules) are only the defaults of these fields; the
    scheduled jobs and round opening read this row through ``settlements.county.county_settings``.
    """

    version = models.PositiveIntegerField(_("版本"), default=0)  # optimistic lock (admin)
    singleton = models.PositiveSmallIntegerField(default=1, unique=True, editable=False)
    county_name = models.CharField(
        _("县名"),
        max_length=32,
        blank=True,
        default="",
        help_text=_("印在星级证书落款上，例如：屏山县。"),
    )
    self_assessment_days = models.PositiveSmallIntegerField(
        _("自评期限（天）"),
        default=rules.DEFAULT_SELF_ASSESSMENT_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("轮次开启后多少天内乡镇完成自评。"),
    )
    county_review_days = models.PositiveSmallIntegerField(
        _("县级考评期限（天）"),
        default=rules.DEFAULT_COUNTY_REVIEW_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
        help_text=_("轮次开启后多少天内县考评组完成考评。"),
    )
    notice_working_days = models.PositiveSmallIntegerField(
        _("公示期（工作日）"),
        default=rules.DEFAULT_NOTICE_WORKING_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("按国家法定工作日计算。"),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("截止提醒提前天数"),
        default=rules.DEFAULT_REMINDER_DAYS,
        validators=[MinValueValidator(0), MaxValueValidator(30)],
    )
    objection_review_days = models.PositiveSmallIntegerField(
        _("异议成立后重新考评期限（天）"),
        default=rules.DEFAULT_OBJECTION_REVIEW_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("异议成立、撤销评定后，县考评组在多少天内重新考评定分。"),
    )
    item_gap_needs_reason = models.DecimalField(
        _("单项差异须说明（分）"),
        max_digits=4,
        decimal_places=1,
        default=rules.DEFAULT_ITEM_GAP_NEEDS_REASON,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text=_("自评与县级单项相差达到此分数，须填写差异说明。"),
    )
    total_gap_needs_reason = models.DecimalField(
        _("总分差异须说明（分）"),
        max_digits=4,
        decimal_places=1,
        default=rules.DEFAULT_TOTAL_GAP_NEEDS_REASON,
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text=_("自评与县级总分相差达到此分数，须填写总分差异说明。"),
    )
    photo_max_distance_km = models.DecimalField(
        _("照片位置允许偏差（公里）"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("2.0"),
        validators=[MinValueValidator(Decimal("0.1"))],
        help_text=_("照片的拍摄位置离聚居点坐标超过此距离时，提示考评组核查（不拒收）。"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("全县设置")
        verbose_name_plural = _("全县设置")
        constraints = [
            models.CheckConstraint(condition=Q(singleton=1), name="county_settings_one_row"),
            models.CheckConstraint(
                condition=Q(county_review_days__gte=F("self_assessment_days")),
                name="county_settings_review_after_self",
            ),
            models.CheckConstraint(
                condition=Q(item_gap_needs_reason__gt=0, total_gap_needs_reason__gt=0),
                name="county_settings_gaps_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(_("全县设置"))

    def clean(self) -> None:
        if self.county_review_days is not None and self.self_assessment_days is not None:
            if self.county_review_days < self.self_assessment_days:
                raise ValidationError(
                    {
                        "county_review_days": ValidationError(
                            _("县级考评期限不能短于自评期限。"), code="review_before_self"
                        )
                    }
                )

    @property
    def certificate_issuer(self) -> str:
        """The certificate's signature line, e.g. 屏山县聚居点星级评定工作领导小组."""
        return _("%(county)s聚居点星级评定工作领导小组") % {"county": self.county_name or _("县")}


class SettlementGaps(models.Model):
    """A settlement's governance gaps (governance.rules.governance_gaps), stored.

    The county's gap list reads these rows instead of running the rules for every
    settlement on each request. governance.services.settlement_gaps_refresh rewrites a
    settlement's row whenever its governance facts change (households, Party members,
    organisation forms and people, committee, team); `manage.py governance_gaps_rebuild`
    and a nightly task rebuild them all. A settlement without a row (written by a path
    that did not refresh it) is checked on the fly by the list, never written on a read.
    """

    settlement = models.OneToOneField(
        "settlements.Settlement",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="stored_gaps",
        verbose_name=_("聚居点"),
    )
    # ",code,code," in GAP_ORDER ("" without gaps): the commas let a filter find one code.
    codes = models.CharField(_("差距"), max_length=255, blank=True)
    # ",role,role," the 5员1长 roles nobody holds, for the team gap's detail.
    missing_roles = models.CharField(_("缺少的角色"), max_length=255, blank=True)
    counted_at = models.DateTimeField(_("核查时间"))

    class Meta:
        verbose_name = _("组织建设差距")
        verbose_name_plural = _("组织建设差距")

    def __str__(self) -> str:
        return str(self.settlement_id)

    @property
    def code_list(self) -> list[str]:
        return [c for c in self.codes.split(",") if c]
