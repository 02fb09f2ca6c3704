"""Charts as Vega-Lite specs built with Altair and rendered in the page by vega-embed (vendored)."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

STATUS_COLOURS = {"Expired": "#b3261e", "Missing": "#e0665c", "Expiring": "#c98a00", "Unverified": "#2457a6", "Valid": "#17683a"}


def to_json(chart: alt.TopLevelMixin) -> str:
    spec = chart.to_dict()
    spec.pop("config", None)
    return json.dumps(spec)


def credential_status_by_unit(rows: list[dict]) -> str:
    """Stacked horizontal bars: one bar per unit, segments by credential status."""
    df = pd.DataFrame(rows or [{"unit": "", "status": "Valid", "count": 0}])
    order = list(STATUS_COLOURS)
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=alt.Y("unit:N", sort="-x", title=None),
            x=alt.X("count:Q", title="Credentials"),
            color=alt.Color("status:N", sort=order, scale=alt.Scale(domain=order, range=list(STATUS_COLOURS.values())),
                            legend=alt.Legend(orient="top", title=None)),
            order=alt.Order("status_rank:Q"),
            tooltip=["unit:N", "status:N", "count:Q"],
        )
        .transform_calculate(status_rank=f"indexof({json.dumps(order)}, datum.status)")
        .properties(width="container", height=max(120, 22 * len({r['unit'] for r in rows} if rows else {1})))
    )
    return to_json(chart)
