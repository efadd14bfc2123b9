"""The signed-in user, read once per request together with the names of their roles.

Every logged-in page asks a role question (the menu, the scope of a list), and
``settlements.permissions`` answers them from the user's group names. Django's own
backend reads the user, then the first role question reads the groups: two queries on
every page. This backend reads both in one (the names as a JSON array from a subquery,
on PostgreSQL and SQLite alike) and hands the user to the permissions with the names
already in place. Apps above may add a figure every page shows about the user in the
same query (``register_user_figure``: the bell's unread count). Signing in, passwords and
permissions are Django's ``ModelBackend``'s.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import router
from django.db.models import Aggregate, OuterRef, Subquery, TextField

from .models import User


class _JSONNames(Aggregate):
    """The aggregated values as JSON text: ``[]`` or NULL when there are none."""

    function = "JSON_GROUP_ARRAY"  # SQLite
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="CAST(JSON_AGG(%(expressions)s) AS TEXT)")


def with_role_names(users: Any) -> Any:
    """``users`` annotated with ``role_names_json``: their groups' names as a JSON array."""
    memberships: Any = User.groups.through.objects.filter(user_id=OuterRef("pk"))
    names = memberships.values("user_id").annotate(names=_JSONNames("group__name")).values("names")
    return users.annotate(role_names_json=Subquery(names, output_field=TextField()))


_FIGURES: dict[str, Callable[[], Any]] = {}
# The id the one-user SQL is compiled with, replaced by the real id on every read.
_ID_PLACEHOLDER = -972_431_865


def register_user_figure(name: str, expression: Callable[[], Any]) -> None:
    """Read ``expression()`` (a subquery on ``OuterRef("pk")``) with the signed-in user, as
    the attribute ``name``: for what every page shows about its user. Registered in an
    app's ``ready()``; the app reads the attribute when present and queries otherwise."""
    _FIGURES[name] = expression


def remember_role_names(user: Any) -> Any:
    """Keep the loaded names where ``settlements.permissions`` looks for them."""
    text = getattr(user, "role_names_json", None)
    user._role_names = set(json.loads(text)) if text else set()
    return user


class UserBackend(ModelBackend):
    # The annotated query is put together once per process (its subqueries cost the ORM
    # about a millisecond to build) and compiled to SQL once per database: a request only
    # binds the id. Figures are registered in apps' ready(), before the first request.
    _users: Any = None
    _built_with: tuple[str, ...] = ()
    _compiled: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[Any, ...], int]] = {}

    @classmethod
    def users(cls) -> Any:
        if cls._users is None or cls._built_with != tuple(_FIGURES):
            figures = {name: figure() for name, figure in _FIGURES.items()}
            cls._users = with_role_names(User._default_manager.all()).annotate(**figures)
            cls._built_with = tuple(_FIGURES)
        return cls._users

    @classmethod
    def one_user_sql(cls, alias: str) -> tuple[str, tuple[Any, ...], int]:
        """The SQL reading one user as ``users()`` does, its parameters, and which of them is
        the id."""
        users = cls.users()
        key = (alias, cls._built_with)
        if key not in cls._compiled:
            query = users.filter(pk=_ID_PLACEHOLDER)[:1].query
            sql, params = query.get_compiler(using=alias).as_sql()
            at = [i for i, value in enumerate(params) if value == _ID_PLACEHOLDER]
            assert len(at) == 1, "the id is the one parameter equal to the placeholder"
            cls._compiled[key] = (sql, tuple(params), at[0])
        return cls._compiled[key]

    def get_user(self, user_id: Any) -> Any:
        alias = router.db_for_read(User)
        sql, params, at = self.one_user_sql(alias)
        bound = list(params)
        bound[at] = User._meta.pk.get_prep_value(user_id)
        user = next(iter(User._default_manager.raw(sql, bound).using(alias)), None)
        if user is None or not self.user_can_authenticate(user):
            return None
        return remember_role_names(user)
