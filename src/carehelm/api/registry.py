"""Routers of the later domain apps (scheduling, activity, quality), mounted when installed."""

from __future__ import annotations

import importlib

from django.conf import settings

OPTIONAL = [
    ("carehelm.scheduling", "/scheduling"),
    ("carehelm.activity", "/activity"),
    ("carehelm.quality", "/quality"),
]


def extra_routers() -> list:
    out = []
    for app, prefix in OPTIONAL:
        if app in settings.INSTALLED_APPS:
            module = importlib.import_module(f"{app}.api")
            out.append((prefix, module.router))
    return out
