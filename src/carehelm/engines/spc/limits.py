"""Centre lines and 3-sigma limits of each chart, for one part (FORMULAS.md section 3).

Public API:

- ``PartData``: the subgroup arrays of one part plus the ``base`` mask (baseline ∧ included).
- ``Lines``: the plotted ``y`` and the ``cl``, ``lcl``, ``ucl`` arrays (NaN = undefined).
- ``CHART_LINES``: chart code -> function(PartData, screen_mr) -> Lines, for
  run, i, mr, xbar, s, t, p, pp, c, u, up, g.
- ``average_moving_range(values, screen)``: mean |difference| of consecutive values, missing
  values dropping their two ranges; with ``screen`` ranges ≥ 3.267·AMR are dropped and the mean
  recomputed (Nelson 1982).

Every statistic is taken over the base points of the part; the limits are then extended to
every point of the part. Non-finite limits are turned into NaN later (by the caller).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from carehelm.engines.spc.constants import D2, D4, a3, b3, b4


@dataclass(frozen=True)
class PartData:
    value: np.ndarray
    total: np.ndarray
    count: np.ndarray
    mean: np.ndarray
    sd: np.ndarray
    n: np.ndarray
    base: np.ndarray


@dataclass(frozen=True)
class Lines:
    y: np.ndarray
    cl: np.ndarray
    lcl: np.ndarray
    ucl: np.ndarray


def mean_of_present(values: np.ndarray) -> float:
    """Mean of the non-missing values; NaN when there is none (R's mean(x, na.rm = TRUE))."""
    present = values[~np.isnan(values)]
    return float(present.mean()) if present.size else float("nan")


def median_of_present(values: np.ndarray) -> float:
    present = values[~np.isnan(values)]
    return float(np.median(present)) if present.size else float("nan")


def average_moving_range(values: np.ndarray, screen: bool) -> float:
    ranges = np.abs(np.diff(values))
    amr = mean_of_present(ranges)
    if screen:
        with np.errstate(invalid="ignore"):
            ranges = ranges[ranges < D4 * amr]  # strict: a range equal to the limit is screened out
        amr = mean_of_present(ranges)
    return amr


def _constant(size: int, value: float) -> np.ndarray:
    return np.full(size, value, dtype=float)


def _floor_at_zero(lcl: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(lcl) & (lcl < 0), 0.0, lcl)


def _cap_at_one(ucl: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(ucl) & (ucl > 1), 1.0, ucl)


def run_lines(part: PartData, screen_mr: bool) -> Lines:
    size = len(part.value)
    cl = median_of_present(part.value[part.base])
    return Lines(part.value, _constant(size, cl), _constant(size, np.nan), _constant(size, np.nan))


def i_lines(part: PartData, screen_mr: bool) -> Lines:
    size = len(part.value)
    base_values = part.value[part.base]
    cl = mean_of_present(base_values)
    sigma = average_moving_range(base_values, screen_mr) / D2
    return Lines(
        part.value, _constant(size, cl), _constant(size, cl - 3 * sigma), _constant(size, cl + 3 * sigma)
    )


def mr_lines(part: PartData, screen_mr: bool) -> Lines:
    # The moving ranges use every point of the part (excluded and after-freeze ones too).
    size = len(part.value)
    ranges = np.concatenate([[np.nan], np.abs(np.diff(part.value))]) if size else np.array([])
    cl = mean_of_present(ranges[part.base])
    return Lines(ranges, _constant(size, cl), _constant(size, 0.0), _constant(size, D4 * cl))


def _pooled_sd(part: PartData) -> float:
    """Pooled s when subgroup sizes differ anywhere in the part, else the mean of the sds."""
    if len(np.unique(part.count)) > 1:
        weights = part.count[part.base] - 1
        squares = weights * part.sd[part.base] ** 2
        # R: sum(..., na.rm = TRUE) drops the undefined sd of a one-value subgroup from the
        # numerator while its weight stays in the denominator.
        return float(np.sqrt(np.nansum(squares) / np.nansum(weights)))
    return mean_of_present(part.sd[part.base])


def xbar_lines(part: PartData, screen_mr: bool) -> Lines:
    size = len(part.value)
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted = part.count[part.base] * part.mean[part.base]
        cl = float(np.nansum(weighted) / np.nansum(part.count[part.base]))
        s = _pooled_sd(part)
        spread = a3(part.count) * s
    return Lines(part.mean, _constant(size, cl), cl - spread, cl + spread)


def s_lines(part: PartData, screen_mr: bool) -> Lines:
    size = len(part.value)
    with np.errstate(invalid="ignore", divide="ignore"):
        cl = _pooled_sd(part)
        return Lines(part.sd, _constant(size, cl), b3(part.count) * cl, b4(part.count) * cl)


def t_lines(part: PartData, screen_mr: bool) -> Lines:
    # I chart on y^(1/3.6) (Nelson's transformation to near-normality), then back-transformed.
    with np.errstate(invalid="ignore"):
        transformed = part.value ** (1 / 3.6)
        lines = i_lines(PartData(transformed, *_rest(part)), screen_mr)
        # A negative (or undefined) transformed lower limit has no back-transform: qicharts2 uses 0.
        lcl = np.where((lines.lcl < 0) | np.isnan(lines.lcl), 0.0, lines.lcl**3.6)
        return Lines(lines.y**3.6, lines.cl**3.6, lcl, lines.ucl**3.6)


def _rest(part: PartData) -> tuple[np.ndarray, ...]:
    return (part.total, part.count, part.mean, part.sd, part.n, part.base)


def p_lines(part: PartData, screen_mr: bool) -> Lines:
    size = len(part.value)
    with np.errstate(invalid="ignore", divide="ignore"):
        cl = float(np.nansum(part.total[part.base]) / np.nansum(part.n[part.base]))
        sigma = np.sqrt(cl * (1 - cl) / part.n)
        return Lines(
            part.value, _constant(size, cl), _floor_at_zero(cl - 3 * sigma), _cap_at_one(cl + 3 * sigma)
        )


def _laney_sigma_z(part: PartData, cl: float, sigma: np.ndarray, screen_mr: bool) -> float:
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (part.value[part.base] - cl) / sigma[part.base]
    return average_moving_range(z, screen_mr) / D2  # no floor at 1 (trap 7)


def pp_lines(part: PartData, screen_mr: bool) -> Lines:
    size = len(part.value)
    with np.errstate(invalid="ignore", divide="ignore"):
        cl = float(np.nansum(part.total[part.base]) / np.nansum(part.n[part.base]))
        sigma = np.sqrt(cl * (1 - cl) / part.n)
        sigma = sigma * _laney_sigma_z(part, cl, sigma, screen_mr)
        return Lines(
            part.value, _constant(size, cl), _floor_at_zero(cl - 3 * sigma), _cap_at_one(cl + 3 * sigma)
        )


def c_lines(part: PartData, screen_mr: bool) -> Lines:
    size = len(part.value)
    cl = mean_of_present(part.total[part.base])
    with np.errstate(invalid="ignore"):
        sigma = np.sqrt(cl)
    return Lines(
        part.total,
        _constant(size, cl),
        _floor_at_zero(_constant(size, cl - 3 * sigma)),
        _constant(size, cl + 3 * sigma),
    )


def u_lines(part: PartData, screen_mr: bool) -> Lines:
    size = len(part.value)
    with np.errstate(invalid="ignore", divide="ignore"):
        cl = float(np.nansum(part.total[part.base]) / np.nansum(part.n[part.base]))
        sigma = np.sqrt(cl / part.n)
        return Lines(part.value, _constant(size, cl), _floor_at_zero(cl - 3 * sigma), cl + 3 * sigma)


def up_lines(part: PartData, screen_mr: bool) -> Lines:
    size = len(part.value)
    with np.errstate(invalid="ignore", divide="ignore"):
        cl = float(np.nansum(part.total[part.base]) / np.nansum(part.n[part.base]))
        sigma = np.sqrt(cl / part.n)
        sigma = sigma * _laney_sigma_z(part, cl, sigma, screen_mr)
        return Lines(part.value, _constant(size, cl), _floor_at_zero(cl - 3 * sigma), cl + 3 * sigma)


def g_lines(part: PartData, screen_mr: bool) -> Lines:
    # Limits from the mean of the geometric distribution; the reported centre line is the median.
    size = len(part.value)
    base_values = part.value[part.base]
    mean = mean_of_present(base_values)
    with np.errstate(invalid="ignore"):
        sigma = np.sqrt(mean * (mean + 1))
    lcl = mean - 3 * sigma
    return Lines(
        part.value,
        _constant(size, median_of_present(base_values)),
        _constant(size, 0.0 if lcl < 0 else lcl),
        _constant(size, mean + 3 * sigma),
    )


CHART_LINES: dict[str, Callable[[PartData, bool], Lines]] = {
    "run": run_lines,
    "i": i_lines,
    "mr": mr_lines,
    "xbar": xbar_lines,
    "s": s_lines,
    "t": t_lines,
    "p": p_lines,
    "pp": pp_lines,
    "c": c_lines,
    "u": u_lines,
    "up": up_lines,
    "g": g_lines,
}
