"""The county's calendar (SPEC §5) as services: what each beat job does, as of a date.

The Celery tasks (ratings/tasks.py) and ``manage.py run_cycle`` are thin doors into
these functions; nothing here imports the tasks. Every job is idempotent, also when two workers run it at once:

- rounds are unique per (year, quarter) and opened only through ``round_open``;
- reminders are ``Notice`` rows unique per (user, key); the e-mail goes out only with a
  newly created row, after the transaction commits;
- locks and the overdue-rectification notice are ``filter(..., x__isnull=True).update(...)
  == 1`` guards: only the run whose UPDATE changed the row goes on.

Beat does not catch up after downtime, so the daily job opens any round that should be
open already. Rewards catch up from their own beat entry: ratings never imports rewards.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from settlements.county import county_settings
from settlements.models import User
from settlements.roles import ASSESSOR, OFFICIAL

from .. import rules, states
from ..models import (
    AssessmentStatus,
    Notice,
    Rectification,
    ReviewStatus,
    Round,
    SelfAssessment,
)
from .effect import ratings_take_effect_due
from .notice import ratings_notice_ends_fill
from .rounds import round_open
from .self_assessment import self_assessments_mark_overdue

logger = logging.getLogger(__name__)

QUARTERLY = "quarterly"
SEMIANNUAL = "semiannual"
ANNUAL = "annual"
DAILY = "daily"
JOBS = (QUARTERLY, SEMIANNUAL, ANNUAL, DAILY)

# Which quarters' rounds each opening job opens (default calendar, SPEC §5).
JOB_QUARTERS: dict[str, tuple[int, ...]] = {QUARTERLY: (1, 3), SEMIANNUAL: (2,), ANNUAL: (4,)}
JOB_FOR_QUARTER = {q: job for job, quarters in JOB_QUARTERS.items() for q in quarters}
JOB_LABELS = {
    QUARTERLY: gettext_lazy("季度任务"),
    SEMIANNUAL: gettext_lazy("半年任务"),
    ANNUAL: gettext_lazy("年度任务"),
    DAILY: gettext_lazy("每日任务"),
}
JOB_DAYS = {
    QUARTERLY: gettext_lazy("每年4月1日、10月1日"),
    SEMIANNUAL: gettext_lazy("每年7月1日"),
    ANNUAL: gettext_lazy("每年1月1日"),
}

REMINDER_DAYS = 3  # default only: the county's setting (全县设置) decides
NOT_SUBMITTED = states.NOT_SUBMITTED  # kept importable here; defined in ratings.states
MAIL_SUBJECT_PREFIX = gettext_lazy("【聚居点星级评定】")
MAIL_FOOTER = gettext_lazy("请登录聚居点星级评定系统查看处理。")


def _day(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


# --------------------------------------------------------------------- opening jobs


@dataclass
class OpenReport:
    """What an opening job did as of ``today``: opened a round, found it open, or refused."""

    job: str
    today: dt.date
    year: int
    quarter: int
    round: Round | None = None
    created: bool = False
    assessments: int = 0

    @property
    def refused(self) -> bool:
        return self.round is None

    def lines(self) -> list[str]:
        label = JOB_LABELS[self.job]
        if self.round is None:
            owner = JOB_FOR_QUARTER[self.quarter]
            return [
                _(
                    "%(date)s 不是%(job)s的日期：%(job)s只在%(days)s开启第%(quarters)s季度的轮次；"
                    "该日期应开启%(year)s年第%(quarter)s季度，属于%(owner)s。未作任何改动。"
                )
                % {
                    "date": self.today.isoformat(),
                    "job": label,
                    "days": JOB_DAYS[self.job],
                    "quarters": "、".join(str(q) for q in JOB_QUARTERS[self.job]),
                    "year": self.year,
                    "quarter": self.quarter,
                    "owner": JOB_LABELS[owner],
                }
            ]
        if self.created:
            return [
                _(
                    "%(job)s：已开启%(round)s考评轮次，生成 %(count)s 份乡镇自评，自评截止%(self)s，县级考评截止%(review)s。"
                )
                % {
                    "job": label,
                    "round": self.round,
                    "count": self.assessments,
                    "self": _day(self.round.self_deadline),
                    "review": _day(self.round.review_deadline),
                }
            ]
        return [
            _("%(job)s：%(round)s考评轮次已于%(opened)s开启，未作改动。")
            % {"job": label, "round": self.round, "opened": _day(self.round.opened_on)}
        ]


def _open_job(job: str, today: dt.date) -> OpenReport:
    year, quarter = rules.quarter_closed_before(today)
    report = OpenReport(job=job, today=today, year=year, quarter=quarter)
    # A job accepts any day of the quarter after the one it opens: beat fires on the
    # first day, but a retried task or a backfill may run later in that quarter.
    if quarter not in JOB_QUARTERS[job]:
        return report
    report.round, report.created = round_open(year=year, quarter=quarter, by=None, today=today)
    if report.created:
        report.assessments = report.round.self_assessments.count()
    return report


def quarterly_job(*, today: dt.date) -> OpenReport:
    """1 April and 1 October: open the Q1 / Q3 round (stage 初评)."""
    return _open_job(QUARTERLY, today)


def semiannual_job(*, today: dt.date) -> OpenReport:
    """1 July: open the Q2 round (stage 复评)."""
    return _open_job(SEMIANNUAL, today)


def annual_job(*, today: dt.date) -> OpenReport:
    """1 January: open the previous year's Q4 round (stage 定评)."""
    return _open_job(ANNUAL, today)


# ------------------------------------------------------------------------ daily job


@dataclass
class DailyReport:
    today: dt.date
    opened: list[Round] = field(default_factory=list)
    marked_overdue: int = 0
    self_locked: list[Round] = field(default_factory=list)
    review_locked: list[Round] = field(default_factory=list)
    reminders: int = 0
    emails: int = 0
    notice_ends_set: int = 0
    took_effect: int = 0
    rectifications_overdue: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.opened
            or self.marked_overdue
            or self.self_locked
            or self.review_locked
            or self.reminders
            or self.notice_ends_set
            or self.took_effect
            or self.rectifications_overdue
        )

    def lines(self) -> list[str]:
        lines = [_("每日任务（%(date)s）：") % {"date": self.today.isoformat()}]
        for rnd in self.opened:
            lines.append(_("补开考评轮次：%(round)s。") % {"round": rnd})
        if self.marked_overdue:
            lines.append(_("标记逾期未报的自评：%(count)s 份。") % {"count": self.marked_overdue})
        for rnd in self.self_locked:
            lines.append(_("%(round)s：自评已截止并锁定。") % {"round": rnd})
        for rnd in self.review_locked:
            # The services refuse saving by date; a recorded reopening (an upheld
            # objection, the secretary's extension) gives one review a later deadline.
            lines.append(
                _("%(round)s：县级考评已截止并锁定（另行重新开放的考评除外）。") % {"round": rnd}
            )
        if self.reminders:
            lines.append(
                _("发出截止提醒：站内通知 %(notices)s 条，邮件 %(emails)s 封。")
                % {"notices": self.reminders, "emails": self.emails}
            )
        if self.notice_ends_set:
            lines.append(
                _("节假日安排已录入，确定公示截止日期的评定：%(count)s 个。")
                % {"count": self.notice_ends_set}
            )
        if self.took_effect:
            lines.append(_("公示期满生效的评定：%(count)s 个。") % {"count": self.took_effect})
        if self.rectifications_overdue:
            lines.append(
                _("逾期未报整改情况的整改通知：%(count)s 个，已提醒县考评组。")
                % {"count": self.rectifications_overdue}
            )
        if not self.changed:
            lines.append(_("没有需要处理的事项，未作改动。"))
        return lines


def daily_job(*, today: dt.date) -> DailyReport:
    """Catch up missed openings, lock deadlines, remind, close notices, chase rectifications.

    Each step commits on its own: a failure in a later step (the task retries the whole
    job) leaves earlier steps done, and doing them again changes nothing.
    """
    report = DailyReport(today=today)
    report.opened = rounds_catch_up(today=today)
    for rnd in rounds_with_deadlines_passed(today):
        marked, self_locked, review_locked = round_deadlines_apply(round=rnd, today=today)
        report.marked_overdue += marked
        if self_locked:
            report.self_locked.append(rnd)
        if review_locked:
            report.review_locked.append(rnd)
    for notices, emails in (
        self_assessment_reminders_send(today=today),
        review_reminders_send(today=today),
    ):
        report.reminders += notices
        report.emails += emails
    report.notice_ends_set = ratings_notice_ends_fill()
    report.took_effect = ratings_take_effect_due(today=today)
    report.rectifications_overdue = rectifications_overdue_notify(today=today)
    return report


def rounds_due(today: dt.date) -> list[tuple[int, int]]:
    """Rounds that should be open by ``today``: this year's ended quarters and the last one."""
    due = {(today.year, q) for q in (1, 2, 3) if rules.round_dates(today.year, q) <= today}
    due.add(rules.quarter_closed_before(today))
    return sorted(due)


def rounds_catch_up(*, today: dt.date) -> list[Round]:
    """Open every round that a missed beat left unopened; returns the ones opened now."""
    opened = []
    existing = set(Round.objects.values_list("year", "quarter"))
    for year, quarter in rounds_due(today):
        if (year, quarter) in existing:
            continue
        rnd, created = round_open(year=year, quarter=quarter, by=None, today=today)
        if created:
            opened.append(rnd)
    return opened


def rounds_with_deadlines_passed(today: dt.date) -> list[Round]:
    """Rounds with a step to lock, or with an unsubmitted self-assessment past its deadline.

    The second part matters after the lock: a send-back reopens items with a deadline
    of its own, which may fall after the round's.
    """
    late = SelfAssessment.objects.past_deadline(today).values("round_id")
    return list(
        Round.objects.filter(
            Q(self_locked_at__isnull=True, self_deadline__lt=today)
            | Q(review_locked_at__isnull=True, review_deadline__lt=today)
            | Q(pk__in=late)
        ).order_by("pk")
    )


@transaction.atomic
def round_deadlines_apply(*, round: Round, today: dt.date) -> tuple[int, bool, bool]:  # noqa: A002
    """Mark late self-assessments 逾期未报 and stamp each step's lock once its deadline has passed.

    The services refuse self-assessment and review edits after the deadline by date; the
    stamps record when the cycle closed each step and end its reminders.
    Returns (assessments marked overdue, self step locked now, review step locked now).
    The guarded UPDATEs make a second run, or a concurrent worker, lock nothing again.
    """
    marked = self_assessments_mark_overdue(round=round, today=today)
    now = timezone.now()
    self_locked = today > round.self_deadline and (
        Round.objects.filter(pk=round.pk, self_locked_at__isnull=True).update(self_locked_at=now)
        == 1
    )
    review_locked = today > round.review_deadline and (
        Round.objects.filter(pk=round.pk, review_locked_at__isnull=True).update(
            review_locked_at=now
        )
        == 1
    )
    return marked, self_locked, review_locked


def _reminder_window(today: dt.date) -> tuple[dt.date, dt.date]:
    # From the county's lead time (default three days) before a deadline until the deadline
    # itself: a daily run missed on the exact day still reminds, and the notice key keeps it to one.
    return today, today + dt.timedelta(days=county_settings().reminder_days)


@transaction.atomic
def self_assessment_reminders_send(*, today: dt.date) -> tuple[int, int]:
    """Remind each township's officials of self-assessments not yet submitted, 3 days ahead.

    One notice per official, round and deadline (send-backs carry their own deadline).
    Returns (notices created, e-mails queued).
    """
    start, end = _reminder_window(today)
    pending = (
        SelfAssessment.objects.not_submitted()
        .filter(deadline__gte=start, deadline__lte=end)
        .values("round_id", "settlement__village__township_id", "deadline")
        .annotate(count=Count("pk"))
        .order_by("round_id", "settlement__village__township_id", "deadline")
    )
    rows = list(pending)
    if not rows:
        return 0, 0
    rounds = Round.objects.in_bulk({row["round_id"] for row in rows})
    officials: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(
        groups__name=OFFICIAL,
        is_active=True,
        township_id__in={row["settlement__village__township_id"] for row in rows},
    ).order_by("pk"):
        if user.township_id is not None:
            officials[user.township_id].append(user)
    notices = []
    for row in rows:
        rnd = rounds[row["round_id"]]
        text = _(
            "%(round)s：本乡镇还有 %(count)s 个聚居点的自评尚未提交，将于%(deadline)s截止，请按时提交。"
        ) % {"round": rnd, "count": row["count"], "deadline": _day(row["deadline"])}
        key = f"self-due:{rnd.pk}:{row['deadline'].isoformat()}"
        url = reverse("ratings:round", args=[rnd.pk])
        notices.append((officials[row["settlement__village__township_id"]], key, text, url))
    return _notify_many(notices, subject=_("自评截止提醒"))


@transaction.atomic
def review_reminders_send(*, today: dt.date) -> tuple[int, int]:
    """Remind the county assessors, 3 days ahead, of submitted assessments not yet reviewed."""
    start, end = _reminder_window(today)
    rounds = list(
        Round.objects.filter(
            review_locked_at__isnull=True, review_deadline__gte=start, review_deadline__lte=end
        )
    )
    reopened = _reopened_reviews_due(start, end)
    if not rounds and not reopened:
        return 0, 0
    assessors = list(User.objects.filter(groups__name=ASSESSOR, is_active=True).order_by("pk"))
    notices = []
    for assessment, until in reopened:
        text = _(
            "%(settlement)s（%(round)s）的县级考评已重新开放，尚未定分，将于%(deadline)s截止。"
        ) % {
            "settlement": assessment.settlement.name,
            "round": assessment.round,
            "deadline": _day(until),
        }
        key = f"review-reopened-due:{assessment.pk}:{until.isoformat()}"
        notices.append((assessors, key, text, reverse("ratings:review", args=[assessment.pk])))
    for rnd in rounds:
        waiting = (
            SelfAssessment.objects.filter(round=rnd, status=AssessmentStatus.SUBMITTED)
            .exclude(review__status=ReviewStatus.FINAL)
            .count()
        )
        if not waiting:
            continue
        text = _(
            "%(round)s：还有 %(count)s 份已提交的自评未完成县级考评，将于%(deadline)s截止。"
        ) % {
            "round": rnd,
            "count": waiting,
            "deadline": _day(rnd.review_deadline),
        }
        key = f"review-due:{rnd.pk}:{rnd.review_deadline.isoformat()}"
        notices.append((assessors, key, text, reverse("ratings:queue_round", args=[rnd.pk])))
    return _notify_many(notices, subject=_("县级考评截止提醒"))


def _reopened_reviews_due(start: dt.date, end: dt.date) -> list[tuple[SelfAssessment, dt.date]]:
    """Reviews reopened past their round's deadline (an extension, an upheld objection),
    not yet final, whose last day (the latest reopening's) falls from ``start`` to ``end``:
    the round's reminder no longer speaks of them."""
    candidates = (
        SelfAssessment.objects.filter(
            status__in=states.REVIEWABLE,
            review_reopenings__open_until__gte=start,
            review_reopenings__open_until__lte=end,
        )
        .exclude(review__status=ReviewStatus.FINAL)
        .select_related("round", "settlement")
        .prefetch_related("review_reopenings")
        .distinct()
        .order_by("pk")
    )
    due = []
    for assessment in candidates:
        until = rules.review_deadline(
            assessment.round.review_deadline,
            (row.open_until for row in assessment.review_reopenings.all()),
        )
        if start <= until <= end and until > assessment.round.review_deadline:
            due.append((assessment, until))
    return due


def rectifications_overdue_notify(*, today: dt.date) -> int:
    """Tell the assessors, once, of each issued rectification whose deadline passed unanswered."""
    overdue = (
        Rectification.objects.overdue(today)
        .filter(overdue_notified_at__isnull=True)
        .select_related("settlement")
        .order_by("pk")
    )
    assessors: list[User] | None = None
    count = 0
    for rectification in overdue.iterator(chunk_size=500):
        assert rectification.deadline is not None  # filtered on the deadline above
        with transaction.atomic():
            won = (
                Rectification.objects.filter(
                    pk=rectification.pk, overdue_notified_at__isnull=True
                ).update(overdue_notified_at=timezone.now())
                == 1
            )
            if not won:
                continue
            if assessors is None:
                assessors = list(
                    User.objects.filter(groups__name=ASSESSOR, is_active=True).order_by("pk")
                )
            text = _(
                "%(settlement)s的限期整改已于%(deadline)s到期，乡镇尚未报送整改情况，请复查处理。"
            ) % {
                "settlement": rectification.settlement.name,
                "deadline": _day(rectification.deadline),
            }
            key = f"rectification-overdue:{rectification.pk}"
            _notify_many(
                [(assessors, key, text, rectification.get_absolute_url())],
                subject=_("整改逾期提醒"),
            )
            count += 1
    return count


# -------------------------------------------------------------------- notifications


def _notify_many(
    notices: Sequence[tuple[Iterable[User], str, str, str]], *, subject: str
) -> tuple[int, int]:
    """Create each (users, key, text, url) notice once per user; e-mail only new ones, on commit.

    get_or_create leans on the (user, key) unique constraint: a concurrent run that loses
    the race gets the existing row and sends nothing.
    """
    created_count = 0
    messages = []
    for users, key, text, url in notices:
        for user in users:
            _notice, created = Notice.objects.get_or_create(
                user=user, key=key, defaults={"text": text, "url": url}
            )
            if not created:
                continue
            created_count += 1
            if user.email:
                messages.append(
                    EmailMessage(
                        subject=f"{MAIL_SUBJECT_PREFIX}{subject}",
                        # Links stay in the in-app notice: the site's address is not known here.
                        body=f"{text}\n\n{MAIL_FOOTER}",
                        from_email=settings.DEFAULT_FROM_EMAIL,
                        to=[user.email],
                    )
                )
    if messages:
        transaction.on_commit(partial(_send_mail, messages))
    return created_count, len(messages)


def _send_mail(messages: list[EmailMessage]) -> None:
    # The in-app notice is the record and is already committed; a mail server that is
    # down must not undo it or make the job retry (which would not resend anyway).
    try:
        get_connection().send_messages(messages)
    except Exception:
        logger.exception("Sending %d reminder e-mail(s) failed", len(messages))
