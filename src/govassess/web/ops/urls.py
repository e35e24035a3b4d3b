from django.urls import path

from govassess.web.ops import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
]
