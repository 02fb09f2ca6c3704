"""An autouse fixture for test modules that render pages or log personas in.

Import it into a test module (``from tests.fast_settings import fast_test_settings  # noqa: F401``).

Why: pytest-django reads the settings before ``tests/conftest.py`` sets ``CAREHELM_TESTING``, so
pages would look for a collectstatic manifest that a test run never builds; and the default
PBKDF2 hasher makes every persona in the ``world`` fixture cost a fraction of a second. Once the
settings detect the test run themselves, this fixture can go.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fast_test_settings(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
