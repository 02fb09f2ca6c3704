"""Rows to subgroups (one plotted point per subgroup), as qicharts2's ``qic.agg`` does.

Public API:

- ``Subgroups``: per-subgroup arrays (``key``, ``value``, ``total``, ``count``, ``mean``, ``sd``,
  ``n``) and ``rows``, the input row indices (0-based) that fell into each subgroup.
- ``group_rows(y, x=None, n=None) -> Subgroups``.

Semantics (FORMULAS.md section 1):

- Without ``x`` every row is its own subgroup, in the given order, keyed by its 1-based number.
- With ``x`` rows with a missing x are dropped and the rest grouped by x; subgroups are sorted
  numerically when every key is a number (so 10 follows 9), chronologically when every key is a
  date, otherwise as text (chronological for ISO-8601 strings).
- With ``n`` a row missing y or n is missing in both; ``value`` = Σy / Σn over complete rows
  (NaN when there is none). Without ``n`` ``value`` = the mean of the non-missing y.
- ``total`` = Σ non-missing y; like R's ``sum(y, na.rm = length(y) > 1)`` it is NaN for a
  subgroup of a single row whose y is missing (and 0 for several rows that are all missing).
- ``count`` = number of non-missing y, ``sd`` uses n − 1 (NaN for count < 2).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Subgroups:
    key: list[object]
    value: np.ndarray
    total: np.ndarray
    count: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    n: np.ndarray  # Σn of the complete rows; NaN without a denominator
    rows: list[list[int]]

    def __len__(self) -> int:
        return len(self.key)


def as_float_array(values: Sequence[object] | np.ndarray) -> np.ndarray:
    """Numbers with None/NaN as missing (NaN)."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return values.astype(float)
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)  # type: ignore[arg-type]


def _is_missing_key(key: object) -> bool:
    if key is None:
        return True
    if isinstance(key, float) and math.isnan(key):
        return True
    return isinstance(key, str) and key.strip() == ""


def _numeric_key(key: object) -> float | None:
    if isinstance(key, bool):
        return None
    if isinstance(key, (int, float, np.integer, np.floating)):
        return float(key)
    if isinstance(key, str):
        try:
            return float(key)
        except ValueError:
            return None
    return None


def _sort_keys(keys: list[object]) -> tuple[list[object], list[object]]:
    """(grouping identities, sort order identities): numbers, then dates, else text."""
    numeric = [_numeric_key(k) for k in keys]
    if all(v is not None for v in numeric):
        return list(numeric), list(numeric)
    if all(isinstance(k, (dt.date, dt.datetime)) for k in keys):
        return list(keys), list(keys)
    text = [str(k) for k in keys]
    return list(text), list(text)


def group_rows(
    y: Sequence[object] | np.ndarray,
    x: Sequence[object] | None = None,
    n: Sequence[object] | np.ndarray | None = None,
) -> Subgroups:
    values = as_float_array(y)
    denominators = as_float_array(n) if n is not None else None
    if denominators is not None:
        if len(denominators) != len(values):
            raise ValueError("y and n must have the same length")
        incomplete = np.isnan(values) | np.isnan(denominators)
        values = np.where(incomplete, np.nan, values)
        denominators = np.where(incomplete, np.nan, denominators)

    if x is None:
        return _one_row_per_subgroup(values, denominators)
    if len(x) != len(values):
        raise ValueError("y and x must have the same length")

    kept = [i for i, key in enumerate(x) if not _is_missing_key(key)]
    identities, order_keys = _sort_keys([x[i] for i in kept])
    groups: dict[object, list[int]] = {}
    first_key: dict[object, object] = {}
    sort_key: dict[object, object] = {}
    for row, identity, order in zip(kept, identities, order_keys, strict=True):
        if identity not in groups:
            groups[identity] = []
            first_key[identity] = x[row]
            sort_key[identity] = order
        groups[identity].append(row)
    ordered = sorted(groups, key=lambda identity: sort_key[identity])  # type: ignore[arg-type,return-value]
    return _aggregate([first_key[g] for g in ordered], [groups[g] for g in ordered], values, denominators)


def _one_row_per_subgroup(values: np.ndarray, denominators: np.ndarray | None) -> Subgroups:
    size = len(values)
    present = ~np.isnan(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = values / denominators if denominators is not None else values.copy()
    return Subgroups(
        key=list(range(1, size + 1)),
        value=value,
        total=values.copy(),
        count=present.astype(float),
        mean=values.copy(),
        sd=np.full(size, np.nan),
        n=np.where(present, denominators, 0.0) if denominators is not None else np.full(size, np.nan),
        rows=[[i] for i in range(size)],
    )


def _aggregate(
    keys: list[object], rows: list[list[int]], values: np.ndarray, denominators: np.ndarray | None
) -> Subgroups:
    size = len(keys)
    value = np.full(size, np.nan)
    total = np.full(size, np.nan)
    count = np.zeros(size)
    mean = np.full(size, np.nan)
    sd = np.full(size, np.nan)
    n_sum = np.full(size, np.nan)
    for k, members in enumerate(rows):
        group = values[members]
        present = group[~np.isnan(group)]
        count[k] = present.size
        if present.size or len(members) > 1:
            total[k] = present.sum()
        if present.size:
            mean[k] = present.mean()
        if present.size > 1:
            sd[k] = present.std(ddof=1)
        if denominators is not None:
            n_sum[k] = np.nansum(denominators[members])
            with np.errstate(invalid="ignore", divide="ignore"):
                value[k] = present.sum() / n_sum[k]
        else:
            value[k] = mean[k]
    return Subgroups(keys, value, total, count, mean, sd, n_sum, rows)
