"""Vega-Lite specs (built with Altair) of a ``KpiChart``, for the page and for PNG exports.

Public API:

- ``spc_spec(chart, *, width="container", height=220, title=None) -> dict``: the layered chart:
  the data line, points coloured by signal (``CATEGORY_COLOURS``), centre line, process/control
  limits (step lines, broken between parts), the target line, and a tooltip per point.
- ``spec_json(spec) -> str`` for ``web/chart.html``.
- ``png(chart, *, width=720, height=260, scale=2) -> bytes`` via vl-convert (no browser).
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from carehelm.quality.control_charts import CATEGORY_COLOURS, KpiChart

INK, LIMIT, CENTRE, TARGET = "#14202b", "#6b7a86", "#33414d", "#17683a"


def _frame(chart: KpiChart) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "period": p.period.isoformat(),
                "label": p.label,
                "value": p.value,
                "cl": p.cl,
                "lcl": p.lcl,
                "ucl": p.ucl,
                "part": p.part,
                "signal": p.category,
                "included": "yes" if p.included else "no (excluded)",
                "n": p.denominator,
            }
            for p in chart.points
        ]
    )


def spc_spec(
    chart: KpiChart, *, width: int | str = "container", height: int = 220, title: str | None = None
) -> dict:
    df = _frame(chart)
    pres = chart.pres
    fmt = f",.{pres.decimals}f"
    unit = pres.unit_of_measure
    x = alt.X(
        "period:T",
        title=None,
        axis=alt.Axis(
            format="%b %Y" if chart.grain != "day" else "%d %b %Y",
            labelAngle=0,
            labelOverlap=True,
            grid=False,
        ),
    )
    base = alt.Chart(df)
    line = base.mark_line(color="#8aa0b2", strokeWidth=1.6).encode(
        x=x, y=alt.Y("value:Q", title=unit, scale=alt.Scale(zero=False))
    )
    centre = base.mark_line(color=CENTRE, strokeWidth=1.2).encode(x=x, y="cl:Q", detail="part:N")
    upper = base.mark_line(color=LIMIT, strokeDash=[5, 3], interpolate="step", strokeWidth=1).encode(
        x=x, y="ucl:Q", detail="part:N"
    )
    lower = base.mark_line(color=LIMIT, strokeDash=[5, 3], interpolate="step", strokeWidth=1).encode(
        x=x, y="lcl:Q", detail="part:N"
    )
    order = list(CATEGORY_COLOURS)
    points = base.mark_point(filled=True, size=46, opacity=1).encode(
        x=x,
        y="value:Q",
        color=alt.Color(
            "signal:N",
            scale=alt.Scale(domain=order, range=list(CATEGORY_COLOURS.values())),
            legend=alt.Legend(orient="bottom", title=None, values=sorted(set(df["signal"]), key=order.index)),
        ),
        shape=alt.Shape(
            "included:N",
            scale=alt.Scale(domain=["yes", "no (excluded)"], range=["circle", "cross"]),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("label:N", title="Period"),
            alt.Tooltip("value:Q", title=pres.title, format=fmt),
            alt.Tooltip("cl:Q", title="Centre line", format=fmt),
            alt.Tooltip("lcl:Q", title="Lower limit", format=fmt),
            alt.Tooltip("ucl:Q", title="Upper limit", format=fmt),
            alt.Tooltip("n:Q", title="n", format=",.0f"),
            alt.Tooltip("signal:N", title="Signal"),
        ],
    )
    layers = [line, upper, lower, centre, points]
    if chart.target is not None:
        layers.append(
            alt.Chart(pd.DataFrame({"target": [chart.target]}))
            .mark_rule(color=TARGET, strokeDash=[2, 2], strokeWidth=1.6)
            .encode(y="target:Q", tooltip=[alt.Tooltip("target:Q", title="Target", format=fmt)])
        )
    layered = alt.layer(*layers).properties(width=width, height=height)
    if title:
        layered = layered.properties(title=title)
    spec = layered.to_dict()
    spec.pop("config", None)
    spec["config"] = {
        "view": {"stroke": None},
        "font": "DejaVu Sans, sans-serif",
        "axis": {"labelColor": INK, "titleColor": INK},
    }
    return spec


def spec_json(spec: dict) -> str:
    # Escape "</" so a period label can never close the <script> tag the spec sits in.
    return json.dumps(spec).replace("</", "<\\/")


def png(
    chart: KpiChart, *, width: int = 720, height: int = 260, scale: float = 2, title: str | None = None
) -> bytes:
    import vl_convert

    spec = spc_spec(chart, width=width, height=height, title=title)
    spec["background"] = "white"
    return vl_convert.vegalite_to_png(spec, scale=scale)
