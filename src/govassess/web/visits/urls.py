from django.urls import path

from govassess.web.visits import views

urlpatterns = [
    path("visits/", views.visits_index, name="visits_index"),
    path("visits/template.xlsx", views.visits_template, name="visits_template"),
    path("visits/rounds/<int:pk>/", views.visits_round, name="visits_round"),
    path("visits/rounds/<int:pk>/new/", views.visit_new, name="visit_new"),
    path("visits/rounds/<int:pk>/plan/", views.visits_plan, name="visits_plan"),
    path("visits/rounds/<int:pk>/push/", views.visits_push, name="visits_push"),
    path("visits/rounds/<int:pk>/import/", views.visits_import, name="visits_import"),
    path("visits/<int:pk>/edit/", views.visit_edit, name="visit_edit"),
    path("visits/<int:pk>/exclude/", views.visit_exclude, name="visit_exclude"),
    path("visits/files/<int:pk>/", views.visit_file, name="visit_file"),
]
