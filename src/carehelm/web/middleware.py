from django.conf import settings
from django.contrib.auth.views import redirect_to_login

# Paths that answer for themselves: the API (401 problem+json), the admin (its own login), static
# files, the login page, the health check and secret-URL calendar feeds.
OPEN_PREFIXES = ("/api/", "/admin/", "/static/", "/login/", "/healthz", "/feeds/")


class LoginRequiredEverywhereMiddleware:
    """Every page requires a signed-in, active user unless it is listed above."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(OPEN_PREFIXES) and not (
            request.user.is_authenticated and request.user.is_active
        ):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)
