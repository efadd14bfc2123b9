from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.board, name="board"),
    path("rounds/<int:round_id>/", views.board_round, name="board_round"),
    path("ratings/<int:rating_id>/objection/", views.objection_new, name="objection_new"),
    path("objections/<str:reference>/filed/", views.objection_filed, name="objection_filed"),
    path("objections/status/", views.objection_status, name="objection_status"),
    path("certificates/<str:token>/", views.certificate, name="certificate"),
    path("queue/", views.queue, name="queue"),
    path("queue/<int:pk>/", views.queue_detail, name="queue_detail"),
    path("queue/<int:pk>/photo/", views.queue_photo, name="queue_photo"),
]
