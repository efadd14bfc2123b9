from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatingsConfig(AppConfig):
    name = "ratings"
    verbose_name = _("星级评定")

    def ready(self) -> None:
        from . import stats

        stats.connect()  # dashboards' stored aggregates follow rating_took_effect / rating_stars_changed
