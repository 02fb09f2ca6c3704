"""Patient-flow simulation (SimPy) of a general hospital: encounters, unit stays and ADT events.

Public API::

    from carehelm.engines.simulation import HospitalConfig, UnitConfig, simulate

    result = simulate(HospitalConfig(days=730, seed=42), on_progress=lambda done, total: ...)
    result.encounters    # DataFrame with the KPI engine's encounter columns
    result.unit_stays    # DataFrame: encounter_id, unit, room, bed, start_time, end_time
    result.adt_events    # list of dicts in message order (see below)
    result.staffed_beds  # {(facility, unit): beds} for occupancy

Each ADT event dict: message_id, sequence (the order things happened: sort by event_time, then
sequence, to apply), trigger (A01 admit, A02 transfer, A03 discharge, A04 register ED visit, A11
cancel admit, A12 cancel transfer, A13 cancel discharge), event_time (EVN-6), message_time (when
the message was sent; a late message has message_time after event_time and comes after later
events), facility, visit_number, patient_id, patient_class (HL7 PV1-2: E, I, O), encounter_class,
unit, room, bed (the location after the event; for A12 the location restored, for A11 the
location vacated), prior_unit/prior_room/prior_bed (A02: where from; A12: the cancelled location).
Cancelled admissions, transfers and discharges are only in the event stream, never in the
encounters. Same config and seed, same output.
"""

from __future__ import annotations

from collections.abc import Callable

from .config import ED, THEATRE, HospitalConfig, UnitConfig
from .model import HospitalModel
from .output import ENCOUNTER_COLUMNS, STAY_COLUMNS, SimulationResult, build_result


def simulate(
    config: HospitalConfig | None = None, on_progress: Callable[[int, int], None] | None = None
) -> SimulationResult:
    """Run the model for ``config.days`` days and return its encounters, stays and ADT stream."""
    config = config or HospitalConfig()
    model = HospitalModel(config)
    model.run(on_progress)
    return build_result(config, model.encounters, model.events, model.rng)


__all__ = [
    "ED",
    "ENCOUNTER_COLUMNS",
    "STAY_COLUMNS",
    "THEATRE",
    "HospitalConfig",
    "SimulationResult",
    "UnitConfig",
    "simulate",
]
