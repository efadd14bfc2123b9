"""Evidence files (self-assessment, review, rectification), the checks on photos, and sync receipts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from settlements.models import Settlement

from . import evidence_rules
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


class EvidenceFlag(models.TextChoices):
    """Why a photo deserves a second look (codes from ratings.evidence_rules); never a refusal."""

    NO_TIME = evidence_rules.NO_TIME, _("无拍摄时间")
    NO_PLACE = evidence_rules.NO_PLACE, _("无拍摄位置")
    OUTSIDE_WINDOW = evidence_rules.OUTSIDE_WINDOW, _("拍摄时间不在考评期内")
    TOO_FAR = evidence_rules.TOO_FAR, _("拍摄地点远离聚居点")
    NO_REFERENCE = evidence_rules.NO_REFERENCE, _("聚居点无参考坐标")
    REUSED = evidence_rules.REUSED, _("照片与其他聚居点或往期重复")


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"evidence/{instance.settlement_id}/{filename}"


class Evidence(models.Model):
    """A photo or document; attached to a self-assessment item, a county review item or a rectification answer."""

    SIDE_SELF = "self"
    SIDE_COUNTY = "county"
    SIDE_RECTIFICATION = "rectification"
    SIDES = [
        (SIDE_SELF, _("自评佐证")),
        (SIDE_COUNTY, _("现场照片")),
        (SIDE_RECTIFICATION, _("整改佐证")),
    ]

    settlement = models.ForeignKey(Settlement, on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(
        "ratings.SelfAssessment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
    )
    rectification = models.ForeignKey(
        "ratings.Rectification",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence",
    )
    item = models.ForeignKey(
        "ratings.RubricItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    side = models.CharField(max_length=16, choices=SIDES)
    file = models.FileField(_("文件"), upload_to=evidence_path)
    original_name = models.CharField(_("原文件名"), max_length=200)
    content_type = models.CharField(max_length=128)  # Office MIME types run past 64
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # What the photo itself says (EXIF) and its perceptual hash, read by the server on upload
    # (services.evidence_inspect); ``flags`` holds EvidenceFlag codes, empty when all is well.
    taken_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True, editable=False)
    taken_latitude = models.DecimalField(
        _("拍摄纬度"), max_digits=9, decimal_places=6, null=True, blank=True, editable=False
    )
    taken_longitude = models.DecimalField(
        _("拍摄经度"), max_digits=9, decimal_places=6, null=True, blank=True, editable=False
    )
    phash = models.CharField(_("感知哈希"), max_length=16, blank=True, default="", editable=False)
    flags = models.JSONField(_("核查提示"), default=list, blank=True, editable=False)
    flagged = models.BooleanField(_("有核查提示"), default=False, db_index=True, editable=False)
    # Made on the phone for an offline photo (field sync): a retried upload finds this row.
    client_id = models.UUIDField(
        _("客户端标识"), null=True, blank=True, unique=True, editable=False
    )

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        constraints = [
            models.CheckConstraint(
                condition=Q(assessment__isnull=False, rectification__isnull=True)
                | Q(assessment__isnull=True, rectification__isnull=False),
                name="evidence_belongs_to_one",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("ratings:evidence", args=[self.pk])

    @property
    def flag_labels(self) -> list[str]:
        labels = dict(EvidenceFlag.choices)
        return [str(labels.get(code, code)) for code in self.flags or []]

    @property
    def is_image(self) -> bool:
        return self.content_type in ("image/jpeg", "image/png")


class EvidenceHashBand(models.Model):
    """One band of a photo's perceptual hash, indexed: how a near-duplicate is found at scale."""

    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE, related_name="hash_bands")
    band = models.PositiveSmallIntegerField()
    value = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evidence", "band"], name="evidence_hash_band_once")
        ]
        indexes = [models.Index(fields=["band", "value"], name="evidence_hash_band_lookup")]

    def __str__(self) -> str:
        return f"{self.evidence_id}:{self.band}={self.value}"


class SyncReceipt(models.Model):
    """One draft upload from a phone, by the id the phone gave it: a retry returns this, never writes twice.

    The draft is the county's review or the township's self-assessment (exactly one).
    """

    client_id = models.UUIDField(_("客户端标识"), unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    review = models.ForeignKey(
        "ratings.Review",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sync_receipts",
    )
    self_assessment = models.ForeignKey(
        "ratings.SelfAssessment",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sync_receipts",
    )
    version = models.PositiveIntegerField(_("保存后的版本"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("离线同步记录")
        verbose_name_plural = _("离线同步记录")
        constraints = [
            models.CheckConstraint(
                condition=Q(review__isnull=False, self_assessment__isnull=True)
                | Q(review__isnull=True, self_assessment__isnull=False),
                name="sync_receipt_names_one_draft",
            ),
        ]

    def __str__(self) -> str:
        return str(self.client_id)


class CertificateEnd(models.TextChoices):
    """Why a certificate is no longer current (作废): what its public check page says."""

    DOWNGRADED = "downgraded", _("星级降低，已按新星级换发")
    REVOKED = "revoked", _("星级取消")
    REPLACED = "replaced", _("已由新年度证书取代")


class Certificate(models.Model):
    """命名授牌: a numbered certificate naming a settlement's star and year.

    One is issued when a final-stage (定评) rating with a star takes effect; when the
    settlement's star is lowered but a star remains, a new certificate at the new star
    is issued (换发) and the old one voided. Nothing is deleted: a voided certificate
    keeps who voided it, when and why, and which certificate replaced it. A settlement
    has at most one current (not voided) certificate: the honour roll shows only that.
    """

    # The rating the certificate stands on: the final rating, or for a reissue the
    # rating whose star was lowered (so a rating may carry its original and its reissue).
    rating = models.ForeignKey(
        "ratings.Rating", on_delete=models.PROTECT, related_name="certificates"
    )
    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, related_name="certificates"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    stars = models.PositiveSmallIntegerField(_("星级"))
    number = models.CharField(_("证书编号"), max_length=32, unique=True)
    issued_at = models.DateTimeField(_("颁发时间"), auto_now_add=True)
    # 换发: issued because the star of the certificate it replaces was lowered.
    reissued = models.BooleanField(_("降级换发"), default=False, editable=False)
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="replaced_by",
        verbose_name=_("取代的证书"),
    )
    # Voided (作废): by a downgrade or revocation, or replaced by a newer year's certificate.
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True, editable=False)
    revoked_reason = models.TextField(_("作废原因"), blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("作废人"),
    )
    revoked_kind = models.CharField(
        _("作废类型"), max_length=12, choices=CertificateEnd.choices, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("星级证书")
        verbose_name_plural = _("星级证书")
        constraints = [
            # Named once per settlement and year at the final rating; reissues come on top.
            models.UniqueConstraint(
                fields=["settlement", "year"],
                condition=Q(reissued=False),
                name="certificate_one_naming_per_year",
            ),
            models.UniqueConstraint(
                fields=["settlement"],
                condition=Q(revoked_at__isnull=True),
                name="certificate_one_current_per_settlement",
            ),
            models.CheckConstraint(
                condition=Q(stars__in=[3, 4, 5]), name="certificate_stars_valid"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_kind="")
                | Q(revoked_at__isnull=False) & ~Q(revoked_kind=""),
                name="certificate_void_has_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("ratings:certificate", args=[self.pk])

    @property
    def is_current(self) -> bool:
        return self.revoked_at is None


class Notice(models.Model):
    """An in-app notice (reminders, deadlines); ``key`` makes each one sent once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    key = models.CharField(max_length=120)
    text = models.CharField(_("内容"), max_length=300)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notice_once_per_key")]

    def __str__(self) -> str:
        return self.text
