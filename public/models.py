"""Objections filed by residents from the public notice board (公示).

A resident's objection waits as 待受理 until a county assessor accepts it (it then becomes
a formal ``ratings.Objection``, heard by an assessor who did not do the review) or
declines it with a reason. The resident's name and phone stay here, masked on every page
but the objection's own page for the county.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import rules


class ResidentObjectionStatus(models.TextChoices):
    PENDING = "pending", _("待受理")
    ACCEPTED = "accepted", _("已受理")
    DECLINED = "declined", _("不予受理")


def objection_photo_path(instance: ResidentObjection, filename: str) -> str:
    return f"resident-objections/{instance.rating_id}/{filename}"


class ResidentObjection(models.Model):
    reference = models.CharField(_("受理编号"), max_length=20, unique=True, editable=False)
    rating = models.ForeignKey(
        "ratings.Rating", on_delete=models.PROTECT, related_name="+", verbose_name=_("评定")
    )
    text = models.CharField(_("异议内容"), max_length=rules.MAX_OBJECTION_TEXT)
    photo = models.FileField(_("照片"), upload_to=objection_photo_path, blank=True)
    photo_type = models.CharField(max_length=16, blank=True)
    name = models.CharField(_("姓名"), max_length=rules.MAX_NAME)
    phone = models.CharField(_("电话"), max_length=20)
    filed_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    # The county's date when it was filed: the notice window is judged on it, not on the
    # day an assessor gets to it.
    filed_on = models.DateField(_("提交日期"))
    status = models.CharField(
        _("状态"),
        max_length=10,
        choices=ResidentObjectionStatus.choices,
        default=ResidentObjectionStatus.PENDING,
    )
    decline_reason = models.TextField(_("不予受理理由"), blank=True)
    objection = models.OneToOneField(
        "ratings.Objection",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resident_objection",
        verbose_name=_("正式异议"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("受理人"),
    )
    decided_at = models.DateTimeField(_("受理时间"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("群众异议")
        verbose_name_plural = _("群众异议")
        ordering = ["filed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "accepted", "declined"]),
                name="resident_objection_status_valid",
            ),
            # 待受理 has no decision; 已受理 points at its formal objection; 不予受理 says why.
            models.CheckConstraint(
                condition=Q(status="pending", objection__isnull=True, decided_by__isnull=True)
                | Q(status="accepted", objection__isnull=False, decided_by__isnull=False)
                | (
                    Q(status="declined", objection__isnull=True, decided_by__isnull=False)
                    & ~Q(decline_reason="")
                ),
                name="resident_objection_decision_consistent",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="resident_objection_text_required"),
            models.CheckConstraint(condition=~Q(name=""), name="resident_objection_name_required"),
            models.CheckConstraint(
                condition=~Q(phone=""), name="resident_objection_phone_required"
            ),
        ]
        indexes = [models.Index(fields=["status", "filed_at"], name="resident_objection_queue")]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("public:queue_detail", args=[self.pk])

    @property
    def masked_name(self) -> str:
        return rules.mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return rules.mask_phone(self.phone)
