"""The ``spc()`` entry point: rows in, a finished chart (lines, signals, icons) out.

Public API:

- ``spc(y, x=None, n=None, *, chart, freeze, parts, exclude, screen_mr, rules, improvement,
  target, on_progress) -> SpcResult`` (see the package docstring for the arguments).
- ``SpcInputError(ValueError)``: bad input; ``row`` is the 0-based input row at fault (or
  None) and ``field`` the argument (``"y"``, ``"x"``, ``"n"``) it concerns, so a caller
  reading a file can name the line and column.
- ``CHARTS``, ``RULES``, ``IMPROVEMENTS``: the accepted codes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from carehelm.engines.spc import mdc
from carehelm.engines.spc.limits import CHART_LINES, Lines, PartData
from carehelm.engines.spc.result import SpcPart, SpcPoint, SpcResult, finite_or_none
from carehelm.engines.spc.runs import RunsAnalysis, runs_analysis
from carehelm.engines.spc.signals import anhoej_signals, mdc_signals
from carehelm.engines.spc.subgroups import Subgroups, as_float_array, group_rows

CHARTS = tuple(CHART_LINES)
RULES = ("anhoej", "mdc")
IMPROVEMENTS = ("increase", "decrease", "neutral")
RATE_CHARTS = {"p", "pp", "u", "up"}  # need a denominator
COUNT_CHARTS = {"p", "pp", "c", "u", "up"}  # y is a count of events: never negative
PROPORTION_CHARTS = {"p", "pp"}
NO_DENOMINATOR_CHARTS = {"xbar", "s", "t", "c", "g"}


class SpcInputError(ValueError):
    def __init__(self, message: str, row: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.field = field


def _check_options(chart: str, rules: str, improvement: str, has_n: bool, exclude: Sequence[int]) -> None:
    if chart not in CHART_LINES:
        raise SpcInputError(f"unknown chart {chart!r}; choose one of {', '.join(CHARTS)}")
    if rules not in RULES:
        raise SpcInputError(f"unknown rules {rules!r}; choose anhoej or mdc")
    if improvement not in IMPROVEMENTS:
        raise SpcInputError(
            f"unknown improvement direction {improvement!r}; choose increase, decrease or neutral"
        )
    if chart in RATE_CHARTS and not has_n:
        raise SpcInputError(f"the {chart} chart needs a denominator (n)", field="n")
    if chart in NO_DENOMINATOR_CHARTS and has_n:
        raise SpcInputError(f"the {chart} chart takes no denominator (n)", field="n")
    if rules == "mdc":
        if chart != "i":
            raise SpcInputError("the Making Data Count rules apply to the i (XmR) chart only")
        if exclude:
            raise SpcInputError("excluded points are not defined under the Making Data Count rules")


def _check_rows(chart: str, y: np.ndarray, n: np.ndarray | None) -> None:
    """Row-level checks: the first offending row is reported."""
    if n is not None:
        bad = np.flatnonzero(~np.isnan(n) & (n <= 0))
        if bad.size:
            row = int(bad[0])
            raise SpcInputError(f"denominator must be greater than 0, got {n[row]:g}", row=row, field="n")
    if chart in COUNT_CHARTS:
        bad = np.flatnonzero(~np.isnan(y) & (y < 0))
        if bad.size:
            row = int(bad[0])
            raise SpcInputError(f"a count cannot be negative, got {y[row]:g}", row=row, field="y")
    if chart in PROPORTION_CHARTS and n is not None:
        bad = np.flatnonzero(~np.isnan(y) & ~np.isnan(n) & (y > n))
        if bad.size:
            row = int(bad[0])
            raise SpcInputError(
                f"the count ({y[row]:g}) is larger than its denominator ({n[row]:g})", row=row, field="y"
            )
    if chart == "t":
        bad = np.flatnonzero(~np.isnan(y) & (y <= 0))
        if bad.size:
            row = int(bad[0])
            raise SpcInputError(
                f"time between events must be greater than 0, got {y[row]:g}", row=row, field="y"
            )


def _numbers(values: Sequence[object] | np.ndarray, field: str) -> np.ndarray:
    try:
        return as_float_array(values)
    except (TypeError, ValueError):
        for row, value in enumerate(values):
            try:
                float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                if value is not None:
                    raise SpcInputError(f"{value!r} is not a number", row=row, field=field) from None
        raise


def part_numbers(breaks: Sequence[int], size: int) -> np.ndarray:
    """Part number (1-based) of each point; a break K ends a part after point K (1-based).

    Breaks ≤ 0 or ≥ the number of points are ignored, like qicharts2's ``makeparts``.
    """
    starts = sorted({0, *(int(k) for k in breaks if 0 < int(k) < size)})
    numbers = np.zeros(size, dtype=int)
    for number, start in enumerate(starts, start=1):
        numbers[start:] = number
    return numbers


def spc(
    y: Sequence[object] | np.ndarray,
    x: Sequence[object] | None = None,
    n: Sequence[object] | np.ndarray | None = None,
    *,
    chart: str = "i",
    freeze: int | None = None,
    parts: Sequence[int] | None = None,
    exclude: Sequence[int] | None = None,
    screen_mr: bool = False,
    rules: str = "anhoej",
    improvement: str = "increase",
    target: float | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> SpcResult:
    """One control chart from row values; arguments and result are described in the package docstring."""
    exclude = list(exclude or [])
    parts = list(parts or [])
    _check_options(chart, rules, improvement, n is not None, exclude)
    y_values = _numbers(y, "y")
    n_values = _numbers(n, "n") if n is not None else None
    _check_rows(chart, y_values, n_values)

    groups = group_rows(y_values, x, n_values)
    size = len(groups)
    if size == 0:
        raise SpcInputError(
            "no data points (every row has a missing x)" if x is not None else "no data points"
        )
    if freeze is not None and freeze < 1:
        raise SpcInputError(f"freeze must be at least 1, got {freeze}")
    for index in exclude:
        if not 1 <= index <= size:
            raise SpcInputError(f"excluded point {index} does not exist (points are numbered 1..{size})")
    if rules == "mdc":
        missing = np.flatnonzero(np.isnan(groups.value))
        if missing.size:
            k = int(missing[0])
            rows = groups.rows[k]
            raise SpcInputError(
                f"point {groups.key[k]} has no value; the Making Data Count rules need every point",
                row=rows[0] if rows else None,
                field="y",
            )

    position = np.arange(1, size + 1)
    part_of = part_numbers(parts, size)
    # --part overrides --freeze (qicharts2): every point is then baseline.
    baseline = position <= freeze if freeze is not None and not parts else np.ones(size, dtype=bool)
    included = ~np.isin(position, exclude)

    if rules == "mdc":
        return _mdc_chart(groups, part_of, baseline, screen_mr, improvement, target, on_progress)
    return _anhoej_chart(chart, groups, part_of, baseline, included, screen_mr, on_progress)


def _slices(part_of: np.ndarray) -> list[slice]:
    bounds = np.flatnonzero(np.diff(part_of)) + 1
    edges = [0, *bounds.tolist(), part_of.size]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _finite(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)


def _json_numbers(values: np.ndarray) -> list[float | None]:
    """Floats with every non-finite value as None."""
    return [v if math.isfinite(v) else None for v in values.tolist()]


def _sigma_signal(y: np.ndarray, lcl: np.ndarray, ucl: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (y > ucl) | (y < lcl)  # NaN compares false


def _part_summary(number: int, analysis: RunsAnalysis, chart: str) -> SpcPart:
    return SpcPart(
        part=number,
        n_useful=analysis.n_useful,
        longest_run=analysis.longest_run,
        longest_run_max=analysis.longest_run_max,
        n_crossings=analysis.n_crossings,
        n_crossings_min=analysis.n_crossings_min,
        runs_signal=analysis.runs_signal and chart != "mr",  # MR: the statistics, never a signal
    )


def _anhoej_chart(
    chart: str,
    groups: Subgroups,
    part_of: np.ndarray,
    baseline: np.ndarray,
    included: np.ndarray,
    screen_mr: bool,
    on_progress: Callable[[int, int], None] | None,
) -> SpcResult:
    size = len(groups)
    y, cl, lcl, ucl = (np.full(size, np.nan) for _ in range(4))
    slices = _slices(part_of)
    analyses: list[RunsAnalysis] = []
    for done, part in enumerate(slices, start=1):
        data = PartData(
            value=groups.value[part],
            total=groups.total[part],
            count=groups.count[part],
            mean=groups.mean[part],
            sd=groups.sd[part],
            n=groups.n[part],
            base=baseline[part] & included[part],
        )
        lines: Lines = CHART_LINES[chart](data, screen_mr)
        y[part], cl[part], lcl[part], ucl[part] = lines.y, lines.cl, _finite(lines.lcl), _finite(lines.ucl)
        analyses.append(runs_analysis(y[part], cl[part], included[part]))
        if on_progress is not None:
            on_progress(done, len(slices))

    signal = _sigma_signal(y, lcl, ucl).tolist()
    # Plain Python lists: indexing numpy arrays point by point is the slow part of a long chart.
    ys, cls, lcls, ucls = (_json_numbers(a) for a in (y, cl, lcl, ucl))
    part_list, baseline_list, included_list = part_of.tolist(), baseline.tolist(), included.tolist()
    points = [
        SpcPoint(
            x=groups.key[k],
            y=ys[k],
            cl=cls[k],
            lcl=lcls[k],
            ucl=ucls[k],
            part=part_list[k],
            baseline=baseline_list[k],
            included=included_list[k],
            sigma_signal=signal[k],
            rows=tuple(groups.rows[k]),
        )
        for k in range(size)
    ]
    summaries = [_part_summary(number, a, chart) for number, a in enumerate(analyses, start=1)]
    offsets = [s.start for s in slices]
    return SpcResult(
        chart, "anhoej", points, summaries, signals=anhoej_signals(points, offsets, analyses, chart)
    )


def _mdc_chart(
    groups: Subgroups,
    part_of: np.ndarray,
    baseline: np.ndarray,
    screen_mr: bool,
    improvement: str,
    target: float | None,
    on_progress: Callable[[int, int], None] | None,
) -> SpcResult:
    size = len(groups)
    y = groups.value
    points: list[SpcPoint] = []
    summaries: list[SpcPart] = []
    slices = _slices(part_of)
    baseline_list = baseline.tolist()
    limits = None
    for done, part in enumerate(slices, start=1):
        values = y[part]
        limits = mdc.mdc_limits(values, baseline[part], screen_mr)
        rules, direction, causes = mdc.classify_points(values, limits, improvement)
        lcl, ucl = finite_or_none(limits.lpl), finite_or_none(limits.upl)
        with np.errstate(invalid="ignore"):
            signal = (values > limits.upl) | (values < limits.lpl)
        cl = np.full(values.size, limits.mean)
        analysis = runs_analysis(values, cl, np.ones(values.size, dtype=bool))
        summaries.append(_part_summary(done, analysis, "i"))
        ys, signals, directions = _json_numbers(values), signal.tolist(), direction.tolist()
        cl_value, near_lcl, near_ucl = (
            finite_or_none(v) for v in (limits.mean, limits.near_lpl, limits.near_upl)
        )
        for j, k in enumerate(range(part.start, part.stop)):
            points.append(
                SpcPoint(
                    x=groups.key[k],
                    y=ys[j],
                    cl=cl_value,
                    lcl=lcl,
                    ucl=ucl,
                    part=done,
                    baseline=baseline_list[k],
                    included=True,
                    sigma_signal=signals[j],
                    special_cause=causes[j],
                    rule=rules[j],
                    direction=directions[j],
                    near_lcl=near_lcl,
                    near_ucl=near_ucl,
                    rows=tuple(groups.rows[k]),
                )
            )
        if on_progress is not None:
            on_progress(done, len(slices))
    assert limits is not None and size > 0
    variation = mdc.variation_icon(points[-1].special_cause or "common_cause", improvement)
    assurance = mdc.assurance_icon(target, limits.lpl, limits.upl, improvement)
    return SpcResult("i", "mdc", points, summaries, variation, assurance, signals=mdc_signals(points))
