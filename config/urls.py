from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from core import views as core_views
from dashboards import views as dashboard_views
from ratings.views import field as field_views
from settlements import urls as settlement_urls

admin.site.site_header = _("聚居点星级评定管理")
admin.site.site_title = _("聚居点星级评定")
admin.site.index_title = _("管理首页")

# dashboards sit on top: the settlement page (rating history, charts) is theirs, under the
# settlements namespace and path it always had.
settlement_patterns: list[URLPattern | URLResolver] = [
    path("<int:pk>/", dashboard_views.settlement_detail, name="detail"),
    *settlement_urls.urlpatterns,
]

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("settlements/", include((settlement_patterns, settlement_urls.app_name))),
    path("ratings/", include("ratings.urls")),
    path("rewards/", include("rewards.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("public/", include("public.urls")),
    path("notifications/", include("notifications.urls")),
    path("honour/", dashboard_views.honour_roll, name="honour_roll"),
    path("healthz", dashboard_views.healthz, name="healthz"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("imports/", include("core.imports.urls")),
    # The installable site (今日考评 offline): served from the root so the worker controls every page.
    path("sw.js", field_views.service_worker, name="service_worker"),
    path("manifest.webmanifest", field_views.manifest, name="manifest"),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
