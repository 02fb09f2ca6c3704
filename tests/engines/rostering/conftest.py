"""Shared fixtures: the benchmark instances copied into the project (bench/data/curtois)."""

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[3] / "bench" / "data" / "curtois"


@pytest.fixture
def instance_path():
    def path(n: int) -> Path:
        return DATA / f"Instance{n}.txt"

    return path
