from django.apps import AppConfig


class OrganizationConfig(AppConfig):
    name = "carehelm.organization"
    label = "organization"
    verbose_name = "Organization"
