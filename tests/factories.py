"""factory_boy factories for the platform's models. Tests build exactly the rows they need."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from carehelm.accounts.models import Role, RoleGrant, User
from carehelm.organization.models import Bed, Facility, FacilityKind, HealthSystem, Room, Unit, UnitKind
from carehelm.workforce.models import CredentialType, JobRole, Staff, StaffCredential, VerificationResult

PASSWORD = "correct-horse-battery"


class HealthSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HealthSystem
        django_get_or_create = ("code",)

    name = "Riverbend Health"
    code = "riverbend"


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    health_system = factory.SubFactory(HealthSystemFactory)
    name = factory.Sequence(lambda n: f"Facility {n}")
    code = factory.Sequence(lambda n: f"fac{n}")
    kind = FacilityKind.HOSPITAL


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    facility = factory.SubFactory(FacilityFactory)
    name = factory.Sequence(lambda n: f"Ward {n}")
    code = factory.Sequence(lambda n: f"W{n}")
    kind = UnitKind.INPATIENT_WARD
    staffed_beds = 20


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    unit = factory.SubFactory(UnitFactory)
    name = factory.Sequence(lambda n: f"{100 + n}")


class BedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bed

    room = factory.SubFactory(RoomFactory)
    label = "A"


def job_role(code: str = "rn") -> JobRole:
    """Job roles are reference data seeded by migration; fetch one by code."""
    return JobRole.objects.get(code=code)


def credential_type(code: str = "bls") -> CredentialType:
    return CredentialType.objects.get(code=code)


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    employee_number = factory.Sequence(lambda n: f"E{10000 + n}")
    first_name = factory.Sequence(lambda n: f"Alex{n}")
    last_name = factory.Sequence(lambda n: f"Rivera{n}")
    job_role = factory.LazyFunction(lambda: job_role("rn"))
    home_unit = factory.SubFactory(UnitFactory)
    hire_date = dt.date(2020, 1, 6)
    hourly_rate = Decimal("45.00")
    fte = Decimal("1.00")


class StaffCredentialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffCredential

    staff = factory.SubFactory(StaffFactory)
    credential_type = factory.LazyFunction(lambda: credential_type("bls"))
    number = factory.Sequence(lambda n: f"C-{n:06d}")
    issuer = "American Heart Association"
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=400))
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=330))
    verification_result = VerificationResult.VERIFIED
    verification_source = "AHA eCard lookup"
    verified_at = factory.LazyFunction(timezone.now)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Sam"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def persist(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def grant(user: User, role: str, *, facility=None, unit=None) -> RoleGrant:
    return RoleGrant.objects.create(user=user, role=role, facility=facility, unit=unit,
                                    health_system=(facility.health_system if facility else None)
                                    if role in (Role.EXECUTIVE, Role.COMPLIANCE) else None)
