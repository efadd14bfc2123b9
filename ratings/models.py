"""Rubric versions, rounds, self-assessments, county reviews, ratings and what follows them.

Rules live in rules.py and writes in services.py; models hold data, constraints and the
fields derived from their own row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from settlements.models import Settlement, SettlementClass

from . import rules
from .states import (  # noqa: F401  (the states are defined there, imported from here too)
    NOT_SUBMITTED,
    REVIEWABLE,
    AssessmentStatus,
    RatingQuerySet,
    RatingStatus,
    RectificationQuerySet,
    RectificationStatus,
    SelfAssessmentQuerySet,
)

SCORE: dict[str, Any] = {"max_digits": 5, "decimal_places": 1}


class Area(models.TextChoices):
    ORGANISATION = "organisation", _("组织建设")
    SELF_GOVERNANCE = "self_governance", _("居民自治")
    SERVICES = "services", _("管理服务")
    CIVILITY = "civility", _("文明和谐")
    ENVIRONMENT = "environment", _("环境整治")
    SAFETY = "safety", _("安全稳定")
    INSTITUTIONS = "institutions", _("制度健全")


class ItemKind(models.TextChoices):
    BONUS = rules.BONUS, _("加分")
    DEDUCTION = rules.DEDUCTION, _("扣分")
    VETO = rules.VETO, _("一票否决")


class Stage(models.TextChoices):
    INITIAL = rules.STAGE_INITIAL, _("初评")
    RE = rules.STAGE_RE, _("复评")
    FINAL = rules.STAGE_FINAL, _("定评")


class RubricFrozen(ValidationError):
    """A rubric version used by an assessment cannot change; make a new version."""


# ---------------------------------------------------------------------------- rubric


class RubricQuerySet(models.QuerySet["Rubric"]):
    def update(self, **kwargs: Any) -> int:
        if self.filter(frozen_at__isnull=False).exists():
            raise RubricFrozen(_("评分细则版本已被使用，不能修改；请新建版本。"))
        return super().update(**kwargs)

    def delete(self):
        if self.filter(frozen_at__isnull=False).exists():
            raise RubricFrozen(_("评分细则版本已被使用，不能删除。"))
        return super().delete()


class Rubric(models.Model):
    version = models.PositiveIntegerField(_("版本号"), unique=True)
    name = models.CharField(_("名称"), max_length=100)
    bonus_cap = models.DecimalField(_("加分上限"), default=rules.DEFAULT_BONUS_CAP, **SCORE)
    is_current = models.BooleanField(_("当前使用"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # Set when the first assessment uses this version; from then on it never changes.
    frozen_at = models.DateTimeField(_("冻结时间"), null=True, blank=True, editable=False)

    # Optimistic lock (``version`` is the rubric's own number): see core.locking.
    edit_version = models.PositiveIntegerField(_("编辑版本"), default=0)

    objects = RubricQuerySet.as_manager()

    class Meta:
        verbose_name = _("评分细则版本")
        verbose_name_plural = _("评分细则版本")
        ordering = ["-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bonus_cap__gte=0), name="rubric_bonus_cap_non_negative"
            ),
            models.UniqueConstraint(
                fields=["is_current"], condition=Q(is_current=True), name="rubric_one_current"
            ),
        ]

    def __str__(self) -> str:
        return _("%(name)s（第%(version)s版）") % {"name": self.name, "version": self.version}

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def _stored_frozen(self) -> bool:
        return bool(self.pk) and Rubric.objects.filter(pk=self.pk, frozen_at__isnull=False).exists()

    def save(self, *args, **kwargs) -> None:  # noqa: DJ012 (beside the freeze helpers it uses)
        # Only the is_current flag may move on a frozen version (a newer one replaces it).
        if self._stored_frozen():
            stored = Rubric.objects.get(pk=self.pk)
            changed = [
                f.name
                for f in self._meta.concrete_fields
                if f.name not in ("is_current",)
                and getattr(stored, f.attname) != getattr(self, f.attname)
            ]
            if changed:
                raise RubricFrozen(_("评分细则版本已被使用，不能修改；请新建版本。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_frozen():
            raise RubricFrozen(_("评分细则版本已被使用，不能删除。"))
        return super().delete(*args, **kwargs)


class RubricItemQuerySet(models.QuerySet["RubricItem"]):
    def _touches_frozen(self) -> bool:
        return self.filter(rubric__frozen_at__isnull=False).exists()

    def update(self, **kwargs):
        if self._touches_frozen():
            raise RubricFrozen(_("评分细则版本已被使用，其条目不能修改。"))
        return super().update(**kwargs)

    def delete(self):
        if self._touches_frozen():
            raise RubricFrozen(_("评分细则版本已被使用，其条目不能删除。"))
        return super().delete()


class RubricItem(models.Model):
    rubric = models.ForeignKey(
        Rubric, on_delete=models.CASCADE, related_name="items", verbose_name=_("版本")
    )
    area = models.CharField(_("领域"), max_length=20, choices=Area.choices)
    code = models.CharField(_("条目编号"), max_length=16)
    text = models.CharField(_("内容"), max_length=300)
    kind = models.CharField(_("类型"), max_length=10, choices=ItemKind.choices)
    points = models.DecimalField(_("每次分值"), **SCORE)
    cap = models.DecimalField(_("条目上限"), **SCORE)
    # A serious item: when the county finds it, a rectification order is proposed.
    flagged = models.BooleanField(_("重点关注"), default=False)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    # Optimistic lock: the version a form was opened at must still be stored when it is saved.
    version = models.PositiveIntegerField(_("版本"), default=0)

    objects = RubricItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("评分条目")
        verbose_name_plural = _("评分条目")
        ordering = ["rubric", "position", "code"]
        permissions = [
            ("import_rubricitem", _("可导入评分条目")),
            ("export_rubricitem", _("可导出评分条目")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "code"], name="rubric_item_code_unique"),
            models.CheckConstraint(
                condition=Q(points__gte=0), name="rubric_item_points_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(cap__gte=F("points")), name="rubric_item_cap_at_least_points"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"

    def _rubric_frozen(self) -> bool:
        return Rubric.objects.filter(pk=self.rubric_id, frozen_at__isnull=False).exists()

    def save(self, *args, **kwargs) -> None:  # noqa: DJ012 (beside the freeze helpers it uses)
        if self._rubric_frozen():
            raise RubricFrozen(_("评分细则版本已被使用，其条目不能修改。"))
        if self.pk:
            old_rubric = (
                RubricItem.objects.filter(pk=self.pk).values_list("rubric_id", flat=True).first()
            )
            if (
                old_rubric
                and Rubric.objects.filter(pk=old_rubric, frozen_at__isnull=False).exists()
            ):
                raise RubricFrozen(_("评分细则版本已被使用，其条目不能修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._rubric_frozen():
            raise RubricFrozen(_("评分细则版本已被使用，其条目不能删除。"))
        return super().delete(*args, **kwargs)


# ---------------------------------------------------------------------------- rounds


class Round(models.Model):
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    stage = models.CharField(_("阶段"), max_length=10, choices=Stage.choices)
    opened_on = models.DateField(_("开启日期"))
    self_deadline = models.DateField(_("自评截止日期"))
    review_deadline = models.DateField(_("县级考评截止日期"))
    notice_working_days = models.PositiveSmallIntegerField(
        _("公示期（工作日）"), default=rules.NOTICE_WORKING_DAYS
    )
    rubric = models.ForeignKey(
        Rubric, on_delete=models.PROTECT, related_name="rounds", verbose_name=_("评分细则")
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("开启人"),
    )
    # Set once the daily job has locked the self-assessment step (idempotency guard).
    self_locked_at = models.DateTimeField(_("自评锁定时间"), null=True, blank=True, editable=False)
    review_locked_at = models.DateTimeField(
        _("考评锁定时间"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("考评轮次")
        verbose_name_plural = _("考评轮次")
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["year", "quarter"], name="round_one_per_quarter"),
            models.CheckConstraint(
                condition=Q(quarter__gte=1, quarter__lte=4), name="round_quarter_1_4"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="round_year_sane"
            ),
            models.CheckConstraint(
                condition=Q(self_deadline__gte=F("opened_on"))
                & Q(review_deadline__gte=F("self_deadline")),
                name="round_deadlines_ordered",
            ),
        ]

    def __str__(self) -> str:
        return _("%(year)s年第%(quarter)s季度（%(stage)s）") % {
            "year": self.year,
            "quarter": self.quarter,
            "stage": self.get_stage_display(),
        }


# ------------------------------------------------------------------ self-assessment


class SelfAssessment(models.Model):
    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="self_assessments", verbose_name=_("轮次")
    )
    settlement = models.ForeignKey(
        Settlement,
        on_delete=models.PROTECT,
        related_name="self_assessments",
        verbose_name=_("聚居点"),
    )
    # Frozen when the round opens (SPEC §1, §3): later changes do not rewrite history.
    settlement_class = models.PositiveSmallIntegerField(_("类别"), choices=SettlementClass.choices)
    rubric = models.ForeignKey(
        Rubric, on_delete=models.PROTECT, related_name="+", verbose_name=_("评分细则")
    )
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.NOT_STARTED,
    )
    score = models.DecimalField(_("自评得分"), null=True, blank=True, **SCORE)
    vetoed = models.BooleanField(_("触发一票否决"), default=False)
    star_applied = models.PositiveSmallIntegerField(_("申报星级"), default=0)
    deadline = models.DateField(_("截止日期"))
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("提交人"),
    )
    return_reason = models.TextField(_("退回原因"), blank=True)
    # Optimistic concurrency: every save bumps it; a form posted with an older one is refused.
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SelfAssessmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("乡镇自评")
        verbose_name_plural = _("乡镇自评")
        ordering = ["round", "settlement__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "settlement"], name="self_assessment_one_per_round"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=200),
                name="self_score_range",
            ),
            models.CheckConstraint(
                condition=Q(star_applied__in=[0, 3, 4, 5]), name="self_star_applied_valid"
            ),
        ]
        indexes = [models.Index(fields=["round", "status"], name="self_round_status")]

    def __str__(self) -> str:
        return f"{self.settlement} · {self.round}"

    def get_absolute_url(self) -> str:
        return reverse("ratings:self_assessment", args=[self.pk])


class SelfAssessmentItem(models.Model):
    assessment = models.ForeignKey(SelfAssessment, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(
        RubricItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("评分条目")
    )
    occurrences = models.PositiveSmallIntegerField(_("次数"), default=0)
    points = models.DecimalField(_("得分"), default=Decimal("0"), **SCORE)
    note = models.TextField(_("说明"), blank=True)
    # Set by a send-back: only these items reopen for the township.
    returned = models.BooleanField(_("已退回"), default=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("自评条目")
        verbose_name_plural = _("自评条目")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "item"], name="self_item_unique"),
            models.CheckConstraint(
                condition=Q(points__gte=0), name="self_item_points_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} ×{self.occurrences} = {self.points}"


# ------------------------------------------------------------------- county review


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("考评中")
    FINAL = "final", _("已定分")


class Review(models.Model):
    self_assessment = models.OneToOneField(
        SelfAssessment, on_delete=models.PROTECT, related_name="review", verbose_name=_("自评")
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reviews",
        verbose_name=_("考评人"),
    )
    visit_date = models.DateField(_("现场考评日期"), null=True, blank=True)
    team_members = models.CharField(_("考评组成员"), max_length=200, blank=True)
    notes = models.TextField(_("考评意见"), blank=True)
    total_gap_reason = models.TextField(_("总分差异说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.DRAFT
    )
    score = models.DecimalField(_("县级得分"), null=True, blank=True, **SCORE)
    vetoed = models.BooleanField(_("触发一票否决"), default=False)
    finalised_at = models.DateTimeField(_("定分时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("县级现场考评")
        verbose_name_plural = _("县级现场考评")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=200),
                name="review_score_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.self_assessment} · {_('县级考评')}"

    def get_absolute_url(self) -> str:
        return reverse("ratings:review", args=[self.self_assessment_id])


class ReviewItem(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="items")
    item = models.ForeignKey(
        RubricItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("评分条目")
    )
    occurrences = models.PositiveSmallIntegerField(_("次数"), default=0)
    points = models.DecimalField(_("得分"), default=Decimal("0"), **SCORE)
    note = models.TextField(_("说明"), blank=True)
    gap_reason = models.TextField(_("差异说明"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("考评条目")
        verbose_name_plural = _("考评条目")
        constraints = [
            models.UniqueConstraint(fields=["review", "item"], name="review_item_unique"),
            models.CheckConstraint(
                condition=Q(points__gte=0), name="review_item_points_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.code} ×{self.occurrences} = {self.points}"


# -------------------------------------------------------------------------- ratings


class Rating(models.Model):
    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("聚居点")
    )
    round = models.ForeignKey(
        Round, on_delete=models.PROTECT, related_name="ratings", verbose_name=_("轮次")
    )
    review = models.OneToOneField(
        Review, on_delete=models.PROTECT, related_name="rating", verbose_name=_("考评")
    )
    stage = models.CharField(_("阶段"), max_length=10, choices=Stage.choices)
    rubric = models.ForeignKey(
        Rubric, on_delete=models.PROTECT, related_name="+", verbose_name=_("评分细则")
    )
    settlement_class = models.PositiveSmallIntegerField(_("类别"), choices=SettlementClass.choices)
    score = models.DecimalField(_("得分"), **SCORE)
    vetoed = models.BooleanField(_("一票否决"), default=False)
    # Stars the score earned when finalised; ``stars`` is what the settlement holds now
    # for this round (a downgrade or revocation lowers it; history keeps every step).
    awarded_stars = models.PositiveSmallIntegerField(_("评定星级"))
    stars = models.PositiveSmallIntegerField(_("星级"))
    status = models.CharField(
        _("状态"), max_length=12, choices=RatingStatus.choices, default=RatingStatus.NOTICE
    )
    # None while the notice runs into a year the working-day calendar does not know yet:
    # the end is pending, never guessed (ratings.services.notice_end).
    notice_ends_on = models.DateField(_("公示截止日期"), null=True, blank=True)
    # The day of finalising, from which the notice's working days count (null on rows from before).
    finalised_on = models.DateField(_("定分日期"), null=True, blank=True)
    effective_at = models.DateTimeField(_("生效时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("定分人"),
    )
    created_at = models.DateTimeField(_("定分时间"), auto_now_add=True)

    objects = RatingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("星级评定")
        verbose_name_plural = _("星级评定")
        ordering = ["-round__year", "-round__quarter"]
        constraints = [
            models.UniqueConstraint(fields=["settlement", "round"], name="rating_one_per_round"),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=200), name="rating_score_range"
            ),
            models.CheckConstraint(condition=Q(stars__in=[0, 3, 4, 5]), name="rating_stars_valid"),
            models.CheckConstraint(
                condition=Q(awarded_stars__in=[0, 3, 4, 5]), name="rating_awarded_valid"
            ),
            models.CheckConstraint(
                condition=Q(stars__lte=F("awarded_stars")), name="rating_stars_only_fall"
            ),
            models.CheckConstraint(
                condition=~Q(vetoed=True, awarded_stars__gt=0), name="rating_veto_no_star"
            ),
        ]
        indexes = [
            models.Index(fields=["round", "settlement_class", "status"], name="rating_round_class")
        ]

    def __str__(self) -> str:
        return f"{self.settlement} · {self.round} · {self.stars}★"

    @property
    def certificate(self) -> Certificate | None:
        """The certificate this rating stands on: its current one, else its latest voided one."""
        return self.certificates.order_by(F("revoked_at").desc(nulls_first=True), "-pk").first()


class StarChangeKind(models.TextChoices):
    RATED = "rated", _("评定")
    EFFECTIVE = "effective", _("公示期满生效")
    OBJECTION = "objection", _("异议处理")
    DOWNGRADED = "downgraded", _("降低星级")
    REVOKED = "revoked", _("取消星级")


class StarChange(models.Model):
    """The settlement's rating history: every step that set or changed its star."""

    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, related_name="star_changes"
    )
    rating = models.ForeignKey(
        Rating, on_delete=models.PROTECT, related_name="changes", null=True, blank=True
    )
    kind = models.CharField(_("事项"), max_length=12, choices=StarChangeKind.choices)
    from_stars = models.PositiveSmallIntegerField(_("原星级"))
    to_stars = models.PositiveSmallIntegerField(_("新星级"))
    reason = models.TextField(_("原因"), blank=True)
    # A reason the system wrote, as codes and data (ratings/reasons.py): shown translated.
    system_text = models.JSONField(default=dict, blank=True, editable=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("星级变动记录")
        verbose_name_plural = _("星级变动记录")
        ordering = ["settlement", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_stars}★→{self.to_stars}★"


# Defined in their own module to keep this one readable; imported here so
# `ratings.models.X` works for all of them.


# Defined in their own module to keep this one readable; imported here so that
# `ratings.models.X` names every model of the app.
from .models_evidence import (  # noqa: E402, F401
    Certificate,
    CertificateEnd,
    Evidence,
    EvidenceFlag,
    EvidenceHashBand,
    Notice,
    SyncReceipt,
    evidence_path,
)
from .models_outcomes import (  # noqa: E402, F401
    Objection,
    ObjectionOutcome,
    Rectification,
    ReopeningKind,
    ReviewReopening,
)
