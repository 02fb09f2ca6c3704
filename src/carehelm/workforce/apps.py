from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "carehelm.workforce"
    label = "workforce"
    verbose_name = "Workforce and credentials"
