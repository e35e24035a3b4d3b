from django.urls import path

from govassess.web.documents import views

urlpatterns = [
    path("rounds/<int:pk>/documents/generate/", views.document_generate, name="document_generate"),
    path("documents/<int:pk>/status/", views.document_status, name="document_status"),
    path("documents/<int:pk>/download/", views.document_download, name="document_download"),
    path("documents/<int:pk>/version/status/", views.document_version_status, name="document_version_status"),
    path("documents/<int:pk>/version/retry/", views.document_version_retry, name="document_version_retry"),
    path("documents/<int:pk>/publish/", views.document_publish, name="document_publish"),
    path("rounds/<int:pk>/documents/scorecard-template/", views.scorecard_template_set, name="scorecard_template_set"),
    path("documents/templates/", views.template_list, name="document_template_list"),
    path("documents/templates/new/", views.template_create, name="document_template_create"),
    path("documents/templates/default.yaml", views.template_default, name="document_template_default"),
    path("documents/templates/<int:pk>/", views.template_edit, name="document_template_edit"),
    path("documents/templates/<int:pk>/delete/", views.template_delete, name="document_template_delete"),
    path("documents/templates/<int:pk>/template.yaml", views.template_yaml, name="document_template_yaml"),
    path("documents/templates/<int:pk>/logo/", views.template_logo, name="document_template_logo"),
    path("rounds/<int:pk>/units/<str:code>/documents/scorecard.<str:fmt>", views.scorecard_document,
         name="scorecard_document"),
]
