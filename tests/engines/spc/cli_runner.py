"""Running the fixtures' ``carehelm spc`` calls through the CLI's ``main`` (no subprocess)."""

from __future__ import annotations

import json
import math
import shlex
from pathlib import Path

import pytest

from carehelm.engines.spc.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def run_cli(call: str, folder: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    """Run a fixture's CLI call (paths relative to ``folder``) and parse its JSON."""
    words = shlex.split(call)
    assert words[:2] == ["carehelm", "spc"], call
    argv = words[2:]
    argv[0] = str(folder / argv[0])
    capsys.readouterr()
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def close(got: float | None, expected: float | None, rel: float = 1e-9) -> bool:
    """|got − expected| ≤ rel·max(1, |expected|); None/NaN on both sides agree."""
    expected_missing = expected is None or (isinstance(expected, float) and math.isnan(expected))
    if expected_missing or got is None:
        return expected_missing and got is None
    return abs(got - expected) <= rel * max(1.0, abs(expected))
