"""The one authorization primitive: ``restrict(user, action)``.

Every surface (pages, API, exports, CLI exports) reads domain rows through a queryset's
``.restrict(user, action)``; nothing else decides who sees what. A model opts in by using
``RestrictedQuerySet`` and declaring ``scope_lookups``: the ORM paths from the model to the
facility, the unit(s) and the staff member a row belongs to. Missing lookups mean "not reachable
by that kind of scope" (e.g. a credential type is reference data every signed-in user may view).

Roles and actions (the permission matrix, tested persona by persona in tests/accounts):

===============  ======================================  ===================================
role             reaches                                  may
===============  ======================================  ===================================
executive        the whole health system                  view, add, change, delete, verify, manage
facility_admin   the facilities granted                   view, add, change, delete, verify, manage
unit_manager     the units granted (home or float staff)  view, add, change, manage (their unit's beds)
compliance       the whole health system                  view, verify credentials
staff            own staff record and credentials         view
anonymous        nothing                                  nothing
===============  ======================================  ===================================

"manage" is configuration within the reach: a unit manager may edit their unit and its rooms and
beds, but adding a unit to a facility needs facility-wide reach (see organization.services).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q

from carehelm.accounts.models import Role

ACTIONS = ("view", "add", "change", "delete", "verify", "manage")

# action -> roles allowed to perform it (somewhere in their scope)
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.EXECUTIVE: frozenset({"view", "add", "change", "delete", "verify", "manage"}),
    Role.FACILITY_ADMIN: frozenset({"view", "add", "change", "delete", "verify", "manage"}),
    Role.UNIT_MANAGER: frozenset({"view", "add", "change", "manage"}),
    Role.COMPLIANCE: frozenset({"view", "verify"}),
    Role.STAFF: frozenset({"view"}),
}


@dataclass(frozen=True)
class Reach:
    """What one user reaches for one action: everything, or sets of facility/unit/staff ids."""

    everything: bool = False
    facility_ids: frozenset[int] = field(default_factory=frozenset)
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    staff_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.facility_ids or self.unit_ids or self.staff_ids)


def roles_of(user) -> set[str]:
    if user is None or not user.is_authenticated or not user.is_active:
        return set()
    if user.is_superuser:
        return {Role.EXECUTIVE}
    cached = getattr(user, "_carehelm_roles", None)
    if cached is None:
        cached = set(user.role_grants.values_list("role", flat=True))
        if _own_staff_id(user) is not None:
            cached.add(Role.STAFF)
        user._carehelm_roles = cached
    return cached


def _own_staff_id(user) -> int | None:
    cached = getattr(user, "_carehelm_staff_id", "unset")
    if cached == "unset":
        from carehelm.workforce.models import Staff

        cached = Staff.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()
        user._carehelm_staff_id = cached
    return cached


def reach(user, action: str) -> Reach:
    """The rows ``user`` may ``action``: computed from role grants, cached on the user object."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {ACTIONS}")
    if user is None or not user.is_authenticated or not user.is_active:
        return Reach()
    if user.is_superuser:
        return Reach(everything=True)
    cache = user.__dict__.setdefault("_carehelm_reach", {})
    if action in cache:
        return cache[action]
    everything = False
    facilities: set[int] = set()
    units: set[int] = set()
    staff: set[int] = set()
    for grant in user.role_grants.all():
        if action not in ROLE_ACTIONS.get(grant.role, frozenset()):
            continue
        if grant.role in (Role.EXECUTIVE, Role.COMPLIANCE):
            everything = True
        elif grant.role == Role.FACILITY_ADMIN and grant.facility_id:
            facilities.add(grant.facility_id)
        elif grant.role == Role.UNIT_MANAGER and grant.unit_id:
            units.add(grant.unit_id)
    own = _own_staff_id(user)
    if own is not None and action in ROLE_ACTIONS[Role.STAFF]:
        staff.add(own)
    result = Reach(everything, frozenset(facilities), frozenset(units), frozenset(staff))
    cache[action] = result
    return result


def can(user, action: str) -> bool:
    """Whether the user may perform ``action`` anywhere (for showing buttons and menus)."""
    return not reach(user, action).nothing


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str = "view"):
        r = reach(user, action)
        if r.everything:
            return self
        if r.nothing:
            return self.none()
        lookups: dict = getattr(self.model, "scope_lookups", {})
        if lookups.get("public_to_signed_in") and action == "view":
            return self
        condition = Q(pk__in=[])
        if r.facility_ids and "facility" in lookups:
            condition |= Q(**{f"{lookups['facility']}__in": r.facility_ids})
        if r.unit_ids:
            for path in _as_list(lookups.get("unit")):
                condition |= Q(**{f"{path}__in": r.unit_ids})
        if r.staff_ids:
            for path in _as_list(lookups.get("staff")):
                condition |= Q(**{f"{path}__in": r.staff_ids})
        qs = self.filter(condition)
        if any("__" in p for p in _all_paths(lookups)):
            qs = qs.distinct()
        return qs


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _all_paths(lookups: dict) -> list[str]:
    out: list[str] = []
    for key in ("facility", "unit", "staff"):
        out += _as_list(lookups.get(key))
    return out


def restrict(queryset_or_model, user, action: str = "view"):
    """Functional spelling of ``Model.objects.restrict(user, action)``."""
    qs = queryset_or_model if isinstance(queryset_or_model, models.QuerySet) else queryset_or_model.objects.all()
    return qs.restrict(user, action)
