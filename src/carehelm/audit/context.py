"""Who is acting, from where: set by the web middleware, the API auth, the CLI and tasks."""

from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class ActingContext:
    user: object | None = None
    request_id: str = ""
    source: str = "system"


_current: contextvars.ContextVar[ActingContext | None] = contextvars.ContextVar("carehelm_acting", default=None)
_NOBODY = ActingContext()


def current() -> ActingContext:
    return _current.get() or _NOBODY


@contextmanager
def acting(*, user=None, source: str = "system", request_id: str | None = None):
    token = _current.set(ActingContext(user=user, request_id=request_id or str(uuid.uuid4()), source=source))
    try:
        yield
    finally:
        _current.reset(token)
