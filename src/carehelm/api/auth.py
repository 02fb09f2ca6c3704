"""API authentication: the browser session (with CSRF) or a personal token as ``Bearer``."""

from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from carehelm.accounts.services import user_for_token
from carehelm.audit.context import ActingContext, _current, current


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        ctx = current()
        _current.set(ActingContext(user=user, request_id=ctx.request_id, source="api"))
        return user


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None and getattr(user, "is_active", False):
            return user
        return None


token_auth = TokenAuth()
session_auth = ActiveSessionAuth()
