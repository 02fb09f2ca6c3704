"""The SimPy patient-flow model of a general hospital.

Beds are ``simpy.Store`` objects holding ``(room, bed)`` labels, so a patient holds a named
bed, nobody can take an occupied one, and a patient who cannot get a bed waits: in the ED
(boarding) for an admission, in the current bed for a transfer, in theatre for a post-operative
bed. Pathways:

* ED arrivals (hour-of-day, weekday and winter-peak shaped Poisson): left without being seen,
  treated and sent home, admitted as observation to a medical ward, or admitted as inpatients to
  a medical ward, surgery, theatre (emergency surgery), ICU or step-down; children to
  paediatrics. The ED visit and the inpatient stay are two encounters, the second starting when
  the patient leaves the ED.
* Elective surgery on weekdays: admitted into theatre, then surgery/step-down/ICU.
* Maternity: admitted directly.
* ICU -> step-down/medical ward or death; step-down -> medical ward or discharge.
* Discharges with dispositions; some live discharges come back through the ED (readmissions).

Mistakes in the message stream are real in the model (a wrongly admitted phantom visit really
holds a bed until it is cancelled) so the event stream never double-books a bed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from .config import ED, ED_HOUR_PROFILE, ED_WEEKDAY_PROFILE, THEATRE, HospitalConfig

MIN_PER_DAY = 1440.0
# A SimPy process: yields events, receives their values (a bed label from a Store).
Process = Generator[Any, Any, None]


@dataclass
class Encounter:
    encounter_id: str
    patient_id: str
    encounter_class: str
    admit_time: float
    admit_source: str
    unit: str = ""
    discharge_time: float | None = None
    discharge_disposition: str | None = None
    arrival_time: float | None = None
    departure_time: float | None = None
    left_without_being_seen: bool = False
    stays: list[list[Any]] = field(default_factory=list)  # [unit, room, bed, start, end]


@dataclass
class AdtEvent:
    seq: int
    trigger: str
    time: float
    encounter_id: str
    patient_id: str
    patient_class: str
    encounter_class: str
    unit: str
    room: str | None
    bed: str | None
    prior_unit: str | None = None
    prior_room: str | None = None
    prior_bed: str | None = None


_PATIENT_CLASS = {"emergency": "E", "inpatient": "I", "observation": "O", "outpatient": "O"}


class HospitalModel:
    def __init__(self, config: HospitalConfig):
        self.cfg = config
        self.rng = np.random.default_rng(config.seed)
        self.env = simpy.Environment()
        self.encounters: list[Encounter] = []
        self.events: list[AdtEvent] = []
        self.patients: list[str] = []
        self._visit_no = 0
        self.boarding = 0
        # A patient is in one place at a time and does not come back after death.
        self.in_hospital: set[str] = set()
        self.deceased: set[str] = set()
        self.beds: dict[str, simpy.Store] = {}
        for u in config.units:
            if u.kind == "ed":
                continue
            store = simpy.Store(self.env, capacity=u.beds)
            if u.kind == "theatre":
                store.items = [(f"OR{i + 1}", None) for i in range(u.beds)]
            else:
                store.items = [
                    (
                        f"{u.name}-{i // u.beds_per_room + 1:02d}",
                        "AB"[i % u.beds_per_room] if u.beds_per_room > 1 else "A",
                    )
                    for i in range(u.beds)
                ]
            self.beds[u.name] = store
        self.medical_wards = [u.name for u in config.units if u.kind == "ward" and u.name.startswith("MED")]
        self.horizon = config.days * MIN_PER_DAY

    # ----- identities and records -------------------------------------------------------------
    def _new_visit(self) -> str:
        self._visit_no += 1
        return f"V{self._visit_no:07d}"

    def _new_patient(self) -> str:
        pid = f"P{len(self.patients) + 1:07d}"
        self.patients.append(pid)
        return pid

    def _emit(
        self,
        trigger: str,
        t: float,
        enc: Encounter,
        unit: str,
        room: str | None,
        bed: str | None,
        prior: tuple[str, str | None, str | None] | None = None,
    ) -> None:
        p = prior or (None, None, None)
        self.events.append(
            AdtEvent(
                len(self.events),
                trigger,
                t,
                enc.encounter_id,
                enc.patient_id,
                _PATIENT_CLASS[enc.encounter_class],
                enc.encounter_class,
                unit,
                room,
                bed,
                p[0],
                p[1],
                p[2],
            )
        )

    def _choose(self, options: tuple[tuple[str, float], ...]) -> str:
        names = [o[0] for o in options]
        p = np.array([o[1] for o in options], dtype=float)
        return names[int(self.rng.choice(len(names), p=p / p.sum()))]

    def _los_minutes(self, unit: str) -> float:
        u = self.cfg.unit(unit)
        return float(self.rng.lognormal(math.log(u.los_median_hours * 60.0), u.los_sigma))

    def _resolve(self, target: str) -> str:
        """'MED' means the medical ward with the most free beds (first one on a tie)."""
        if target != "MED":
            return target
        return max(self.medical_wards, key=lambda w: len(self.beds[w].items))

    def _near_midnight(self, t: float, span: float) -> bool:
        """True when [t, t + span] would cross a midnight (cancel windows must not)."""
        return math.floor(t / MIN_PER_DAY) != math.floor((t + span) / MIN_PER_DAY)

    # ----- moves ---------------------------------------------------------------------------------
    def _admit(self, enc: Encounter, unit: str, bed: tuple[str, str | None]) -> None:
        t = self.env.now
        enc.admit_time = t
        enc.unit = unit
        enc.stays.append([unit, bed[0], bed[1], t, None])
        self._emit("A01", t, enc, unit, bed[0], bed[1])
        self.encounters.append(enc)
        if unit != THEATRE and self.rng.random() < self.cfg.cancel_admit_prob:
            self.env.process(self._phantom_admission(unit))

    def _transfer(self, enc: Encounter, unit: str, bed: tuple[str, str | None]) -> None:
        t = self.env.now
        old = enc.stays[-1]
        old[4] = t
        enc.stays.append([unit, bed[0], bed[1], t, None])
        enc.unit = unit
        self._emit("A02", t, enc, unit, bed[0], bed[1], prior=(old[0], old[1], old[2]))
        self.beds[old[0]].put((old[1], old[2]))

    def _discharge(self, enc: Encounter, disposition: str) -> None:
        t = self.env.now
        stay = enc.stays[-1]
        stay[4] = t
        enc.discharge_time = t
        enc.discharge_disposition = disposition
        self.in_hospital.discard(enc.patient_id)
        if disposition == "died":
            self.deceased.add(enc.patient_id)
        cfg = self.cfg
        span = 10.0
        t_err = t - float(self.rng.uniform(60, 360))
        if (
            self.rng.random() < cfg.cancel_discharge_prob
            and t_err > stay[3] + 1
            and not self._near_midnight(t_err, span)
        ):
            # Discharge keyed too early, then cancelled: the patient never left the bed.
            self._emit("A03", t_err, enc, stay[0], stay[1], stay[2])
            self._emit("A13", t_err + span, enc, stay[0], stay[1], stay[2])
        self._emit("A03", t, enc, stay[0], stay[1], stay[2])
        self.beds[stay[0]].put((stay[1], stay[2]))
        if enc.encounter_class == "inpatient" and disposition in ("home", "home_health", "skilled_nursing"):
            if self.rng.random() < cfg.readmit_prob:
                delay = float(self.rng.exponential(cfg.readmit_mean_days * MIN_PER_DAY))
                self.env.process(self._readmission(enc.patient_id, stay[0], delay))

    def _phantom_admission(self, unit: str) -> Process:
        store = self.beds[unit]
        span = float(self.rng.uniform(3, 15))
        if not store.items or self._near_midnight(self.env.now, span):
            return
        bed = yield store.get()
        enc = Encounter(self._new_visit(), self._new_patient(), "inpatient", self.env.now, "emergency")
        self._emit("A01", self.env.now, enc, unit, bed[0], bed[1])
        yield self.env.timeout(span)
        self._emit("A11", self.env.now, enc, unit, bed[0], bed[1])
        store.put(bed)

    def _move(self, enc: Encounter, target: str) -> Process:
        """Transfer to ``target`` (waiting in the current bed until one is free)."""
        unit = self._resolve(target)
        bed = yield self.beds[unit].get()
        span = float(self.rng.uniform(3, 15))
        wrong = [w for w in self.beds if w not in (unit, enc.unit, THEATRE) and self.beds[w].items]
        if (
            wrong
            and enc.unit != THEATRE
            and self.rng.random() < self.cfg.cancel_transfer_prob
            and not self._near_midnight(self.env.now, span)
        ):
            # Transfer keyed to the wrong unit, then cancelled; the wrong bed is really held.
            w = wrong[int(self.rng.integers(len(wrong)))]
            wbed = yield self.beds[w].get()
            cur = enc.stays[-1]
            self._emit("A02", self.env.now, enc, w, wbed[0], wbed[1], prior=(cur[0], cur[1], cur[2]))
            yield self.env.timeout(span)
            self._emit("A12", self.env.now, enc, cur[0], cur[1], cur[2], prior=(w, wbed[0], wbed[1]))
            self.beds[w].put(wbed)
        self._transfer(enc, unit, bed)

    # ----- pathways ------------------------------------------------------------------------------
    def _inpatient_course(self, enc: Encounter) -> Process:
        """From the current unit to discharge, through theatre, ICU and step-down as drawn."""
        cfg = self.cfg
        while True:
            unit = enc.unit
            kind = cfg.unit(unit).kind
            yield self.env.timeout(self._los_minutes(unit))
            if kind == "theatre":
                yield from self._move(enc, self._choose(cfg.post_theatre_mix))
                continue
            if kind == "icu":
                nxt = self._choose(cfg.icu_outcome)
                if nxt == "died":
                    self._discharge(enc, "died")
                    return
                yield from self._move(enc, nxt)
                continue
            if kind == "stepdown":
                nxt = self._choose(cfg.stepdown_outcome)
                if nxt != "discharge":
                    yield from self._move(enc, nxt)
                    continue
            self._discharge(enc, self._choose(cfg.discharge_dispositions))
            return

    def _ed_visit(self, patient_id: str, forced_admit: str | None = None) -> Process:
        cfg, rng, env = self.cfg, self.rng, self.env
        visit = Encounter(
            self._new_visit(), patient_id, "emergency", env.now, "walk_in", unit=ED, arrival_time=env.now
        )
        visit.stays.append([ED, None, None, env.now, None])
        self.in_hospital.add(patient_id)
        self.encounters.append(visit)
        self._emit("A04", env.now, visit, ED, None, None)
        lwbs_p = min(cfg.lwbs_max, cfg.lwbs_base + cfg.lwbs_per_boarder * self.boarding)
        if forced_admit is None and rng.random() < lwbs_p:
            yield env.timeout(float(rng.lognormal(math.log(75), 0.5)))
            visit.left_without_being_seen = True
            self._leave_ed(visit, "left_without_being_seen")
            return
        yield env.timeout(float(rng.lognormal(math.log(cfg.ed_treatment_median_min), cfg.ed_treatment_sigma)))
        child = forced_admit == "PAEDS" or (forced_admit is None and rng.random() < cfg.child_share)
        target: str | None = forced_admit
        cls = "inpatient"
        if target is None:
            if child:
                target = "PAEDS" if rng.random() < cfg.child_admit_prob else None
            elif rng.random() < cfg.adult_admit_prob:
                target = self._choose(cfg.adult_admit_mix)
            elif rng.random() < cfg.observation_prob:
                target, cls = "MED", "observation"
        if target is None:
            self._leave_ed(visit, "home")
            return
        unit = self._resolve(target)
        self.boarding += 1
        bed = yield self.beds[unit].get()
        self.boarding -= 1
        self._leave_ed(visit, "admitted")
        source = "readmission" if forced_admit else "emergency"
        enc = Encounter(self._new_visit(), patient_id, cls, env.now, source)
        self._admit(enc, unit, bed)
        if cls == "observation":
            yield env.timeout(float(rng.lognormal(math.log(cfg.observation_median_hours * 60), 0.5)))
            self._discharge(enc, "home")
            return
        yield from self._inpatient_course(enc)

    def _leave_ed(self, visit: Encounter, disposition: str) -> None:
        t = self.env.now
        visit.stays[-1][4] = t
        visit.departure_time = visit.discharge_time = t
        visit.discharge_disposition = disposition
        if disposition != "admitted":
            self.in_hospital.discard(visit.patient_id)
        self._emit("A03", t, visit, ED, None, None)

    def _readmission(self, patient_id: str, last_unit: str, delay: float) -> Process:
        yield self.env.timeout(delay)
        if patient_id in self.in_hospital:
            return  # already back by another route
        kind = self.cfg.unit(last_unit).kind
        target = {"paediatrics": "PAEDS", "maternity": "MATERNITY"}.get(kind, "MED")
        yield from self._ed_visit(patient_id, forced_admit=target)

    def _elective(self) -> Process:
        bed = yield self.beds[THEATRE].get()
        enc = Encounter(self._new_visit(), self._new_patient(), "inpatient", self.env.now, "elective")
        self.in_hospital.add(enc.patient_id)
        self._admit(enc, THEATRE, bed)
        yield from self._inpatient_course(enc)

    def _maternity(self) -> Process:
        bed = yield self.beds["MATERNITY"].get()
        enc = Encounter(self._new_visit(), self._new_patient(), "inpatient", self.env.now, "maternity")
        self.in_hospital.add(enc.patient_id)
        self._admit(enc, "MATERNITY", bed)
        yield from self._inpatient_course(enc)

    # ----- arrival generators --------------------------------------------------------------------
    def _season(self, day: int) -> float:
        doy = (self.cfg.start + _days(day)).timetuple().tm_yday
        return 1.0 + self.cfg.winter_peak * math.cos(2 * math.pi * (doy - 15) / 365.25)

    def _ed_arrivals(self) -> Process:
        cfg, rng, env = self.cfg, self.rng, self.env
        for day in range(cfg.days):
            weekday = (cfg.start + _days(day)).weekday()
            base = cfg.ed_per_day / 24.0 * ED_WEEKDAY_PROFILE[weekday] * self._season(day)
            for hour in range(24):
                n = int(rng.poisson(base * ED_HOUR_PROFILE[hour]))
                for offset in np.sort(rng.uniform(0, 60, n)):
                    t = day * MIN_PER_DAY + hour * 60 + float(offset)
                    yield env.timeout(t - env.now)
                    pid = None
                    if self.patients and rng.random() < cfg.returning_patient_share:
                        pid = self.patients[int(rng.integers(len(self.patients)))]
                        if pid in self.in_hospital or pid in self.deceased:
                            pid = None
                    env.process(self._ed_visit(pid or self._new_patient()))

    def _scheduled_arrivals(self) -> Process:
        """Maternity around the clock; elective surgery lists start 08:00 on weekdays."""
        cfg, rng, env = self.cfg, self.rng, self.env
        for day in range(cfg.days):
            arrivals: list[tuple[float, Callable[[], Process]]] = []
            for offset in rng.uniform(0, MIN_PER_DAY, int(rng.poisson(cfg.maternity_per_day))):
                arrivals.append((float(offset), self._maternity))
            if (cfg.start + _days(day)).weekday() < 5:
                n = int(rng.poisson(cfg.elective_per_weekday))
                for offset in 480 + np.sort(rng.uniform(0, 540, n)):
                    arrivals.append((float(offset), self._elective))
            arrivals.sort(key=lambda a: a[0])
            for offset, pathway in arrivals:
                yield env.timeout(day * MIN_PER_DAY + offset - env.now)
                env.process(pathway())

    def run(self, on_progress: Callable[[int, int], None] | None = None) -> None:
        self.env.process(self._ed_arrivals())
        self.env.process(self._scheduled_arrivals())
        step = 30
        for day in range(step, self.cfg.days + step, step):
            self.env.run(until=min(day, self.cfg.days) * MIN_PER_DAY)
            if on_progress is not None:
                on_progress(min(day, self.cfg.days), self.cfg.days)


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)
