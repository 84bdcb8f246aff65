"""URL map: pages per app, the public portal, the API under /api/v1/ with its OpenAPI schema."""

import os

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from shuiquan.core.api.schema import CachedSchemaView

APPS = ["registry", "ledger", "allocation", "trading", "metering", "supervision", "finance", "pilot"]

api_patterns = [path(f"{app}/", include(f"shuiquan.{app}.api.urls")) for app in APPS]
# The public portal's read-only data and anonymous complaints (no login).
api_patterns.append(path("public/", include("shuiquan.portal.api.urls")))

urlpatterns = [
    path("", include("shuiquan.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("public/", include("shuiquan.portal.urls")),
    *[path(f"{app}/", include(f"shuiquan.{app}.urls")) for app in APPS],
    path("api/v1/", include((api_patterns, "api"))),
    path("api/openapi.json", CachedSchemaView.as_view(), name="openapi-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="openapi-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="openapi-schema"), name="api-redoc"),
]

if os.environ.get("SHUIQUAN_BENCH") == "1":
    # The page benchmark's reference (bench/bench_pages.py): a fixed small response from the same server.
    from shuiquan.core.views import bench_static

    urlpatterns.append(path("bench/static/", bench_static, name="bench-static"))

handler403 = "shuiquan.core.errors_views.forbidden"
handler404 = "shuiquan.core.errors_views.not_found"
handler500 = "shuiquan.core.errors_views.server_error"
