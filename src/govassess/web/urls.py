"""URL map: pages per app, the REST API, Django admin."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "数字政府绩效评估平台 · 管理后台"
admin.site.site_title = "govassess 管理后台"
admin.site.index_title = "基础数据管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("govassess.web.accounts.urls")),
    path("", include("govassess.web.api.urls")),
    path("", include("govassess.web.rounds.urls")),
    path("", include("govassess.web.feeds.urls")),
    path("", include("govassess.web.survey.urls")),
    path("", include("govassess.web.weighting.urls")),
    path("", include("govassess.web.ops.urls")),
    path("", include("govassess.web.documents.urls")),
    path("", include("govassess.web.rectification.urls")),
    path("", include("govassess.web.visits.urls")),
    path("", include("govassess.web.questionnaires.urls")),
]
