from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "carehelm.demo"
    label = "demo"
    verbose_name = "Demo health system"
