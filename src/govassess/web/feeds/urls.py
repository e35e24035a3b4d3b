from django.urls import path

from govassess.web.feeds import views

urlpatterns = [
    path("feeds/", views.feeds_index, name="feeds_index"),
    path("feeds/sites/add/", views.site_add, name="feeds_site_add"),
    path("feeds/sites/<int:pk>/update/", views.site_update, name="feeds_site_update"),
    path("feeds/sites/<int:pk>/delete/", views.site_delete, name="feeds_site_delete"),
    path("feeds/sites/<int:pk>/inspect/", views.site_inspect, name="feeds_site_inspect"),
    path("feeds/reports/<int:pk>/", views.report_detail, name="feeds_report"),
    path("feeds/reports/<int:pk>/report.json", views.report_json, name="feeds_report_json"),
    path("feeds/reports/<int:pk>/push/", views.report_push, name="feeds_report_push"),
    path("feeds/records/", views.records_page, name="feeds_records"),
    path("feeds/records/upload/", views.records_upload, name="feeds_records_upload"),
    path("feeds/records/server/", views.records_server, name="feeds_records_server"),
    path("feeds/records/<int:pk>/run/", views.metrics_start, name="feeds_metrics_start"),
    path("feeds/runs/<int:pk>/", views.run_detail, name="feeds_run"),
    path("feeds/runs/<int:pk>/push/", views.run_push, name="feeds_run_push"),
    path("feeds/monitor/<str:kind>/", views.monitor_page, name="feeds_monitor"),
    path("feeds/monitor/<str:kind>.<str:fmt>", views.monitor_export, name="feeds_monitor_export"),
]
