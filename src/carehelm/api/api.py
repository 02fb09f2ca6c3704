"""The one NinjaAPI instance: OpenAPI 3.1 at /api/openapi.json, interactive docs at /api/docs."""

from ninja import NinjaAPI

from carehelm.api import problems
from carehelm.api.auth import session_auth, token_auth

api = NinjaAPI(
    title="Carehelm API",
    version="1.0",
    description=(
        "Organization, workforce, credentials, audit and more. Authenticate with your browser session "
        "or a personal token: `Authorization: Bearer chm_…` (create one on your profile page or with "
        "`carehelm token create USERNAME`). Errors are RFC 9457 problem+json."
    ),
    auth=[token_auth, session_auth],
    urls_namespace="api",
)
problems.install(api)


def _mount() -> None:
    from carehelm.accounts.api import router as accounts_router
    from carehelm.audit.api import router as audit_router
    from carehelm.organization.api import router as organization_router
    from carehelm.runs.api import router as runs_router
    from carehelm.workforce.api import router as workforce_router

    api.add_router("/accounts", accounts_router)
    api.add_router("/organization", organization_router)
    api.add_router("/workforce", workforce_router)
    api.add_router("/audit", audit_router)
    api.add_router("/runs", runs_router)
    for extra in ROUTERS:
        api.add_router(*extra)


# Later domain apps append (prefix, router) here from their api module via ``carehelm.api.registry``.
ROUTERS: list = []
try:
    from carehelm.api.registry import extra_routers

    ROUTERS.extend(extra_routers())
except ImportError:  # pragma: no cover
    pass
_mount()
