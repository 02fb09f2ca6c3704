"""Writes for users, role grants and API tokens."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from carehelm.accounts.models import ApiToken, Role, RoleGrant, User
from carehelm.audit.services import record
from carehelm.validation import FieldProblem, InvalidInput


@transaction.atomic
def create_user(*, username: str, password: str, first_name: str = "", last_name: str = "", email: str = "",
                is_staff: bool = False) -> User:
    if User.objects.filter(username=username).exists():
        raise InvalidInput([FieldProblem(field="username", message="is taken", value=username)])
    user = User(username=username, first_name=first_name, last_name=last_name, email=email, is_staff=is_staff)
    user.set_password(password)
    user.save()
    record(action="user.created", obj=user, summary=f"User {username} created", object_type="accounts.user")
    return user


@transaction.atomic
def grant_role(*, actor=None, user: User, role: str, health_system=None, facility=None, unit=None) -> RoleGrant:
    problems = []
    if role not in Role.values:
        problems.append(FieldProblem(field="role", message=f"expected one of {', '.join(Role.values)}", value=role))
    if role == Role.FACILITY_ADMIN and facility is None:
        problems.append(FieldProblem(field="facility", message="a facility administrator needs a facility"))
    if role == Role.UNIT_MANAGER and unit is None:
        problems.append(FieldProblem(field="unit", message="a unit manager needs a unit"))
    if problems:
        raise InvalidInput(problems)
    grant, _ = RoleGrant.objects.get_or_create(user=user, role=role, health_system=health_system, facility=facility,
                                               unit=unit)
    group, _ = Group.objects.get_or_create(name=Role(role).label)
    user.groups.add(group)
    record(action="role.granted", obj=grant, summary=f"{Role(role).label} granted to {user.username}",
           facility_id=facility.pk if facility else (unit.facility_id if unit else None),
           unit_id=unit.pk if unit else None, actor=actor)
    return grant


@transaction.atomic
def create_api_token(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a personal token; returns the row and the secret, which is never shown again."""
    if not name.strip():
        raise InvalidInput([FieldProblem(field="name", message="give the token a name, e.g. 'rota export script'")])
    secret = ApiToken.PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip()[:100], key_prefix=secret[:10],
                                    key_digest=ApiToken.digest(secret))
    record(action="api_token.created", obj=token, summary=f"API token '{token.name}' created for {user.username}",
           actor=user)
    return token, secret


@transaction.atomic
def revoke_api_token(*, user: User, token: ApiToken) -> ApiToken:
    if token.user_id != user.pk and not user.is_superuser:
        raise InvalidInput([FieldProblem(field="token", message="is not yours")])
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(action="api_token.revoked", obj=token, summary=f"API token '{token.name}' revoked", actor=user)
    return token


def user_for_token(secret: str) -> User | None:
    if not secret or not secret.startswith(ApiToken.PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_digest=ApiToken.digest(secret), revoked_at=None).first()
    if token is None or not token.user.is_active:
        return None
    # Touch at most once a minute so a busy script does not write on every call.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
