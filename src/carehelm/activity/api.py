"""Activity API: ADT intake, census (replayable with ``at``), encounters.

No ``from __future__ import annotations`` here: ninja resolves annotations of the paginated
handlers in the wrapper's module.

- ``POST /api/activity/adt`` JSON ``{"messages": "MSH|...", "learn_locations": false}`` → one result
  per message (status applied/refused/duplicate, reason, and the ACK/NAK text).
- ``POST /api/activity/adt/er7`` raw HL7 body (``x-application/hl7-v2+er7`` or text) → the ACK
  text(s), for interface engines that speak HL7 over HTTP.
- ``GET /api/activity/census?at=ISO&facility_id=`` → ``{"at", "units": [...]}`` as ``carehelm census``.
- ``GET /api/activity/encounters`` (paginated, filtered) and ``/encounters/{id}`` with its stays.

Intake is for executives and facility administrators (an interface account is one of them with a
personal token); everyone else gets 403.
"""

from datetime import datetime

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from carehelm.accounts.scope import reach
from carehelm.activity import selectors, services
from carehelm.activity.models import EncounterClass, EncounterStatus
from carehelm.audit.context import acting
from carehelm.engines.interop.hl7v2 import decode_hl7_bytes, split_messages
from carehelm.organization.models import Facility
from carehelm.validation import FieldProblem, InvalidInput, NotAllowed

router = Router(tags=["activity"])


class AdtIn(Schema):
    messages: str = Field(min_length=1, description="one or more HL7 v2 ADT messages (CR or LF segment ends)")
    learn_locations: bool = False


class AdtResultOut(Schema):
    status: str
    control_id: str
    trigger: str
    visit_number: str
    reason: str
    ack: str


class AdtOut(Schema):
    accepted: int
    refused: int
    results: list[AdtResultOut]


class CensusUnitOut(Schema):
    unit: str
    facility: str
    occupied: int
    pending_in: int
    pending_out: int
    unavailable: int
    open: int
    staffed_beds: int
    occupancy_pct: float | None


class CensusOut(Schema):
    at: str
    units: list[CensusUnitOut]


class StayOut(Schema):
    unit: str = Field(alias="unit.code")
    bed_id: int | None
    start_at: datetime
    end_at: datetime | None


class EncounterOut(Schema):
    id: int
    visit_number: str
    facility: str = Field(alias="facility.code")
    patient_id: int
    encounter_class: EncounterClass
    status: EncounterStatus
    admit_at: datetime | None
    discharge_at: datetime | None
    admit_source: str
    discharge_disposition: str
    expected_discharge_at: datetime | None


class EncounterDetailOut(EncounterOut):
    stays: list[StayOut]


def _require_intake(user) -> None:
    r = reach(user, "change")
    if not (r.everything or r.facility_ids):
        raise NotAllowed("only executives and facility administrators may feed ADT messages")


def _receive_all(request, text: str, learn: bool) -> list:
    messages = split_messages(text)
    if not messages:
        raise InvalidInput([FieldProblem(field="messages", message="no HL7 message (MSH segment) found")])
    with acting(user=request.auth, source="api"):
        return [
            services.receive_adt(m, learn_locations=learn, channel="api", actor=request.auth)
            for m in messages
        ]


@router.post("/adt", response=AdtOut)
def post_adt(request, payload: AdtIn):
    _require_intake(request.auth)
    results = _receive_all(request, payload.messages, payload.learn_locations)
    accepted = sum(r.accepted for r in results)
    return {
        "accepted": accepted,
        "refused": len(results) - accepted,
        "results": [
            {
                "status": r.status,
                "control_id": r.control_id,
                "trigger": r.trigger,
                "visit_number": r.visit_number,
                "reason": r.reason,
                "ack": r.ack,
            }
            for r in results
        ],
    }


@router.post("/adt/er7", response={200: None})
def post_adt_er7(request, learn_locations: bool = False):
    _require_intake(request.auth)
    results = _receive_all(request, decode_hl7_bytes(request.body), learn_locations)
    return HttpResponse(
        "".join(r.ack for r in results), content_type="x-application/hl7-v2+er7; charset=utf-8"
    )


@router.get("/census", response=CensusOut)
def get_census(request, at: datetime | None = None, facility_id: int | None = None):
    facility = None
    if facility_id is not None:
        facility = get_object_or_404(Facility.objects.restrict(request.auth, "view"), pk=facility_id)
    return selectors.census_at(at, user=request.auth, facility=facility)


@router.get("/encounters", response=list[EncounterOut])
@paginate(LimitOffsetPagination)
def list_encounters(
    request,
    facility_id: int | None = None,
    unit_id: int | None = None,
    encounter_class: EncounterClass | None = None,
    status: EncounterStatus | None = None,
):
    return selectors.encounters_for(
        request.auth, facility_id=facility_id, unit_id=unit_id, encounter_class=encounter_class, status=status
    )


@router.get("/encounters/{encounter_id}", response=EncounterDetailOut)
def get_encounter(request, encounter_id: int):
    qs = selectors.encounters_for(request.auth).prefetch_related("stays__unit")
    return get_object_or_404(qs, pk=encounter_id)
