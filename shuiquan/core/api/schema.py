"""The OpenAPI schema view, generated once per process and language.

drf-spectacular walks every viewset and serializer on each request (seconds on this API); the
schema only changes with the code, so it is kept per (language, version) for the life of the
process. The schema is public (``SERVE_PUBLIC``): it does not depend on who asks.
"""

from __future__ import annotations

import copy
import threading

from django.utils.translation import get_language
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.response import Response

_cache: dict[tuple[str, str | None], dict] = {}
_lock = threading.Lock()


class CachedSchemaView(SpectacularJSONAPIView):
    def _get_schema_response(self, request):
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (get_language() or "", version)
        with _lock:
            schema = _cache.get(key)
            if schema is None:
                generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
                schema = _cache[key] = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=copy.deepcopy(schema),
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )
