from django.urls import path

from govassess.web.survey import views

urlpatterns = [
    path("surveys/", views.campaign_list, name="survey_list"),
    path("surveys/new/", views.campaign_create, name="survey_create"),
    path("surveys/<int:pk>/", views.campaign_detail, name="survey_detail"),
    path("surveys/<int:pk>/extensions/", views.campaign_extension, name="survey_extension"),
    path("surveys/<int:pk>/summary/", views.campaign_summary, name="survey_summary"),
    path("surveys/<int:pk>/summary.xlsx", views.campaign_summary_export, name="survey_summary_export"),
    path("surveys/<int:pk>/usage/", views.campaign_usage, name="survey_usage"),
    path("surveys/<int:pk>/thresholds/", views.campaign_thresholds, name="survey_thresholds"),
    path("surveys/<int:pk>/selfeval/", views.campaign_selfeval, name="survey_selfeval"),
    path("surveys/<int:pk>/units/<str:code>/", views.unit_survey, name="survey_unit"),
    path("surveys/<int:pk>/units/<str:code>/template.xlsx", views.unit_template, name="survey_template"),
    path("surveys/<int:pk>/units/<str:code>/upload/", views.unit_upload, name="survey_upload"),
    path("surveys/<int:pk>/units/<str:code>/submit/", views.unit_submit, name="survey_submit"),
    path("surveys/<int:pk>/units/<str:code>/workbook.xlsx", views.unit_workbook, name="survey_workbook"),
    path("surveys/<int:pk>/units/<str:code>/systems/", views.unit_systems, name="survey_systems"),
    path("units/<str:code>/profile/", views.unit_profile, name="unit_profile"),
    path("units/<str:code>/profile/history/", views.unit_profile_history, name="unit_profile_history"),
]
