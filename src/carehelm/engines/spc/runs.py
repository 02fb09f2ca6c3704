"""Anhøj runs analysis of one part (FORMULAS.md section 4).

Public API:

- ``RunsAnalysis``: ``n_useful``, ``longest_run``, ``longest_run_max``, ``n_crossings``,
  ``n_crossings_min``, ``runs_signal`` and, for explanations, where the longest run lies
  (``longest_run_start``/``longest_run_end``, indices into the part) and its side (+1 above,
  −1 below the centre line).
- ``runs_analysis(y, cl, included) -> RunsAnalysis``.

Points on the centre line and missing values are dropped ("useful" observations); a run is a
maximal block of useful points on the same side; crossings = runs − 1. The signal is
longest_run > round(log2 n) + 3 or n_crossings < qbinom(0.05, n − 1, ½), both strict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carehelm.engines.spc.constants import longest_run_max, n_crossings_min


@dataclass(frozen=True)
class RunsAnalysis:
    n_useful: int
    longest_run: int | None
    longest_run_max: int | None
    n_crossings: int | None
    n_crossings_min: int | None
    runs_signal: bool
    longest_run_start: int | None = None
    longest_run_end: int | None = None
    longest_run_side: int | None = None

    @property
    def long_run_signal(self) -> bool:
        return self.longest_run is not None and self.longest_run > self.longest_run_max  # type: ignore[operator]

    @property
    def few_crossings_signal(self) -> bool:
        return self.n_crossings is not None and self.n_crossings < self.n_crossings_min  # type: ignore[operator]


def runs_analysis(y: np.ndarray, cl: np.ndarray, included: np.ndarray) -> RunsAnalysis:
    with np.errstate(invalid="ignore"):
        side = np.sign(y - cl)
    useful = included & ~np.isnan(side) & (side != 0)
    positions = np.flatnonzero(useful)
    signs = side[positions]
    n_useful = int(signs.size)
    if n_useful == 0:
        return RunsAnalysis(0, None, None, None, None, False)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(signs) != 0) + 1])
    lengths = np.diff(np.concatenate([starts, [n_useful]]))
    longest = int(lengths.max())
    first_longest = int(np.argmax(lengths))
    run_start = int(starts[first_longest])
    crossings = int(starts.size - 1)
    run_max = longest_run_max(n_useful)
    crossings_min = n_crossings_min(n_useful)
    return RunsAnalysis(
        n_useful=n_useful,
        longest_run=longest,
        longest_run_max=run_max,
        n_crossings=crossings,
        n_crossings_min=crossings_min,
        runs_signal=bool(longest > run_max or crossings < crossings_min),
        longest_run_start=int(positions[run_start]),
        longest_run_end=int(positions[run_start + longest - 1]),
        longest_run_side=int(signs[run_start]),
    )
