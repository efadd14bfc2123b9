"""Reports (SPEC §7): the township annual summary, model villages, the honour roll, assessor drift."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from dashboards import rules as r
from dashboards.models import AssessorRoundStat, CountyRoundStat, RoundStat
from dashboards.panels import summary_columns
from dashboards.timeliness import end_of
from ratings.models import (
    AssessmentStatus,
    Certificate,
    Rectification,
    RectificationStatus,
    Round,
    SelfAssessment,
    StarChange,
    StarChangeKind,
)
from ratings.states import overdue_rectification_q
from settlements.models import Settlement, SettlementClass, Township
from settlements.permissions import sees_all_settlements
from settlements.selectors import villages_visible_to

from .common import (
    HONOUR_PAGE_SIZE,
    LOCAL,
    VILLAGES_PER_PAGE,
    StarRow,
    star_headers,
    star_row,
)

# ================================================================ township annual summary


@dataclass
class TownshipSummary:
    township: Township
    year: int
    stars: StarRow  # held at the year's last rated round
    upgrades: int = 0
    downgrades: int = 0
    revocations: int = 0
    rectifications_issued: int = 0
    rectifications_passed: int = 0
    rectifications_overdue: int = 0
    expected: int = 0
    submitted: int = 0
    on_time: int = 0
    extra: list[tuple[str, Any]] = field(
        default_factory=list
    )  # (header, value) from registered sources

    @property
    def on_time_share(self) -> Decimal:
        return r.share(self.on_time, self.expected)


@dataclass
class SummaryTable:
    year: int
    years: list[int]
    year_end_round: Round | None
    extra_headers: list[str]
    rows: list[TownshipSummary]
    # The year's rounds whose self-assessment deadline has passed: the timeliness counts these.
    due_rounds: Sequence[Round] = field(default_factory=list)

    @property
    def due_label(self) -> str:
        """The rounds the timeliness counts, for its heading ("2026Q1、2026Q2"; "—" for none)."""
        return "、".join(r.quarter_label(x.year, x.quarter) for x in self.due_rounds) or "—"

    def headers(self) -> list[str]:
        return [
            _("乡镇"),
            *star_headers(),
            _("参评合计"),
            _("五星占比"),
            _("升星"),
            _("降星"),
            _("取消星级"),
            _("下达整改"),
            _("整改通过"),
            _("整改逾期"),
            _("应报自评"),
            _("已报自评"),
            _("按时上报"),
            _("按时率"),
            *self.extra_headers,
        ]

    def spreadsheet_rows(self) -> list[list[Any]]:
        return [
            [
                row.township.name,
                *row.stars.counts,
                row.stars.total,
                r.percent(row.stars.five_share),
                row.upgrades,
                row.downgrades,
                row.revocations,
                row.rectifications_issued,
                row.rectifications_passed,
                row.rectifications_overdue,
                row.expected,
                row.submitted,
                row.on_time,
                r.percent(row.on_time_share),
                *(value for _header, value in row.extra),
            ]
            for row in self.rows
        ]


def summary_years(today: dt.date) -> list[int]:
    years = list(Round.objects.order_by("-year").values_list("year", flat=True).distinct())
    return years or [today.year]


def township_summaries(
    *, user: Any, townships: Sequence[Township], year: int, years: list[int], today: dt.date
) -> SummaryTable:
    """The annual figures of each township (乡镇年度目标考核 / 述职评议), for the townships given.

    The caller chose ``townships`` from townships_visible_to. Queries: the year's rounds,
    year-end star counts, star changes, rectifications, self-assessment timeliness (of the
    rounds whose deadline has passed: only those were due); plus each registered summary
    source's own.
    """
    ids = [t.pk for t in townships]
    rounds = list(
        Round.objects.filter(year=year)
        .annotate(rated=Exists(CountyRoundStat.objects.filter(round=OuterRef("pk"))))
        .order_by("quarter")
    )
    rated = [x for x in rounds if x.rated]
    year_end = rated[-1] if rated else None
    stars: dict[int, Counter[int]] = defaultdict(Counter)
    if year_end is not None and ids:
        for row in (
            RoundStat.objects.filter(round=year_end, township_id__in=ids)
            .values("township_id", "stars")
            .annotate(n=Sum("count"))
            .order_by()
        ):
            stars[row["township_id"]][row["stars"]] = row["n"]
    start = dt.datetime(year, 1, 1, tzinfo=LOCAL)
    end = dt.datetime(year + 1, 1, 1, tzinfo=LOCAL)
    changes = {
        row["settlement__village__township_id"]: row
        for row in StarChange.objects.filter(
            settlement__village__township_id__in=ids, at__gte=start, at__lt=end
        )
        .values("settlement__village__township_id")
        .annotate(
            up=Count("pk", filter=Q(to_stars__gt=F("from_stars"))),
            down=Count(
                "pk", filter=Q(to_stars__lt=F("from_stars")) & ~Q(kind=StarChangeKind.REVOKED)
            ),
            revoked=Count("pk", filter=Q(kind=StarChangeKind.REVOKED)),
        )
        .order_by()
    }
    not_issued = [RectificationStatus.PROPOSED, RectificationStatus.DISMISSED]
    orders = {
        row["settlement__village__township_id"]: row
        for row in Rectification.objects.filter(
            settlement__village__township_id__in=ids, created_at__gte=start, created_at__lt=end
        )
        .values("settlement__village__township_id")
        .annotate(
            issued=Count("pk", filter=~Q(status__in=not_issued)),
            passed=Count("pk", filter=Q(status=RectificationStatus.PASSED)),
            overdue=Count("pk", filter=overdue_rectification_q(today)),
        )
        .order_by()
    }
    # Timeliness counts only what was due: rounds whose self-assessment deadline has passed.
    due = [x for x in rounds if r.is_due(x.self_deadline, today)]
    timeliness: dict[int, Counter[str]] = defaultdict(Counter)
    if due and ids:
        on_time = Q()
        for x in due:
            on_time |= Q(round=x, submitted_at__lt=end_of(x.self_deadline))
        for row in (
            SelfAssessment.objects.filter(round__in=due, settlement__village__township_id__in=ids)
            .values("settlement__village__township_id")
            .annotate(
                expected=Count("pk"),
                submitted=Count("pk", filter=Q(status=AssessmentStatus.SUBMITTED)),
                on_time=Count("pk", filter=Q(status=AssessmentStatus.SUBMITTED) & on_time),
            )
            .order_by()
        ):
            timeliness[row["settlement__village__township_id"]].update(
                {k: row[k] for k in ("expected", "submitted", "on_time")}
            )
    extras = summary_columns(user, ids, year)
    rows = []
    for t in townships:
        c = changes.get(t.pk, {})
        o = orders.get(t.pk, {})
        d = timeliness[t.pk]
        extra: list[tuple[str, Any]] = []
        for columns in extras:
            values = columns.values.get(t.pk, ("",) * len(columns.headers))
            extra.extend(zip(columns.headers, values, strict=True))
        rows.append(
            TownshipSummary(
                township=t,
                year=year,
                stars=star_row(
                    t.name, stars[t.pk], reverse("dashboard:township_summary", args=[t.pk])
                ),
                upgrades=c.get("up", 0),
                downgrades=c.get("down", 0),
                revocations=c.get("revoked", 0),
                rectifications_issued=o.get("issued", 0),
                rectifications_passed=o.get("passed", 0),
                rectifications_overdue=o.get("overdue", 0),
                expected=d["expected"],
                submitted=d["submitted"],
                on_time=d["on_time"],
                extra=extra,
            )
        )
    return SummaryTable(
        year=year,
        years=years,
        year_end_round=year_end,
        due_rounds=due,
        extra_headers=[h for columns in extras for h in columns.headers],
        rows=rows,
    )


# ===================================================================== model villages


@dataclass(frozen=True)
class VillageLine:
    pk: int
    name: str
    township: str
    settlements: int
    starred: int
    five_star: int


def model_villages(
    *, user: Any, township_id: int | None = None, page: str | int | None = None
) -> Page[Any]:
    """Villages for choosing model villages: those holding star settlements first (SPEC §7).

    Queries: count, page (one grouped statement each).
    """
    qs = villages_visible_to(user)
    if township_id is not None:
        qs = qs.filter(township_id=township_id)
    counted = (
        qs.annotate(
            n=Count("settlements"),
            starred=Count("settlements", filter=Q(settlements__current_star__gt=0)),
            five=Count("settlements", filter=Q(settlements__current_star=5)),
        )
        .order_by("-starred", "-five", "code")
        .values("pk", "name", "township__name", "n", "starred", "five")
    )
    paged: Page[Any] = Paginator(counted, VILLAGES_PER_PAGE).get_page(page)
    paged.object_list = [
        VillageLine(
            pk=x["pk"],
            name=x["name"],
            township=x["township__name"],
            settlements=x["n"],
            starred=x["starred"],
            five_star=x["five"],
        )
        for x in paged.object_list
    ]
    return paged


# ======================================================================= honour roll


@dataclass(frozen=True)
class HonourLine:
    name: str
    code: str
    township: str
    village: str
    stars: int
    certificate: str
    certificate_year: int | None
    certificate_id: int | None = None  # its public check page (the QR code's link)


@dataclass
class HonourRoll:
    settlement_class: int
    classes: list[tuple[int, str, int]]  # (class, label, star settlements)
    rows: list[HonourLine]
    next_after: str | None


def parse_honour_key(value: str) -> tuple[int, str]:
    """ "stars.code" → (stars, code); ValueError on anything else."""
    stars, _dot, code = value.partition(".")
    if stars not in ("3", "4", "5") or not code:
        raise ValueError(value)
    return int(stars), code


def honour_roll(
    *, settlement_class: int, after: tuple[int, str] | None = None, size: int = HONOUR_PAGE_SIZE
) -> HonourRoll:
    """Settlements holding a star, by class, best first, with their valid certificate. Public: no personal data.

    Queries: star settlements per class, the page (by key), the page's certificates.
    """
    counts = dict(
        Settlement.objects.filter(current_star__gt=0)
        .values_list("klass")
        .annotate(n=Count("pk"))
        .order_by()
    )
    qs = Settlement.objects.filter(klass=settlement_class, current_star__gt=0)
    if after is not None:
        qs = qs.filter(Q(current_star__lt=after[0]) | Q(current_star=after[0], code__gt=after[1]))
    page = list(
        qs.order_by("-current_star", "code").values(
            "pk", "name", "code", "current_star", "village__name", "village__township__name"
        )[: size + 1]
    )
    shown = page[:size]
    # Only a current certificate, and only when it names the star shown: a settlement that
    # rose at a quarterly rating is named at its next final rating, not under last year's number.
    star_of = {x["pk"]: x["current_star"] for x in shown}
    certificates: dict[int, tuple[str, int, int]] = {}
    for pk, number, year, certificate_id, stars in Certificate.objects.filter(
        settlement_id__in=list(star_of), revoked_at__isnull=True
    ).values_list("settlement_id", "number", "year", "pk", "stars"):
        if stars == star_of[pk]:
            certificates[pk] = (number, year, certificate_id)
    rows = [
        HonourLine(
            name=x["name"],
            code=x["code"],
            township=x["village__township__name"],
            village=x["village__name"],
            stars=x["current_star"],
            certificate=certificates.get(x["pk"], ("", None, None))[0],
            certificate_year=certificates.get(x["pk"], ("", None, None))[1],
            certificate_id=certificates.get(x["pk"], ("", None, None))[2],
        )
        for x in shown
    ]
    next_after = f"{shown[-1]['current_star']}.{shown[-1]['code']}" if len(page) > size else None
    return HonourRoll(
        settlement_class=settlement_class,
        classes=[
            (value, str(label), counts.get(value, 0)) for value, label in SettlementClass.choices
        ],
        rows=rows,
        next_after=next_after,
    )


# ====================================================================== assessor drift


@dataclass(frozen=True)
class DriftLine:
    assessor: str
    drift: r.Drift


def assessor_drift(*, user: Any, year: int | None = None) -> list[DriftLine]:
    """Per assessor, the mean and spread of (county − self) over effective ratings.

    County-level only. Queries: one grouped read of AssessorRoundStat.
    """
    if not sees_all_settlements(user):
        raise PermissionDenied(_("只有县考评组和党组织书记可以查看考评偏差。"))
    qs = AssessorRoundStat.objects.all()
    if year is not None:
        qs = qs.filter(round__year=year)
    rows = (
        qs.values("assessor_id", "assessor__username", "assessor__display_name")
        .annotate(n=Sum("reviews"), s=Sum("gap_sum"), q=Sum("gap_square_sum"))
        .order_by("assessor__username")
    )
    return [
        DriftLine(
            assessor=x["assessor__display_name"] or x["assessor__username"],
            drift=r.drift(reviews=x["n"], gap_sum=Decimal(x["s"]), gap_square_sum=Decimal(x["q"])),
        )
        for x in rows
    ]
