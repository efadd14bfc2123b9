"""The generic part of scoping reads to the user; the rules (who sees which township) live
in the apps that own them (settlements.selectors).

- ``restrict_to``: rows whose ``path`` lies inside an allowed queryset, or every row when
  the user is not restricted (no semi-join against the whole table for the county).
- Scoped choices: an app registers, per model, the selector giving the rows a user may
  pick; admin foreign-key fields (core.admin.ScopedAdminMixin) offer only those. Apps
  register in their ``AppConfig.ready``, so core needs to know none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet

ChoiceSelector = Callable[[Any], QuerySet]

_CHOICE_SELECTORS: dict[type[Model], ChoiceSelector] = {}


def restrict_to(queryset: QuerySet, path: str, allowed: QuerySet | None) -> QuerySet:
    """Rows whose object at ``path`` is in ``allowed``; ``None`` means unrestricted."""
    if allowed is None:
        return queryset
    return queryset.filter(**{f"{path}__in": allowed.values("pk")})


def register_scoped_choices(model: type[Model], selector: ChoiceSelector) -> None:
    """Choices of ``model`` offered to a user are ``selector(user)``."""
    _CHOICE_SELECTORS[model] = selector


def scoped_choices(model: type[Model], user: Any) -> QuerySet | None:
    """The rows of ``model`` the user may pick, or None when ``model`` is not scoped."""
    selector = _CHOICE_SELECTORS.get(model)
    return None if selector is None else selector(user)
