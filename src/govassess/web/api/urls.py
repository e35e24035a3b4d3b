from django.urls import path

from govassess.web.api import views
from govassess.web.api.schema import SchemaDownload

urlpatterns = [
    path("api/schema/", SchemaDownload.as_view(), name="api_schema"),
    path("api/v1/rounds/", views.RoundList.as_view(), name="api_rounds"),
    path("api/v1/units/", views.UnitList.as_view(), name="api_units"),
    path("api/v1/rounds/<int:pk>/fields/", views.FieldList.as_view(), name="api_fields"),
    path("api/v1/rounds/<int:pk>/inputs/", views.InputList.as_view(), name="api_inputs"),
]
