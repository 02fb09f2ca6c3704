"""Result types of the SPC engine and their contract JSON.

Public API:

- ``SpcPoint``: one plotted point (``x``, ``y``, ``cl``, ``lcl``, ``ucl``, ``part``,
  ``baseline``, ``included``, ``sigma_signal``, ``special_cause``) plus, under the MDC rules,
  the ``rule`` that fired (``outside_limits``, ``trend``, ``two_of_three``, ``shift``), its
  ``direction`` (+1 high/increasing, −1 low/decreasing) and the near-limit lines
  ``near_lcl``/``near_ucl``; ``rows`` = the input rows (0-based) aggregated into the point.
- ``SpcPart``: the runs analysis of one part.
- ``Signal``: one explained signal: ``kind``, ``part``, ``first``/``last`` point index (0-based),
  ``x_first``/``x_last``, ``verdict`` and ``text`` (plain words for a dashboard).
- ``SpcResult``: ``chart``, ``rules``, ``points``, ``parts``, ``variation_icon``,
  ``assurance_icon``, ``signals``; ``to_dict()`` gives the CLI's ``--json`` document (undefined
  numbers are None, never NaN), ``to_dict(extended=True)`` adds the MDC details, input rows and
  signals for dashboards; ``explain()`` lists the signals' texts.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np


def finite_or_none(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def key_to_json(key: object) -> object:
    """A subgroup key as a JSON value: text and numbers as they are, dates in ISO 8601."""
    if key is None or isinstance(key, (str, bool, int)) and not isinstance(key, np.integer):
        return key
    if isinstance(key, (dt.date, dt.datetime)):
        return key.isoformat()
    if isinstance(key, np.integer):
        return int(key)
    if isinstance(key, (np.floating, float)):
        return finite_or_none(float(key))
    return str(key)  # e.g. numpy datetime64: its text form is ISO 8601


@dataclass(slots=True)  # not frozen: a frozen init is markedly slower on a 10,000-point chart
class SpcPoint:
    x: object
    y: float | None
    cl: float | None
    lcl: float | None
    ucl: float | None
    part: int
    baseline: bool
    included: bool
    sigma_signal: bool
    special_cause: str | None = None
    rule: str | None = None
    direction: int = 0
    near_lcl: float | None = None
    near_ucl: float | None = None
    rows: tuple[int, ...] = ()

    def to_dict(self, extended: bool = False) -> dict[str, object]:
        document: dict[str, object] = {
            "x": key_to_json(self.x),
            "y": self.y,
            "cl": self.cl,
            "lcl": self.lcl,
            "ucl": self.ucl,
            "part": self.part,
            "baseline": self.baseline,
            "included": self.included,
            "sigma_signal": self.sigma_signal,
            "special_cause": self.special_cause,
        }
        if extended:
            document.update(
                rule=self.rule,
                direction=self.direction,
                near_lcl=self.near_lcl,
                near_ucl=self.near_ucl,
                rows=list(self.rows),
            )
        return document


@dataclass(frozen=True)
class SpcPart:
    part: int
    n_useful: int | None
    longest_run: int | None
    longest_run_max: int | None
    n_crossings: int | None
    n_crossings_min: int | None
    runs_signal: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "part": self.part,
            "n_useful": self.n_useful,
            "longest_run": self.longest_run,
            "longest_run_max": self.longest_run_max,
            "n_crossings": self.n_crossings,
            "n_crossings_min": self.n_crossings_min,
            "runs_signal": self.runs_signal,
        }


@dataclass(frozen=True)
class Signal:
    kind: str  # outside_limits, long_run, few_crossings (Anhøj); outside_limits, trend, two_of_three, shift (MDC)
    part: int
    first: int
    last: int
    x_first: object
    x_last: object
    verdict: (
        str  # "special cause", or with MDC "special cause, improvement" / "..., concern" / "..., neutral"
    )
    text: str

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "part": self.part,
            "first": self.first,
            "last": self.last,
            "x_first": key_to_json(self.x_first),
            "x_last": key_to_json(self.x_last),
            "verdict": self.verdict,
            "text": self.text,
        }


@dataclass(frozen=True)
class SpcResult:
    chart: str
    rules: str
    points: list[SpcPoint]
    parts: list[SpcPart]
    variation_icon: str | None = None
    assurance_icon: str | None = None
    signals: list[Signal] = field(default_factory=list)

    def to_dict(self, extended: bool = False) -> dict[str, object]:
        """The contract document; ``extended`` adds each point's MDC rule, direction, near-limit
        lines and input rows, and the explained ``signals`` (for dashboards)."""
        document: dict[str, object] = {
            "chart": self.chart,
            "rules": self.rules,
            "points": [p.to_dict(extended) for p in self.points],
            "parts": [p.to_dict() for p in self.parts],
            "variation_icon": self.variation_icon,
            "assurance_icon": self.assurance_icon,
        }
        if extended:
            document["signals"] = [signal.to_dict() for signal in self.signals]
        return document

    def explain(self) -> list[str]:
        return [signal.text for signal in self.signals]
