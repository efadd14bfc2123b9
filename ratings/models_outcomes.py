"""Objections to a rating in notice, the county reviews they (or the secretary) reopen, and
rectification orders after a rating."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from settlements.models import User

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


class ObjectionOutcome(models.TextChoices):
    PENDING = "pending", _("待处理")
    REJECTED = "rejected", _("异议不成立，维持评定")
    UPHELD = "upheld", _("异议成立，撤销评定")


class Objection(models.Model):
    rating = models.ForeignKey(
        "ratings.Rating",
        on_delete=models.PROTECT,
        related_name="objections",
        verbose_name=_("评定"),
    )
    filed_by_name = models.CharField(_("异议人"), max_length=64)
    text = models.TextField(_("异议内容"))
    filed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Copied from the review so the database itself can refuse a self-hearing.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    heard_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
    )
    outcome = models.CharField(
        _("处理结果"),
        max_length=10,
        choices=ObjectionOutcome.choices,
        default=ObjectionOutcome.PENDING,
    )
    reasons = models.TextField(_("处理理由"), blank=True)
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        constraints = [
            models.CheckConstraint(
                condition=Q(heard_by__isnull=True) | ~Q(heard_by=F("reviewed_by")),
                name="objection_heard_by_other_assessor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filed_by_name} · {self.get_outcome_display()}"


class ReopeningKind(models.TextChoices):
    OBJECTION = "objection", _("异议成立，重新考评")
    EXTENSION = "extension", _("党组织书记延长截止日期")


class ReviewReopening(models.Model):
    """An explicit, recorded reopening of one county review after (or beyond) its deadline.

    A review may be saved or finalised until its round's review deadline; each row here
    gives that review a later last day (``ratings.rules.review_deadline``): an upheld
    objection (``objection`` set) or the Party secretary's extension, always with who,
    when and why. Rows are never changed: a further extension is a further row.
    """

    self_assessment = models.ForeignKey(
        "ratings.SelfAssessment",
        on_delete=models.PROTECT,
        related_name="review_reopenings",
        verbose_name=_("自评"),
    )
    kind = models.CharField(_("类型"), max_length=10, choices=ReopeningKind.choices)
    open_until = models.DateField(_("重新开放至"))
    reason = models.TextField(_("原因"))
    objection = models.OneToOneField(
        Objection,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reopening",
        verbose_name=_("公示异议"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("县级考评重新开放")
        verbose_name_plural = _("县级考评重新开放")
        ordering = ["self_assessment", "-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="objection", objection__isnull=False)
                | Q(kind="extension", objection__isnull=True),
                name="review_reopening_objection_matches_kind",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="review_reopening_reason_required"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.open_until:%Y-%m-%d}"


class Rectification(models.Model):
    settlement = models.ForeignKey(
        "settlements.Settlement",
        on_delete=models.PROTECT,
        related_name="rectifications",
        verbose_name=_("聚居点"),
    )
    rating = models.ForeignKey(
        "ratings.Rating",
        on_delete=models.PROTECT,
        related_name="rectifications",
        verbose_name=_("评定"),
    )
    trigger = models.TextField(_("触发原因"))
    # Trigger or requirements the system wrote, as codes and data (ratings/reasons.py).
    system_text = models.JSONField(default=dict, blank=True, editable=False)
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=RectificationStatus.choices,
        default=RectificationStatus.PROPOSED,
    )
    requirements = models.TextField(_("整改要求"), blank=True)
    deadline = models.DateField(_("整改期限"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(_("整改情况"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    check_notes = models.TextField(_("复查意见"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # Set before save() for django-simple-history: who made the change, and why.
    _history_user: User | None
    _change_reason: str

    objects = RectificationQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("限期整改")
        verbose_name_plural = _("限期整改")
        ordering = ["-created_at"]
        constraints = [
            # The automatic proposal for a rating is made once.
            models.UniqueConstraint(
                fields=["rating"], condition=Q(status="proposed"), name="rectification_one_proposal"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "dismissed"]) | Q(deadline__isnull=False),
                name="rectification_issued_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.settlement} · {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("ratings:rectification", args=[self.pk])
