"""Charts as Vega-Lite specs built with Altair and rendered in the page by vega-embed (vendored).

``credential_status_by_unit(rows)`` takes ``[{"unit", "status", "count"}]`` and returns the spec as a
JSON string for ``web/chart.html``. ``STATUS_COLOURS`` maps each status to a colour with at least 3:1
contrast against the white card (WCAG 1.4.11 for graphics); the same order is the stacking order.
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

STATUS_COLOURS = {
    "Expired": "#b3261e",
    "Missing": "#d4574c",
    "Expiring": "#a87200",
    "Unverified": "#2457a6",
    "Valid": "#17683a",
}
BAR_STEP = 26  # pixels per unit row: one bar or twenty, each stays the same readable thickness
FONT = "system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif"


def to_json(chart: alt.TopLevelMixin) -> str:
    spec = chart.to_dict()
    spec.pop("config", None)
    # Our own small config: legible labels in the page's font, no frame around the plot.
    spec["config"] = {
        "font": FONT,
        "axis": {
            "labelFontSize": 12,
            "titleFontSize": 12,
            "titleFontWeight": 600,
            "labelColor": "#14202b",
            "titleColor": "#14202b",
            "gridColor": "#e2e8ed",
            "domainColor": "#9aa7b1",
            "tickColor": "#9aa7b1",
        },
        "legend": {"labelFontSize": 12, "symbolSize": 120, "labelColor": "#14202b"},
        "view": {"stroke": None},
    }
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return json.dumps(spec)


def credential_status_by_unit(rows: list[dict]) -> str:
    """Stacked horizontal bars: one bar per unit, segments by credential status."""
    df = pd.DataFrame(rows or [{"unit": "", "status": "Valid", "count": 0}])
    order = list(STATUS_COLOURS)
    chart = (
        alt.Chart(df)
        .mark_bar(height={"band": 0.75})
        .encode(
            y=alt.Y("unit:N", sort="-x", title=None, axis=alt.Axis(labelLimit=220)),
            x=alt.X("sum(count):Q", title="Credentials", axis=alt.Axis(tickMinStep=1, format="d")),
            color=alt.Color(
                "status:N",
                sort=order,
                scale=alt.Scale(domain=order, range=list(STATUS_COLOURS.values())),
                legend=alt.Legend(orient="top", title=None, direction="horizontal"),
            ),
            order=alt.Order("status_rank:Q"),
            tooltip=[
                alt.Tooltip("unit:N", title="Unit"),
                alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("count:Q", title="Credentials"),
            ],
        )
        .transform_calculate(status_rank=f"indexof({json.dumps(order)}, datum.status)")
        .properties(width="container", height=alt.Step(BAR_STEP))
    )
    return to_json(chart)
