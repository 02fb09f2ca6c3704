"""Two years of patient activity for Riverbend General, from the SimPy patient-flow simulation.

``build(rng=, today=, scale=)`` runs after the foundation demo (``carehelm.demo.registry``). It maps
the simulation's units onto the demo hospital's (beds and rooms as configured), runs the model up to
now plus one day, and writes what happened up to now in bulk: patients, encounters, unit stays, the
in-house patients in their beds (with expected discharges and a few pending moves), and the bed
statuses that follow. ED patients are given ED cubicles as they free up. The next day of the
simulated ADT stream is written to ``<data dir>/demo-adt-feed.hl7`` so
``carehelm adt replay var/demo-adt-feed.hl7`` makes the bed board move in real time.

``scale`` shrinks both the hospital (the foundation scales the beds) and the history (fewer days),
so tests stay fast: scale 1 is 730 days, 0.1 is 36 days.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random

import pandas as pd
from django.conf import settings
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from carehelm.activity.feeds import adt_from_simulation
from carehelm.activity.models import AdtMessage, AdtStatus, Encounter, Patient, PendingMove, UnitStay
from carehelm.audit.services import record
from carehelm.engines.simulation import HospitalConfig, UnitConfig, simulate
from carehelm.organization.models import Bed, BedStatus, Facility, Unit

FACILITY = "rgh"
AUTHORITY = "RGH"
# simulation unit -> (demo unit code, kind, median LOS hours, sigma of log-hours)
UNIT_MAP = {
    "ED": ("ED", "ed", 0, 0),
    "ICU": ("ICU", "icu", 54, 0.8),
    "STEPDOWN": ("SDU", "stepdown", 44, 0.7),
    "MEDA": ("MS3", "ward", 84, 0.8),
    "MEDB": ("MS4", "ward", 84, 0.8),
    "MEDC": ("MS6", "ward", 84, 0.8),
    "MEDD": ("ONC", "ward", 96, 0.8),
    "SURG": ("MS5", "ward", 66, 0.8),
    "MATERNITY": ("MAT", "maternity", 46, 0.45),
    "PAEDS": ("PAED", "paediatrics", 40, 0.7),
    "THEATRE": ("OR", "theatre", 1.7, 0.5),
}
POSTAL_CODES = ("12401", "12402", "12405", "12411", "12414", "12419", "12428", "12433", "12440", "12477")
FEED_FILE = "demo-adt-feed.hl7"


def _history_days(scale: float) -> int:
    return 730 if scale >= 1 else max(14, round(730 * scale / 2))


def _room_of(code: str, room: str | None) -> str | None:
    if room is None or code == "OR":
        return None
    return f"{code}-{room.rsplit('-', 1)[-1]}"


def build(*, rng: random.Random, today: dt.date, scale: float) -> None:
    hospital = Facility.objects.filter(code=FACILITY).first()
    if hospital is None:
        return
    units = {u.code: u for u in Unit.objects.filter(facility=hospital)}
    beds = {(b.room.unit.code, b.room.name, b.label): b for b in Bed.objects.filter(
        room__unit__facility=hospital).select_related("room__unit")}
    configs = []
    for sim_name, (code, kind, los, sigma) in UNIT_MAP.items():
        if code not in units:
            continue
        count = sum(1 for (c, _, _) in beds if c == code)
        if kind == "theatre":
            count = max(1, round(6 * scale))
        elif kind != "ed" and count == 0:
            continue
        per_room = 2 if any(label == "B" for (c, _, label) in beds if c == code) else 1
        configs.append(UnitConfig(sim_name, kind, 0 if kind == "ed" else count, los, sigma, per_room))
    days = _history_days(scale)
    global _clock
    now = timezone.localtime().replace(tzinfo=None, microsecond=0)
    _clock = _Clock(now)
    start = (now - dt.timedelta(days=days)).replace(second=0)
    # A unit of two or three beds queues far worse than one of thirty at the same occupancy (Erlang),
    # so small test hospitals get proportionally fewer arrivals, or their ED would fill with boarders.
    load = scale if scale >= 0.5 else scale * 0.6
    config = HospitalConfig(facility=FACILITY, start=start, days=days + 1, seed=rng.randrange(2**31),
                            units=tuple(configs), ed_per_day=165.0 * load, maternity_per_day=12.0 * load,
                            elective_per_weekday=16.0 * load)
    result = simulate(config)
    codes = {sim: UNIT_MAP[sim][0] for sim in UNIT_MAP}
    summary = _write_history(result, hospital, units, beds, codes, now, rng)
    if scale >= 0.5:
        _write_feed(result, codes, now)
    record(action="activity.demo_loaded", summary=f"Demo activity: {summary['encounters']} encounters over "
           f"{days} days, {summary['in_house']} patients in house", object_type="activity.encounter",
           facility_id=hospital.pk)


class _Clock:
    """The simulation counts elapsed minutes on a naive axis that knows no daylight-saving changes.

    Reading its times as local wall-clock would put a visit that spans the spring-forward hour
    out of order; so times are placed by elapsed time back from now (``now`` itself is exact)."""

    def __init__(self, now_naive: dt.datetime):
        self.now_naive = now_naive
        self.now = timezone.now().replace(microsecond=0)

    def aware(self, value) -> dt.datetime | None:
        if value is None or pd.isna(value):
            return None
        value = value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
        return self.now - (self.now_naive - value)

    def series(self, values: pd.Series) -> list:
        return [self.aware(v) for v in values]


_clock: _Clock | None = None


def _aware(series: pd.Series) -> list:
    return _clock.series(series)


def _write_history(result, hospital, units, beds, codes, now, rng) -> dict:
    enc = result.encounters[result.encounters["admit_time"] <= now].copy()
    still_in = enc["discharge_time"].isna() | (enc["discharge_time"] > now)
    true_discharge = enc["discharge_time"].copy()
    enc.loc[still_in, "discharge_time"] = pd.NaT
    enc.loc[still_in, "discharge_disposition"] = None

    stays = result.unit_stays[result.unit_stays["encounter_id"].isin(enc["encounter_id"])
                              & (result.unit_stays["start_time"] <= now)].copy()
    stays.loc[stays["end_time"] > now, "end_time"] = pd.NaT
    stays["unit_code"] = stays["unit"].map(codes)
    stays["room_name"] = [_room_of(c, r if isinstance(r, str) else None)
                          for c, r in zip(stays["unit_code"], stays["room"], strict=True)]
    stays["bed_label"] = [b if isinstance(b, str) else None for b in stays["bed"]]
    _give_ed_cubicles(stays, beds, now)

    # Patients: only an MRN and the demographics the KPIs need.
    first_unit = stays.drop_duplicates("encounter_id").set_index("encounter_id")["unit_code"]
    patients = []
    for pid, visit in enc.drop_duplicates("patient_id")[["patient_id", "encounter_id"]].itertuples(index=False):
        unit = first_unit.get(visit, "ED")
        if unit == "PAED":
            age, sex = rng.randint(0, 16), rng.choice(("female", "male"))
        elif unit == "MAT":
            age, sex = rng.randint(18, 43), "female"
        else:
            age, sex = min(98, int(rng.triangular(18, 98, 70))), rng.choice(("female", "male"))
        born = now.date() - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        patients.append(Patient(mrn=pid, authority=AUTHORITY, birth_date=born, sex=sex,
                                postal_code=rng.choice(POSTAL_CODES)))
    Patient.objects.bulk_create(patients, batch_size=5000)
    patient_ids = dict(Patient.objects.filter(authority=AUTHORITY).values_list("mrn", "id"))

    admit = _aware(enc["admit_time"])
    discharge = _aware(enc["discharge_time"])
    rows = []
    for i, r in enumerate(enc.itertuples(index=False)):
        disposition = r.discharge_disposition if isinstance(r.discharge_disposition, str) else ""
        if r.left_without_being_seen:
            disposition = "lwbs"
        rows.append(Encounter(
            facility=hospital, patient_id=patient_ids[r.patient_id], visit_number=r.encounter_id,
            encounter_class=r.encounter_class, status="active" if discharge[i] is None else "finished",
            admit_at=admit[i], discharge_at=discharge[i], admit_source=(r.admit_source if isinstance(r.admit_source, str) else "")[:32],
            discharge_disposition=disposition[:32], source="demo"))
    Encounter.objects.bulk_create(rows, batch_size=5000)
    encounter_ids = dict(Encounter.objects.filter(facility=hospital, source="demo").values_list("visit_number", "id"))

    starts, ends = _aware(stays["start_time"]), _aware(stays["end_time"])
    stay_rows = []
    for i, s in enumerate(stays.itertuples(index=False)):
        bed = beds.get((s.unit_code, s.room_name, s.bed_label)) if s.room_name else None
        stay_rows.append(UnitStay(encounter_id=encounter_ids[s.encounter_id], unit_id=units[s.unit_code].pk,
                                  bed_id=bed.pk if bed else None, start_at=starts[i], end_at=ends[i]))
    UnitStay.objects.bulk_create(stay_rows, batch_size=5000)

    in_house = enc[still_in]
    _in_house_course(in_house, true_discharge[still_in], stays, units, beds, encounter_ids, result, now, rng)
    _follow_beds(beds, stay_rows, now, rng)
    return {"encounters": len(rows), "in_house": len(in_house)}


def _give_ed_cubicles(stays: pd.DataFrame, beds: dict, now) -> None:
    """The simulation's ED has no named beds; seat patients in free cubicles, first come first served."""
    cubicles = sorted((room, label) for (code, room, label) in beds if code == "ED")
    if not cubicles:
        return
    free = list(cubicles)
    heapq.heapify(free)
    busy: list[tuple] = []  # (end, room, label)
    ed = stays[stays["unit_code"] == "ED"].sort_values("start_time")
    far = pd.Timestamp(now) + pd.Timedelta(days=3650)
    for index, start, end in zip(ed.index, ed["start_time"], ed["end_time"], strict=True):
        while busy and busy[0][0] <= start:
            _, room, label = heapq.heappop(busy)
            heapq.heappush(free, (room, label))
        if free:
            room, label = heapq.heappop(free)
            heapq.heappush(busy, (far if pd.isna(end) else end, room, label))
            stays.at[index, "room_name"], stays.at[index, "bed_label"] = room, label


def _in_house_course(in_house, true_discharge, stays, units, beds, encounter_ids, result, now, rng) -> None:
    """Give in-house patients the applied messages their stays imply (so later ADT folds onto them),
    an expected discharge, and pending moves for what the next hours bring."""
    zone = timezone.get_current_timezone()
    messages, pendings = [], []
    upcoming = {}
    for event in result.adt_events:
        if now < event["event_time"] <= now + dt.timedelta(hours=6) and event["trigger"] in ("A02", "A03"):
            upcoming.setdefault(event["visit_number"], event)
    by_visit = {v: g for v, g in stays[stays["encounter_id"].isin(in_house["encounter_id"])].groupby("encounter_id")}
    updates = []
    for r, leaving in zip(in_house.itertuples(index=False), true_discharge, strict=True):
        enc_id = encounter_ids[r.encounter_id]
        own = by_visit.get(r.encounter_id)
        if own is None:
            continue
        own = own.sort_values("start_time")
        current = None
        for k, s in enumerate(own.itertuples(index=False)):
            bed = beds.get((s.unit_code, s.room_name, s.bed_label)) if s.room_name else None
            trigger = ("A04" if r.encounter_class == "emergency" else "A01") if k == 0 else "A02"
            at = _clock.aware(s.start_time)
            current = (units[s.unit_code].pk, bed.pk if bed else None)
            messages.append(_synthetic(trigger, r.encounter_id, enc_id, k, at, r.encounter_class, *current))
        soon = upcoming.get(r.encounter_id)
        if soon is not None and current is not None:
            announced = _clock.aware(max(soon["event_time"] - dt.timedelta(hours=3),
                                         now - dt.timedelta(minutes=30)))
            to_unit = units.get(result_code(soon["unit"])) if soon["trigger"] == "A02" else None
            kind = "transfer" if soon["trigger"] == "A02" else "discharge"
            if announced <= _clock.now:
                pendings.append(PendingMove(encounter_id=enc_id, kind=kind, from_unit_id=current[0],
                                            to_unit_id=to_unit.pk if to_unit else None, start_at=announced))
                step = _synthetic("A15" if kind == "transfer" else "A16", r.encounter_id, enc_id, 90, announced,
                                  r.encounter_class, *current)
                step.payload["pending_unit"] = to_unit.pk if to_unit else None
                messages.append(step)
        if r.encounter_class in ("inpatient", "observation"):
            if pd.isna(leaving) or rng.random() < 0.2:
                guess = now + dt.timedelta(days=rng.randint(0, 4))
            else:
                guess = leaving.to_pydatetime()
            updates.append((enc_id, timezone.make_aware(guess.replace(hour=11, minute=0, second=0), zone)))
    AdtMessage.objects.bulk_create(messages, batch_size=2000)
    PendingMove.objects.bulk_create(pendings)
    for enc_id, expected in updates:
        Encounter.objects.filter(pk=enc_id).update(expected_discharge_at=expected)


def result_code(sim_unit: str) -> str:
    return UNIT_MAP.get(sim_unit, (sim_unit,))[0]


def _synthetic(trigger, visit, enc_id, k, at, encounter_class, unit_id, bed_id) -> AdtMessage:
    payload = {"trigger": trigger, "at": at.isoformat(), "class": encounter_class, "unit": unit_id, "bed": bed_id,
               "pending_unit": None, "pending_bed": None, "admit_source": None, "disposition": None,
               "expected_discharge": None, "service": None}
    return AdtMessage(control_id=f"DEMO-{visit}-{k}", trigger=trigger, effective_at=at, status=AdtStatus.APPLIED,
                      reason="demo history", raw_sha256="", visit_number=visit, facility_id=None,
                      encounter_id=enc_id, payload=payload, channel="demo")


def _follow_beds(beds: dict, stay_rows: list[UnitStay], now, rng) -> None:
    """Occupied where someone is; housekeeping where someone left in the last two hours; a few closed."""
    recent = _clock.aware(now - dt.timedelta(hours=2))
    occupied = {s.bed_id for s in stay_rows if s.bed_id and s.end_at is None}
    vacated = {s.bed_id for s in stay_rows if s.bed_id and s.end_at is not None and s.end_at > recent} - occupied
    changed = []
    free = [b for b in beds.values() if b.pk not in occupied and b.pk not in vacated and b.room.unit.code != "ED"]
    blocked = {b.pk: rng.choice((BedStatus.CLOSED, BedStatus.BLOCKED, BedStatus.ISOLATED, BedStatus.RESERVED))
               for b in rng.sample(free, k=min(len(free), max(1, len(beds) // 60)))}
    for bed in beds.values():
        status = (BedStatus.OCCUPIED if bed.pk in occupied else BedStatus.HOUSEKEEPING if bed.pk in vacated
                  else blocked.get(bed.pk, BedStatus.UNOCCUPIED))
        if bed.status != status:
            bed.status = status
            changed.append(bed)
    if changed:
        bulk_update_with_history(changed, Bed, ["status"], batch_size=1000)


def _write_feed(result, codes, now) -> None:
    """The next day of the simulated feed, for ``carehelm adt replay`` (not written for small test demos).

    Events that happened before now are already in the history, late or not, so they are left out."""
    path = settings.DATA_DIR / FEED_FILE
    upcoming = [e for e in result.adt_events if e["event_time"] > now]
    text = "".join(adt_from_simulation(e, facility=FACILITY, unit_codes=codes, room_of=_room_of,
                                       authority=AUTHORITY).replace("\r", "\n") for e in upcoming)
    path.write_text(text, encoding="utf-8")
