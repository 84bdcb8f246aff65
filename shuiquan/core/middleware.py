from . import config
from .context import reset_request_id, set_request_id


class RequestContextMiddleware:
    """Gives every request an id (from ``X-Request-ID`` or new) that audit records carry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")[:64]
        token = set_request_id(incoming if incoming.replace("-", "").isalnum() else None)
        try:
            with config.request_cache():  # each parameter read once per request
                response = self.get_response(request)
        finally:
            from .context import current_request_id

            request_id = current_request_id()
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response
