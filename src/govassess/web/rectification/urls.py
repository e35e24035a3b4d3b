from django.urls import path

from govassess.web.rectification import views

urlpatterns = [
    path("rectification/", views.index, name="rectification_index"),
    path("rounds/<int:pk>/rectification/", views.round_tasks, name="rectification_round"),
    path("rounds/<int:pk>/rectification/create/", views.create, name="rectification_create"),
    path("rounds/<int:pk>/rectification/units/<str:code>/", views.pick, name="rectification_pick"),
    path("rounds/<int:pk>/rectification/close/", views.close, name="rectification_close"),
    path("rounds/<int:pk>/rectification/tasks.xlsx", views.export, name="rectification_export"),
    path("rectification/tasks/<int:pk>/", views.task_detail, name="rectification_task"),
    path("rectification/tasks/<int:pk>/answer/", views.answer, name="rectification_answer"),
    path("rectification/tasks/<int:pk>/review/", views.review, name="rectification_review"),
    path("rectification/tasks/<int:pk>/edit/", views.edit, name="rectification_edit"),
    path("rectification/tasks/<int:pk>/withdraw/", views.withdraw, name="rectification_withdraw"),
    path("rectification/evidence/<int:pk>/", views.evidence_download, name="rectification_evidence"),
]
