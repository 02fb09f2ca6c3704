"""Workforce API: job roles, credential types, staff and their credentials."""

import datetime as dt
from decimal import Decimal

from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import LimitOffsetPagination, paginate

from carehelm.organization.models import Unit
from carehelm.validation import FieldProblem, InvalidInput
from carehelm.workforce import selectors, services
from carehelm.workforce import status as cs
from carehelm.workforce.models import (
    CredentialType,
    EmploymentType,
    JobRole,
    Skill,
    Staff,
    VerificationResult,
)

router = Router(tags=["workforce"])


class JobRoleOut(Schema):
    id: int
    code: str
    name: str
    category: str
    education: str
    salary_min: int | None
    salary_median: int | None
    salary_max: int | None
    next_role_id: int | None


class CredentialTypeOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    issuing_body: str
    renewal_months: int | None


class StaffOut(Schema):
    id: int
    employee_number: str
    first_name: str
    last_name: str
    email: str
    phone: str
    job_role: str = Field(alias="job_role.code")
    home_unit_id: int
    facility_id: int = Field(alias="home_unit.facility_id")
    fte: Decimal
    employment_type: EmploymentType
    hire_date: dt.date
    hourly_rate: Decimal
    active: bool


class StaffIn(Schema):
    employee_number: str = Field(min_length=1, max_length=32)
    first_name: str = Field(min_length=1, max_length=80)
    last_name: str = Field(min_length=1, max_length=80)
    email: str = ""
    phone: str = ""
    job_role: str = Field(description="job role code, e.g. rn")
    home_unit_id: int
    float_unit_ids: list[int] = []
    fte: Decimal = Field(Decimal("1.00"), ge=Decimal("0.05"), le=Decimal("1.5"))
    employment_type: EmploymentType = EmploymentType.FULL_TIME
    hire_date: dt.date
    hourly_rate: Decimal = Field(ge=0, le=2000)
    skills: list[str] = []


class StaffPatch(Schema):
    first_name: str | None = Field(None, min_length=1, max_length=80)
    last_name: str | None = Field(None, min_length=1, max_length=80)
    email: str | None = None
    phone: str | None = None
    fte: Decimal | None = Field(None, ge=Decimal("0.05"), le=Decimal("1.5"))
    employment_type: EmploymentType | None = None
    hourly_rate: Decimal | None = Field(None, ge=0, le=2000)
    active: bool | None = None


class CredentialOut(Schema):
    id: int
    staff_id: int
    employee_number: str = Field(alias="staff.employee_number")
    credential_type: str = Field(alias="credential_type.code")
    number: str
    issuer: str
    issued_on: dt.date | None
    expires_on: dt.date | None
    verification_result: str
    verification_source: str
    verified_at: dt.datetime | None
    status: str
    days_left: int | None

    @staticmethod
    def resolve_status(obj):
        return cs.status_of(obj, timezone.localdate()).status

    @staticmethod
    def resolve_days_left(obj):
        return cs.status_of(obj, timezone.localdate()).days_left


class CredentialIn(Schema):
    credential_type: str = Field(description="credential type code, e.g. bls")
    number: str = ""
    issuer: str = ""
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None


class VerificationIn(Schema):
    source: str = Field(min_length=1, max_length=200)
    result: VerificationResult = VerificationResult.VERIFIED


class ImportOut(Schema):
    created: int
    updated: int
    filename: str


@router.get("/job-roles", response=list[JobRoleOut])
def list_job_roles(request):
    return JobRole.objects.restrict(request.auth, "view")


@router.get("/credential-types", response=list[CredentialTypeOut])
def list_credential_types(request):
    return CredentialType.objects.restrict(request.auth, "view")


@router.get("/staff", response=list[StaffOut])
@paginate(LimitOffsetPagination)
def list_staff(request, q: str = "", facility_id: int | None = None, unit_id: int | None = None, job_role: str = "",
               employment_type: str = "", active: bool | None = True):
    return selectors.staff_list(request.auth, q=q, facility=facility_id, unit=unit_id, job_role=job_role,
                                employment_type=employment_type, active=active)


# The import routes come before the detail routes: ninja matches "{staff_id}" as any string, so
# "/staff/import" declared after "/staff/{staff_id}" would answer 405.
@router.post("/staff/import", response=ImportOut)
def import_staff(request, file: File[UploadedFile]):
    result = services.import_staff_csv(actor=request.auth, content=file.read(), filename=file.name or "staff.csv")
    return result.__dict__


@router.get("/staff/{staff_id}", response=StaffOut)
def get_staff(request, staff_id: int):
    return get_object_or_404(Staff.objects.restrict(request.auth, "view").select_related("job_role", "home_unit"), pk=staff_id)


@router.post("/staff", response={201: StaffOut})
def create_staff(request, payload: StaffIn):
    units = Unit.objects.restrict(request.auth, "view")
    home = get_object_or_404(units, pk=payload.home_unit_id)
    floats = list(units.filter(pk__in=payload.float_unit_ids))
    role = JobRole.objects.filter(code=payload.job_role).first()
    skills = list(Skill.objects.filter(code__in=payload.skills))
    problems = []
    if role is None:
        problems.append(FieldProblem(field="job_role", value=payload.job_role, message="unknown job role code"))
    unknown_skills = sorted(set(payload.skills) - {s.code for s in skills})
    if unknown_skills:
        problems.append(FieldProblem(field="skills", value=", ".join(unknown_skills), message="unknown skill code"))
    if problems:
        raise InvalidInput(problems)
    data = payload.dict(exclude={"home_unit_id", "float_unit_ids", "job_role", "skills"})
    staff = services.create_staff(actor=request.auth, job_role=role, home_unit=home, float_units=floats, skills=skills, **data)
    return 201, staff


@router.patch("/staff/{staff_id}", response=StaffOut)
def update_staff(request, staff_id: int, payload: StaffPatch):
    staff = get_object_or_404(Staff.objects.restrict(request.auth, "view"), pk=staff_id)
    return services.update_staff(actor=request.auth, staff=staff, **payload.dict(exclude_unset=True))


@router.get("/credentials", response=list[CredentialOut])
@paginate(LimitOffsetPagination)
def list_credentials(request, staff_id: int | None = None, status: str = "", facility_id: int | None = None,
                     unit_id: int | None = None, credential_type: str = ""):
    qs = selectors.credentials_for(request.auth)
    if staff_id:
        qs = qs.filter(staff_id=staff_id)
    if facility_id:
        qs = qs.filter(staff__home_unit__facility_id=facility_id)
    if unit_id:
        qs = qs.filter(staff__home_unit_id=unit_id)
    if credential_type:
        qs = qs.filter(credential_type__code=credential_type)
    if status:
        qs = qs.annotate(computed_status=cs.status_expression(timezone.localdate())).filter(computed_status=status)
    return qs.order_by("expires_on", "pk")


@router.post("/credentials/import", response=ImportOut)
def import_credentials(request, file: File[UploadedFile]):
    result = services.import_credentials_csv(actor=request.auth, content=file.read(), filename=file.name or "credentials.csv")
    return result.__dict__


@router.get("/credentials/{credential_id}", response=CredentialOut)
def get_credential(request, credential_id: int):
    return get_object_or_404(selectors.credentials_for(request.auth), pk=credential_id)


@router.post("/staff/{staff_id}/credentials", response={201: CredentialOut})
def record_credential(request, staff_id: int, payload: CredentialIn):
    staff = get_object_or_404(Staff.objects.restrict(request.auth, "view"), pk=staff_id)
    ctype = CredentialType.objects.filter(code=payload.credential_type).first()
    if ctype is None:
        raise InvalidInput([FieldProblem(field="credential_type", value=payload.credential_type,
                                         message="unknown credential type code")])
    cred = services.record_credential(actor=request.auth, staff=staff, credential_type=ctype,
                                      **payload.dict(exclude={"credential_type"}))
    return 201, cred


@router.post("/credentials/{credential_id}/verify", response=CredentialOut)
def verify_credential(request, credential_id: int, payload: VerificationIn):
    cred = get_object_or_404(selectors.credentials_for(request.auth), pk=credential_id)
    return services.verify_credential(actor=request.auth, credential=cred, source=payload.source, result=payload.result)



# --- FHIR R4 export and import (carehelm.workforce.fhir) ---------------------------------------------


@router.get("/fhir/bundle", response={200: dict}, summary="FHIR R4 Bundle of what you may view")
def fhir_bundle(request):
    """Facilities, units, rooms, beds, staff and credentials you may view, as a FHIR R4 collection Bundle."""
    import json

    from django.http import HttpResponse

    from carehelm.workforce import fhir

    body = json.dumps(fhir.export_bundle(request.auth), ensure_ascii=False)
    return HttpResponse(body, content_type="application/fhir+json")


@router.post(
    "/fhir/import",
    response=dict,
    summary="Import a FHIR R4 Bundle (executives, facility admins)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/fhir+json": {"schema": {"type": "object"}},
                        "application/json": {"schema": {"type": "object"}}},
        }
    },
)
def fhir_import(request):
    """All or nothing: a bad entry refuses the whole bundle with each problem's entry and field (422).

    The body is the Bundle itself (read raw, so JSON errors are reported like any other problem).
    """
    from carehelm.accounts.scope import reach
    from carehelm.validation import NotAllowed
    from carehelm.workforce import fhir

    if reach(request.auth, "add").nothing:
        raise NotAllowed("you may not import a FHIR bundle")
    return fhir.import_bundle(actor=request.auth, bundle=request.body, filename="request body").as_dict()
