"""When a self-assessment counts as due and as on time: one definition for every page.

A round's self-assessments are due once its deadline day has ended (``rules.is_due``); a
submission is on time when it came in by the end of the round's own deadline day, in the
county's time zone (a resubmission after a send-back is late). The dashboards' completeness
and the township summary's timeliness both read these.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from ratings.models import AssessmentStatus, Round

LOCAL = ZoneInfo(settings.TIME_ZONE)


def end_of(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in the county's time zone."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL)


def on_time_q(rnd: Round) -> Q:
    """Submitted by the end of the round's own deadline day."""
    return Q(status=AssessmentStatus.SUBMITTED, submitted_at__lt=end_of(rnd.self_deadline))
