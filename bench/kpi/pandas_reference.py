"""A straightforward pandas implementation of the KPI set, for comparison with the DuckDB engine.

It implements the definitions of ``carehelm.engines.kpi.definitions`` with ordinary vectorised
pandas (groupby, merge, merge_asof, cumsum): the same algorithm a competent analyst would write,
not a deliberately slow one. ``bench_kpi.py`` times it against the engine, and
``tests/engines/kpi/test_kpi_pandas_agreement.py`` checks that both give the same rows.

    compute_kpis_pandas(encounters, unit_stays, staffed_beds, start=..., end=..., as_of=...,
                        grains=("day", "week", "month")) -> DataFrame (same columns as the engine)

Inputs are DataFrames with the engine's column names and already-typed datetime columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from carehelm.engines.kpi.definitions import (
    BEDDED_CLASSES,
    INDEX_EXCLUDED_DISPOSITIONS,
    READMISSION_WINDOW_DAYS,
)
from carehelm.engines.kpi.engine import RESULT_COLUMNS

DAY = pd.Timedelta(days=1)
KEYS = ["facility", "unit", "day"]
# Stands for "no unit" while grouping, since groupby drops missing keys.
FACILITY_LEVEL = "<facility>"


def _period(day: pd.Series, grain: str) -> pd.Series:
    if grain == "day":
        return day
    if grain == "week":
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    return day.dt.to_period("M").dt.start_time


def _prepare(enc: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "encounter_id": enc["encounter_id"],
            "patient_id": enc["patient_id"],
            "facility": enc["facility"].astype(str),
            "unit": enc["unit"].astype(str),
            "cls": enc["encounter_class"].str.strip().str.lower(),
            "admit_time": pd.to_datetime(enc["admit_time"]),
            "discharge_time": pd.to_datetime(enc["discharge_time"]),
        }
    )
    disp = (
        enc["discharge_disposition"] if "discharge_disposition" in enc else pd.Series(None, index=enc.index)
    )
    out["disposition"] = disp.astype(object).where(disp.notna(), "").astype(str).str.strip().str.lower()
    arrival = pd.to_datetime(enc["arrival_time"]) if "arrival_time" in enc else out["admit_time"]
    departure = pd.to_datetime(enc["departure_time"]) if "departure_time" in enc else out["discharge_time"]
    out["arrival_time"] = arrival.fillna(out["admit_time"])
    out["departure_time"] = departure.fillna(out["discharge_time"])
    lwbs = enc["left_without_being_seen"] if "left_without_being_seen" in enc else False
    out["lwbs"] = pd.Series(lwbs, index=enc.index).fillna(False).astype(bool)
    return out


def compute_kpis_pandas(
    encounters: pd.DataFrame,
    unit_stays: pd.DataFrame,
    staffed_beds: Mapping[tuple[str, str], float] | None,
    *,
    start: str,
    end: str,
    as_of: str,
    grains: Iterable[str] = ("day", "week", "month"),
) -> pd.DataFrame:
    start_d, end_d, as_of_ts = pd.Timestamp(start), pd.Timestamp(end), pd.Timestamp(as_of)
    enc = _prepare(encounters)
    stays = unit_stays[["encounter_id", "unit", "start_time", "end_time"]].copy()
    stays["unit"] = stays["unit"].astype(str)
    stays["start_time"] = pd.to_datetime(stays["start_time"])
    stays["end_time"] = pd.to_datetime(stays["end_time"])
    bstays = stays.merge(enc[["encounter_id", "facility", "cls"]], on="encounter_id")
    bstays = bstays[bstays["cls"].isin(BEDDED_CLASSES)]

    def in_range(day: pd.Series) -> pd.Series:
        return (day >= start_d) & (day <= end_d)

    # Census: +1 on the first census day of a stay, -1 after its last, running sum per unit.
    first = bstays["start_time"].dt.normalize()
    last = (bstays["end_time"].dt.normalize() - DAY).fillna(end_d)
    keep = (first <= last) & (last >= start_d) & (first <= end_d)
    f, lst, b = first[keep].clip(lower=start_d), last[keep].clip(upper=end_d), bstays[keep]
    plus = pd.DataFrame({"facility": b["facility"], "unit": b["unit"], "day": f, "delta": 1})
    minus = pd.DataFrame({"facility": b["facility"], "unit": b["unit"], "day": lst + DAY, "delta": -1})
    minus = minus[lst < end_d]
    census_delta = pd.concat([plus, minus]).groupby(KEYS)["delta"].sum()

    # Transfers and admitting unit from the ordered unit stays of each encounter.
    seq = bstays.sort_values(["encounter_id", "start_time", "end_time", "unit"])
    seq = seq.assign(
        prev_unit=seq.groupby("encounter_id")["unit"].shift(), seq=seq.groupby("encounter_id").cumcount()
    )
    moved = seq[seq["prev_unit"].notna() & (seq["prev_unit"] != seq["unit"])]
    moved_day = moved["start_time"].dt.normalize()
    moved, moved_day = moved[in_range(moved_day)], moved_day[in_range(moved_day)]
    t_in = moved.assign(day=moved_day).groupby(KEYS).size().rename("transfers_in")
    t_out = moved.assign(day=moved_day, unit=moved["prev_unit"]).groupby(KEYS).size().rename("transfers_out")

    inp = enc[enc["cls"] == "inpatient"]
    admitting = seq.loc[seq["seq"] == 0, ["encounter_id", "unit"]].rename(columns={"unit": "first_unit"})
    adm = inp.merge(admitting, on="encounter_id", how="left")
    adm = adm.assign(unit=adm["first_unit"].fillna(adm["unit"]), day=adm["admit_time"].dt.normalize())
    admissions = adm[in_range(adm["day"])].groupby(KEYS).size().rename("admissions")

    dis = inp[inp["discharge_time"].notna()]
    dis = dis.assign(
        day=dis["discharge_time"].dt.normalize(),
        los=(dis["discharge_time"] - dis["admit_time"]).dt.total_seconds() / 86400.0,
    )
    dis = dis[in_range(dis["day"])]
    discharges = dis.groupby(KEYS).agg(discharges=("los", "size"), los_days=("los", "sum"))

    window = pd.Timedelta(days=READMISSION_WINDOW_DAYS)
    idx = dis[
        ~dis["disposition"].isin(INDEX_EXCLUDED_DISPOSITIONS) & (dis["discharge_time"] + window <= as_of_ts)
    ]
    nxt = pd.merge_asof(
        idx.sort_values("discharge_time"),
        inp[["patient_id", "admit_time"]]
        .rename(columns={"admit_time": "next_admit"})
        .sort_values("next_admit"),
        left_on="discharge_time",
        right_on="next_admit",
        by="patient_id",
        direction="forward",
        allow_exact_matches=False,
    )
    nxt["readmitted"] = nxt["next_admit"].notna() & (nxt["next_admit"] <= nxt["discharge_time"] + window)
    readm = nxt.groupby(KEYS).agg(index_n=("readmitted", "size"), readmit_n=("readmitted", "sum"))

    ed = enc[enc["cls"] == "emergency"]
    ed = ed.assign(day=ed["arrival_time"].dt.normalize())
    ed = ed[in_range(ed["day"])]
    ed_counts = ed.groupby(KEYS).agg(ed_arrivals=("lwbs", "size"), ed_lwbs=("lwbs", "sum"))

    # Units and their KPI families, from all the data.
    beds = pd.Series(dict(staffed_beds or {}), dtype=float)
    unit_rows = pd.concat(
        [
            bstays[["facility", "unit"]].drop_duplicates().assign(bedded=True, emergency=False),
            enc.loc[enc["cls"] == "inpatient", ["facility", "unit"]]
            .drop_duplicates()
            .assign(bedded=True, emergency=False),
            enc.loc[enc["cls"] == "emergency", ["facility", "unit"]]
            .drop_duplicates()
            .assign(bedded=False, emergency=True),
            pd.DataFrame(
                {
                    "facility": [k[0] for k in beds.index],
                    "unit": [k[1] for k in beds.index],
                    "bedded": True,
                    "emergency": False,
                }
            ),
        ]
    )
    units = unit_rows.groupby(["facility", "unit"]).agg(
        bedded=("bedded", "any"), emergency=("emergency", "any")
    )
    units["beds"] = [float(beds.get((fa, un), 0.0)) for fa, un in units.index]

    days = pd.date_range(start_d, end_d, freq="D")
    grid = pd.MultiIndex.from_tuples([(fa, un, d) for fa, un in units.index for d in days], names=KEYS)
    daily = pd.DataFrame(index=grid)
    daily["delta"] = census_delta.reindex(grid, fill_value=0)
    daily["census"] = daily.groupby(level=["facility", "unit"])["delta"].cumsum()
    for part in (admissions, discharges, t_in, t_out, readm, ed_counts):
        daily = daily.join(part)
    daily = daily.fillna(0).reset_index()
    daily = daily.merge(units.reset_index(), on=["facility", "unit"])
    has_beds = daily["beds"] > 0

    unit_level = pd.DataFrame(
        {
            "facility": daily["facility"],
            "unit": daily["unit"],
            "day": daily["day"],
            "bedded": daily["bedded"],
            "emergency": daily["emergency"],
            "has_beds": has_beds,
            "patient_days": daily["census"],
            "occ_days": daily["census"].where(has_beds, 0),
            "bed_days": daily["beds"],
            "admissions": daily["admissions"],
            "discharges": daily["discharges"],
            "los_days": daily["los_days"],
            "transfers_in": daily["transfers_in"],
            "transfers_out": daily["transfers_out"],
            "index_n": daily["index_n"],
            "readmit_n": daily["readmit_n"],
            "ed_arrivals": daily["ed_arrivals"],
            "ed_lwbs": daily["ed_lwbs"],
            "turnover_n": (daily["discharges"] + daily["transfers_out"]).where(has_beds, 0),
        }
    )
    fac_source = unit_level.assign(fac_turnover=daily["discharges"].where(has_beds, 0))
    sums = [
        "patient_days",
        "occ_days",
        "bed_days",
        "admissions",
        "discharges",
        "los_days",
        "transfers_in",
        "transfers_out",
        "index_n",
        "readmit_n",
        "ed_arrivals",
        "ed_lwbs",
        "fac_turnover",
    ]
    fac_level = (
        fac_source.groupby(["facility", "day"])
        .agg({**{c: "sum" for c in sums}, "bedded": "any", "emergency": "any", "has_beds": "any"})
        .reset_index()
    )
    fac_level = fac_level.assign(unit=None, turnover_n=fac_level["fac_turnover"]).drop(columns="fac_turnover")

    rows = []
    for grain in grains:
        for level_df in (fac_level, unit_level):
            lv = level_df.assign(
                period=_period(level_df["day"], grain), unit=level_df["unit"].fillna(FACILITY_LEVEL)
            )
            agg = (
                lv.groupby(["period", "facility", "unit"])
                .agg(
                    days=("day", "size"),
                    **{c: (c, "sum") for c in sums if c != "fac_turnover"},
                    turnover_n=("turnover_n", "sum"),
                    bedded=("bedded", "any"),
                    emergency=("emergency", "any"),
                    has_beds=("has_beds", "any"),
                )
                .reset_index()
            )
            rows.append(_kpi_rows(agg, grain))
        rows.append(_ed_stat_rows(ed, grain))
    out = pd.concat(rows, ignore_index=True)
    out["unit"] = out["unit"].astype(object)
    out.loc[out["unit"].isna() | (out["unit"] == FACILITY_LEVEL), "unit"] = None
    out["period"] = out["period"].dt.strftime("%Y-%m-%d")
    out["grain_order"] = out["grain"].map({"day": 0, "week": 1, "month": 2})
    out = out.sort_values(["grain_order", "kpi", "facility", "unit", "period"], na_position="first")
    return out[RESULT_COLUMNS].reset_index(drop=True)


def _ratio(num: pd.Series, den: pd.Series, scale: float = 1.0) -> pd.Series:
    den = den.astype(float)
    return (scale * num.astype(float) / den.where(den > 0)).astype(float)


def _kpi_rows(agg: pd.DataFrame, grain: str) -> pd.DataFrame:
    nan = pd.Series(np.nan, index=agg.index)
    avg_beds = agg["bed_days"] / agg["days"]
    table = {
        "midnight_census": (agg["patient_days"], nan, agg["patient_days"], agg["bedded"] & (grain == "day")),
        "average_daily_census": (
            agg["patient_days"],
            agg["days"],
            _ratio(agg["patient_days"], agg["days"]),
            agg["bedded"],
        ),
        "occupancy_pct": (
            agg["occ_days"],
            agg["bed_days"],
            _ratio(agg["occ_days"], agg["bed_days"], 100.0),
            agg["has_beds"],
        ),
        "admissions": (agg["admissions"], nan, agg["admissions"], agg["bedded"]),
        "discharges": (agg["discharges"], nan, agg["discharges"], agg["bedded"]),
        "transfers_in": (agg["transfers_in"], nan, agg["transfers_in"], agg["bedded"]),
        "transfers_out": (agg["transfers_out"], nan, agg["transfers_out"], agg["bedded"]),
        "average_length_of_stay": (
            agg["los_days"],
            agg["discharges"],
            _ratio(agg["los_days"], agg["discharges"]),
            agg["bedded"],
        ),
        "readmission_rate_30d": (
            agg["readmit_n"],
            agg["index_n"],
            _ratio(agg["readmit_n"], agg["index_n"], 100.0),
            agg["bedded"],
        ),
        "ed_lwbs_rate": (
            agg["ed_lwbs"],
            agg["ed_arrivals"],
            _ratio(agg["ed_lwbs"], agg["ed_arrivals"], 100.0),
            agg["emergency"],
        ),
        "bed_turnover": (agg["turnover_n"], avg_beds, _ratio(agg["turnover_n"], avg_beds), agg["has_beds"]),
    }
    parts = []
    for kpi, (num, den, value, cond) in table.items():
        cond = pd.Series(cond, index=agg.index).astype(bool)
        parts.append(
            pd.DataFrame(
                {
                    "grain": grain,
                    "period": agg["period"],
                    "facility": agg["facility"],
                    "unit": agg["unit"],
                    "kpi": kpi,
                    "numerator": num.astype(float),
                    "denominator": den.astype(float),
                    "value": value.astype(float),
                }
            )[cond]
        )
    return pd.concat(parts)


def _ed_stat_rows(ed: pd.DataFrame, grain: str) -> pd.DataFrame:
    seen = ed[~ed["lwbs"] & ed["departure_time"].notna()]
    seen = seen.assign(
        period=_period(seen["day"], grain),
        los=(seen["departure_time"] - seen["arrival_time"]).dt.total_seconds() / 60.0,
    )
    parts = []
    for keys, unit in ((["period", "facility"], None), (["period", "facility", "unit"], "unit")):
        g = seen.groupby(keys)["los"]
        stats = pd.DataFrame({"n": g.size(), "median": g.quantile(0.5), "p90": g.quantile(0.9)}).reset_index()
        if unit is None:
            stats["unit"] = FACILITY_LEVEL
        for kpi, col in (("ed_los_median_minutes", "median"), ("ed_los_p90_minutes", "p90")):
            parts.append(
                pd.DataFrame(
                    {
                        "grain": grain,
                        "period": stats["period"],
                        "facility": stats["facility"],
                        "unit": stats["unit"],
                        "kpi": kpi,
                        "numerator": np.nan,
                        "denominator": stats["n"].astype(float),
                        "value": stats[col].astype(float),
                    }
                )
            )
    return pd.concat(parts)
