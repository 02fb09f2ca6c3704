from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "carehelm.runs"
    label = "runs"
    verbose_name = "Background runs"
