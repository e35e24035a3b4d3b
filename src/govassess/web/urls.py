"""URL map: pages per app, the REST API, Django admin."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "govassess 管理后台"
admin.site.site_title = "govassess"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("govassess.web.accounts.urls")),
    path("", include("govassess.web.api.urls")),
    path("", include("govassess.web.rounds.urls")),
    path("", include("govassess.web.feeds.urls")),
    path("", include("govassess.web.survey.urls")),
]
