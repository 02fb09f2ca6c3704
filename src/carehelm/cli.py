"""The ``carehelm`` console script.

Engine commands (``roster``, ``spc``) run without Django so they start fast and work on a
machine with no database. Everything else is a Django management command, so
``carehelm token create exec`` is ``manage.py token create exec``.
"""

from __future__ import annotations

import os
import sys

# Sub-commands served by a pure engine: name -> "module:function" taking argv and returning an exit code.
ENGINE_COMMANDS = {
    "roster": "carehelm.engines.rostering.cli:main",
    "spc": "carehelm.engines.spc.cli:main",
}


def _run_engine(target: str, argv: list[str]) -> int:
    import importlib

    module_name, func_name = target.split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    return int(func(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ENGINE_COMMANDS:
        return _run_engine(ENGINE_COMMANDS[argv[0]], argv[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carehelm.config.settings")
    from django.core.management import execute_from_command_line

    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(
            "usage: carehelm <command> [options]\n\n"
            "Engine commands (no database needed):\n"
            "  roster solve|check|bench   nurse-rostering engine (Curtois & Qu format)\n"
            "  spc FILE.csv --chart ...   statistical process control charts\n\n"
            "Platform commands (Django management commands):\n"
            "  migrate, load_demo, token create USERNAME, import_staff, import_credentials,\n"
            "  adt load|listen, census, db_worker, runserver, ... (carehelm help <command>)\n"
        )
        if argv[:1] == ["help"] and len(argv) > 1:
            execute_from_command_line(["carehelm", "help", *argv[1:]])
        return 0
    execute_from_command_line(["carehelm", *argv])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
