from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("<str:token>/", views.job_page, name="job"),
    path("<str:token>/status/", views.job_status, name="status"),
    path("<str:token>/confirm/", views.job_confirm, name="confirm"),
    path("<str:token>/refused.xlsx", views.job_refused, name="refused"),
]
