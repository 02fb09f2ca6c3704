from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "carehelm.audit"
    label = "audit"
    verbose_name = "Audit trail"
