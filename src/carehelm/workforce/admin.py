from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from carehelm.workforce.models import (
    CredentialRequirement,
    CredentialType,
    JobRole,
    Skill,
    Staff,
    StaffCredential,
)


@admin.register(JobRole)
class JobRoleAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "category", "ladder_rank", "next_role", "salary_median"]
    list_filter = ["category"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]


class RequirementInline(admin.TabularInline):
    model = CredentialRequirement
    extra = 0


@admin.register(CredentialType)
class CredentialTypeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "kind", "issuing_body", "renewal_months"]
    list_filter = ["kind"]
    inlines = [RequirementInline]


@admin.register(Staff)
class StaffAdmin(SimpleHistoryAdmin):
    list_display = ["employee_number", "last_name", "first_name", "job_role", "home_unit", "active"]
    list_filter = ["job_role", "home_unit__facility", "employment_type", "active"]
    search_fields = ["employee_number", "last_name", "first_name"]


@admin.register(StaffCredential)
class StaffCredentialAdmin(SimpleHistoryAdmin):
    list_display = ["staff", "credential_type", "expires_on", "verification_result"]
    list_filter = ["credential_type"]
