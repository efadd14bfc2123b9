from django.urls import URLPattern, URLResolver, include, path

from . import views

# The settlement page ("settlements:detail", /settlements/<pk>/) is dashboards' (it shows
# the rating history); config/urls.py adds it to this namespace.
app_name = "settlements"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.settlement_list, name="list"),
    path("", include("settlements.governance.urls")),
]
