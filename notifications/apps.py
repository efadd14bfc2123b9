from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("消息提醒")

    def ready(self) -> None:
        # notifications sits on top: it listens to ratings and rewards, neither imports it.
        from . import receivers

        receivers.connect()
