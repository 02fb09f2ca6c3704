from django.contrib import admin

from carehelm.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail cannot be edited, even by a superuser through the admin."""

    list_display = ["occurred_at", "actor_label", "action", "object_repr", "source"]
    list_filter = ["action", "source"]
    search_fields = ["summary", "actor_label", "object_repr"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
