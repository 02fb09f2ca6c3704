from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "carehelm.api"
    label = "api"
    verbose_name = "API"
