"""Fixtures of the quality tests: a small hand-made month of activity and stored KPI series.

The activity (``hand_frames``) is the KPI engine's input for the world's hospital (code ``rgh``):

    E1  P1 inpatient  ICU Jan 1 10:00 -> MS4 Jan 2 10:00 -> discharged Jan 3 10:00, home
    E2  P1 inpatient  MS4 Jan 20 08:00 -> Jan 25 08:00, home     (readmission 17 days after E1)
    E3  P2 inpatient  MS4 Jan 5 12:00 -> Jan 8 12:00, died       (no index admission)
    E4  P3 emergency  ED  Jan 4 10:00 -> 14:00 (240 min), seen
    E5  P4 emergency  ED  Jan 4 11:00 -> 11:30, left without being seen

so January 2024 at the hospital has 3 admissions, 3 discharges, an average length of stay of
(2 + 5 + 3) / 3 days, a readmission rate of 1 / 2 (E3 died), ED LWBS 1 / 2 and ED median 240 min.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

AS_OF = "2024-04-01 00:00"

ENCOUNTERS = [
    ("E1", "P1", "MS4", "inpatient", "2024-01-01 10:00", "2024-01-03 10:00", "home", False),
    ("E2", "P1", "MS4", "inpatient", "2024-01-20 08:00", "2024-01-25 08:00", "home", False),
    ("E3", "P2", "MS4", "inpatient", "2024-01-05 12:00", "2024-01-08 12:00", "died", False),
    ("E4", "P3", "ED", "emergency", "2024-01-04 10:00", "2024-01-04 14:00", "home", False),
    ("E5", "P4", "ED", "emergency", "2024-01-04 11:00", "2024-01-04 11:30", "lwbs", True),
]
STAYS = [
    ("E1", "ICU", "2024-01-01 10:00", "2024-01-02 10:00"),
    ("E1", "MS4", "2024-01-02 10:00", "2024-01-03 10:00"),
    ("E2", "MS4", "2024-01-20 08:00", "2024-01-25 08:00"),
    ("E3", "MS4", "2024-01-05 12:00", "2024-01-08 12:00"),
    ("E4", "ED", "2024-01-04 10:00", "2024-01-04 14:00"),
    ("E5", "ED", "2024-01-04 11:00", "2024-01-04 11:30"),
]


def encounters_frame() -> pd.DataFrame:
    df = pd.DataFrame(
        ENCOUNTERS,
        columns=[
            "encounter_id",
            "patient_id",
            "unit",
            "encounter_class",
            "admit_time",
            "discharge_time",
            "discharge_disposition",
            "left_without_being_seen",
        ],
    )
    df["facility"] = "rgh"
    df["admit_time"] = pd.to_datetime(df["admit_time"])
    df["discharge_time"] = pd.to_datetime(df["discharge_time"])
    return df


def stays_frame() -> pd.DataFrame:
    df = pd.DataFrame(STAYS, columns=["encounter_id", "unit", "start_time", "end_time"])
    df["start_time"] = pd.to_datetime(df["start_time"])
    df["end_time"] = pd.to_datetime(df["end_time"])
    return df


@pytest.fixture
def ed_unit(world):
    from carehelm.organization.models import UnitKind
    from tests import factories as f

    return f.UnitFactory(
        facility=world.hospital,
        name="Emergency Department",
        code="ED",
        kind=UnitKind.EMERGENCY,
        staffed_beds=0,
    )


@pytest.fixture
def hand_frames(world, ed_unit):
    from carehelm.quality.sources import ActivityFrames

    return ActivityFrames(
        encounters_frame(),
        stays_frame(),
        staffed_beds={("rgh", "ICU"): 14, ("rgh", "MS4"): 32},
        unit_ids={("rgh", "ICU"): world.icu.pk, ("rgh", "MS4"): world.medsurg.pk, ("rgh", "ED"): ed_unit.pk},
    )


def add_series(
    *,
    facility,
    unit=None,
    kpi: str,
    values=None,
    numerators=None,
    denominators=None,
    start=dt.date(2023, 1, 1),
    grain: str = "month",
) -> list:
    """Store a KPI series directly (one row per period from ``start``), as a rebuild would."""
    from django.utils import timezone

    from carehelm.quality.models import KpiValue

    count = len(values if values is not None else numerators)
    rows = []
    for k in range(count):
        if grain == "month":
            index = start.year * 12 + start.month - 1 + k
            period = dt.date(index // 12, index % 12 + 1, 1)
        else:
            period = start + dt.timedelta(days=k * (7 if grain == "week" else 1))
        num = numerators[k] if numerators is not None else None
        den = denominators[k] if denominators is not None else None
        value = values[k] if values is not None else (100.0 * num / den if den else None)
        rows.append(
            KpiValue(
                grain=grain,
                period=period,
                facility=facility,
                unit=unit,
                kpi=kpi,
                numerator=num,
                denominator=den,
                value=value,
                computed_at=timezone.now(),
            )
        )
    return KpiValue.objects.bulk_create(rows)
