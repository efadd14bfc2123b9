"""#12 A result page explains every point: the demo's history is scored item by item.

``seed_demo`` builds its history through the rules' own scoring (occurrences per rubric
item -> item points -> total), so for every seeded rating, county review and submitted
self-assessment the stored total is the sum of its items, each item's stored points are
the rules' points, and the points lost per area add up to what the total lost.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from ratings import rules
from ratings.models import (
    AssessmentStatus,
    Rating,
    RatingStatus,
    Review,
    ReviewItem,
    RubricItem,
    SelfAssessment,
    SelfAssessmentItem,
)

pytestmark = pytest.mark.django_db
SIZE = 36


def _check_sheet(total, vetoed, stored, items, bonus_cap) -> None:
    """``stored``: item id -> (occurrences, points) as the sheet stored them."""
    lines = [(i.kind, i.points, i.cap, stored.get(i.pk, (0, 0))[0]) for i in items]
    points, score, veto = rules.score_sheet(lines, bonus_cap=bonus_cap)
    assert (score, veto) == (total, vetoed)
    for item, expected in zip(items, points, strict=True):
        if item.pk in stored and item.kind != rules.VETO:
            assert stored[item.pk][1] == expected, item.code
    # What the result page shows per area adds up to the total.
    lost = rules.area_losses((i.area, i.kind, stored.get(i.pk, (0, Decimal(0)))[1]) for i in items)
    bonus = min(
        bonus_cap,
        sum(
            (stored[i.pk][1] for i in items if i.kind == rules.BONUS and i.pk in stored), Decimal(0)
        ),
    )
    assert (
        rules.quantize_score(max(Decimal(0), rules.BASE_SCORE + bonus - sum(lost.values())))
        == total
    )


def test_every_seeded_total_is_the_sum_of_its_items():
    call_command(
        "seed_demo", "--settlements", str(SIZE), "--today", "2026-11-16", stdout=StringIO()
    )
    items_of: dict[int, list[RubricItem]] = defaultdict(list)
    for item in RubricItem.objects.order_by("position", "code"):
        items_of[item.rubric_id].append(item)
    county: dict[int, dict[int, tuple[int, Decimal]]] = defaultdict(dict)
    for review_id, item_id, n, points in ReviewItem.objects.values_list(
        "review_id", "item_id", "occurrences", "points"
    ):
        county[review_id][item_id] = (n, points)
    own: dict[int, dict[int, tuple[int, Decimal]]] = defaultdict(dict)
    for sa_id, item_id, n, points in SelfAssessmentItem.objects.values_list(
        "assessment_id", "item_id", "occurrences", "points"
    ):
        own[sa_id][item_id] = (n, points)

    ratings = list(Rating.objects.select_related("review", "rubric"))
    assert len(ratings) > SIZE * 4  # every round's ratings, not only the newest
    assert {r.round_id for r in ratings} == set(Rating.objects.values_list("round_id", flat=True))
    for rating in ratings:
        # An empty sheet is a clean 100: nothing lost, no bonus.
        assert rating.review.score == rating.score
        _check_sheet(
            rating.score,
            rating.vetoed,
            county[rating.review_id],
            items_of[rating.rubric_id],
            rating.rubric.bonus_cap,
        )
        assert rating.awarded_stars == rules.stars_awarded(score=rating.score, vetoed=rating.vetoed)
    for review in Review.objects.filter(status="final").select_related("self_assessment__rubric"):
        rubric = review.self_assessment.rubric
        _check_sheet(
            review.score, review.vetoed, county[review.pk], items_of[rubric.pk], rubric.bonus_cap
        )
    submitted = SelfAssessment.objects.filter(status=AssessmentStatus.SUBMITTED).select_related(
        "rubric"
    )
    assert submitted.exists()
    for sa in submitted:
        _check_sheet(sa.score, sa.vetoed, own[sa.pk], items_of[sa.rubric_id], sa.rubric.bonus_cap)
    assert Rating.objects.filter(status=RatingStatus.EFFECTIVE).exists()
