"""The embedded SQLite settings, and the same schema and demo on a real PostgreSQL server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from django.db import connection

PG_ADMIN_URL = os.environ.get("CAREHELM_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _postgres_available() -> tuple[bool, str]:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True, ""
    except Exception as exc:  # noqa: BLE001 - any failure means "not available here"
        return False, f"no PostgreSQL at {PG_ADMIN_URL} ({type(exc).__name__})"


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_immediate_transactions():
    if connection.vendor != "sqlite":
        pytest.skip("the suite is running on PostgreSQL")
    from django.conf import settings

    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in settings.DATABASES["default"]["OPTIONS"]["init_command"]


def test_ci_postgres_leg_really_runs_on_postgres():
    if os.environ.get("CAREHELM_REQUIRE_POSTGRES") != "1":
        pytest.skip("only meaningful in the PostgreSQL leg of .ci/run")
    from django.conf import settings

    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.postgres
def test_migrations_and_demo_load_on_postgresql(tmp_path):
    ok, reason = _postgres_available()
    if not ok:
        if os.environ.get("CAREHELM_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    import psycopg

    name = f"carehelm_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    env = {**os.environ, "DATABASE_URL": url, "CAREHELM_DATA_DIR": str(tmp_path)}
    env.pop("CAREHELM_TESTING", None)
    carehelm = [sys.executable, "-m", "carehelm.cli"]
    try:
        for argv in (["migrate", "--noinput", "-v0"], ["load_demo", "--scale", "0.05"]):
            done = subprocess.run([*carehelm, *argv], env=env, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr[-2000:]
        check = subprocess.run(
            [*carehelm, "shell", "-c",
             "from carehelm.workforce.models import Staff; from carehelm.accounts.models import User;"
             "from carehelm.workforce.selectors import expiry_board;"
             "u = User.objects.get(username='manager.icu');"
             "print(Staff.objects.count(), Staff.objects.restrict(u).count(), len(expiry_board(u)) > 0)"],
            env=env, capture_output=True, text=True, timeout=120,
        )
        assert check.returncode == 0, check.stderr[-2000:]
        total, icu, board = check.stdout.strip().splitlines()[-1].split()
        assert int(total) > int(icu) > 0
        assert board == "True"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
