"""The signed-in user is read with their role names in one query; the session through the cache."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import reverse

from settlements.auth import UserBackend
from settlements.permissions import is_assessor, is_county, is_official, is_secretary
from settlements.roles import ASSESSOR, OFFICIAL
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_user_comes_with_their_role_names_in_one_query(official_a, django_assert_num_queries):
    with django_assert_num_queries(1):
        user = UserBackend().get_user(official_a.pk)
        assert is_official(user) and not is_county(user) and not is_secretary(user)
    assert user == official_a and user._role_names == {OFFICIAL}


def test_several_roles_and_names_a_list_cannot_confuse(official_a, django_assert_num_queries):
    # Names with the separators a string list would use: only exact names count.
    odd = Group.objects.create(name=f'a,"{ASSESSOR}"|[x]')
    official_a.groups.add(odd, Group.objects.get_or_create(name=ASSESSOR)[0])
    with django_assert_num_queries(1):
        user = UserBackend().get_user(official_a.pk)
        assert is_assessor(user) and is_official(user)
    assert user._role_names == {OFFICIAL, ASSESSOR, odd.name}


def test_a_user_without_roles_has_none_and_asks_no_more(django_assert_num_queries):
    nobody = f.user("nobody")
    with django_assert_num_queries(1):
        user = UserBackend().get_user(nobody.pk)
        assert not is_official(user) and not is_county(user)
    assert user._role_names == set()


def test_an_inactive_or_missing_user_is_nobody(official_a):
    official_a.is_active = False
    official_a.save()
    assert UserBackend().get_user(official_a.pk) is None
    assert UserBackend().get_user(10**9) is None


def test_a_role_removed_is_gone_on_the_next_request(client, login, assessor, settlement_a):
    """Roles are read on every request, never kept between them."""
    client = login(assessor)
    assert client.get(reverse("settlements:detail", args=[settlement_a.pk])).status_code == 200
    assessor.groups.clear()
    assert client.get(reverse("settlements:detail", args=[settlement_a.pk])).status_code == 404


def test_the_session_is_read_from_the_cache_and_outlives_a_cache_flush(
    client, login, official_a, django_assert_num_queries
):
    client = login(official_a)
    page = reverse("settlements:list")
    client.get(page)
    # user (with roles, bell), count, the page's rows: no session row.
    with django_assert_num_queries(3):
        assert client.get(page).status_code == 200
    cache.clear()
    # The database row is the record: the session is read from it once, then cached again.
    with django_assert_num_queries(4):
        assert client.get(page).status_code == 200
    with django_assert_num_queries(3):
        assert client.get(page).status_code == 200


def test_logging_out_ends_the_cached_session(client, login, official_a):
    client = login(official_a)
    assert client.get(reverse("settlements:list")).status_code == 200
    cookie = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    client.cookies["sessionid"] = cookie  # an old cookie presented again
    response = client.get(reverse("settlements:list"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_bells_count_comes_with_the_user(official_a, assessor, django_assert_num_queries):
    from django.utils import timezone

    from notifications.models import Kind, Notification
    from notifications.selectors import unread_count

    def note(recipient, key, read=False):
        Notification.objects.create(
            recipient=recipient,
            kind=next(iter(Kind)).value,
            key=key,
            read_at=timezone.now() if read else None,
        )

    note(official_a, "a"), note(official_a, "b"), note(official_a, "c", read=True)
    note(assessor, "d")  # someone else's
    with django_assert_num_queries(1):
        user = UserBackend().get_user(official_a.pk)
        assert unread_count(user) == 2
    nobody = f.user("nobody")
    with django_assert_num_queries(1):
        assert unread_count(UserBackend().get_user(nobody.pk)) == 0
    # A user read some other way still gets the count, by its own query.
    plain = type(official_a).objects.get(pk=official_a.pk)
    with django_assert_num_queries(1):
        assert unread_count(plain) == 2
