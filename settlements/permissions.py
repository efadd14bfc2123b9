"""Who may do what with settlements: the one answer views, templates, admin and services ask.

Predicates over ``(user, obj)`` (django-rules). A role question reads the user's groups
once per request and keeps them on the user object, so asking it for every row of a page
costs no query. Township questions read ``village.township_id`` of the object: select the
village with the settlement (every selector here does).

Named permissions (``rules.has_perm("settlements.see_personal_data", user, settlement)``)
are registered at the bottom; their names never clash with Django's model permissions
(``view_``/``change_``…), so the admin's own permission checks are untouched.
"""

from __future__ import annotations

from typing import Any

import rules

from .models import Settlement, Township, Village
from .roles import ASSESSOR, OFFICIAL, SECRETARY


def _in_group(user: Any, name: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    cache = getattr(user, "_role_names", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_names = cache
    return name in cache


def township_id_of(obj: Any) -> int | None:
    """The township an object belongs to: a township id, a township, a village, a settlement,
    or anything with a ``settlement`` (a self-assessment, a rating, a rectification…)."""
    if obj is None or isinstance(obj, int):
        return obj
    if isinstance(obj, Settlement):
        return obj.village.township_id
    if isinstance(obj, Village):
        return obj.township_id
    if isinstance(obj, Township):
        return obj.pk
    if hasattr(obj, "settlement"):
        return township_id_of(obj.settlement)
    raise TypeError(f"no township for {type(obj).__name__}")


@rules.predicate
def is_secretary(user: Any) -> bool:
    """党组织书记 (and superusers): administers everything, sees every township and the money."""
    return bool(getattr(user, "is_superuser", False)) or _in_group(user, SECRETARY)


@rules.predicate
def is_assessor(user: Any) -> bool:
    """县考评组: reviews every township's self-assessments."""
    return _in_group(user, ASSESSOR)


@rules.predicate
def is_official(user: Any) -> bool:
    """乡镇干部 with a township: nobody without one is an official of anything."""
    return _in_group(user, OFFICIAL) and getattr(user, "township_id", None) is not None


@rules.predicate
def is_county(user: Any) -> bool:
    """The county roles (assessors and secretaries): they see every township and do the
    county's work (reviews, send-backs, objections, rectifications)."""
    return bool(is_assessor(user) or is_secretary(user))


# Seeing every settlement is exactly being a county role; the name says why a read asks.
sees_all_settlements = is_county


@rules.predicate
def is_official_of_township(user: Any, obj: Any) -> bool:
    """The township's own officials: they fill in, answer and object for its settlements.
    ``obj``: a township id or anything ``township_id_of`` knows."""
    return bool(is_official(user)) and user.township_id == township_id_of(obj)


@rules.predicate
def may_see_settlement(user: Any, settlement: Any) -> bool:
    """The county sees every settlement; an official sees their township's."""
    return bool(is_county(user) or is_official_of_township(user, settlement))


@rules.predicate
def may_see_personal_data(user: Any, settlement: Any) -> bool:
    """Names, phones and ID numbers (and editing the governance facts, which needs exactly
    the same standing): the settlement's own township officials and the secretaries."""
    return bool(is_secretary(user) or is_official_of_township(user, settlement))


@rules.predicate
def may_manage_residents(user: Any) -> bool:
    """Governance facts and resident data of some settlement (imports included): officials
    (their township's) and secretaries (all); assessors never see the people."""
    return bool(is_secretary(user) or is_official(user))


def permission(name: str, predicate: rules.Predicate) -> None:
    """Register ``predicate`` as ``name`` twice: as a permission (``user.has_perm(name, obj)``,
    ``rules.has_perm``) and as a rule, which templates ask with
    ``{% load rules %}{% test_rule name user obj as ok %}``: the rule set alone, so the
    answer is the predicate's even for a superuser, and it costs no permission query."""
    rules.add_perm(name, predicate)
    rules.add_rule(name, predicate)


permission("settlements.county", is_county)
permission("settlements.own_township", is_official_of_township)
permission("settlements.see_settlement", may_see_settlement)
permission("settlements.see_personal_data", may_see_personal_data)
permission("settlements.edit_governance", may_see_personal_data)
permission("settlements.manage_residents", may_manage_residents)
