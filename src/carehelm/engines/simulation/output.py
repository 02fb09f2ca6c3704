"""Turning the model's records into the KPI engine's tables and a neutral ADT event stream.

Times leave the model as minutes after ``config.start`` and are rounded to whole seconds here,
once, so a stay's end and the next stay's start stay equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .config import HospitalConfig
from .model import AdtEvent, Encounter

ENCOUNTER_COLUMNS = [
    "encounter_id",
    "patient_id",
    "facility",
    "unit",
    "encounter_class",
    "admit_time",
    "discharge_time",
    "admit_source",
    "discharge_disposition",
    "arrival_time",
    "departure_time",
    "left_without_being_seen",
]
STAY_COLUMNS = ["encounter_id", "unit", "room", "bed", "start_time", "end_time"]


@dataclass
class SimulationResult:
    """What a run produces: ``encounters`` and ``unit_stays`` (the KPI engine's input columns),
    ``adt_events`` (dicts in message order) and ``staffed_beds`` ``{(facility, unit): beds}``."""

    config: HospitalConfig
    encounters: pd.DataFrame
    unit_stays: pd.DataFrame
    adt_events: list[dict] = field(default_factory=list)

    @property
    def staffed_beds(self) -> dict[tuple[str, str], int]:
        return self.config.staffed_beds


def _to_times(start: np.datetime64, minutes: list[float | None]) -> np.ndarray:
    m = np.array([np.nan if v is None else v for v in minutes], dtype=float)
    seconds = np.round(m * 60.0)
    out = np.full(m.shape, np.datetime64("NaT"), dtype="datetime64[s]")
    ok = ~np.isnan(seconds)
    out[ok] = start + seconds[ok].astype(np.int64).astype("timedelta64[s]")
    return out


def build_result(
    config: HospitalConfig, encounters: list[Encounter], events: list[AdtEvent], rng: np.random.Generator
) -> SimulationResult:
    start = np.datetime64(config.start, "s")
    encounters = sorted(encounters, key=lambda e: e.encounter_id)
    enc_df = pd.DataFrame(
        {
            "encounter_id": [e.encounter_id for e in encounters],
            "patient_id": [e.patient_id for e in encounters],
            "facility": config.facility,
            "unit": [e.unit for e in encounters],
            "encounter_class": [e.encounter_class for e in encounters],
            "admit_time": _to_times(start, [e.admit_time for e in encounters]),
            "discharge_time": _to_times(start, [e.discharge_time for e in encounters]),
            "admit_source": [e.admit_source for e in encounters],
            "discharge_disposition": [e.discharge_disposition for e in encounters],
            "arrival_time": _to_times(start, [e.arrival_time for e in encounters]),
            "departure_time": _to_times(start, [e.departure_time for e in encounters]),
            "left_without_being_seen": [e.left_without_being_seen for e in encounters],
        },
        columns=ENCOUNTER_COLUMNS,
    )
    stays = [(e.encounter_id, *s) for e in encounters for s in e.stays]
    stay_df = pd.DataFrame(
        {
            "encounter_id": [s[0] for s in stays],
            "unit": [s[1] for s in stays],
            "room": [s[2] for s in stays],
            "bed": [s[3] for s in stays],
            "start_time": _to_times(start, [s[4] for s in stays]),
            "end_time": _to_times(start, [s[5] for s in stays]),
        },
        columns=STAY_COLUMNS,
    )

    # Happening order: by event time, ties in the order the model emitted them.
    ordered = sorted(events, key=lambda ev: (ev.time, ev.seq))
    event_times = _to_times(start, [ev.time for ev in ordered])
    late = rng.random(len(ordered)) < config.late_message_prob
    delay_s = np.round(rng.uniform(5, config.late_message_max_min, len(ordered)) * 60).astype(np.int64)
    message_times = event_times + np.where(late, delay_s, 0).astype("timedelta64[s]")
    order = sorted(range(len(ordered)), key=lambda i: (message_times[i], i))
    ev_py = event_times.astype(object)  # datetime.datetime values
    msg_py = message_times.astype(object)
    stream = []
    for n, i in enumerate(order, start=1):
        ev = ordered[i]
        stream.append(
            {
                "message_id": f"SIM{n:08d}",
                "sequence": i,
                "trigger": ev.trigger,
                "event_time": ev_py[i],
                "message_time": msg_py[i],
                "facility": config.facility,
                "visit_number": ev.encounter_id,
                "patient_id": ev.patient_id,
                "patient_class": ev.patient_class,
                "encounter_class": ev.encounter_class,
                "unit": ev.unit,
                "room": ev.room,
                "bed": ev.bed,
                "prior_unit": ev.prior_unit,
                "prior_room": ev.prior_room,
                "prior_bed": ev.prior_bed,
            }
        )
    return SimulationResult(config, enc_df, stay_df, stream)
