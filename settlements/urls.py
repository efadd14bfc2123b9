from django.urls import include, path

from . import views

app_name = "settlements"
urlpatterns = [
    path("", views.settlement_list, name="list"),
    path("<int:pk>/", views.settlement_detail, name="detail"),
    path("", include("settlements.governance.urls")),
]
