"""One settings module, driven by environment variables.

SQLite is the zero-configuration default (WAL, IMMEDIATE transactions, a busy timeout so the web
server and the task worker can write side by side); ``DATABASE_URL`` switches to PostgreSQL.

Environment:
  CAREHELM_SECRET_KEY   required when CAREHELM_DEBUG is off in production; a dev key is derived otherwise
  CAREHELM_DEBUG        "1" for Django debug pages (never in production)
  CAREHELM_ALLOWED_HOSTS comma-separated host names (default: localhost,127.0.0.1,[::1])
  CAREHELM_DATA_DIR     where the SQLite database lives (default: ./var)
  DATABASE_URL          e.g. postgres://carehelm@127.0.0.1:5432/carehelm
  CAREHELM_TIME_ZONE    the health system's time zone (default: America/New_York)
  CAREHELM_LOG_LEVEL    INFO by default
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent  # src/carehelm
DATA_DIR = Path(os.environ.get("CAREHELM_DATA_DIR", Path.cwd() / "var")).resolve()


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_flag("CAREHELM_DEBUG")
# Under pytest the settings load before any conftest runs, so detect the runner itself too.
TESTING = env_flag("CAREHELM_TESTING") or "pytest" in sys.modules
# A fixed development key is fine for the embedded demo; production sets CAREHELM_SECRET_KEY.
SECRET_KEY = os.environ.get("CAREHELM_SECRET_KEY", "carehelm-insecure-development-key-change-me-in-production")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("CAREHELM_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CAREHELM_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "carehelm.accounts",
    "carehelm.organization",
    "carehelm.workforce",
    "carehelm.audit",
    "carehelm.runs",
    "carehelm.quality",
    "carehelm.activity",
    "carehelm.scheduling",
    "carehelm.api",
    "carehelm.web",
    "carehelm.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "carehelm.audit.middleware.RequestContextMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "carehelm.web.middleware.LoginRequiredEverywhereMiddleware",
]

ROOT_URLCONF = "carehelm.config.urls"
WSGI_APPLICATION = "carehelm.config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "carehelm.web.context_processors.navigation",
            ],
        },
    },
]

if not os.environ.get("DATABASE_URL"):
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'carehelm.sqlite3'}",
        conn_max_age=int(os.environ.get("CAREHELM_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at BEGIN so two
    # processes never deadlock upgrading a read lock; the timeout waits out the other writer.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("CAREHELM_TEST_DB") or None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("CAREHELM_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("CAREHELM_STATIC_ROOT") or DATA_DIR / "static")
if TESTING:
    # whitenoise warns at start-up when the collectstatic folder is absent; tests never collect.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING or "runserver" in sys.argv
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_flag("CAREHELM_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("CAREHELM_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# No personal health information in logs: we log request paths and ids, never bodies or names.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CAREHELM_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

NINJA_PAGINATION_PER_PAGE = 50
CAREHELM_EXPIRY_WINDOWS = (90, 60, 30, 7)

if TESTING:
    # The suite logs in hundreds of personas; a slow password hash only measures the CPU.
    # PBKDF2 stays listed so a test process can still check passwords of a real database's users.
    PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
