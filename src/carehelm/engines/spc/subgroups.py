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
    if isinstance(key, str):
        return key.strip() == ""
    try:
        return bool(key != key)  # NaN, NaT
    except (TypeError, ValueError):
        return False


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
    index_of: dict[object, int] = {}
    first_key: list[object] = []
    sort_key: list[object] = []
    group_of_row = np.empty(len(kept), dtype=np.intp)
    for j, (row, identity, order) in enumerate(zip(kept, identities, order_keys, strict=True)):
        index = index_of.get(identity)
        if index is None:
            index = index_of[identity] = len(first_key)
            first_key.append(x[row])
            sort_key.append(order)
        group_of_row[j] = index
    order = sorted(range(len(first_key)), key=sort_key.__getitem__)  # type: ignore[arg-type]
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    return _aggregate(
        [first_key[g] for g in order],
        np.asarray(kept, dtype=np.intp),
        rank[group_of_row],
        values,
        denominators,
    )


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
    keys: list[object],
    kept: np.ndarray,
    group: np.ndarray,
    values: np.ndarray,
    denominators: np.ndarray | None,
) -> Subgroups:
    """Vectorised per-subgroup statistics; ``group[j]`` is the subgroup of input row ``kept[j]``."""
    size = len(keys)
    y = values[kept]
    present = ~np.isnan(y)
    rows_per_group = np.bincount(group, minlength=size)
    count = np.bincount(group, weights=present, minlength=size).astype(float)
    present_sum = np.bincount(group, weights=np.where(present, y, 0.0), minlength=size)
    # R's sum(y, na.rm = length(y) > 1): a lone missing row sums to NA, several to 0.
    total = np.where((count == 0) & (rows_per_group == 1), np.nan, present_sum)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, present_sum / count, np.nan)
        deviation = np.where(present, y - mean[group], 0.0)
        squares = np.bincount(group, weights=deviation**2, minlength=size)
        sd = np.where(count > 1, np.sqrt(squares / (count - 1)), np.nan)
        if denominators is not None:
            n_sum = np.bincount(group, weights=np.nan_to_num(denominators[kept]), minlength=size)
            value = present_sum / n_sum
        else:
            n_sum = np.full(size, np.nan)
            value = mean
    members = kept[np.argsort(group, kind="stable")].tolist()
    ends = np.cumsum(rows_per_group).tolist()
    rows = [members[start:end] for start, end in zip([0, *ends[:-1]], ends, strict=True)]
    return Subgroups(keys, value, total, count, mean, sd, n_sum, rows)
