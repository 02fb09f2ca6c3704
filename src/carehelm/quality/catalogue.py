"""How each KPI of the engine is charted: its default SPC chart, the charts that make sense for
it, which way is better, and how its stored numerator/denominator become chart points.

The written definition (numerator, denominator, exclusions, source fields) is the engine's
``KPI_DEFINITIONS``; this module only adds what the dashboards need on top of it.

Public API: ``KpiPresentation``, ``PRESENTATIONS`` (kpi name → presentation, in display order),
``presentation(kpi)`` (raises ``KeyError`` for an unknown kpi), ``HEADLINE_KPIS`` (the board summary),
``CHART_LABELS``.
"""

from __future__ import annotations

from dataclasses import dataclass

from carehelm.engines.kpi import KPI_DEFINITIONS, KpiDefinition

CHART_LABELS = {
    "run": "Run chart (median, Anhøj runs rules)",
    "i": "I chart (XmR: individual values)",
    "p": "P chart (proportion, limits from n)",
    "pp": "P′ chart (Laney: proportion, over-dispersion corrected)",
    "c": "C chart (counts)",
}


@dataclass(frozen=True)
class KpiPresentation:
    kpi: str
    # "ratio": chart numerator/denominator (the point is Σnum/Σden × scale, so the chart's n is the
    # denominator); "value": chart the stored value itself (counts and percentiles).
    shape: str
    default_chart: str
    charts: tuple[str, ...]
    improvement: str  # increase | decrease | neutral (Making Data Count direction)
    scale: float = 1.0  # 100 for a percentage stored as numerator/denominator
    decimals: int = 1

    @property
    def definition(self) -> KpiDefinition:
        return KPI_DEFINITIONS[self.kpi]

    @property
    def title(self) -> str:
        return self.definition.title

    @property
    def unit_of_measure(self) -> str:
        return self.definition.unit_of_measure

    @property
    def better(self) -> str:
        return {"increase": "higher is better", "decrease": "lower is better"}.get(
            self.improvement, "neither"
        )


_COUNT_CHARTS = ("i", "run", "c")
_RATE_CHARTS = ("p", "pp", "i", "run")
_MEASURE_CHARTS = ("i", "run")

_ALL = (
    KpiPresentation("occupancy_pct", "ratio", "i", ("i", "run", "pp", "p"), "neutral", scale=100.0),
    KpiPresentation("average_daily_census", "ratio", "i", _MEASURE_CHARTS, "neutral"),
    KpiPresentation("midnight_census", "value", "i", _COUNT_CHARTS, "neutral", decimals=0),
    KpiPresentation("average_length_of_stay", "ratio", "i", _MEASURE_CHARTS, "decrease", decimals=2),
    KpiPresentation("readmission_rate_30d", "ratio", "p", _RATE_CHARTS, "decrease", scale=100.0),
    KpiPresentation("admissions", "value", "i", _COUNT_CHARTS, "neutral", decimals=0),
    KpiPresentation("discharges", "value", "i", _COUNT_CHARTS, "neutral", decimals=0),
    KpiPresentation("transfers_in", "value", "i", _COUNT_CHARTS, "neutral", decimals=0),
    KpiPresentation("transfers_out", "value", "i", _COUNT_CHARTS, "neutral", decimals=0),
    KpiPresentation("bed_turnover", "ratio", "i", _MEASURE_CHARTS, "neutral", decimals=2),
    KpiPresentation("ed_los_median_minutes", "value", "i", _MEASURE_CHARTS, "decrease", decimals=0),
    KpiPresentation("ed_los_p90_minutes", "value", "i", _MEASURE_CHARTS, "decrease", decimals=0),
    KpiPresentation("ed_lwbs_rate", "ratio", "p", _RATE_CHARTS, "decrease", scale=100.0),
)

PRESENTATIONS: dict[str, KpiPresentation] = {p.kpi: p for p in _ALL if p.kpi in KPI_DEFINITIONS}
# A KPI the engine adds later still gets a plain I chart rather than vanishing from the product.
for _name in KPI_DEFINITIONS:
    PRESENTATIONS.setdefault(_name, KpiPresentation(_name, "value", "i", _MEASURE_CHARTS, "neutral"))

HEADLINE_KPIS = (
    "occupancy_pct",
    "average_length_of_stay",
    "readmission_rate_30d",
    "ed_los_median_minutes",
    "ed_lwbs_rate",
    "admissions",
)


def presentation(kpi: str) -> KpiPresentation:
    return PRESENTATIONS[kpi]
