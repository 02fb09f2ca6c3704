from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from carehelm.scheduling.models import (
    Absence,
    Assignment,
    ContractTemplate,
    Demand,
    PublicHoliday,
    RosterPeriod,
    ShiftType,
    StaffContract,
    StaffRequest,
    SwapRequest,
)


@admin.register(ShiftType)
class ShiftTypeAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "unit", "start", "end", "paid_minutes", "on_call")
    list_filter = ("unit", "on_call")


@admin.register(Demand)
class DemandAdmin(SimpleHistoryAdmin):
    list_display = ("shift_type", "unit", "weekday", "date", "skill", "minimum", "target", "from_census")
    list_filter = ("unit",)


@admin.register(ContractTemplate)
class ContractTemplateAdmin(SimpleHistoryAdmin):
    list_display = (
        "name",
        "hours_per_week",
        "max_consecutive_days",
        "min_rest_hours",
        "max_consecutive_nights",
        "weekends_per_four_weeks",
    )


@admin.register(PublicHoliday)
class PublicHolidayAdmin(admin.ModelAdmin):
    list_display = ("date", "name")


@admin.register(RosterPeriod)
class RosterPeriodAdmin(SimpleHistoryAdmin):
    list_display = ("unit", "kind", "start_date", "weeks", "status", "penalty")
    list_filter = ("status", "kind", "unit")
    readonly_fields = ("last_run", "penalty", "lower_bound", "published_at", "published_by")


# Roster rows change through the services (checked and audited); the admin only shows them.
for model in (Assignment, StaffContract, StaffRequest, SwapRequest, Absence):
    admin.site.register(
        model,
        type(
            f"{model.__name__}Admin",
            (SimpleHistoryAdmin,),
            {
                "has_add_permission": lambda self, request: False,
                "has_change_permission": lambda self, request, obj=None: False,
            },
        ),
    )
