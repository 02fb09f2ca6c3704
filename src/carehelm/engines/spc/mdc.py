"""NHS "Making Data Count" XmR rules and icons, as NHSRplotthedots 0.2.2 (FORMULAS.md section 5).

Public API:

- ``mdc_limits(y, base, screen_mr) -> MdcLimits``: mean, LPL/UPL = mean ∓ 2.66·AMR and the
  near-limit lines mean ∓ (2·2.66/3)·AMR, from the base points of one part.
- ``classify_points(y, limits, improvement) -> (rule, direction, special_cause)`` per point of
  one part: ``rule`` is one of ``RULES`` or None, ``direction`` +1/−1/0, ``special_cause`` one
  of ``special_cause_improvement``, ``special_cause_concern``, ``special_cause_neutral_high``,
  ``special_cause_neutral_low``, ``common_cause``.
- ``variation_icon(last_special_cause, improvement)`` and
  ``assurance_icon(target, lpl, upl, improvement)``: NHSRplotthedots' icon names, with its
  consistent_pass / consistent_fail shortened to ``pass`` / ``fail``.
- The rule building blocks, vectorised and named after the NHSRplotthedots functions they
  reproduce so they can be unit-tested on its vectors: ``seven_point_one_side_mean``,
  ``part_of_seven_trend``, ``seven_point_trend``, ``two_in_three``, ``part_of_two_in_three``.

Rule priority for a point: outside the limits > 7-point trend > 2 of 3 near a limit > 7-point
shift > common cause.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from carehelm.engines.spc.constants import MDC_LIMIT, MDC_NEAR_LIMIT
from carehelm.engines.spc.limits import average_moving_range, mean_of_present

RUN_LENGTH = 7  # points in a shift or a trend
RULES = ("outside_limits", "trend", "two_of_three", "shift")
IMPROVEMENT_SIGN = {"increase": 1, "decrease": -1, "neutral": 0}


@dataclass(frozen=True)
class MdcLimits:
    mean: float
    lpl: float
    upl: float
    near_lpl: float
    near_upl: float


def mdc_limits(y: np.ndarray, base: np.ndarray, screen_mr: bool) -> MdcLimits:
    base_values = y[base]
    mean = mean_of_present(base_values)
    amr = average_moving_range(base_values, screen_mr)
    return MdcLimits(
        mean=mean,
        lpl=mean - MDC_LIMIT * amr,
        upl=mean + MDC_LIMIT * amr,
        near_lpl=mean - MDC_NEAR_LIMIT * amr,
        near_upl=mean + MDC_NEAR_LIMIT * amr,
    )


def seven_point_one_side_mean(side: np.ndarray) -> np.ndarray:
    """1 at the 7th (and later) point of 7 consecutive points on the same side of the mean."""
    side = np.asarray(side, dtype=float)
    padded = np.concatenate([np.zeros(RUN_LENGTH - 1), side])
    if side.size == 0:
        return np.zeros(0)
    windows = sliding_window_view(padded, RUN_LENGTH)
    same = np.all(windows == windows[:, -1:], axis=1) & (windows[:, -1] != 0)
    return same.astype(float)


def part_of_seven_trend(flags: np.ndarray) -> np.ndarray:
    """1 for a point that ends a flagged run or is one of the 6 points before such an end."""
    flags = np.asarray(flags, dtype=float)
    if flags.size == 0:
        return np.zeros(0)
    padded = np.concatenate([np.abs(flags) == 1, np.zeros(RUN_LENGTH - 1, dtype=bool)])
    return np.any(sliding_window_view(padded, RUN_LENGTH), axis=1).astype(float)


def seven_point_trend(y: np.ndarray) -> np.ndarray:
    """+1 / −1 at the 7th point of 7 strictly increasing / decreasing points (equal breaks it)."""
    y = np.asarray(y, dtype=float)
    out = np.zeros(y.size)
    if y.size < RUN_LENGTH:
        return out
    steps = np.sign(np.diff(y))
    windows = sliding_window_view(steps, RUN_LENGTH - 1)
    out[RUN_LENGTH - 1 :] = np.where(
        np.all(windows == 1, axis=1), 1.0, np.where(np.all(windows == -1, axis=1), -1.0, 0.0)
    )
    return out


def two_in_three(close: np.ndarray, side: np.ndarray) -> np.ndarray:
    """1 for a point in some window of 3 all on one side of the mean with ≥ 2 close points."""
    close = np.asarray(close, dtype=float)
    side = np.asarray(side, dtype=float)
    if close.size == 0:
        return np.zeros(0)
    pad = np.zeros(2)
    close_windows = sliding_window_view(np.concatenate([pad, close, pad]), 3)
    side_windows = sliding_window_view(np.concatenate([pad, side, pad]), 3)
    # window j covers padded positions j..j+2 = points j−2..j; point i is in windows i, i+1, i+2
    hit = (close_windows.sum(axis=1) >= 2) & (np.abs(side_windows.sum(axis=1)) == 3)
    return (hit[:-2] | hit[1:-1] | hit[2:]).astype(float)


def part_of_two_in_three(in_window: np.ndarray, close: np.ndarray) -> np.ndarray:
    """Only the close points of a 2-of-3 window are flagged."""
    return ((np.asarray(in_window) == 1) & (np.abs(np.asarray(close, dtype=float)) == 1)).astype(float)


def classify_points(
    y: np.ndarray, limits: MdcLimits, improvement: str
) -> tuple[list[str | None], np.ndarray, list[str]]:
    size = y.size
    outside = (y > limits.upl) | (y < limits.lpl)
    side = np.sign(y - limits.mean)
    close = ~outside & ((y < limits.near_lpl) | (y > limits.near_upl))

    in_trend = part_of_seven_trend(seven_point_trend(y)) != 0
    in_two_of_three = part_of_two_in_three(two_in_three(close, side), close) != 0
    in_shift = part_of_seven_trend(seven_point_one_side_mean(side)) != 0

    # Trend direction: the step to the next point when that point is in a trend too, else the
    # step from the previous point.
    steps = np.sign(np.diff(y))
    to_next = np.concatenate([steps, steps[-1:]]) if size > 1 else np.zeros(size)
    from_previous = np.concatenate([[0.0], steps])[:size]
    next_in_trend = np.concatenate([in_trend[1:], [False]]) if size else in_trend
    trend_step = np.where(next_in_trend & in_trend, to_next, from_previous)

    rules: list[str | None] = []
    direction = np.zeros(size, dtype=int)
    for k in range(size):
        if outside[k]:
            rules.append("outside_limits")
            direction[k] = 1 if side[k] == 1 else -1
        elif in_trend[k]:
            rules.append("trend")
            direction[k] = 1 if trend_step[k] == 1 else -1
        elif in_two_of_three[k]:
            rules.append("two_of_three")
            direction[k] = 1 if side[k] > 0 else -1
        elif in_shift[k]:
            rules.append("shift")
            direction[k] = 1 if side[k] > 0 else -1
        else:
            rules.append(None)
    return rules, direction, [special_cause(int(v), improvement) for v in direction]


def special_cause(direction: int, improvement: str) -> str:
    if direction == 0:
        return "common_cause"
    sign = IMPROVEMENT_SIGN[improvement]
    if sign == 0:
        return "special_cause_neutral_high" if direction > 0 else "special_cause_neutral_low"
    return "special_cause_improvement" if direction * sign > 0 else "special_cause_concern"


def variation_icon(last_special_cause: str, improvement: str) -> str:
    increase = improvement == "increase"
    return {
        "common_cause": "common_cause",
        "special_cause_neutral_high": "neutral_high",
        "special_cause_neutral_low": "neutral_low",
        "special_cause_improvement": "improvement_high" if increase else "improvement_low",
        "special_cause_concern": "concern_low" if increase else "concern_high",
    }[last_special_cause]


def assurance_icon(target: float | None, lpl: float, upl: float, improvement: str) -> str | None:
    if target is None or improvement == "neutral":
        return None
    increase = improvement == "increase"
    if target > upl:
        return "fail" if increase else "pass"
    if target < lpl:
        return "pass" if increase else "fail"
    return "inconsistent"
