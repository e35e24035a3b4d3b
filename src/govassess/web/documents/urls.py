from django.urls import path

from govassess.web.documents import views

urlpatterns = [
    path("rounds/<int:pk>/documents/generate/", views.document_generate, name="document_generate"),
    path("documents/<int:pk>/status/", views.document_status, name="document_status"),
    path("documents/<int:pk>/download/", views.document_download, name="document_download"),
    path("documents/<int:pk>/publish/", views.document_publish, name="document_publish"),
    path("rounds/<int:pk>/units/<str:code>/documents/scorecard.<str:fmt>", views.scorecard_document,
         name="scorecard_document"),
]
