from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class SettlementsConfig(AppConfig):
    name = "settlements"
    verbose_name = _("聚居点")

    def ready(self) -> None:
        from core.imports.base import register_import_supervisor, register_importer
        from core.scoping import register_scoped_choices

        from . import permissions  # noqa: F401  (registers the named permissions)
        from .governance.importers import HouseholdImporter, PointEntryImporter
        from .importers import SettlementImporter
        from .models import Settlement, Township, Village
        from .roles import is_secretary, sync_role_permissions
        from .selectors import (
            settlements_visible_to,
            township_options_changed,
            townships_visible_to,
            villages_visible_to,
        )
        from .tally import ensure_tally

        # Admin choices of places, in every app's admin: only what the user may see.
        register_scoped_choices(Township, townships_visible_to)
        register_scoped_choices(Village, villages_visible_to)
        register_scoped_choices(Settlement, settlements_visible_to)

        # Spreadsheet imports run as jobs (core.imports); the county's secretaries see every job.
        register_importer(SettlementImporter)
        register_importer(HouseholdImporter)
        register_importer(PointEntryImporter)
        register_import_supervisor(is_secretary)

        post_migrate.connect(
            sync_role_permissions, dispatch_uid="settlements.sync_role_permissions"
        )
        # The county's total of settlements, kept by triggers (settlements.tally).
        post_migrate.connect(ensure_tally, sender=self, dispatch_uid="settlements.ensure_tally")
        # The lists' cached township filter follows every change to a township.
        for signal in (post_save, post_delete):
            signal.connect(
                township_options_changed, sender=Township, dispatch_uid="township_options"
            )
