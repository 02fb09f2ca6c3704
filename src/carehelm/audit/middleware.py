import uuid

from carehelm.audit.context import ActingContext, _current


class RequestContextMiddleware:
    """Tags every change made during a request with the user and a request id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.id = request.headers.get("X-Request-Id", "")[:36] or str(uuid.uuid4())
        source = "api" if request.path.startswith("/api/") else "web"
        token = _current.set(ActingContext(user=request.user, request_id=request.id, source=source))
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-Id"] = request.id
        return response
