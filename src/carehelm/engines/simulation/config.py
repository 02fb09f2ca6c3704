"""The configurable shape of the simulated hospital: units, beds, arrivals and pathways.

``HospitalConfig()`` is a 250-bed general hospital (ICU, step-down, two medical wards, surgery,
maternity, paediatrics; an emergency department and six theatres that are not counted as beds).
Every figure is a plain field so a what-if run changes one number and keeps the rest.
Lengths of stay are lognormal, given by their median (hours) and the sigma of log-hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

ED, THEATRE = "ED", "THEATRE"


@dataclass(frozen=True)
class UnitConfig:
    name: str
    kind: str  # ed | icu | stepdown | ward | maternity | paediatrics | theatre
    beds: int  # staffed beds (theatres: operating rooms); 0 for the ED (not bed-limited here)
    los_median_hours: float = 0.0
    los_sigma: float = 0.0
    beds_per_room: int = 1


def _default_units() -> tuple[UnitConfig, ...]:
    return (
        UnitConfig(ED, "ed", 0),
        UnitConfig("ICU", "icu", 22, 54, 0.8, 1),
        UnitConfig("STEPDOWN", "stepdown", 22, 44, 0.7, 2),
        UnitConfig("MEDA", "ward", 60, 60, 0.8, 2),
        UnitConfig("MEDB", "ward", 60, 60, 0.8, 2),
        UnitConfig("SURG", "ward", 40, 48, 0.8, 2),
        UnitConfig("MATERNITY", "maternity", 30, 46, 0.45, 1),
        UnitConfig("PAEDS", "paediatrics", 16, 40, 0.7, 2),
        UnitConfig(THEATRE, "theatre", 6, 1.7, 0.5, 1),
    )


# Relative ED arrival rate by hour of day (0..23) and weekday (Monday = 0); both average to 1.
ED_HOUR_PROFILE = (
    0.55,
    0.45,
    0.4,
    0.35,
    0.35,
    0.4,
    0.55,
    0.8,
    1.1,
    1.35,
    1.45,
    1.45,
    1.4,
    1.35,
    1.3,
    1.3,
    1.3,
    1.3,
    1.3,
    1.25,
    1.15,
    1.0,
    0.85,
    0.7,
)
ED_WEEKDAY_PROFILE = (1.12, 1.03, 0.99, 0.98, 0.99, 0.94, 0.95)


@dataclass(frozen=True)
class HospitalConfig:
    facility: str = "GH"
    start: dt.datetime = dt.datetime(2024, 1, 1)
    days: int = 730
    seed: int = 42
    units: tuple[UnitConfig, ...] = field(default_factory=_default_units)

    # Arrivals (mean per day before hour/weekday/season shaping).
    ed_per_day: float = 165.0
    maternity_per_day: float = 12.0
    elective_per_weekday: float = 12.0
    winter_peak: float = 0.15  # +15% in mid-January, -15% in mid-July

    # Emergency department.
    ed_treatment_median_min: float = 150.0
    ed_treatment_sigma: float = 0.6
    lwbs_base: float = 0.025
    lwbs_per_boarder: float = 0.002  # each patient boarding in the ED adds this chance
    lwbs_max: float = 0.15
    child_share: float = 0.18
    adult_admit_prob: float = 0.26
    child_admit_prob: float = 0.16
    observation_prob: float = 0.04
    observation_median_hours: float = 16.0
    # Where admitted adults go from the ED (emergency surgery goes through theatre first).
    adult_admit_mix: tuple[tuple[str, float], ...] = (
        ("MED", 0.70),
        ("SURG", 0.07),
        ("THEATRE", 0.08),
        ("ICU", 0.08),
        ("STEPDOWN", 0.07),
    )
    # After theatre (elective and emergency surgery).
    post_theatre_mix: tuple[tuple[str, float], ...] = (("SURG", 0.85), ("STEPDOWN", 0.10), ("ICU", 0.05))
    # ICU and step-down next steps.
    icu_outcome: tuple[tuple[str, float], ...] = (("STEPDOWN", 0.50), ("MED", 0.40), ("died", 0.10))
    stepdown_outcome: tuple[tuple[str, float], ...] = (("MED", 0.45), ("discharge", 0.55))
    discharge_dispositions: tuple[tuple[str, float], ...] = (
        ("home", 0.83),
        ("home_health", 0.07),
        ("skilled_nursing", 0.05),
        ("died", 0.02),
        ("transfer_acute", 0.015),
        ("left_ama", 0.015),
    )

    # Readmissions: share of live discharges home who come back through the ED, and when.
    readmit_prob: float = 0.12
    readmit_mean_days: float = 10.0
    returning_patient_share: float = 0.06  # ED arrivals who are earlier patients (background)

    # Message-stream imperfections.
    cancel_admit_prob: float = 0.005  # an admission entered in error, then cancelled (A01, A11)
    cancel_transfer_prob: float = 0.02  # a transfer entered in error, then cancelled (A02, A12)
    cancel_discharge_prob: float = 0.01  # a discharge entered in error, then cancelled (A03, A13)
    late_message_prob: float = 0.01  # messages that arrive after later ones
    late_message_max_min: float = 120.0

    def __post_init__(self) -> None:
        """Refuse a configuration the model cannot run, naming the field at fault."""
        names = [u.name for u in self.units]
        if len(set(names)) != len(names):
            raise ValueError(f"units: duplicate unit names in {names}")
        for required in (ED, THEATRE, "ICU", "MATERNITY", "PAEDS"):
            if required not in names:
                raise ValueError(f"units: the model needs a unit named {required!r}")
        if not any(u.kind == "ward" and u.name.startswith("MED") for u in self.units):
            raise ValueError("units: the model needs at least one medical ward (kind 'ward', name MED...)")
        for u in self.units:
            if u.kind != "ed" and u.beds <= 0:
                raise ValueError(f"units[{u.name}].beds: expected a positive number, got {u.beds}")
            if u.kind != "ed" and (u.los_median_hours <= 0 or u.los_sigma < 0):
                raise ValueError(f"units[{u.name}]: length of stay median must be positive, sigma >= 0")
        known = set(names) | {"MED", "died", "discharge"}
        for mix_name in ("adult_admit_mix", "post_theatre_mix", "icu_outcome", "stepdown_outcome"):
            mix = getattr(self, mix_name)
            for target, p in mix:
                if target not in known:
                    raise ValueError(f"{mix_name}: unknown unit {target!r}")
                if p < 0:
                    raise ValueError(f"{mix_name}: negative share for {target!r}")
            if sum(p for _, p in mix) <= 0:
                raise ValueError(f"{mix_name}: shares must add up to more than 0")
        if self.days <= 0:
            raise ValueError(f"days: expected a positive number, got {self.days}")

    def unit(self, name: str) -> UnitConfig:
        for u in self.units:
            if u.name == name:
                return u
        raise KeyError(name)

    @property
    def bed_units(self) -> tuple[UnitConfig, ...]:
        return tuple(u for u in self.units if u.kind not in ("ed", "theatre"))

    @property
    def staffed_beds(self) -> dict[tuple[str, str], int]:
        """``{(facility, unit): beds}`` for the KPI engine's occupancy."""
        return {(self.facility, u.name): u.beds for u in self.bed_units}
