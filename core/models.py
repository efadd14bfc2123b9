"""Models of the shared plumbing: the background spreadsheet import job.

An ``ImportJob`` is generic: ``kind`` names the importer an app registered
(core.imports.registry), the upload lives in the default storage under MEDIA_ROOT and
is referred to by the job (pages use a signed id, never a path). The job goes

    queued → previewing → previewed → applying → applied
                        ↘ refused (file or rows refused; nothing written)
                                      ↘ refused (changed since the preview; nothing written)
    any running state → failed (an unexpected error; nothing written)

and the guarded transitions (``filter(pk, status=OLD).update(status=NEW) == 1``) make a
second confirm a no-op.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    PREVIEWING = "previewing", _("正在检查")
    PREVIEWED = "previewed", _("待确认")
    APPLYING = "applying", _("正在写入")
    APPLIED = "applied", _("已导入")
    REFUSED = "refused", _("未通过检查")
    FAILED = "failed", _("出错")


RUNNING = (ImportStatus.QUEUED, ImportStatus.PREVIEWING, ImportStatus.APPLYING)


class ImportJob(models.Model):
    kind = models.CharField(_("导入类型"), max_length=40)
    status = models.CharField(
        _("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    params = models.JSONField(_("参数"), default=dict, blank=True)
    file = models.FileField(_("上传的文件"), upload_to="imports/uploads/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    # What the preview decided, row by row: applied exactly as it is (core.imports.services).
    plan = models.FileField(_("导入计划"), upload_to="imports/plans/%Y/%m/", blank=True)
    refused_file = models.FileField(_("未通过的行"), upload_to="imports/refused/%Y/%m/", blank=True)
    rows_read = models.PositiveIntegerField(_("已读取行数"), default=0)
    rows_checked = models.PositiveIntegerField(_("已检查行数"), default=0)
    rows_written = models.PositiveIntegerField(_("已写入行数"), default=0)
    new_count = models.PositiveIntegerField(_("新增"), default=0)
    changed_count = models.PositiveIntegerField(_("更新"), default=0)
    unchanged_count = models.PositiveIntegerField(_("未变化"), default=0)
    refused_count = models.PositiveIntegerField(_("未通过"), default=0)
    # The first refused rows (row, column, message) shown on the page; all are in refused_file.
    problems = models.JSONField(_("问题"), default=list, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="import_jobs",
        verbose_name=_("导入人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="importjob_creator_recent")
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(kind=""), name="importjob_kind_named"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ImportStatus]),
                name="importjob_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(rows_checked__lte=F("rows_read")), name="importjob_checked_within_read"
            ),
            models.CheckConstraint(
                condition=Q(rows_written__lte=F("rows_checked")),
                name="importjob_written_within_checked",
            ),
            models.CheckConstraint(
                condition=~Q(status=ImportStatus.APPLIED) | Q(refused_count=0),
                name="importjob_applied_refused_none",
            ),
            models.CheckConstraint(
                condition=~Q(status=ImportStatus.FAILED) | ~Q(error=""),
                name="importjob_failure_explained",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING
