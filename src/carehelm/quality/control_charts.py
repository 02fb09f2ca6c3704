"""A stored KPI series turned into an SPC chart: the one path used by the dashboards, the board
summary, the API and the CSV/PNG exports, so they always agree.

Public API:

- ``ChartOptions(chart=None, rules="mdc", freeze=None, parts=(), exclude=(), screen_mr=False,
  improvement=None, target=None)``: ``chart=None`` means the KPI's default chart; ``improvement``
  and ``target`` default to the KPI catalogue and the stored target. ``ChartOptions.check(pres)``
  returns the options resolved for one KPI or raises ``InvalidInput`` naming the field.
- ``kpi_chart(rows, pres, options, *, target=None) -> KpiChart``: runs the SPC engine on the
  series. ``KpiChart`` holds the engine's ``result`` plus the points in the KPI's unit of measure
  (percentages ×100), the explained ``signals`` (plain sentences with month names), the icons, the
  periods left out and why, and ``to_dict()`` (the API document) / ``csv_rows()``.
- ``period_label(period, grain)``: "Mar 2024", "week of 4 Mar 2024", "4 Mar 2024".

Under the Making Data Count rules the chart is always the XmR (I) chart: NHSRplotthedots defines
its rules for it only. A ratio KPI (e.g. readmissions / index discharges) is charted as its
numerator with the denominator as n, so the P chart's limits widen in months with few patients.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace

from carehelm.engines.spc import IMPROVEMENTS, SpcInputError, SpcResult, spc
from carehelm.quality.catalogue import KpiPresentation
from carehelm.validation import FieldProblem, InvalidInput

RULES = ("mdc", "anhoej")
RULE_LABELS = {"mdc": "Making Data Count (NHS)", "anhoej": "Anhøj runs rules (qicharts2)"}

VARIATION_TEXT = {
    "common_cause": "Latest point: common cause variation",
    "improvement_high": "Latest point: special cause, improvement (higher)",
    "improvement_low": "Latest point: special cause, improvement (lower)",
    "concern_high": "Latest point: special cause, concern (higher)",
    "concern_low": "Latest point: special cause, concern (lower)",
    "neutral_high": "Latest point: special cause, higher (neither good nor bad)",
    "neutral_low": "Latest point: special cause, lower (neither good nor bad)",
}
ASSURANCE_TEXT = {
    "pass": "Assurance: the target will consistently be met",
    "fail": "Assurance: the target will consistently be missed, unless the process changes",
    "inconsistent": "Assurance: the target may or may not be met (it lies within the process limits)",
}
# Signal categories a point is coloured by (Making Data Count colours: blue improvement, orange
# concern, purple neutral, grey common cause; Anhøj: red outside the limits, orange unusual runs).
CATEGORY_COLOURS = {
    "common cause": "#7a8791",
    "improvement": "#1d64c8",
    "concern": "#d9651b",
    "neutral": "#7b4fa3",
    "outside limits": "#b3261e",
    "unusual run": "#d9651b",
}


def period_label(period: object, grain: str) -> str:
    day = period if isinstance(period, dt.date) else dt.date.fromisoformat(str(period)[:10])
    if grain == "month":
        return day.strftime("%b %Y")
    if grain == "week":
        return f"week of {day.day} {day.strftime('%b %Y')}"
    return f"{day.day} {day.strftime('%b %Y')}"


def _positive_ints(values, name: str) -> tuple[int, ...]:
    out = []
    for value in values or ():
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(
                [FieldProblem(field=name, message="expected whole point numbers (1, 2, …)", value=str(value))]
            ) from None
        if number < 1:
            raise InvalidInput(
                [FieldProblem(field=name, message="point numbers start at 1", value=str(value))]
            )
        out.append(number)
    return tuple(out)


@dataclass(frozen=True)
class ChartOptions:
    chart: str | None = None
    rules: str = "mdc"
    freeze: int | None = None
    parts: tuple[int, ...] = ()
    exclude: tuple[int, ...] = ()
    screen_mr: bool = False
    improvement: str | None = None
    target: float | None = None

    def check(self, pres: KpiPresentation) -> ChartOptions:
        problems = []
        if self.rules not in RULES:
            problems.append(
                FieldProblem(field="rules", message="choose mdc or anhoej", value=str(self.rules))
            )
        chart = self.chart or ("i" if self.rules == "mdc" else pres.default_chart)
        if self.rules == "mdc" and chart != "i":
            problems.append(
                FieldProblem(
                    field="chart",
                    value=chart,
                    message="the Making Data Count rules use the I (XmR) chart only; choose rules=anhoej for "
                    f"a {chart} chart",
                )
            )
        elif chart not in pres.charts:
            problems.append(
                FieldProblem(
                    field="chart",
                    value=str(chart),
                    message=f"for {pres.title} choose one of {', '.join(pres.charts)}",
                )
            )
        if self.improvement is not None and self.improvement not in IMPROVEMENTS:
            problems.append(
                FieldProblem(
                    field="improvement",
                    value=str(self.improvement),
                    message="choose increase, decrease or neutral",
                )
            )
        if self.freeze is not None and (not isinstance(self.freeze, int) or self.freeze < 2):
            problems.append(
                FieldProblem(
                    field="freeze", value=str(self.freeze), message="the baseline needs at least 2 points"
                )
            )
        if self.rules == "mdc" and self.exclude:
            problems.append(
                FieldProblem(
                    field="exclude",
                    message="excluded points are not defined under the Making Data Count "
                    "rules; use rules=anhoej",
                )
            )
        if self.target is not None and not math.isfinite(self.target):
            problems.append(FieldProblem(field="target", message="a target must be a finite number"))
        if problems:
            raise InvalidInput(problems, title="The chart options are not valid.")
        return replace(self, chart=chart, improvement=self.improvement or pres.improvement)

    @classmethod
    def parse(
        cls,
        *,
        chart=None,
        rules=None,
        freeze=None,
        parts=None,
        exclude=None,
        screen_mr=None,
        improvement=None,
        target=None,
    ) -> ChartOptions:
        """Options from text (query parameters, form fields); bad text raises ``InvalidInput``."""
        problems = []

        def number(value, name, kind):
            if value in (None, ""):
                return None
            try:
                return kind(value)
            except (TypeError, ValueError):
                problems.append(FieldProblem(field=name, value=str(value), message="expected a number"))
                return None

        opts = cls(
            chart=chart or None,
            rules=rules or "mdc",
            freeze=number(freeze, "freeze", int),
            parts=_positive_ints(_split(parts), "part"),
            exclude=_positive_ints(_split(exclude), "exclude"),
            screen_mr=str(screen_mr).lower() in {"1", "true", "on", "yes"},
            improvement=improvement or None,
            target=number(target, "target", float),
        )
        if problems:
            raise InvalidInput(problems, title="The chart options are not valid.")
        return opts


def _split(value) -> list:
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple)):
        out = []
        for v in value:
            out += _split(v)
        return out
    return [v for v in str(value).replace(",", " ").split() if v]


@dataclass
class ChartPoint:
    period: dt.date
    label: str
    value: float | None
    numerator: float | None
    denominator: float | None
    cl: float | None
    lcl: float | None
    ucl: float | None
    part: int
    baseline: bool
    included: bool
    sigma_signal: bool
    special_cause: str | None
    category: str


@dataclass
class KpiChart:
    pres: KpiPresentation
    options: ChartOptions
    grain: str
    result: SpcResult | None
    points: list[ChartPoint] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    # (first, last) point index of each signal, parallel to ``signals``
    signal_spans: list[tuple[int, int]] = field(default_factory=list)
    target: float | None = None
    left_out: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def variation_icon(self) -> str | None:
        return self.result.variation_icon if self.result else None

    @property
    def assurance_icon(self) -> str | None:
        return self.result.assurance_icon if self.result else None

    @property
    def variation_text(self) -> str:
        if self.result is None:
            return ""
        if self.variation_icon:
            return VARIATION_TEXT.get(self.variation_icon, self.variation_icon)
        return (
            "Special cause variation: see the signals"
            if self.signals
            else "Common cause variation: no signal of change"
        )

    @property
    def assurance_text(self) -> str:
        if self.assurance_icon:
            return ASSURANCE_TEXT.get(self.assurance_icon, self.assurance_icon)
        if self.target is None:
            return "No target set"
        return "Assurance is judged under the Making Data Count rules" if self.options.rules != "mdc" else ""

    @property
    def left_out_summary(self) -> str:
        """The periods left out, in a line short enough for a dashboard card."""
        if len(self.left_out) <= 3:
            return ", ".join(self.left_out)
        return f"{len(self.left_out)} periods, e.g. {self.left_out[0]}, …, {self.left_out[-1]}"

    @property
    def last(self) -> ChartPoint | None:
        return self.points[-1] if self.points else None

    def to_dict(self) -> dict:
        """The API document: the engine's contract fields in the KPI's unit of measure plus context."""
        d = self.pres.definition
        return {
            "kpi": d.name,
            "title": d.title,
            "unit_of_measure": d.unit_of_measure,
            "grain": self.grain,
            "chart": self.options.chart,
            "rules": self.options.rules,
            "improvement": self.options.improvement,
            "target": self.target,
            "scale": self.pres.scale if self.pres.shape == "ratio" else 1.0,
            "points": [
                {
                    "x": p.period.isoformat(),
                    "label": p.label,
                    "y": p.value,
                    "numerator": p.numerator,
                    "denominator": p.denominator,
                    "cl": p.cl,
                    "lcl": p.lcl,
                    "ucl": p.ucl,
                    "part": p.part,
                    "baseline": p.baseline,
                    "included": p.included,
                    "sigma_signal": p.sigma_signal,
                    "special_cause": p.special_cause,
                    "signal": p.category,
                }
                for p in self.points
            ],
            "parts": [p.to_dict() for p in self.result.parts] if self.result else [],
            "variation_icon": self.variation_icon,
            "assurance_icon": self.assurance_icon,
            "signals": self.signals,
            "left_out": self.left_out,
            "error": self.error or None,
        }

    CSV_COLUMNS = (
        "period",
        "label",
        "value",
        "numerator",
        "denominator",
        "centre_line",
        "lower_limit",
        "upper_limit",
        "part",
        "baseline",
        "included",
        "outside_limits",
        "special_cause",
        "signal",
        "target",
    )

    def csv_rows(self) -> list[list]:
        return [
            [
                p.period.isoformat(),
                p.label,
                p.value,
                p.numerator,
                p.denominator,
                p.cl,
                p.lcl,
                p.ucl,
                p.part,
                p.baseline,
                p.included,
                p.sigma_signal,
                p.special_cause or "",
                p.category,
                self.target,
            ]
            for p in self.points
        ]


def _scaled(value: float | None, scale: float) -> float | None:
    return None if value is None else value * scale


def _usable(row, pres: KpiPresentation) -> tuple[bool, str]:
    if pres.shape == "ratio":
        if row.denominator is None or row.denominator <= 0 or row.numerator is None:
            return False, "nothing to divide by"
        return True, ""
    if row.value is None:
        return False, "no value"
    return True, ""


def kpi_chart(
    rows, pres: KpiPresentation, options: ChartOptions, *, grain: str, target: float | None = None
) -> KpiChart:
    """The SPC chart of one stored series (rows ordered by period); never raises for bad data:
    an unusable series comes back with ``error`` set and no points."""
    options = options.check(pres)
    target = options.target if options.target is not None else target
    chart = KpiChart(pres, options, grain, None, target=target)
    used = []
    for row in rows:
        ok, why = _usable(row, pres)
        if ok:
            used.append(row)
        else:
            chart.left_out.append(f"{period_label(row.period, grain)} ({why})")
    if len(used) < 2:
        chart.error = "Not enough data for a chart yet: at least 2 periods with a value are needed."
        return chart
    ratio = pres.shape == "ratio"
    scale = pres.scale if ratio else 1.0
    y = [r.numerator if ratio else r.value for r in used]
    n = [r.denominator for r in used] if ratio and options.chart != "c" else None
    try:
        result = spc(
            y,
            [r.period.isoformat() for r in used],
            n,
            chart=options.chart,
            freeze=options.freeze,
            parts=list(options.parts),
            exclude=list(options.exclude),
            screen_mr=options.screen_mr,
            rules=options.rules,
            improvement=options.improvement,
            target=None if target is None else target / scale,
        )
    except SpcInputError as exc:
        where = ""
        if exc.row is not None and 0 <= exc.row < len(used):
            where = f" ({period_label(used[exc.row].period, grain)})"
        chart.error = f"This chart cannot be drawn for these data{where}: {exc}."
        return chart
    chart.result = result
    categories = _categories(result)
    for k, (row, point) in enumerate(zip(used, result.points, strict=True)):
        chart.points.append(
            ChartPoint(
                period=row.period,
                label=period_label(row.period, grain),
                value=_scaled(point.y, scale),
                numerator=row.numerator,
                denominator=row.denominator,
                cl=_scaled(point.cl, scale),
                lcl=_scaled(point.lcl, scale),
                ucl=_scaled(point.ucl, scale),
                part=point.part,
                baseline=point.baseline,
                included=point.included,
                sigma_signal=point.sigma_signal,
                special_cause=point.special_cause,
                category=categories[k],
            )
        )
    chart.signals = [_sentence(signal, chart, result) for signal in result.signals]
    chart.signal_spans = [(signal.first, signal.last) for signal in result.signals]
    return chart


def _categories(result: SpcResult) -> list[str]:
    out = []
    flagged_runs: set[int] = set()
    for signal in result.signals:
        if signal.kind == "long_run":
            flagged_runs.update(range(signal.first, signal.last + 1))
    for k, point in enumerate(result.points):
        cause = point.special_cause
        if cause == "special_cause_improvement":
            out.append("improvement")
        elif cause == "special_cause_concern":
            out.append("concern")
        elif cause and cause.startswith("special_cause_neutral"):
            out.append("neutral")
        elif result.rules == "anhoej" and point.sigma_signal:
            out.append("outside limits")
        elif k in flagged_runs:
            out.append("unusual run")
        else:
            out.append("common cause")
    return out


def _fmt(value: float | None, pres: KpiPresentation) -> str:
    if value is None:
        return "n/a"
    text = f"{value:,.{pres.decimals}f}"
    return text + (" %" if pres.unit_of_measure == "%" else f" {pres.unit_of_measure}")


def _span(chart: KpiChart, first: int, last: int) -> str:
    if first == last:
        return f"in {chart.points[first].label}"
    return f"from {chart.points[first].label} to {chart.points[last].label}"


def _sentence(signal, chart: KpiChart, result: SpcResult) -> str:
    """One signal in plain words with month names and the KPI's unit (the engine's own sentences
    print raw keys and proportions, which read badly on a board paper)."""
    pts, pres = chart.points, chart.pres
    count = signal.last - signal.first + 1
    span = _span(chart, signal.first, signal.last)
    verdict = signal.verdict
    p = pts[signal.first]
    high = result.points[signal.first].direction > 0 if result.rules == "mdc" else None
    if signal.kind == "outside_limits":
        if result.rules == "anhoej":
            above = p.ucl is not None and p.value is not None and p.value > p.ucl
            limit = p.ucl if above else p.lcl
            word = "above the upper" if above else "below the lower"
            return (
                f"{p.label}: {_fmt(p.value, pres)} is {word} control limit ({_fmt(limit, pres)}): {verdict}."
            )
        word = "above the upper" if high else "below the lower"
        if count == 1:
            return f"{p.label}: {_fmt(p.value, pres)} is {word} process limit: {verdict}."
        return f"{count} points {span} are {word} process limit: {verdict}."
    if signal.kind == "long_run":
        part = result.parts[signal.part - 1]
        side = "above" if (p.value or 0) > (p.cl or 0) else "below"
        return (
            f"{count} points in a row {side} the centre line {span} (more than {part.longest_run_max} is "
            f"unusual for {part.n_useful} points): {verdict}, a shift in the process."
        )
    if signal.kind == "few_crossings":
        part = result.parts[signal.part - 1]
        return (
            f"The data cross the centre line only {part.n_crossings} times {span} (fewer than "
            f"{part.n_crossings_min} is unusual for {part.n_useful} points): {verdict}, the process is not "
            "stable around its centre."
        )
    if signal.kind == "trend":
        return f"{count} points in a row {'increasing' if high else 'decreasing'} {span}: {verdict}."
    if signal.kind == "two_of_three":
        return f"2 of 3 points close to the {'upper' if high else 'lower'} process limit {span}: {verdict}."
    if signal.kind == "shift":
        return f"{count} points {'above' if high else 'below'} the mean {span}: {verdict}."
    return signal.text
