"""Vega-Lite specs for the explanation page (rendered by vega-embed, see web/chart.html)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from carehelm.web.charts import to_json


def fairness_distribution(rows: list[dict]) -> str:
    """How many people work how many nights / weekends: one bar chart per measure."""
    df = pd.DataFrame(rows or [{"measure": "Nights", "count": 0}])
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("count:O", title="Worked in the period"),
            y=alt.Y("count():Q", title="Staff"),
            color=alt.Color("measure:N", legend=None, scale=alt.Scale(range=["#2457a6", "#c98a00"])),
            column=alt.Column("measure:N", title=None),
            tooltip=[alt.Tooltip("measure:N"), alt.Tooltip("count:O", title="worked"),
                     alt.Tooltip("count():Q", title="staff")],
        )
        .properties(width=260, height=160)
    )
    return to_json(chart)
