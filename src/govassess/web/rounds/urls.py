from django.urls import path

from govassess.web.rounds import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("rounds/<int:pk>/state/", views.round_state, name="round_state"),
    path("rounds/<int:pk>/extensions/", views.round_extension, name="round_extension"),
    path("rounds/<int:pk>/completeness/", views.round_completeness, name="round_completeness"),
    path(
        "rounds/<int:pk>/completeness.xlsx", views.round_completeness_export, name="round_completeness_export"
    ),
    path("rounds/<int:pk>/units/<str:code>/", views.unit_form, name="unit_form"),
    path("rounds/<int:pk>/units/<str:code>/submit/", views.unit_submit, name="unit_submit"),
    path("rounds/<int:pk>/units/<str:code>/template.xlsx", views.unit_template, name="unit_template"),
    path("rounds/<int:pk>/units/<str:code>/upload/", views.unit_upload, name="unit_upload"),
    path("rounds/<int:pk>/units/<str:code>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("rounds/<int:pk>/units/<str:code>/scorecard/", views.scorecard, name="scorecard"),
    path("rounds/<int:pk>/units/<str:code>/scorecard.xlsx", views.scorecard_export, name="scorecard_export"),
    path("rounds/<int:pk>/units/<str:code>/appeal/", views.appeal_create, name="appeal_create"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence_delete"),
    path("rounds/<int:pk>/provider/", views.provider_page, name="provider_page"),
    path("rounds/<int:pk>/provider/template.xlsx", views.provider_template, name="provider_template"),
    path("rounds/<int:pk>/provider/upload/", views.provider_upload, name="provider_upload"),
    path("rounds/<int:pk>/review/", views.review_queue, name="review_queue"),
    path("rounds/<int:pk>/review/<str:code>/", views.review_unit, name="review_unit"),
    path("rounds/<int:pk>/score/", views.round_score, name="round_score"),
    path("runs/<int:pk>/", views.run_status, name="run_status"),
    path("rounds/<int:pk>/results/", views.round_results, name="round_results"),
    path("rounds/<int:pk>/overview/", views.round_overview, name="round_overview"),
    path("rounds/<int:pk>/results.xlsx", views.round_results_export, name="round_results_export"),
    path("rounds/<int:pk>/appeals/", views.appeal_list, name="appeal_list"),
    path("appeals/<int:pk>/", views.appeal_detail, name="appeal_detail"),
    path("rounds/<int:pk>/audit/", views.round_audit, name="round_audit"),
    path("rounds/<int:pk>/audit.xlsx", views.round_audit_export, name="round_audit_export"),
    path("annual/", views.annual_list, name="annual_list"),
    path("annual/<int:pk>/", views.annual_detail, name="annual_detail"),
    path("annual/<int:pk>/annual.xlsx", views.annual_export, name="annual_export"),
]
