"""A bedded hospital for activity tests, and a builder of small HL7 v2 ADT messages.

The messages are written by hand field by field (PV1-3 = unit^room^bed^facility, PV1-19 = visit
number, EVN-6 = when the event happened), so expected census figures come from the scenario, not
from our code.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

ZONE = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _health_system_zone(settings):
    settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def ward(world):
    """ICU: rooms ICU-01..ICU-04 with one bed A each (14 staffed); MS4: rooms 401..402 with beds A, B."""
    from carehelm.organization.services import add_room_with_beds

    for n in range(1, 5):
        add_room_with_beds(unit=world.icu, room_name=f"ICU-0{n}", bed_labels=["A"])
    for n in (401, 402):
        add_room_with_beds(unit=world.medsurg, room_name=str(n), bed_labels=["A", "B"])
    return world


def t(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=ZONE)


def hl7_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S")


def adt(
    trigger: str,
    control_id: str,
    visit: str,
    at: dt.datetime,
    *,
    location: str = "ICU^ICU-01^A^rgh",
    mrn: str = "MRN1",
    patient_class: str = "I",
    pending: str = "",
    disposition: str = "",
    expected_discharge: dt.datetime | None = None,
    version: str = "2.5.1",
    sent: dt.datetime | None = None,
    admit_source: str = "7",
) -> str:
    """One ADT message, CR-separated."""
    sent = sent or at
    pv1 = (
        [
            "PV1",
            "1",
            patient_class,
            location,
            "",
            "",
            "",
            "",
            "",
            "",
            "MED",
            "",
            "",
            "",
            admit_source,
            "",
            "",
            "",
            "",
            visit + "^^^RGH^VN",
        ]
        + [""] * 16
        + [disposition]
        + [""] * 5
        + [pending]
    )
    pv2 = ["PV2"] + [""] * 8 + [hl7_time(expected_discharge) if expected_discharge else ""]
    segments = [
        f"MSH|^~\\&|ADTSYS|RGH|CAREHELM|RGH|{hl7_time(sent)}||ADT^{trigger}^ADT_A01|{control_id}|P|{version}",
        f"EVN|{trigger}|{hl7_time(sent)}|||||",
        f"PID|1||{mrn}^^^RGH^MR||ZYXWVUTSON^QUIBBLEBERRY||19600101|F|||1 Main St^^Riverbend^NY^12345",
        "|".join(pv1),
        "|".join(pv2),
    ]
    # EVN-6: when the event happened (the ordering key), distinct from when it was sent.
    evn = segments[1].split("|")
    evn[6] = hl7_time(at)
    segments[1] = "|".join(evn)
    return "\r".join(segments) + "\r"
