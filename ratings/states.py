"""The workflow's states, each defined once: the status values, the groups of them that
mean something (not yet submitted, due for review), and the QuerySet methods every
service, selector, job and page filters with (``SelfAssessment.objects.not_submitted()``,
``Rectification.objects.overdue(today)``, ``Rating.objects.in_notice()``…).

A count that needs the same state inside an aggregate takes the ``*_q`` form of it
(``Count("pk", filter=overdue_rectification_q(today))``), so the two never drift apart.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # the models import these states: only the type checker reads them back
    from .models import Rating, Rectification, SelfAssessment  # noqa: F401  (named, quoted, in the QuerySet bases)


class AssessmentStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("未开始")
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    OVERDUE = "overdue", _("逾期未报")


class RatingStatus(models.TextChoices):
    NOTICE = "notice", _("公示中")
    EFFECTIVE = "effective", _("已生效")
    OVERTURNED = "overturned", _("异议成立，已撤销")


class RectificationStatus(models.TextChoices):
    PROPOSED = "proposed", _("系统建议")
    ISSUED = "issued", _("已下达")
    ANSWERED = "answered", _("已整改待复查")
    PASSED = "passed", _("复查通过")
    DOWNGRADED = "downgraded", _("降低星级")
    REVOKED = "revoked", _("取消星级")
    DISMISSED = "dismissed", _("不予下达")


# Not (yet) submitted: still the township's to fill in; the overdue job closes these.
NOT_SUBMITTED = (AssessmentStatus.NOT_STARTED, AssessmentStatus.DRAFT, AssessmentStatus.RETURNED)
# Due for the county's review: submitted, or closed as overdue (reviewed on what is there).
REVIEWABLE = (AssessmentStatus.SUBMITTED, AssessmentStatus.OVERDUE)


def overdue_rectification_q(today: dt.date) -> Q:
    """Issued and past its deadline without an answer (整改逾期)."""
    return Q(status=RectificationStatus.ISSUED, deadline__lt=today)


def rectification_is_overdue(rectification: object, today: dt.date) -> bool:
    """``overdue_rectification_q`` for one object already in memory."""
    deadline = getattr(rectification, "deadline", None)
    return (
        getattr(rectification, "status", None) == RectificationStatus.ISSUED
        and deadline is not None
        and deadline < today
    )


def rating_open_for_objection(status: str, notice_ends_on: dt.date | None, today: dt.date) -> bool:
    """``RatingQuerySet.open_for_objection`` for one row already read: in notice, window not over.

    A pending end (``None``: the holiday calendar of a year it runs into is not entered
    yet) keeps the window open.
    """
    return status == RatingStatus.NOTICE and (notice_ends_on is None or today <= notice_ends_on)


class SelfAssessmentQuerySet(models.QuerySet["SelfAssessment"]):
    def not_submitted(self) -> SelfAssessmentQuerySet:
        return self.filter(status__in=NOT_SUBMITTED)

    def past_deadline(self, today: dt.date) -> SelfAssessmentQuerySet:
        """Not submitted and past the deadline: what the overdue job closes (逾期未报)."""
        return self.not_submitted().filter(deadline__lt=today)

    def due_for_review(self) -> SelfAssessmentQuerySet:
        return self.filter(status__in=REVIEWABLE)


class RatingQuerySet(models.QuerySet["Rating"]):
    def in_notice(self) -> RatingQuerySet:
        """In public notice (公示), whether or not its window has ended yet."""
        return self.filter(status=RatingStatus.NOTICE)

    def notice_over(self, today: dt.date) -> RatingQuerySet:
        """In notice with the window ended before ``today``: due to take effect."""
        return self.in_notice().filter(notice_ends_on__lt=today)

    def open_for_objection(self, today: dt.date) -> RatingQuerySet:
        """In notice and still inside its window (a pending end keeps it open)."""
        return self.in_notice().filter(
            models.Q(notice_ends_on__gte=today) | models.Q(notice_ends_on__isnull=True)
        )


class RectificationQuerySet(models.QuerySet["Rectification"]):
    def overdue(self, today: dt.date) -> RectificationQuerySet:
        return self.filter(overdue_rectification_q(today))

    def with_overdue(self, today: dt.date) -> RectificationQuerySet:
        """Each row's ``is_overdue`` computed by the database, for lists."""
        return self.annotate(
            is_overdue=ExpressionWrapper(
                overdue_rectification_q(today), output_field=BooleanField()
            )
        )

    def open_in_time(self, today: dt.date) -> RectificationQuerySet:
        """Issued and not yet past its deadline."""
        return self.filter(status=RectificationStatus.ISSUED).exclude(
            overdue_rectification_q(today)
        )
