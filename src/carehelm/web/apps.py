from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "carehelm.web"
    label = "web"
    verbose_name = "Web pages"
