"""Errors for bad input, shared by forms, imports, the API (problem+json) and the CLI.

Every import validates every row first; if any is wrong it raises ``InvalidInput`` listing each
problem with its file, row and field, and nothing is written.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str
    row: int | None = None  # 1-based data row (header is row 1, so the first data row is 2)
    file: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        where.append(self.field)
        return f"{', '.join(where)}: {self.message}"

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


class InvalidInput(Exception):
    """Input that was refused whole; ``problems`` says where and why."""

    def __init__(self, problems: list[FieldProblem], title: str = "The input is not valid; nothing was saved."):
        self.problems = list(problems)
        self.title = title
        super().__init__(self.describe())

    def describe(self, limit: int = 20) -> str:
        lines = [self.title] + [f"  - {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  … and {len(self.problems) - limit} more")
        return "\n".join(lines)


class NotAllowed(Exception):
    """The acting user may not do this to this object."""
