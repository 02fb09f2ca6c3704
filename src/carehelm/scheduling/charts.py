"""Vega-Lite specs for the explanation page (rendered by vega-embed, see web/chart.html)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from carehelm.web.charts import to_json


def fairness_distribution(rows: list[dict]) -> str:
    """How many people work how many nights / weekends: one bar chart per measure."""
    df = pd.DataFrame(rows or [{"measure": "Nights", "count": 0}])
    # Grouped bars (x offset by measure) rather than a facet: the page sizes charts to their container,
    # which Vega-Lite does not do for faceted charts.
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("count:O", title="Nights / weekends worked in the period"),
            xOffset=alt.XOffset("measure:N"),
            y=alt.Y("count():Q", title="Staff"),
            color=alt.Color(
                "measure:N",
                title=None,
                scale=alt.Scale(range=["#2457a6", "#c98a00"]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("measure:N"),
                alt.Tooltip("count:O", title="worked"),
                alt.Tooltip("count():Q", title="staff"),
            ],
        )
        .properties(width="container", height=200)
    )
    return to_json(chart)
