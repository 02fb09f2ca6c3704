"""Plain-words explanations of the signals of a chart, for dashboards and reports.

Public API: ``anhoej_signals(points, parts, analyses)`` and ``mdc_signals(points)``, each
returning a list of ``Signal`` (see ``result.py``) whose ``text`` reads like
"7 points above the mean from 2024-03 to 2024-09: special cause, improvement".
"""

from __future__ import annotations

from carehelm.engines.spc.result import Signal, SpcPoint
from carehelm.engines.spc.runs import RunsAnalysis


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _span(points: list[SpcPoint], first: int, last: int) -> str:
    if first == last:
        return f"at {points[first].x}"
    return f"from {points[first].x} to {points[last].x}"


def _sigma_signals(points: list[SpcPoint]) -> list[Signal]:
    signals = []
    for k, point in enumerate(points):
        if not point.sigma_signal or point.y is None:
            continue
        above = point.ucl is not None and point.y > point.ucl
        limit, word = (point.ucl, "above the upper") if above else (point.lcl, "below the lower")
        text = (
            f"Point {point.x} ({_number(point.y)}) is {word} control limit ({_number(limit)}): special cause."
        )
        signals.append(Signal("outside_limits", point.part, k, k, point.x, point.x, "special cause", text))
    return signals


def anhoej_signals(
    points: list[SpcPoint], part_offsets: list[int], analyses: list[RunsAnalysis], chart: str
) -> list[Signal]:
    signals = _sigma_signals(points)
    if chart == "mr":  # runs analysis is not interpreted on a moving-range chart
        return signals
    for number, (offset, analysis) in enumerate(zip(part_offsets, analyses, strict=True), start=1):
        if analysis.long_run_signal and analysis.longest_run_start is not None:
            first = offset + analysis.longest_run_start
            last = offset + (analysis.longest_run_end or 0)
            side = "above" if analysis.longest_run_side == 1 else "below"
            text = (
                f"{analysis.longest_run} points in a row {side} the centre line {_span(points, first, last)} "
                f"(more than {analysis.longest_run_max} is unusual for {analysis.n_useful} useful points): "
                "special cause, a shift in the process."
            )
            signals.append(
                Signal(
                    "long_run", number, first, last, points[first].x, points[last].x, "special cause", text
                )
            )
        if analysis.few_crossings_signal:
            members = [k for k, point in enumerate(points) if point.part == number]
            first, last = members[0], members[-1]
            text = (
                f"The data cross the centre line only {analysis.n_crossings} times {_span(points, first, last)} "
                f"(fewer than {analysis.n_crossings_min} is unusual for {analysis.n_useful} useful points): "
                "special cause, the process is not stable around its centre."
            )
            signals.append(
                Signal(
                    "few_crossings",
                    number,
                    first,
                    last,
                    points[first].x,
                    points[last].x,
                    "special cause",
                    text,
                )
            )
    signals.sort(key=lambda signal: (signal.first, signal.last))
    return signals


_VERDICTS = {
    "special_cause_improvement": "special cause, improvement",
    "special_cause_concern": "special cause, concern",
    "special_cause_neutral_high": "special cause, neutral",
    "special_cause_neutral_low": "special cause, neutral",
}


def _mdc_text(rule: str, direction: int, points: list[SpcPoint], first: int, last: int) -> str:
    count = last - first + 1
    span = _span(points, first, last)
    high = direction > 0
    if rule == "outside_limits":
        word = "above the upper" if high else "below the lower"
        subject = f"Point {points[first].x} is" if count == 1 else f"{count} points {span} are"
        return f"{subject} {word} process limit"
    if rule == "trend":
        return f"{count} points in a row {'increasing' if high else 'decreasing'} {span}"
    if rule == "two_of_three":
        word = "upper" if high else "lower"
        return f"2 of 3 points close to the {word} process limit ({count} flagged {span})"
    return f"{count} points {'above' if high else 'below'} the mean {span}"


def mdc_signals(points: list[SpcPoint]) -> list[Signal]:
    signals: list[Signal] = []
    k = 0
    while k < len(points):
        point = points[k]
        if point.rule is None:
            k += 1
            continue
        last = k
        while (
            last + 1 < len(points)
            and points[last + 1].rule == point.rule
            and points[last + 1].direction == point.direction
            and points[last + 1].part == point.part
        ):
            last += 1
        verdict = _VERDICTS[point.special_cause or ""]
        text = f"{_mdc_text(point.rule, point.direction, points, k, last)}: {verdict}."
        signals.append(Signal(point.rule, point.part, k, last, point.x, points[last].x, verdict, text))
        k = last + 1
    return signals
