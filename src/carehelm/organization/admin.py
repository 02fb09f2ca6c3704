from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from carehelm.organization.models import Bed, Facility, HealthSystem, Room, Unit


@admin.register(HealthSystem)
class HealthSystemAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code"]


@admin.register(Facility)
class FacilityAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "kind", "health_system"]
    list_filter = ["kind"]


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "facility", "kind", "cost_centre", "staffed_beds"]
    list_filter = ["facility", "kind"]


@admin.register(Room)
class RoomAdmin(SimpleHistoryAdmin):
    list_display = ["name", "unit"]


@admin.register(Bed)
class BedAdmin(SimpleHistoryAdmin):
    list_display = ["label", "room", "status"]
    list_filter = ["status"]
