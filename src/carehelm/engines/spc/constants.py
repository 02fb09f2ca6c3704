"""Control-chart constants and Anhøj runs limits.

Public functions (all vectorised over numpy arrays where it makes sense):

- ``c4(n)``, ``c5(n)``: bias-correction constants for the subgroup standard deviation,
  c4(n) = √(2/(n−1))·exp(lgamma(n/2) − lgamma((n−1)/2)) computed exactly (qicharts2 uses this
  formula, not a rounded 4-digit table); NaN for n ≤ 1.
- ``a3(n)``, ``b3(n)``, ``b4(n)``: 3-sigma factors for Xbar and S charts; NaN for n ≤ 1.
- ``longest_run_max(n_useful)`` = round(log2(n_useful)) + 3 (Schilling 2012).
- ``n_crossings_min(n_useful)`` = the 5 % quantile of Binomial(n_useful − 1, ½) (Chen 2010),
  computed with exact integer arithmetic (scipy's quantile for very long series, checked
  against a margin) so no floating-point fuzz can move a threshold.

The rounded constants d2 = 1.128 and D4 = 3.267 are the ones qicharts2 uses; MDC uses 2.66.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.stats import binom

D2 = 1.128  # d2 for moving ranges of two, rounded as in qicharts2
D4 = 3.267  # upper limit factor of an MR chart, also the moving-range screening factor
MDC_LIMIT = 2.66  # Making Data Count: 3/d2 rounded to two decimals
MDC_NEAR_LIMIT = 2 * MDC_LIMIT / 3


def _sizes(n: np.ndarray | float) -> np.ndarray:
    sizes = np.asarray(n, dtype=float).copy()
    sizes[~(sizes > 1)] = np.nan  # undefined for one observation (and for missing sizes)
    return sizes


def _lgamma(values: np.ndarray) -> np.ndarray:
    # math.lgamma, not scipy.special.gammaln: c5 = √(1 − c4²) amplifies the last-bit differences
    # of the two lgamma implementations to ~1e-11, and math.lgamma is the one that agrees with
    # the reference constants (R's lgammafn) bit for bit.
    return np.array([math.lgamma(v) if math.isfinite(v) else math.nan for v in values.ravel()]).reshape(
        values.shape
    )


def c4(n: np.ndarray | float) -> np.ndarray:
    sizes = _sizes(n)
    with np.errstate(invalid="ignore"):
        return np.sqrt(2.0 / (sizes - 1.0)) * np.exp(_lgamma(sizes / 2.0) - _lgamma((sizes - 1.0) / 2.0))


def c5(n: np.ndarray | float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.sqrt(1.0 - c4(n) ** 2)


def a3(n: np.ndarray | float) -> np.ndarray:
    sizes = _sizes(n)
    with np.errstate(invalid="ignore"):
        return 3.0 / (c4(sizes) * np.sqrt(sizes))


def b3(n: np.ndarray | float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        # np.maximum propagates NaN, like R's pmax without na.rm
        return np.maximum(0.0, 1.0 - 3.0 * c5(n) / c4(n))


def b4(n: np.ndarray | float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return 1.0 + 3.0 * c5(n) / c4(n)


def longest_run_max(n_useful: int) -> int:
    # Python's round() rounds half to even like R's; log2 of an integer is never exactly k + ½.
    return round(math.log2(n_useful)) + 3


EXACT_TRIALS = 2000  # above this, exact big-integer sums cost more than they are worth


@lru_cache(maxsize=4096)
def n_crossings_min(n_useful: int) -> int:
    """Smallest k with P(X ≤ k) ≥ 0.05 for X ~ Binomial(n_useful − 1, ½), in exact integers."""
    trials = max(n_useful - 1, 0)
    if trials > EXACT_TRIALS:
        # Long series: scipy's quantile, accepted only when no rounding could move it.
        k = int(binom.ppf(0.05, trials, 0.5))
        if binom.cdf(k, trials, 0.5) >= 0.05 * (1 + 1e-9) and binom.cdf(k - 1, trials, 0.5) < 0.05 * (
            1 - 1e-9
        ):
            return k
    total = 2**trials
    term = 1  # C(trials, k), updated in place: recomputing math.comb each step is quadratic
    cumulative = 0
    for k in range(trials + 1):
        cumulative += term
        if 20 * cumulative >= total:  # cumulative / 2^trials >= 1/20
            return k
        term = term * (trials - k) // (k + 1)
    return trials
