from django.contrib import admin

from carehelm.activity.models import AdtMessage, Encounter, Patient, UnitStay


class ReadOnlyAdmin(admin.ModelAdmin):
    """Activity is written by the feeds and imports only; the admin is for looking."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Patient)
class PatientAdmin(ReadOnlyAdmin):
    list_display = ("mrn", "authority", "birth_date", "sex")
    search_fields = ("mrn",)


class StayInline(admin.TabularInline):
    model = UnitStay
    extra = 0
    can_delete = False
    fields = ("unit", "bed", "start_at", "end_at")
    readonly_fields = fields


@admin.register(Encounter)
class EncounterAdmin(ReadOnlyAdmin):
    list_display = ("visit_number", "facility", "encounter_class", "status", "admit_at", "discharge_at")
    list_filter = ("facility", "encounter_class", "status", "source")
    search_fields = ("visit_number",)
    inlines = [StayInline]


@admin.register(AdtMessage)
class AdtMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "control_id",
        "trigger",
        "status",
        "visit_number",
        "effective_at",
        "received_at",
        "channel",
    )
    list_filter = ("status", "trigger", "channel")
    search_fields = ("control_id", "visit_number")
    exclude = ("raw",)  # the raw message may carry names: not shown
