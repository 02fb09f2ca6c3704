"""Two years of patient activity for Riverbend General, from the SimPy patient-flow simulation.

``build(rng=, today=, scale=)`` runs after the foundation demo (``carehelm.demo.registry``). It maps
the simulation's units onto the demo hospital's beds, runs the model up to now plus one day, and
writes what happened up to now in bulk: patients, encounters, unit stays, the in-house patients in
their beds (with expected discharges and a few pending moves), and the bed statuses that follow.
ED patients are given ED cubicles as they free up. The next day of the simulated ADT stream is
written to ``<data dir>/demo-adt-feed.hl7`` and a ``play_feed`` task is queued: with ``make run``
the worker applies each message as its time comes, and the bed board moves by itself
(``carehelm adt replay var/demo-adt-feed.hl7`` plays it by hand, faster with ``--speed``).

The simulation's four-ward medical service is one pooled ward whose beds are the demo's medical
wards (MS3, MS4, MS6, Oncology, and the short-stay unit as overflow): the model queues a patient on one ward, so several small wards
would each queue apart while another has a free bed. Lengths of stay are the engine's defaults;
arrivals are the engine's defaults times 0.85, because the demo hospital has fewer ICU and surgical
beds than the engine's reference hospital. ``scale`` shrinks the hospital (the foundation scales
the beds) and the history: scale 1 is 730 days, 0.1 is 36 days.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections.abc import Callable

import pandas as pd
from django.conf import settings
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from carehelm.activity.feeds import adt_from_simulation
from carehelm.activity.models import AdtMessage, AdtStatus, Encounter, Patient, PendingMove, UnitStay
from carehelm.activity.tasks import play_feed
from carehelm.audit.services import record
from carehelm.engines.simulation import HospitalConfig, UnitConfig, simulate
from carehelm.organization.models import Bed, BedStatus, Facility, Unit

FACILITY = "rgh"
AUTHORITY = "RGH"
# simulation unit -> demo unit codes (several: a pooled ward whose beds are those units' beds)
UNIT_MAP: dict[str, tuple[str, ...]] = {
    "ED": ("ED",),
    "ICU": ("ICU",),
    "STEPDOWN": ("SDU",),
    "MEDA": ("MS3", "MS4", "MS6", "ONC", "OBS"),
    "SURG": ("MS5",),
    "MATERNITY": ("MAT",),
    "PAEDS": ("PAED",),
    "THEATRE": ("OR",),
}
ARRIVALS = 0.85
POSTAL_CODES = ("12401", "12402", "12405", "12411", "12414", "12419", "12428", "12433", "12440", "12477")
FEED_FILE = "demo-adt-feed.hl7"

Place = tuple[str, str | None, str | None]  # (unit code, room name, bed label)


def _history_days(scale: float) -> int:
    return 730 if scale >= 1 else max(14, round(730 * scale / 2))


class _Clock:
    """The simulation counts elapsed minutes on a naive axis that knows no daylight-saving change.

    Reading its times as local wall-clock would put a visit spanning the spring-forward hour out of
    order; so times are placed by elapsed time back from now (``now`` itself is exact)."""

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


class _Places:
    """Simulation places (unit, room, bed) → the demo's (unit code, room name, bed label)."""

    def __init__(self, beds: dict[Place, Bed]):
        self.by_unit: dict[str, list[tuple[str, str]]] = {}
        for code, room, label in sorted(beds):
            self.by_unit.setdefault(code, []).append((room, label))
        self.pools: dict[str, list[Place]] = {}
        self.per_room: dict[str, int] = {}
        for sim, codes in UNIT_MAP.items():
            pool = [(code, room, label) for code in codes for room, label in self.by_unit.get(code, [])]
            self.pools[sim] = pool
            self.per_room[sim] = 2 if any(label == "B" for _, _, label in pool) else 1

    def beds_of(self, sim: str) -> int:
        return len(self.pools[sim])

    def __call__(self, sim: str, room: str | None, bed: str | None) -> Place:
        codes = UNIT_MAP.get(sim, (sim,))
        if room is None or sim in ("ED", "THEATRE"):
            return codes[0], None, None
        # The model names beds "<UNIT>-<room number>" + A/B in order: recover the bed's index.
        number = int(room.rsplit("-", 1)[-1])
        index = (number - 1) * self.per_room[sim] + (ord(bed or "A") - ord("A"))
        return self.pools[sim][index]


def build(*, rng: random.Random, today: dt.date, scale: float) -> None:
    hospital = Facility.objects.filter(code=FACILITY).first()
    if hospital is None:
        return
    units = {u.code: u for u in Unit.objects.filter(facility=hospital)}
    beds = {
        (b.room.unit.code, b.room.name, b.label): b
        for b in Bed.objects.filter(room__unit__facility=hospital).select_related("room__unit")
    }
    places = _Places(beds)
    reference = {u.name: u for u in HospitalConfig().units}
    configs = []
    for sim, codes in UNIT_MAP.items():
        ref = reference.get(sim)
        if ref is None or codes[0] not in units:
            continue
        count = {"ed": 0, "theatre": max(1, round(ref.beds * scale))}.get(ref.kind, places.beds_of(sim))
        if ref.kind not in ("ed", "theatre") and count == 0:
            continue
        configs.append(
            UnitConfig(sim, ref.kind, count, ref.los_median_hours, ref.los_sigma, places.per_room[sim])
        )
    days = _history_days(scale)
    now = timezone.localtime().replace(tzinfo=None, microsecond=0)
    clock = _Clock(now)
    # A unit of two or three beds queues far worse than one of thirty at the same occupancy (Erlang),
    # so small test hospitals get proportionally fewer arrivals, or their ED would fill with boarders.
    load = ARRIVALS * (scale if scale >= 0.5 else scale * 0.6)
    defaults = HospitalConfig()
    config = HospitalConfig(
        facility=FACILITY,
        start=(now - dt.timedelta(days=days)).replace(second=0),
        days=days + 1,
        seed=rng.randrange(2**31),
        units=tuple(configs),
        ed_per_day=defaults.ed_per_day * load,
        maternity_per_day=defaults.maternity_per_day * load,
        elective_per_weekday=defaults.elective_per_weekday * load,
    )
    result = simulate(config)
    summary = _write_history(result, hospital, units, beds, places, clock, rng)
    if scale >= 0.5:
        _write_feed(result, places, now)
    record(
        action="activity.demo_loaded",
        summary=f"Demo activity: {summary['encounters']} encounters over "
        f"{days} days, {summary['in_house']} patients in house",
        object_type="activity.encounter",
        facility_id=hospital.pk,
    )


def _write_history(result, hospital, units, beds, places: _Places, clock: _Clock, rng) -> dict:
    now = clock.now_naive
    enc = result.encounters[result.encounters["admit_time"] <= now].copy()
    still_in = enc["discharge_time"].isna() | (enc["discharge_time"] > now)
    true_discharge = enc["discharge_time"].copy()
    enc.loc[still_in, "discharge_time"] = pd.NaT
    enc.loc[still_in, "discharge_disposition"] = None

    stays = result.unit_stays[
        result.unit_stays["encounter_id"].isin(enc["encounter_id"]) & (result.unit_stays["start_time"] <= now)
    ].copy()
    stays.loc[stays["end_time"] > now, "end_time"] = pd.NaT
    mapped = [
        places(u, r if isinstance(r, str) else None, b if isinstance(b, str) else None)
        for u, r, b in zip(stays["unit"], stays["room"], stays["bed"], strict=True)
    ]
    stays["unit_code"] = [m[0] for m in mapped]
    stays["room_name"] = [m[1] for m in mapped]
    stays["bed_label"] = [m[2] for m in mapped]
    _give_ed_cubicles(stays, beds, now)

    # Patients: only an MRN and the demographics the KPIs need.
    first_unit = stays.drop_duplicates("encounter_id").set_index("encounter_id")["unit_code"]
    patients = []
    for pid, visit in enc.drop_duplicates("patient_id")[["patient_id", "encounter_id"]].itertuples(
        index=False
    ):
        unit = first_unit.get(visit, "ED")
        if unit == "PAED":
            age, sex = rng.randint(0, 16), rng.choice(("female", "male"))
        elif unit == "MAT":
            age, sex = rng.randint(18, 43), "female"
        else:
            age, sex = min(98, int(rng.triangular(18, 98, 70))), rng.choice(("female", "male"))
        born = now.date() - dt.timedelta(days=age * 365 + rng.randint(0, 364))
        patients.append(
            Patient(
                mrn=pid, authority=AUTHORITY, birth_date=born, sex=sex, postal_code=rng.choice(POSTAL_CODES)
            )
        )
    Patient.objects.bulk_create(patients, batch_size=5000)
    patient_ids = dict(Patient.objects.filter(authority=AUTHORITY).values_list("mrn", "id"))

    admit, discharge = clock.series(enc["admit_time"]), clock.series(enc["discharge_time"])
    rows = []
    for i, r in enumerate(enc.itertuples(index=False)):
        disposition = r.discharge_disposition if isinstance(r.discharge_disposition, str) else ""
        if r.left_without_being_seen:
            disposition = "lwbs"
        rows.append(
            Encounter(
                facility=hospital,
                patient_id=patient_ids[r.patient_id],
                visit_number=r.encounter_id,
                encounter_class=r.encounter_class,
                status="active" if discharge[i] is None else "finished",
                admit_at=admit[i],
                discharge_at=discharge[i],
                admit_source=(r.admit_source if isinstance(r.admit_source, str) else "")[:32],
                discharge_disposition=disposition[:32],
                source="demo",
            )
        )
    Encounter.objects.bulk_create(rows, batch_size=5000)
    encounter_ids = dict(
        Encounter.objects.filter(facility=hospital, source="demo").values_list("visit_number", "id")
    )

    starts, ends = clock.series(stays["start_time"]), clock.series(stays["end_time"])
    stay_rows = []
    for i, s in enumerate(stays.itertuples(index=False)):
        bed = beds.get((s.unit_code, s.room_name, s.bed_label)) if s.room_name else None
        stay_rows.append(
            UnitStay(
                encounter_id=encounter_ids[s.encounter_id],
                unit_id=units[s.unit_code].pk,
                bed_id=bed.pk if bed else None,
                start_at=starts[i],
                end_at=ends[i],
            )
        )
    UnitStay.objects.bulk_create(stay_rows, batch_size=5000)

    in_house = enc[still_in]
    _in_house_course(
        in_house, true_discharge[still_in], stays, units, beds, encounter_ids, result, places, clock, rng
    )
    _follow_beds(beds, stay_rows, clock, rng)
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


def _in_house_course(
    in_house, true_discharge, stays, units, beds, encounter_ids, result, places, clock, rng
) -> None:
    """Give in-house patients the applied messages their stays imply (so later ADT folds onto them),
    an expected discharge, and pending moves for what the next hours bring."""
    now = clock.now_naive
    zone = timezone.get_current_timezone()
    messages, pendings, updates = [], [], []
    upcoming = {}
    for event in result.adt_events:
        if now < event["event_time"] <= now + dt.timedelta(hours=6) and event["trigger"] in ("A02", "A03"):
            upcoming.setdefault(event["visit_number"], event)
    by_visit = dict(list(stays[stays["encounter_id"].isin(in_house["encounter_id"])].groupby("encounter_id")))
    for r, leaving in zip(in_house.itertuples(index=False), true_discharge, strict=True):
        enc_id = encounter_ids[r.encounter_id]
        own = by_visit.get(r.encounter_id)
        if own is None:
            continue
        current = None
        since = None
        for k, s in enumerate(own.sort_values("start_time").itertuples(index=False)):
            since = s.start_time
            bed = beds.get((s.unit_code, s.room_name, s.bed_label)) if s.room_name else None
            trigger = ("A04" if r.encounter_class == "emergency" else "A01") if k == 0 else "A02"
            current = (units[s.unit_code].pk, bed.pk if bed else None)
            messages.append(
                _synthetic(
                    trigger, r.encounter_id, enc_id, k, clock.aware(s.start_time), r.encounter_class, *current
                )
            )
        soon = upcoming.get(r.encounter_id)
        if soon is not None and current is not None:
            # Announced a few hours ahead, but never before the patient reached their current bed.
            announced = clock.aware(
                max(
                    soon["event_time"] - dt.timedelta(hours=3),
                    now - dt.timedelta(minutes=30),
                    since + dt.timedelta(minutes=5),
                )
            )
            if announced <= clock.now:
                kind = "transfer" if soon["trigger"] == "A02" else "discharge"
                to_unit = (
                    units.get(places(soon["unit"], soon["room"], soon["bed"])[0])
                    if kind == "transfer"
                    else None
                )
                pendings.append(
                    PendingMove(
                        encounter_id=enc_id,
                        kind=kind,
                        from_unit_id=current[0],
                        to_unit_id=to_unit.pk if to_unit else None,
                        start_at=announced,
                    )
                )
                step = _synthetic(
                    "A15" if kind == "transfer" else "A16",
                    r.encounter_id,
                    enc_id,
                    90,
                    announced,
                    r.encounter_class,
                    *current,
                )
                step.payload["pending_unit"] = to_unit.pk if to_unit else None
                messages.append(step)
        if r.encounter_class in ("inpatient", "observation"):
            if pd.isna(leaving) or rng.random() < 0.2:
                guess = now + dt.timedelta(days=rng.randint(0, 4))
            else:
                guess = leaving.to_pydatetime()
            expected = guess.replace(hour=11, minute=0, second=0)
            if expected < now and rng.random() < 0.75:
                expected += dt.timedelta(days=1)  # most plans are kept up to date; a few are overdue
            updates.append((enc_id, timezone.make_aware(expected, zone)))
    _pending_admits(result, units, places, clock, messages, pendings)
    AdtMessage.objects.bulk_create(messages, batch_size=2000)
    PendingMove.objects.bulk_create(pendings)
    for enc_id, expected in updates:
        Encounter.objects.filter(pk=enc_id).update(expected_discharge_at=expected)


def _pending_admits(result, units, places, clock, messages, pendings) -> None:
    """Admissions of the next hours already announced (A14): planned visits, pending in to their unit."""
    now = clock.now_naive
    soon = [
        e
        for e in result.adt_events
        if e["trigger"] == "A01" and now < e["event_time"] <= now + dt.timedelta(hours=4)
    ]
    if not soon:
        return
    hospital = next(iter(units.values())).facility
    patient_ids = dict(
        Patient.objects.filter(authority=AUTHORITY, mrn__in=[e["patient_id"] for e in soon]).values_list(
            "mrn", "id"
        )
    )
    for event in soon:
        announced = clock.aware(
            max(event["event_time"] - dt.timedelta(hours=3), now - dt.timedelta(minutes=45))
        )
        unit = units.get(places(event["unit"], event["room"], event["bed"])[0])
        if announced > clock.now or unit is None:
            continue
        if event["patient_id"] not in patient_ids:
            patient_ids[event["patient_id"]] = Patient.objects.create(
                mrn=event["patient_id"], authority=AUTHORITY
            ).pk
        enc = Encounter.objects.create(
            facility=hospital,
            patient_id=patient_ids[event["patient_id"]],
            visit_number=event["visit_number"],
            encounter_class=event["encounter_class"],
            status="planned",
            source="demo",
        )
        pendings.append(PendingMove(encounter=enc, kind="admit", to_unit=unit, start_at=announced))
        step = _synthetic(
            "A14", event["visit_number"], enc.pk, 0, announced, event["encounter_class"], unit.pk, None
        )
        messages.append(step)


def _synthetic(trigger, visit, enc_id, k, at, encounter_class, unit_id, bed_id) -> AdtMessage:
    payload = {
        "trigger": trigger,
        "at": at.isoformat(),
        "class": encounter_class,
        "unit": unit_id,
        "bed": bed_id,
        "pending_unit": None,
        "pending_bed": None,
        "admit_source": None,
        "disposition": None,
        "expected_discharge": None,
        "service": None,
    }
    return AdtMessage(
        control_id=f"DEMO-{visit}-{k}",
        trigger=trigger,
        effective_at=at,
        status=AdtStatus.APPLIED,
        reason="demo history",
        raw_sha256="",
        visit_number=visit,
        encounter_id=enc_id,
        payload=payload,
        channel="demo",
    )


def _follow_beds(beds: dict, stay_rows: list[UnitStay], clock: _Clock, rng) -> None:
    """Occupied where someone is; housekeeping where someone left in the last two hours; a few closed."""
    recent = clock.now - dt.timedelta(hours=2)
    occupied = {s.bed_id for s in stay_rows if s.bed_id and s.end_at is None}
    vacated = {
        s.bed_id for s in stay_rows if s.bed_id and s.end_at is not None and s.end_at > recent
    } - occupied
    free = [
        b for b in beds.values() if b.pk not in occupied and b.pk not in vacated and b.room.unit.code != "ED"
    ]
    unavailable = {
        b.pk: rng.choice((BedStatus.CLOSED, BedStatus.BLOCKED, BedStatus.ISOLATED, BedStatus.RESERVED))
        for b in rng.sample(free, k=min(len(free), max(1, len(beds) // 60)))
    }
    changed = []
    for bed in beds.values():
        status = (
            BedStatus.OCCUPIED
            if bed.pk in occupied
            else BedStatus.HOUSEKEEPING
            if bed.pk in vacated
            else unavailable.get(bed.pk, BedStatus.UNOCCUPIED)
        )
        if bed.status != status:
            bed.status = status
            changed.append(bed)
    if changed:
        bulk_update_with_history(changed, Bed, ["status"], batch_size=1000)


def _write_feed(result, places: Callable, now) -> None:
    """The next day of the simulated feed, for ``carehelm adt replay`` (not written for small test demos).

    Events that happened before now are already in the history, late or not, so they are left out."""
    upcoming = [e for e in result.adt_events if e["event_time"] > now]
    text = "".join(
        adt_from_simulation(e, facility=FACILITY, place_of=places, authority=AUTHORITY) for e in upcoming
    )
    path = settings.DATA_DIR / FEED_FILE
    path.write_text(text.replace("\r", "\n"), encoding="utf-8")
    play_feed.enqueue(path=str(path))  # run by db_worker once the demo is committed
