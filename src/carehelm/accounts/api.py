
from ninja import Router, Schema

from carehelm.accounts.scope import reach, roles_of

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    name: str
    roles: list[str]
    facility_ids: list[int]
    unit_ids: list[int]
    whole_system: bool


@router.get("/me", response=MeOut)
def me(request):
    user = request.auth
    r = reach(user, "view")
    return {"username": user.username, "name": user.display_name, "roles": sorted(roles_of(user)),
            "facility_ids": sorted(r.facility_ids), "unit_ids": sorted(r.unit_ids), "whole_system": r.everything}
