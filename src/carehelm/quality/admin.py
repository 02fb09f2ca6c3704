from django.contrib import admin

from carehelm.quality.models import KpiTarget, KpiValue


@admin.register(KpiValue)
class KpiValueAdmin(admin.ModelAdmin):
    list_display = ("kpi", "grain", "period", "facility", "unit", "numerator", "denominator", "value")
    list_filter = ("grain", "kpi", "facility")
    date_hierarchy = "period"

    def has_add_permission(self, request):  # written only by the rebuild
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin):
    list_display = ("kpi", "facility", "unit", "value", "note", "updated_at", "updated_by")
    list_filter = ("kpi", "facility")
    readonly_fields = ("updated_at", "updated_by")
