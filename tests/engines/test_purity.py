"""Nothing under ``carehelm.engines`` imports Django, directly or through the rest of Carehelm.

Two checks: the source of every engine file is read with ``ast`` (so an import hidden inside a
function is caught too), and every engine module is imported in a fresh interpreter that must end
without ``django`` in ``sys.modules`` (so an indirect import through a third-party package is
caught too).
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import carehelm.engines

ENGINES = Path(carehelm.engines.__file__).parent
SRC = ENGINES.parent.parent
# Other parts of Carehelm are Django apps; only the engines themselves may be imported from here.
FORBIDDEN_ROOTS = {"django", "ninja", "simple_history", "django_tasks", "django_htmx", "whitenoise"}


def engine_files() -> list[Path]:
    return sorted(p for p in ENGINES.rglob("*.py") if "__pycache__" not in p.parts)


def engine_packages() -> list[str]:
    return sorted(
        p.name for p in ENGINES.iterdir() if p.is_dir() and p.name != "__pycache__" and any(p.rglob("*.py"))
    )


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def forbidden(module: str) -> bool:
    root = module.split(".")[0]
    if root in FORBIDDEN_ROOTS:
        return True
    return root == "carehelm" and not (module == "carehelm" or module.startswith("carehelm.engines"))


def test_there_are_engine_files_to_check():
    assert len(engine_files()) > 5


@pytest.mark.parametrize("path", engine_files(), ids=lambda p: str(p.relative_to(ENGINES)))
def test_engine_source_never_imports_django_or_a_django_app(path):
    offending = [f"line {line}: {name}" for line, name in imported_modules(path) if forbidden(name)]
    assert not offending, f"{path.relative_to(SRC)} imports {', '.join(offending)}"


def test_the_source_check_catches_an_import_hidden_in_a_function(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from django.db import models\n    import carehelm.workforce.models\n")
    assert [name for _, name in imported_modules(sample) if forbidden(name)] == [
        "django.db",
        "carehelm.workforce.models",
    ]


@pytest.mark.parametrize("package", engine_packages())
def test_importing_every_module_of_an_engine_loads_no_django(package):
    modules = [module_name(p) for p in engine_files() if p.relative_to(ENGINES).parts[0] == package]
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, f"importing carehelm.engines.{package} failed:\n{done.stderr[-2000:]}"
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"carehelm.engines.{package} loads {loaded[:5]}"
