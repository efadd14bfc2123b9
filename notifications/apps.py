from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("消息提醒")

    def ready(self) -> None:
        # notifications sits on top: it listens to ratings and rewards, neither imports it.
        from settlements.auth import register_user_figure

        from . import receivers, selectors

        receivers.connect()
        # The bell is on every page: its count comes with the signed-in user.
        register_user_figure(selectors.UNREAD_ATTRIBUTE, selectors.unread_subquery)
