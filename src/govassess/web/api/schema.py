"""The OpenAPI description as a download with a proper file name."""

from __future__ import annotations

from urllib.parse import quote

from drf_spectacular.views import SpectacularAPIView

FILENAME = "govassess-api"
TITLE_FILENAME = "govassess 数据报送接口"


class SchemaDownload(SpectacularAPIView):
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        renderer = getattr(request, "accepted_renderer", None)
        suffix = "json" if "json" in (getattr(renderer, "format", "") or "") else "yaml"
        # ASCII name for every client, the Chinese one (RFC 6266 filename*) for browsers that read it;
        # drf-spectacular's own header put the Chinese title in an RFC 2047 form browsers do not decode.
        response["Content-Disposition"] = (
            f"attachment; filename=\"{FILENAME}.{suffix}\"; filename*=UTF-8''{quote(TITLE_FILENAME)}.{suffix}"
        )
        return response
