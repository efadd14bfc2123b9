"""The cast every story uses: two townships, their officials, assessors and a secretary.

Service-backed tests call ``require_service``: without the service they skip on a
developer machine, and under CI=true they fail, because CI must run them for real.
"""

from __future__ import annotations

import datetime as dt
import inspect
import os

import pytest

from tests import factories as f

PASSWORD = "pw-Test-12345"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_collection_modifyitems(config, items):
    """A test that gets a database fixture only through ``request.getfixturevalue`` looks
    database-free to pytest-django, which then runs it after the transactional tests: a
    ``serialized_rollback`` test leaves the database flushed, so it would find no roles
    or default rubric, depending on which tests ran before. Such a test must say
    ``django_db``."""
    for item in items:
        function = getattr(item, "function", None)
        if function is None or item.get_closest_marker("django_db"):
            continue
        if {"db", "transactional_db"} & set(getattr(item, "fixturenames", ())):
            continue
        if "getfixturevalue" in inspect.getsource(function):
            raise pytest.UsageError(
                f"{item.nodeid} gets fixtures by name: mark it pytest.mark.django_db"
            )


def require_service(name: str, available: bool, why: str = "") -> None:
    if available:
        return
    message = f"{name} is not available{': ' + why if why else ''}"
    if IN_CI:
        pytest.fail(f"CI=true and {message}; CI must run this test against the real service.")
    pytest.skip(message)


@pytest.fixture
def township_a(db):
    return f.township("甲镇", code="TA")


@pytest.fixture
def township_b(db):
    return f.township("乙镇", code="TB")


@pytest.fixture
def village_a(township_a):
    return f.village(township_a, "甲村", code="VA")


@pytest.fixture
def village_b(township_b):
    return f.village(township_b, "乙村", code="VB")


@pytest.fixture
def settlement_a(village_a):
    return f.settlement(
        village_a, code="SA1", name="幸福苑", households=120, residents=400, party_members=5
    )


@pytest.fixture
def settlement_b(village_b):
    return f.settlement(
        village_b, code="SB1", name="安居园", households=30, residents=100, party_members=1
    )


@pytest.fixture
def official_a(township_a):
    return f.official("official_a", township_a)


@pytest.fixture
def official_b(township_b):
    return f.official("official_b", township_b)


@pytest.fixture
def assessor(db):
    return f.assessor("assessor")


@pytest.fixture
def assessor2(db):
    return f.assessor("assessor2")


@pytest.fixture
def secretary(db):
    return f.secretary("secretary")


@pytest.fixture
def rubric(db):
    return f.current_rubric()


@pytest.fixture
def cast(official_a, official_b, assessor, secretary):
    """Everyone a permission test asks about, the outsider (official_b) and nobody included."""
    from django.contrib.auth.models import AnonymousUser

    return {
        "official_a": official_a,
        "official_b": official_b,
        "assessor": assessor,
        "secretary": secretary,
        "anonymous": AnonymousUser(),
    }


@pytest.fixture
def ask(cast):
    """``ask(predicate, *obj)``: each member of the cast's answer, by name."""

    def answers(predicate, *obj):
        return {name: bool(predicate(user, *obj)) for name, user in cast.items()}

    return answers


@pytest.fixture
def login(client):
    """login(user) logs the test client in as that user and returns the client."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


# The ratings story's fixtures serve several folders (ratings, public, notifications,
# dashboards): registered once here instead of imported into each test module.
pytest_plugins = [
    "tests.celery_conftest",
    "tests.ratings.workflow_fixtures",
    "tests.ratings.view_fixtures",
]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: a cached part of an earlier test (whose rows
    the database has since rolled back without a signal) never shows in the next."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _chinese_by_default():
    """Each test starts in the default language: a request made in English by an earlier
    test leaves English active in this thread, which would leak into later assertions."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


# The test story runs in 2031–2032, years the built-in calendar (chinesecalendar) does not
# know. As the county would, the test county has entered those years' arrangement: New
# Year's Day off, every other day Monday–Friday (settlements.calendar). So has it for next
# year when the package does not know it yet: tests that work "today" in late December
# count notices into January. Tests of an unknown year delete that row first or use 2033+.
TEST_CALENDAR_YEARS = (2031, 2032)


def _years_entered_for_tests() -> set[int]:
    import chinese_calendar
    from django.utils import timezone

    years = set(TEST_CALENDAR_YEARS)
    next_year = timezone.localdate().year + 1
    try:
        chinese_calendar.is_workday(dt.date(next_year, 1, 1))
    except NotImplementedError:
        years.add(next_year)
    return years


@pytest.fixture(autouse=True)
def _county_calendar_for_story_years(request):
    uses_db = {"db", "transactional_db", "django_db_reset_sequences"} & set(request.fixturenames)
    if not uses_db and request.node.get_closest_marker("django_db") is None:
        yield
        return
    # pytest-django's helper sets up database access as the test asked for it (marker or fixture).
    request.getfixturevalue("_django_db_helper")
    from settlements.models import CalendarDay

    for year in sorted(_years_entered_for_tests()):
        CalendarDay.objects.get_or_create(
            date=dt.date(year, 1, 1), defaults={"kind": "rest", "note": "元旦"}
        )
    yield


@pytest.fixture
def tmp_media(settings, tmp_path):
    """Uploads (import jobs, evidence) under a directory of this test, not var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def eager_celery():
    """Celery tasks run in the caller. Tasks queued on commit still need the commit:
    use django_capture_on_commit_callbacks(execute=True) around the request."""
    from config.celery import app as celery_app

    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = False
