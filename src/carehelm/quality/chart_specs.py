"""Vega-Lite specs of a ``KpiChart``, for the page (vega-embed) and for PNG exports (vl-convert).

Public API:

- ``spc_spec(chart, *, width="container", height=220, title=None) -> dict``: the layered chart:
  the data line, points coloured by signal (``CATEGORY_COLOURS``), centre line, process/control
  limits (step lines, broken between parts), the target line, and a tooltip per point.
- ``spec_json(spec) -> str`` for ``web/chart.html``.
- ``png(chart, *, width=720, height=260, scale=2) -> bytes`` via vl-convert (no browser).
"""

from __future__ import annotations

import json

from carehelm.quality.control_charts import CATEGORY_COLOURS, KpiChart

INK, LIMIT, CENTRE, TARGET = "#14202b", "#6b7a86", "#33414d", "#17683a"


def _rows(chart: KpiChart) -> list[dict]:
    return [
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


def _line(
    field: str, colour: str, width: float, *, dash: list[int] | None = None, step: bool = False
) -> dict:
    mark: dict = {"type": "line", "color": colour, "strokeWidth": width}
    if dash:
        mark["strokeDash"] = dash
    if step:
        mark["interpolate"] = "step"  # a limit holds for the whole period around its point
    return {
        "mark": mark,
        "encoding": {"y": {"field": field, "type": "quantitative"}, "detail": {"field": "part"}},
    }


def spc_spec(
    chart: KpiChart, *, width: int | str = "container", height: int = 220, title: str | None = None
) -> dict:
    """Written as plain Vega-Lite rather than through Altair: Altair's validation cost ~70 ms per chart,
    most of a twelve-chart dashboard's time."""
    pres = chart.pres
    fmt = f",.{pres.decimals}f"
    rows = _rows(chart)
    x = {
        "field": "period",
        "type": "temporal",
        "title": None,
        "axis": {
            "format": "%b %Y" if chart.grain != "day" else "%d %b %Y",
            "labelAngle": 0,
            "labelOverlap": True,
            "grid": False,
        },
    }
    order = list(CATEGORY_COLOURS)
    present = sorted({r["signal"] for r in rows}, key=order.index)
    data_line = {
        "mark": {"type": "line", "color": "#8aa0b2", "strokeWidth": 1.6},
        "encoding": {
            "y": {
                "field": "value",
                "type": "quantitative",
                "title": pres.unit_of_measure,
                "scale": {"zero": False},
            }
        },
    }
    points = {
        "mark": {"type": "point", "filled": True, "size": 46, "opacity": 1},
        "encoding": {
            "y": {"field": "value", "type": "quantitative"},
            "color": {
                "field": "signal",
                "type": "nominal",
                "scale": {"domain": order, "range": list(CATEGORY_COLOURS.values())},
                "legend": {"orient": "bottom", "title": None, "values": present},
            },
            "shape": {
                "field": "included",
                "type": "nominal",
                "scale": {"domain": ["yes", "no (excluded)"], "range": ["circle", "cross"]},
                "legend": None,
            },
            "tooltip": [
                {"field": "label", "type": "nominal", "title": "Period"},
                {"field": "value", "type": "quantitative", "title": pres.title, "format": fmt},
                {"field": "cl", "type": "quantitative", "title": "Centre line", "format": fmt},
                {"field": "lcl", "type": "quantitative", "title": "Lower limit", "format": fmt},
                {"field": "ucl", "type": "quantitative", "title": "Upper limit", "format": fmt},
                {"field": "n", "type": "quantitative", "title": "n", "format": ",.0f"},
                {"field": "signal", "type": "nominal", "title": "Signal"},
            ],
        },
    }
    layers = [
        data_line,
        _line("ucl", LIMIT, 1, dash=[5, 3], step=True),
        _line("lcl", LIMIT, 1, dash=[5, 3], step=True),
        _line("cl", CENTRE, 1.2),
        points,
    ]
    for layer in layers:
        layer["encoding"]["x"] = x
    if chart.target is not None:
        layers.append(
            {
                "data": {"values": [{"target": chart.target}]},
                "mark": {"type": "rule", "color": TARGET, "strokeDash": [2, 2], "strokeWidth": 1.6},
                "encoding": {
                    "y": {"field": "target", "type": "quantitative"},
                    "tooltip": [
                        {"field": "target", "type": "quantitative", "title": "Target", "format": fmt}
                    ],
                },
            }
        )
    spec: dict = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "data": {"values": rows},
        "width": width,
        "height": height,
        "layer": layers,
        "config": {
            "view": {"stroke": None},
            "font": "DejaVu Sans, sans-serif",
            "axis": {"labelColor": INK, "titleColor": INK},
        },
    }
    if title:
        spec["title"] = title
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
