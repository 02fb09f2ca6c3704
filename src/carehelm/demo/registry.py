"""Demo steps contributed by later domain apps (scheduling, activity, quality).

An app lists a step as ``"carehelm.<app>.demo:build"`` in ``EXTRA_STEPS``; each takes
``rng``, ``today`` and ``scale`` keyword arguments and runs inside the demo transaction.
"""

from __future__ import annotations

import importlib

from django.conf import settings

EXTRA_STEPS = [
    ("carehelm.scheduling", "carehelm.scheduling.demo:build"),
    ("carehelm.activity", "carehelm.activity.demo:build"),
    ("carehelm.quality", "carehelm.quality.demo:build"),
]


def run_extra_steps(*, rng, today, scale) -> None:
    for app, target in EXTRA_STEPS:
        if app not in settings.INSTALLED_APPS:
            continue
        module_name, func = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        getattr(module, func)(rng=rng, today=today, scale=scale)
