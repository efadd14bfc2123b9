from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    name = "public"
    verbose_name = _("公示与群众异议")

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
