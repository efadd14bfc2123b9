from django.urls import path

from . import views

app_name = "ratings"
urlpatterns = [
    path("", views.round_page, name="round_current"),
    path("rounds/<int:pk>/", views.round_page, name="round"),
    path("queue/", views.queue, name="queue"),
    path("rounds/<int:pk>/queue/", views.queue, name="queue_round"),
    path("self/<int:pk>/", views.self_assessment, name="self_assessment"),
    path("self/<int:pk>/result/", views.result, name="result"),
    path("self/<int:pk>/review/", views.review, name="review"),
    path("self/<int:pk>/send-back/", views.send_back, name="send_back"),
    path("rating/<int:pk>/", views.rating_detail, name="rating"),
    path("rating/<int:pk>/objections/", views.objection_file, name="objection_file"),
    path("rating/<int:pk>/change/", views.rating_change, name="rating_change"),
    path("objections/<int:pk>/decide/", views.objection_decide, name="objection_decide"),
    path("rectifications/", views.rectification_list, name="rectification_list"),
    path("rectifications/<int:pk>/", views.rectification_detail, name="rectification"),
    path("rectifications/<int:pk>/issue/", views.rectification_issue, name="rectification_issue"),
    path(
        "rectifications/<int:pk>/dismiss/",
        views.rectification_dismiss,
        name="rectification_dismiss",
    ),
    path(
        "rectifications/<int:pk>/answer/", views.rectification_answer, name="rectification_answer"
    ),
    path("rectifications/<int:pk>/check/", views.rectification_check, name="rectification_check"),
    path("field/", views.field_home, name="field"),
    path("field/session.json", views.field_session, name="field_session"),
    path("field/candidates.json", views.field_candidates, name="field_candidates"),
    path("field/pack/<int:pk>.json", views.field_pack, name="field_pack"),
    path("field/sync/review/", views.field_sync_review, name="field_sync_review"),
    path("field/sync/photo/", views.field_sync_photo, name="field_sync_photo"),
    path("field/self/", views.field_self_home, name="field_self"),
    path("field/self/candidates.json", views.field_self_candidates, name="field_self_candidates"),
    path("field/self/pack/<int:pk>.json", views.field_self_pack, name="field_self_pack"),
    path("field/self/sync/draft/", views.field_self_sync_draft, name="field_self_sync_draft"),
    path("field/self/sync/photo/", views.field_self_sync_photo, name="field_self_sync_photo"),
    path("evidence/flagged/", views.evidence_flagged, name="evidence_flagged"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence"),
    path("evidence/<int:pk>/remove/", views.evidence_remove, name="evidence_remove"),
    path("certificates/<int:pk>/", views.certificate, name="certificate"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate_pdf"),
]
