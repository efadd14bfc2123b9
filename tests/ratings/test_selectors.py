"""Scoped reads: a township official sees only their township; the county sees all; joins avoid N+1."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile

from ratings import selectors, services
from settlements.models import User
from tests import factories as f
from tests.ratings.workflow import AFTER_NOTICE, OPENED, PNG, finalise, self_submit


def fresh_user(user):
    # Role names are cached on the user object; a fresh one shows the real query count.
    return User.objects.get(pk=user.pk)


@pytest.fixture
def story(q1_sa_a, q1_sa_b, official_a, official_b, assessor, assessor2, settings, tmp_path):
    """Both settlements rated and effective; A has a flagged-item rectification, B a photo."""
    settings.MEDIA_ROOT = tmp_path
    rating_a = finalise(self_submit(q1_sa_a, official_a), assessor, {"AQ01": 1})
    submitted_b = self_submit(q1_sa_b, official_b)
    services.evidence_add(
        by=assessor, file=SimpleUploadedFile("site.png", PNG), side="county", assessment=submitted_b
    )
    rating_b = finalise(submitted_b, assessor, {"AQ01": 1})
    for rating in (rating_a, rating_b):
        services.rating_take_effect(rating=rating, today=AFTER_NOTICE)
    return rating_a, rating_b


def test_current_round_is_the_latest(rubric, settlement_a):
    assert selectors.current_round() is None
    services.round_open(year=2031, quarter=2, today=dt.date(2031, 7, 1))
    latest = services.round_open(year=2031, quarter=4, today=dt.date(2032, 1, 1))[0]
    services.round_open(year=2031, quarter=3, today=dt.date(2031, 10, 1))
    assert selectors.current_round() == latest


def test_official_sees_only_their_townships_records(
    story, official_a, official_b, settlement_a, settlement_b
):
    for user, settlement in ((official_a, settlement_a), (official_b, settlement_b)):
        for qs in (
            selectors.self_assessments_visible_to(user),
            selectors.ratings_visible_to(user),
            selectors.rectifications_visible_to(user),
        ):
            assert {obj.settlement_id for obj in qs} == {settlement.pk}
    assert selectors.evidence_visible_to(official_a).count() == 0
    assert selectors.evidence_visible_to(official_b).count() == 1


@pytest.mark.parametrize("who", ["assessor", "secretary"])
def test_county_sees_everything(request, story, who):
    user = request.getfixturevalue(who)
    assert selectors.self_assessments_visible_to(user).count() == 2
    assert selectors.ratings_visible_to(user).count() == 2
    assert selectors.rectifications_visible_to(user).count() == 2
    assert selectors.evidence_visible_to(user).count() == 1


def test_users_without_a_role_and_anonymous_see_nothing(story):
    nobody = f.user("nobody")
    township_less_official = f.user("loose", role="乡镇干部")  # an official without a township
    for user in (AnonymousUser(), nobody, township_less_official):
        assert not selectors.self_assessments_visible_to(user).exists()
        assert not selectors.ratings_visible_to(user).exists()
        assert not selectors.rectifications_visible_to(user).exists()
        assert not selectors.certificates_visible_to(user).exists()
        assert not selectors.evidence_visible_to(user).exists()
        assert not selectors.objections_visible_to(user).exists()


def test_objections_are_scoped_through_their_rating(q1_notice_a, assessor2, official_a, official_b):
    services.objection_file(
        rating=q1_notice_a, by=assessor2, filed_by_name="王五", text="异议", today=OPENED
    )
    assert selectors.objections_visible_to(official_a).count() == 1
    assert selectors.objections_visible_to(official_b).count() == 0
    assert selectors.objections_visible_to(assessor2).count() == 1


def test_certificates_are_scoped(
    secretary, rubric, settlement_a, settlement_b, official_a, official_b, assessor
):
    q4 = services.round_open(year=2031, quarter=4, by=secretary, today=dt.date(2032, 1, 1))[0]
    from tests.ratings.workflow import assessment_of

    for settlement, official in ((settlement_a, official_a), (settlement_b, official_b)):
        sa = assessment_of(q4, settlement)
        rating = finalise(
            self_submit(sa, official, today=q4.opened_on), assessor, today=q4.opened_on
        )
        services.rating_take_effect(
            rating=rating, today=rating.notice_ends_on + dt.timedelta(days=1)
        )
    assert [c.settlement_id for c in selectors.certificates_visible_to(official_a)] == [
        settlement_a.pk
    ]
    assert selectors.certificates_visible_to(assessor).count() == 2


def test_self_assessment_list_for_an_official_is_one_query(
    story, official_a, django_assert_num_queries
):
    user = fresh_user(official_a)
    # groups (role check), then self-assessments joined with settlement, village, township,
    # round, rubric, review and rating (scope as a subquery in the same statement)
    with django_assert_num_queries(2):
        rows = [
            (
                sa.settlement.village.township.name,
                sa.round.year,
                sa.rubric.version,
                sa.review.score,
                sa.review.rating.stars,
            )
            for sa in selectors.self_assessments_visible_to(user)
        ]
    assert len(rows) == 1


def test_lists_for_the_county_have_no_n_plus_one(story, assessor, django_assert_num_queries):
    user = fresh_user(assessor)
    # groups (role check), then one query per list
    with django_assert_num_queries(5):
        assessments = [
            (sa.settlement.village.township.name, sa.round.quarter)
            for sa in selectors.self_assessments_visible_to(user)
        ]
        ratings = [
            (r.settlement.village.township.name, r.round.year, r.rubric.version)
            for r in selectors.ratings_visible_to(user)
        ]
        rects = [
            (r.settlement.village.township.name, r.rating.round.year)
            for r in selectors.rectifications_visible_to(user)
        ]
        files = [
            (e.settlement.village.township.name, e.uploaded_by.username)
            for e in selectors.evidence_visible_to(user)
        ]
    assert (len(assessments), len(ratings), len(rects), len(files)) == (2, 2, 2, 1)


def test_review_queue_filters_by_township_class_and_status(
    q1, q1_sa_a, q1_sa_b, official_a, assessor, township_a, official_b
):
    self_submit(q1_sa_a, official_a)
    assert [sa.pk for sa in selectors.review_queue(assessor, round=q1)] == [q1_sa_a.pk, q1_sa_b.pk]
    assert [
        sa.pk for sa in selectors.review_queue(assessor, round=q1, township_id=township_a.pk)
    ] == [q1_sa_a.pk]
    assert [sa.pk for sa in selectors.review_queue(assessor, round=q1, settlement_class=3)] == [
        q1_sa_b.pk
    ]
    assert [sa.pk for sa in selectors.review_queue(assessor, round=q1, status="submitted")] == [
        q1_sa_a.pk
    ]
    assert not selectors.review_queue(assessor, round=q1, status="bogus").exists()
    assert not selectors.review_queue(official_b, round=q1).exists()
