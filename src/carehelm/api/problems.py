"""RFC 9457 problem+json answers for every error the API can give; never a stack trace."""

from __future__ import annotations

import logging

from django.http import Http404, JsonResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from carehelm.validation import InvalidInput, NotAllowed

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://carehelm.org/problems/"
_SOURCES = ("body", "query", "path", "file", "form", "header", "cookie")


def problem(request, status: int, title: str, *, kind: str, detail: str = "", errors: list | None = None) -> JsonResponse:
    body = {"type": PROBLEM_BASE + kind, "title": title, "status": status, "instance": request.path}
    if detail:
        body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return JsonResponse(body, status=status, content_type="application/problem+json")


def install(api) -> None:
    @api.exception_handler(ValidationError)
    def on_validation(request, exc: ValidationError):
        errors = []
        for e in exc.errors:
            # ninja's loc is (source, [parameter name,] field…): drop the source and the body parameter's
            # name, positionally, so a field that happens to be called "file" or "path" keeps its name.
            loc = [str(part) for part in e.get("loc", [])]
            if loc and loc[0] in _SOURCES:
                loc = loc[1:]
            if len(loc) > 1 and loc[0] == "payload":
                loc = loc[1:]
            errors.append({"field": ".".join(loc) or "body", "message": e.get("msg", "invalid")})
        return problem(request, 422, "The request is not valid.", kind="validation", errors=errors)

    @api.exception_handler(InvalidInput)
    def on_invalid(request, exc: InvalidInput):
        return problem(request, 422, exc.title, kind="validation", errors=[p.as_dict() for p in exc.problems])

    @api.exception_handler(NotAllowed)
    def on_not_allowed(request, exc: NotAllowed):
        return problem(request, 403, "You may not do this.", kind="forbidden", detail=str(exc))

    @api.exception_handler(AuthenticationError)
    def on_auth(request, exc):
        response = problem(request, 401, "Sign in or send a valid API token.", kind="unauthenticated")
        response["WWW-Authenticate"] = 'Bearer realm="carehelm"'
        return response

    @api.exception_handler(Http404)
    def on_404(request, exc):
        return problem(request, 404, "Not found.", kind="not-found",
                       detail="No such object, or it is outside what you may see.")

    @api.exception_handler(HttpError)
    def on_http(request, exc: HttpError):
        return problem(request, exc.status_code, str(exc), kind="http-error")

    @api.exception_handler(Exception)
    def on_unexpected(request, exc):
        log.exception("unexpected API error on %s (request %s)", request.path, getattr(request, "id", ""))
        return problem(request, 500, "Something went wrong on our side.", kind="server-error",
                       detail=f"Quote request id {getattr(request, 'id', '')} to your administrator.")
