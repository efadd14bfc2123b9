from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_default_rubric(sender: AppConfig, **kwargs: Any) -> None:
    """post_migrate: a database with no rubric at all gets the shipped default again.

    The data migration installs it once; this covers a database emptied by `flush` (which
    test runs do after transactional tests) so round_open always finds a current rubric.
    It never touches a database that already has any rubric version.
    """
    from django.db import connections

    from .models import Rubric, RubricItem
    from .rubric_loader import install_default_rubric

    using = kwargs.get("using", "default")
    tables = connections[using].introspection.table_names()
    if Rubric._meta.db_table not in tables or RubricItem._meta.db_table not in tables:
        return  # a partial migrate: the ratings tables are not there yet
    install_default_rubric(Rubric, RubricItem)


class RatingsConfig(AppConfig):
    name = "ratings"
    verbose_name = _("星级评定")

    def ready(self) -> None:
        from core.imports.base import register_importer

        from . import permissions  # noqa: F401  (registers the named permissions)
        from .importers import RubricItemImporter

        register_importer(RubricItemImporter)  # the admin's rubric import, as a background job
        post_migrate.connect(
            ensure_default_rubric, sender=self, dispatch_uid="ratings.ensure_default_rubric"
        )
