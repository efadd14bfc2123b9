from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.county, name="county"),
    path("townships/<int:pk>/", views.township, name="township"),
    path("townships/<int:pk>/summary/", views.township_summary, name="township_summary"),
    path("league/", views.league, name="league"),
    path("settlements/<int:pk>/", views.settlement, name="settlement"),
    path("summary/", views.summary, name="summary"),
    path("summary.xlsx", views.summary_xlsx, name="summary_xlsx"),
    path("model-villages/", views.model_villages, name="model_villages"),
    path("drift/", views.drift, name="drift"),
    path("healthz", views.healthz, name="healthz"),
]
