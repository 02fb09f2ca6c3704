"""Checks a service makes before writing: the object must be inside the actor's reach.

Views and API handlers fetch objects through ``restrict`` already; services check again so a
script, a task or a future surface cannot write around the rules. ``actor=None`` means the
system itself (demo loader, migrations, CLI run by the operator).
"""

from __future__ import annotations

from carehelm.accounts.scope import reach
from carehelm.validation import NotAllowed


def require(actor, action: str, obj, *, model=None, everything: bool = False) -> None:
    if actor is None:
        return
    r = reach(actor, action)
    if everything:
        if not r.everything:
            raise NotAllowed(f"you may not {action} here")
        return
    if r.nothing:
        raise NotAllowed(f"you may not {action} this")
    if obj is None:
        return
    cls = type(obj)
    if not cls.objects.filter(pk=obj.pk).restrict(actor, action).exists():
        raise NotAllowed(f"you may not {action} {cls._meta.verbose_name} {obj}")
