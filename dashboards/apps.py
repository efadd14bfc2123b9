from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("看板与报表")

    def ready(self) -> None:
        # dashboards sit on top: they listen to ratings, which never imports them.
        from . import live, stats

        stats.connect()  # stored aggregates follow rating_took_effect / rating_stars_changed
        live.connect()  # a submission, rating or order queues the live counts' recount
