"""The three roles (SPEC §9) as Django groups, and the permissions each holds.

Group names are what users see in the admin. A post_migrate handler keeps the groups'
permissions in step with this table, so models added later get their permissions too.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_noop

# The stored group names are Chinese (data, never renamed); pages show them translated
# through ``group_label``. gettext_noop puts them in the catalogue.
OFFICIAL = gettext_noop("乡镇干部")
ASSESSOR = gettext_noop("县考评组")
SECRETARY = gettext_noop("党组织书记")
ROLE_GROUPS = (OFFICIAL, ASSESSOR, SECRETARY)


def group_label(name: str) -> str:
    """A group's name in the reader's language: the three roles translated, others as named."""
    return gettext(name) if name in ROLE_GROUPS else name

# app_label -> codenames, per role. "*" means every permission of that app.
ROLE_PERMISSIONS: dict[str, dict[str, list[str]]] = {
    OFFICIAL: {
        # Officials keep their township's facts up to date, also by spreadsheet (scoped import).
        "settlements": ["view_township", "view_village", "view_settlement", "change_settlement",
                        "add_settlement", "import_settlement", "export_settlement"],
        "ratings": ["view_rubric", "view_rubricitem", "view_round"],
    },
    ASSESSOR: {
        "settlements": ["view_township", "view_village", "view_settlement", "export_settlement"],
        "ratings": ["view_rubric", "view_rubricitem", "view_round", "export_rubricitem"],
    },
    SECRETARY: {
        "settlements": ["*"],
        "ratings": ["*"],
        "rewards": ["*"],
        "dashboards": ["*"],  # the five-star target (its statistics are read-only in the admin)
    },
}


def _in_group(user: Any, name: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    cache = getattr(user, "_role_names", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_names = cache
    return name in cache


def is_secretary(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or _in_group(user, SECRETARY)


def is_assessor(user: Any) -> bool:
    return _in_group(user, ASSESSOR)


def is_official(user: Any) -> bool:
    return _in_group(user, OFFICIAL) and getattr(user, "township_id", None) is not None


def sees_all_settlements(user: Any) -> bool:
    return is_secretary(user) or is_assessor(user)


def sync_role_permissions(**kwargs: Any) -> None:
    """post_migrate: create the groups and give them the permissions in ROLE_PERMISSIONS."""
    from django.contrib.auth.models import Group, Permission

    for role, by_app in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for app_label, codenames in by_app.items():
            qs = Permission.objects.filter(content_type__app_label=app_label)
            if "*" not in codenames:
                qs = qs.filter(codename__in=codenames)
            perms.extend(qs)
        group.permissions.add(*perms)
