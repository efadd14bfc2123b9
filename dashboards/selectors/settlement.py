"""One settlement's story: score and star over time, points per area, and its rating history."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext as _

from dashboards import rules as r
from ratings import selectors as ratings_selectors
from ratings.models import Area as AreaChoice
from ratings.models import (
    Certificate,
    Rating,
    RatingStatus,
    Rectification,
    ReviewItem,
    SelfAssessment,
    SelfAssessmentItem,
    StarChange,
)
from settlements.models import Settlement

# ==================================================================== settlement charts


@dataclass(frozen=True)
class HistoryPoint:
    label: str
    county: Decimal
    own: Decimal | None
    stars: int
    status: str

    @property
    def gap(self) -> Decimal | None:
        return None if self.own is None else self.county - self.own


@dataclass(frozen=True)
class AreaPoints:
    area: str
    own: Decimal
    county: Decimal

    @property
    def gap(self) -> Decimal:
        return self.county - self.own


@dataclass
class SettlementCharts:
    history: list[HistoryPoint]
    latest_label: str | None
    areas: list[AreaPoints]

    def chart(self) -> dict[str, Any]:
        return {
            "history": {
                "names": [_("县级得分"), _("自评得分")],
                "labels": [p.label for p in self.history],
                "county": [p.county for p in self.history],
                "own": [p.own for p in self.history],
                "stars": [p.stars for p in self.history],
            },
            "areas": {
                "names": [_("自评"), _("县级")],
                "labels": [a.area for a in self.areas],
                "own": [a.own for a in self.areas],
                "county": [a.county for a in self.areas],
            },
        }


def _area_net(rows: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    net: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        points = Decimal(row["points"] or 0)
        if row["item__kind"] == "bonus":
            net[row["item__area"]] += points
        elif row["item__kind"] == "deduction":
            net[row["item__area"]] -= points
    return net


def settlement_charts(*, settlement: Settlement) -> SettlementCharts:
    """Score and star over time, and points per area (self vs county) for the latest rating.

    The caller fetched ``settlement`` through settlements_visible_to. Queries: the
    settlement's ratings (with its self score), then the county's and the township's
    points per area for the latest one.
    """
    ratings = list(
        Rating.objects.filter(
            settlement=settlement, status__in=[RatingStatus.EFFECTIVE, RatingStatus.NOTICE]
        )
        .order_by("round__year", "round__quarter")
        .values(
            "round__year",
            "round__quarter",
            "score",
            "stars",
            "status",
            "review_id",
            "review__self_assessment_id",
            "review__self_assessment__score",
        )
    )
    history = [
        HistoryPoint(
            label=r.quarter_label(x["round__year"], x["round__quarter"]),
            county=x["score"],
            own=x["review__self_assessment__score"],
            stars=x["stars"],
            status=x["status"],
        )
        for x in ratings
    ]
    areas: list[AreaPoints] = []
    latest = ratings[-1] if ratings else None
    if latest is not None:
        county = _area_net(
            ReviewItem.objects.filter(review_id=latest["review_id"])
            .values("item__area", "item__kind")
            .annotate(points=Sum("points"))
            .order_by()
        )
        own = _area_net(
            SelfAssessmentItem.objects.filter(assessment_id=latest["review__self_assessment_id"])
            .values("item__area", "item__kind")
            .annotate(points=Sum("points"))
            .order_by()
        )
        areas = [
            AreaPoints(
                area=str(label),
                own=own.get(value, Decimal(0)),
                county=county.get(value, Decimal(0)),
            )
            for value, label in AreaChoice.choices
        ]
    return SettlementCharts(
        history=history, latest_label=history[-1].label if history else None, areas=areas
    )


# ================================================================== rating history


@dataclass
class SettlementHistory:
    """The settlement page's rating story, read before the template renders."""

    changes: list[StarChange]
    ratings: list[Rating]
    rectifications: list[Rectification]
    certificates: list[Certificate]
    latest: SelfAssessment | None
    charts: SettlementCharts

    @property
    def latest_review(self) -> Any:
        return getattr(self.latest, "review", None) if self.latest else None


def settlement_history(*, user: Any, settlement: Settlement) -> SettlementHistory:
    """Every star change, the ratings, rectifications and certificates the user may see, the
    latest self-assessment (with its review) and the charts.

    The caller fetched ``settlement`` through settlements_visible_to; each list is read
    through ratings' scoped selectors. Queries: latest self-assessment, star changes,
    ratings, rectifications, certificates, then the charts' own.
    """
    latest = (
        ratings_selectors.self_assessments_visible_to(user)
        .filter(settlement=settlement)
        .select_related("round", "review")
        .order_by("-round__year", "-round__quarter")
        .first()
    )
    return SettlementHistory(
        latest=latest,
        changes=list(
            StarChange.objects.filter(settlement=settlement)
            .select_related("by", "rating__round")
            .order_by("-at", "-pk")
        ),
        ratings=list(
            ratings_selectors.ratings_visible_to(user)
            .filter(settlement=settlement)
            .select_related("round")
            .order_by("-round__year", "-round__quarter")
        ),
        rectifications=list(
            ratings_selectors.rectifications_visible_to(user)
            .filter(settlement=settlement)
            .select_related("rating__round")
            .order_by("-created_at", "-pk")
        ),
        certificates=list(
            ratings_selectors.certificates_visible_to(user)
            .filter(settlement=settlement)
            .order_by("-year", "-pk")
        ),
        charts=settlement_charts(settlement=settlement),
    )
