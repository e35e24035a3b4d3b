from django.urls import path

from govassess.web.weighting import views

urlpatterns = [
    path("weighting/", views.index, name="weighting_index"),
    path("weighting/tasks/new/", views.task_create, name="weighting_task_create"),
    path("weighting/tasks/<int:pk>/", views.task_detail, name="weighting_task"),
    path("weighting/tasks/<int:pk>/invite/", views.task_invite, name="weighting_invite"),
    path("weighting/tasks/<int:pk>/aggregation/", views.task_aggregation, name="weighting_aggregation"),
    path("weighting/tasks/<int:pk>/matrix/", views.task_matrix, name="weighting_matrix"),
    path("weighting/tasks/<int:pk>/upload/", views.task_upload, name="weighting_upload"),
    path("weighting/tasks/<int:pk>/combine/", views.task_combine, name="weighting_combine"),
    path("weighting/objective/new/", views.objective_create, name="weighting_objective_create"),
    path("weighting/objective/<int:pk>/", views.objective_detail, name="weighting_objective"),
    path("weighting/tasks/<int:pk>/apply/", views.task_apply, name="weighting_task_apply"),
    path("weighting/objective/<int:pk>/apply/", views.objective_apply, name="weighting_objective_apply"),
    path("rounds/<int:pk>/sensitivity/start/", views.sensitivity_start, name="sensitivity_start"),
    path("weighting/systems/copy/", views.system_copy, name="weighting_system_copy"),
]
