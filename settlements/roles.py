"""The three roles (SPEC §9) as Django groups, and the permissions each holds.

Group names are what users see in the admin; what each role may do on a page or in a
service is asked of the predicates in ``settlements.permissions``. A post_migrate handler keeps the groups'
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
        "settlements": [
            "view_township",
            "view_village",
            "view_settlement",
            "change_settlement",
            "add_settlement",
            "import_settlement",
            "export_settlement",
        ],
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
        # Login lockouts (django-axes): see who is locked out, and lift a lock by deleting it.
        "axes": [
            "view_accessattempt",
            "delete_accessattempt",
            "view_accessfailurelog",
            "view_accesslog",
        ],
    },
}


# Who holds a role, and what it allows, is answered in settlements.permissions (predicates).
_MOVED_TO_PERMISSIONS = {"is_secretary", "is_assessor", "is_official", "sees_all_settlements"}


def __getattr__(name: str) -> Any:
    # Older imports (``from settlements.roles import is_secretary``) still resolve, to the
    # one definition; new code imports settlements.permissions.
    if name in _MOVED_TO_PERMISSIONS:
        from . import permissions

        return getattr(permissions, name)
    raise AttributeError(name)


def sync_role_permissions(**kwargs: Any) -> None:
    """post_migrate: create the groups and give them the permissions in ROLE_PERMISSIONS."""
    from django.contrib.auth.models import Group, Permission

    for role, by_app in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms: list[Permission] = []
        for app_label, codenames in by_app.items():
            qs = Permission.objects.filter(content_type__app_label=app_label)
            if "*" not in codenames:
                qs = qs.filter(codename__in=codenames)
            perms.extend(qs)
        group.permissions.add(*perms)
