"""django-axes under a Chinese name in the admin (its own AppConfig has no verbose_name)."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    verbose_name = _("登录安全")
