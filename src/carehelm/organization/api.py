"""Organization API: health systems, facilities, units, beds.

No ``from __future__ import annotations`` here: ``@paginate`` wraps the handlers, and ninja resolves
string annotations in the wrapper's module, where ``FacilityKind`` is unknown.
"""

from django.shortcuts import get_object_or_404
from ninja import Field, FilterSchema, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from carehelm.organization import services
from carehelm.organization.models import Bed, Facility, FacilityKind, HealthSystem, Unit, UnitKind

router = Router(tags=["organization"])


class HealthSystemOut(Schema):
    id: int
    name: str
    code: str


class FacilityOut(Schema):
    id: int
    health_system_id: int
    name: str
    code: str
    kind: FacilityKind
    address: str
    phone: str


class FacilityIn(Schema):
    health_system_id: int
    name: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=32, pattern=r"^[-a-zA-Z0-9_]+$")
    kind: FacilityKind
    address: str = ""
    phone: str = ""


class UnitOut(Schema):
    id: int
    facility_id: int
    name: str
    code: str
    kind: UnitKind
    cost_centre: str
    staffed_beds: int


class UnitIn(Schema):
    facility_id: int
    name: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=32)
    kind: UnitKind
    cost_centre: str = ""
    staffed_beds: int = Field(0, ge=0, le=2000)


class UnitPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=200)
    code: str | None = Field(None, min_length=1, max_length=32)
    kind: UnitKind | None = None
    cost_centre: str | None = None
    staffed_beds: int | None = Field(None, ge=0, le=2000)


class UnitFilter(FilterSchema):
    facility_id: int | None = None
    kind: UnitKind | None = None


class BedOut(Schema):
    id: int
    unit_id: int = Field(alias="room.unit_id")
    room: str = Field(alias="room.name")
    label: str
    status: str


@router.get("/health-systems", response=list[HealthSystemOut])
def list_health_systems(request):
    return HealthSystem.objects.restrict(request.auth, "view")


@router.get("/facilities", response=list[FacilityOut])
@paginate(LimitOffsetPagination)
def list_facilities(request, kind: FacilityKind | None = None):
    qs = Facility.objects.restrict(request.auth, "view")
    return qs.filter(kind=kind) if kind else qs


@router.get("/facilities/{facility_id}", response=FacilityOut)
def get_facility(request, facility_id: int):
    return get_object_or_404(Facility.objects.restrict(request.auth, "view"), pk=facility_id)


@router.post("/facilities", response={201: FacilityOut})
def create_facility(request, payload: FacilityIn):
    hs = get_object_or_404(HealthSystem.objects.restrict(request.auth, "view"), pk=payload.health_system_id)
    data = payload.dict(exclude={"health_system_id"})
    return 201, services.create_facility(actor=request.auth, health_system=hs, **data)


@router.get("/units", response=list[UnitOut])
@paginate(LimitOffsetPagination)
def list_units(request, filters: Query[UnitFilter]):
    return filters.filter(Unit.objects.restrict(request.auth, "view"))


@router.get("/units/{unit_id}", response=UnitOut)
def get_unit(request, unit_id: int):
    return get_object_or_404(Unit.objects.restrict(request.auth, "view"), pk=unit_id)


@router.post("/units", response={201: UnitOut})
def create_unit(request, payload: UnitIn):
    facility = get_object_or_404(Facility.objects.restrict(request.auth, "view"), pk=payload.facility_id)
    return 201, services.create_unit(actor=request.auth, facility=facility, **payload.dict(exclude={"facility_id"}))


@router.patch("/units/{unit_id}", response=UnitOut)
def update_unit(request, unit_id: int, payload: UnitPatch):
    unit = get_object_or_404(Unit.objects.restrict(request.auth, "view"), pk=unit_id)
    return services.update_unit(actor=request.auth, unit=unit, **payload.dict(exclude_unset=True))


@router.get("/units/{unit_id}/beds", response=list[BedOut])
def list_beds(request, unit_id: int):
    unit = get_object_or_404(Unit.objects.restrict(request.auth, "view"), pk=unit_id)
    return Bed.objects.restrict(request.auth, "view").filter(room__unit=unit).select_related("room")
