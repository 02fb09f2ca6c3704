"""Reading the CLI's CSV input, with errors that name the file, line and column.

Public API:

- ``ChartColumns``: the ``y`` values, optional ``x`` keys and ``n`` values of a file, plus
  ``lines`` (the file line of each data row, for error messages).
- ``read_chart_columns(path, y, x=None, n=None) -> ChartColumns``.
- ``CsvInputError(ValueError)``: the message already names the file, line and column.

The file has a header row; an empty cell or ``NA``, ``NaN``, ``null`` (any case) is missing.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

MISSING = {"", "na", "nan", "null", "none", "n/a"}


class CsvInputError(ValueError):
    pass


@dataclass(frozen=True)
class ChartColumns:
    y: list[float | None]
    x: list[str | None] | None
    n: list[float | None] | None
    lines: list[int]


def _number(path: Path, line: int, column: str, text: str) -> float | None:
    cell = text.strip()
    if cell.lower() in MISSING:
        return None
    try:
        value = float(cell)
    except ValueError:
        raise CsvInputError(f"{path}: line {line}, column '{column}': {cell!r} is not a number") from None
    if math.isinf(value):
        raise CsvInputError(f"{path}: line {line}, column '{column}': {cell!r} is not a finite number")
    return value


def read_chart_columns(path: str | Path, y: str, x: str | None = None, n: str | None = None) -> ChartColumns:
    path = Path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        raise CsvInputError(f"{path}: cannot open: {error.strerror or error}") from None
    with handle:
        try:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise CsvInputError(f"{path}: the file is empty (a header row is expected)")
            names = [name.strip() for name in header]
            indices = {}
            for role, column in (("y", y), ("x", x), ("n", n)):
                if column is None:
                    continue
                if column not in names:
                    raise CsvInputError(
                        f"{path}: line 1: no column '{column}' (--{role}); the columns are: {', '.join(names)}"
                    )
                indices[role] = names.index(column)
            ys: list[float | None] = []
            xs: list[str | None] = []
            ns: list[float | None] = []
            lines: list[int] = []
            for row in reader:
                line = reader.line_num
                if not row or all(cell.strip() == "" for cell in row):
                    continue  # blank line
                if len(row) < len(names):
                    row = row + [""] * (len(names) - len(row))
                ys.append(_number(path, line, y, row[indices["y"]]))
                if x is not None:
                    key = row[indices["x"]].strip()
                    xs.append(None if key.lower() in MISSING else key)
                if n is not None:
                    ns.append(_number(path, line, n, row[indices["n"]]))
                lines.append(line)
        except csv.Error as error:
            raise CsvInputError(f"{path}: line {reader.line_num}: malformed CSV: {error}") from None
        except UnicodeDecodeError as error:
            raise CsvInputError(f"{path}: not UTF-8 text ({error.reason})") from None
    if not ys:
        raise CsvInputError(f"{path}: no data rows after the header")
    return ChartColumns(ys, xs if x is not None else None, ns if n is not None else None, lines)
