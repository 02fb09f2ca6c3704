"""Synthetic encounters and unit stays for the KPI benchmark, vectorised with numpy.

``synthetic_activity(n_encounters, seed=7)`` returns ``(encounters, unit_stays, staffed_beds)``
with the KPI engine's columns: three facilities with eight units each, two years of arrivals,
a patient pool a third the size of the encounters (so readmissions happen), lognormal lengths of
stay, one in four bedded encounters transferred once, ED walk-outs, a few dispositions that
exclude an index admission, and encounters still in at the end. Same seed, same data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FACILITIES = ("North", "South", "East")
BED_UNITS = ("ICU", "STEPDOWN", "MED1", "MED2", "SURG", "MATERNITY", "PAEDS")
BEDS = {"ICU": 20, "STEPDOWN": 24, "MED1": 40, "MED2": 40, "SURG": 36, "MATERNITY": 24, "PAEDS": 16}
START = np.datetime64("2023-01-01T00:00:00", "s")
SPAN_DAYS = 730
AS_OF = START + np.timedelta64(SPAN_DAYS, "D")
DISPOSITIONS = np.array(["home", "home_health", "skilled_nursing", "died", "transfer_acute", "left_ama"])
DISPOSITION_P = [0.80, 0.07, 0.06, 0.03, 0.025, 0.015]


def synthetic_activity(n_encounters: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    n = int(n_encounters)
    # Scale the staffed beds with the volume so occupancy stays plausible at any size.
    bed_scale = max(1.0, n / 60_000)
    cls = rng.choice(
        np.array(["emergency", "inpatient", "observation", "outpatient"]), size=n, p=[0.45, 0.35, 0.05, 0.15]
    )
    facility = rng.choice(np.array(FACILITIES), size=n, p=[0.5, 0.3, 0.2])
    patient = rng.integers(0, max(1, n // 3), size=n, dtype=np.int64)
    admit = START + rng.integers(0, SPAN_DAYS * 86400, size=n).astype("timedelta64[s]")

    hours = np.empty(n)
    is_inp, is_obs = cls == "inpatient", cls == "observation"
    is_ed, is_op = cls == "emergency", cls == "outpatient"
    hours[is_inp] = rng.lognormal(np.log(80), 0.8, is_inp.sum())
    hours[is_obs] = rng.lognormal(np.log(18), 0.5, is_obs.sum())
    hours[is_ed] = rng.lognormal(np.log(3.5), 0.6, is_ed.sum())
    hours[is_op] = rng.lognormal(np.log(1.5), 0.4, is_op.sum())
    discharge = admit + (hours * 3600).astype("timedelta64[s]")
    still_in = discharge > AS_OF
    discharge_nat = discharge.copy()
    discharge_nat[still_in] = np.datetime64("NaT")

    bedded = is_inp | is_obs
    first_unit = rng.choice(np.array(BED_UNITS), size=n)
    moved = bedded & (rng.random(n) < 0.25)
    shift = rng.integers(1, len(BED_UNITS), size=n)
    unit_index = {u: i for i, u in enumerate(BED_UNITS)}
    first_idx = np.vectorize(unit_index.get, otypes=[np.int64])(first_unit) if n else np.zeros(0, np.int64)
    second_unit = np.array(BED_UNITS)[(first_idx + shift) % len(BED_UNITS)]
    last_unit = np.where(moved, second_unit, first_unit)
    enc_unit = np.where(bedded, last_unit, np.where(is_ed, "ED", "OPD"))

    disposition = rng.choice(DISPOSITIONS, size=n, p=DISPOSITION_P).astype(object)
    disposition[still_in] = None
    lwbs = is_ed & (rng.random(n) < 0.03)

    encounter_id = np.arange(1, n + 1, dtype=np.int64)
    encounters = pd.DataFrame(
        {
            "encounter_id": encounter_id,
            "patient_id": patient,
            "facility": facility,
            "unit": enc_unit,
            "encounter_class": cls,
            "admit_time": admit,
            "discharge_time": discharge_nat,
            "admit_source": np.where(is_inp & (rng.random(n) < 0.5), "emergency", "referral"),
            "discharge_disposition": disposition,
            "arrival_time": np.where(is_ed, admit, np.datetime64("NaT")).astype("datetime64[s]"),
            "departure_time": np.where(is_ed, discharge_nat, np.datetime64("NaT")).astype("datetime64[s]"),
            "left_without_being_seen": lwbs,
        }
    )

    # Unit stays: one per bedded encounter, split in two at a random point for transfers.
    b_idx = np.flatnonzero(bedded)
    m_idx = np.flatnonzero(moved)
    split = admit[m_idx] + (
        (discharge[m_idx] - admit[m_idx]).astype(np.int64) * rng.uniform(0.2, 0.8, m_idx.size)
    ).astype("timedelta64[s]")
    end_first = discharge_nat[b_idx].copy()
    is_moved_b = moved[b_idx]
    end_first[is_moved_b] = split
    stays = pd.DataFrame(
        {
            "encounter_id": np.concatenate([encounter_id[b_idx], encounter_id[m_idx]]),
            "unit": np.concatenate([first_unit[b_idx], second_unit[m_idx]]),
            "bed": None,
            "start_time": np.concatenate([admit[b_idx], split]),
            "end_time": np.concatenate([end_first, discharge_nat[m_idx]]),
        }
    )
    staffed_beds = {
        (f, u): float(round(b * bed_scale * (0.5 if f == "East" else 1.0)))
        for f in FACILITIES
        for u, b in BEDS.items()
    }
    return encounters, stays, staffed_beds


def date_range_of_synthetic() -> dict[str, str]:
    """start/end/as_of to pass both implementations so they agree on the range."""
    return {
        "start": str(START.astype("datetime64[D]")),
        "end": str((AS_OF - np.timedelta64(1, "D")).astype("datetime64[D]")),
        "as_of": str(AS_OF).replace("T", " "),
    }
