"""The activity tables export as the KPI engine's DataFrames, with the figures a person counts by hand."""

from __future__ import annotations

import pytest

from carehelm.activity.services import receive_adt
from carehelm.engines.kpi import compute_kpis
from carehelm.quality.sources import activity_frames
from tests.activity.conftest import adt, t

pytestmark = pytest.mark.django_db


def test_one_patients_story_gives_hand_counted_kpis(ward):
    # Admitted to ICU on 2 March 08:00, to MS4 on 3 March 10:00, home on 5 March 10:00.
    # A second visit admitted and cancelled counts nowhere.
    for message in (
        adt("A01", "C1", "V1", t(2, 8)),
        adt("A02", "C2", "V1", t(3, 10), location="MS4^401^A^rgh"),
        adt("A03", "C3", "V1", t(5, 10), location="MS4^401^A^rgh", disposition="01"),
        adt("A01", "C4", "V2", t(2, 9), mrn="MRN2", location="ICU^ICU-02^A^rgh"),
        adt("A11", "C5", "V2", t(2, 10), mrn="MRN2", location="ICU^ICU-02^A^rgh"),
    ):
        assert receive_adt(message).status == "applied"
    frames = activity_frames([ward.hospital.pk])
    encounters, stays = frames.encounters, frames.unit_stays
    assert len(encounters) == 1 and encounters.loc[0, "unit"] == "MS4"  # the unit of discharge
    assert str(encounters.loc[0, "admit_time"]) == "2026-03-02 08:00:00"  # naive wall-clock time
    assert list(stays.sort_values("start_time")["unit"]) == ["ICU", "MS4"]

    rows = compute_kpis(
        encounters,
        stays,
        {("rgh", "ICU"): 14, ("rgh", "MS4"): 32},
        grains=("day",),
        start="2026-03-02",
        end="2026-03-05",
    )

    def value(kpi, unit, day):
        at_unit = rows.unit.isna() if unit is None else rows.unit == unit
        hit = rows[(rows.kpi == kpi) & at_unit & (rows.period == day)]
        return float(hit["value"].iloc[0])

    # Midnight census: in ICU at the midnights closing 2 March; in MS4 at those closing 3 and 4 March.
    assert [value("midnight_census", "ICU", d) for d in ("2026-03-02", "2026-03-03")] == [1, 0]
    assert [value("midnight_census", "MS4", d) for d in ("2026-03-03", "2026-03-04", "2026-03-05")] == [
        1,
        1,
        0,
    ]
    assert value("transfers_in", "MS4", "2026-03-03") == 1
    assert value("admissions", None, "2026-03-02") == 1
    assert value("discharges", None, "2026-03-05") == 1
    assert value("average_length_of_stay", None, "2026-03-05") == pytest.approx(3 + 2 / 24)  # days
