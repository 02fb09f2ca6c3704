"""Writing HL7 v2 ADT messages from simulated events: the demo's live feed and the benchmark's load.

``compose_adt(...) -> str`` builds one small, valid ADT message (MSH, EVN with EVN-6 = when it
happened, PID with only an MRN, PV1 with PV1-3 location and PV1-19 visit number), CR-separated.
``adt_from_simulation(event, *, facility, place_of=None) -> str`` turns one event dict of
``engines.simulation`` into such a message, naming our units, rooms and beds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

_STRUCTURE = {
    "A01": "ADT_A01",
    "A04": "ADT_A01",
    "A08": "ADT_A01",
    "A02": "ADT_A02",
    "A03": "ADT_A03",
    "A11": "ADT_A09",
    "A12": "ADT_A12",
    "A13": "ADT_A01",
}


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S")


def compose_adt(
    *,
    trigger: str,
    control_id: str,
    visit_number: str,
    mrn: str,
    event_time: datetime,
    message_time: datetime | None = None,
    patient_class: str = "I",
    location: tuple[str, str | None, str | None, str] = ("", None, None, ""),
    disposition: str = "",
    authority: str = "CAREHELM",
    version: str = "2.5.1",
) -> str:
    unit, room, bed, facility = location
    place = "^".join([unit or "", room or "", bed or "", facility or ""]) if unit else ""
    sent = message_time or event_time
    pv1 = ["PV1", "1", patient_class, place] + [""] * 15 + [f"{visit_number}^^^{authority}^VN"]
    if disposition:
        pv1 += [""] * 16 + [disposition]
    return (
        "\r".join(
            [
                f"MSH|^~\\&|SIMADT|{facility}|CAREHELM|{facility}|{_ts(sent)}||ADT^{trigger}^{_STRUCTURE.get(trigger, 'ADT_A01')}"
                f"|{control_id}|P|{version}",
                f"EVN|{trigger}|{_ts(sent)}||||{_ts(event_time)}",
                f"PID|1||{mrn}^^^{authority}^MR",
                "|".join(pv1),
            ]
        )
        + "\r"
    )


def adt_from_simulation(
    event: Mapping,
    *,
    facility: str,
    place_of: Callable[[str, str | None, str | None], tuple] | None = None,
    authority: str = "CAREHELM",
) -> str:
    """One simulated event (``engines.simulation`` ADT dict) as an HL7 message for our facility;
    ``place_of(unit, room, bed)`` maps the model's places to ours (default: the same names)."""
    unit, room, bed = event.get("unit"), event.get("room"), event.get("bed")
    if unit and place_of is not None:
        unit, room, bed = place_of(unit, room, bed)
    return compose_adt(
        trigger=event["trigger"],
        control_id=event["message_id"],
        visit_number=event["visit_number"],
        mrn=event["patient_id"],
        event_time=event["event_time"],
        message_time=event["message_time"],
        patient_class=event.get("patient_class") or "I",
        location=(unit or "", room, bed, facility),
        disposition=event.get("discharge_disposition") or "",
        authority=authority,
    )
