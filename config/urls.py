from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from ratings import dashboard_views
from settlements import views as settlement_views

admin.site.site_header = _("聚居点星级评定管理")
admin.site.site_title = _("聚居点星级评定")
admin.site.index_title = _("管理首页")

urlpatterns = [
    path("", settlement_views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("settlements/", include("settlements.urls")),
    path("ratings/", include("ratings.urls")),
    path("rewards/", include("rewards.urls")),
    path("dashboard/", include("ratings.dashboard_urls")),
    path("honour/", dashboard_views.honour_roll, name="honour_roll"),
    path("healthz", dashboard_views.healthz, name="healthz"),
    path("imports/", include("core.imports.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
