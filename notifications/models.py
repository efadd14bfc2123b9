"""One row per message for one user. The text is not stored: ``kind`` and ``params`` are,
and the message is written when shown, in the reader's language (notifications.messages)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import rules


class Kind(models.TextChoices):
    SENT_BACK = rules.SENT_BACK, _("自评被退回")
    RECTIFICATION_ORDERED = rules.RECTIFICATION_ORDERED, _("下达限期整改")
    RECTIFICATION_DUE = rules.RECTIFICATION_DUE, _("整改期限将至")
    RECTIFICATION_CHECKED = rules.RECTIFICATION_CHECKED, _("整改已复查")
    DEADLINE_APPROACHING = rules.DEADLINE_APPROACHING, _("自评截止将至")
    OBJECTION_FILED = rules.OBJECTION_FILED, _("收到异议")
    OBJECTION_DECIDED = rules.OBJECTION_DECIDED, _("异议已处理")
    RATING_EFFECTIVE = rules.RATING_EFFECTIVE, _("评定生效")
    REWARD_APPROVED = rules.REWARD_APPROVED, _("奖励已审批")
    REWARD_PAID = rules.REWARD_PAID, _("奖励已发放")
    IMPORT_PREVIEWED = rules.IMPORT_PREVIEWED, _("导入检查完毕")
    IMPORT_APPLIED = rules.IMPORT_APPLIED, _("导入已完成")
    IMPORT_FAILED = rules.IMPORT_FAILED, _("导入未完成")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("接收人"),
    )
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    # What the message is about, e.g. "sent_back:42:3": a second delivery of the same
    # event (a re-run job, a signal sent twice) finds the row and adds nothing.
    key = models.CharField(_("事件标识"), max_length=120)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], name="notification_once_per_event"
            ),
        ]
        indexes = [
            # The bell: unread of one user (partial index where the database has them).
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"
