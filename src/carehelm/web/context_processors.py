from carehelm.accounts.models import Role
from carehelm.accounts.scope import can, roles_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = roles_of(user)
    items = [("home", "Home", "/")]
    if can(user, "view"):
        items.append(("staff", "Staff", "/staff/"))
        items.append(("credentials", "Credentials", "/credentials/expiry/"))
        items.append(("units", "Units", "/units/"))
    for extra in NAV_EXTRAS:
        if extra[3](user):
            items.append(extra[:3])
    items.append(("audit", "Audit trail", "/audit/"))
    return {
        "nav_items": items,
        "nav_roles": sorted(Role(r).label for r in roles if r in Role.values),
        "nav_current": request.path,
        "can_manage": can(user, "manage"),
        "can_add": can(user, "add"),
    }


# Later apps add (key, label, url, predicate(user)) here from their AppConfig.ready().
NAV_EXTRAS: list = []
