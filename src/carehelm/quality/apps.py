"""The quality app: KPI values, targets, SPC dashboards, the monthly board summary and their API."""

from django.apps import AppConfig


def _may_see_quality(user) -> bool:
    from carehelm.quality.selectors import may_see_quality

    return may_see_quality(user)


class QualityConfig(AppConfig):
    name = "carehelm.quality"
    label = "quality"
    verbose_name = "Quality and SPC"

    def ready(self) -> None:
        from carehelm.web.context_processors import NAV_EXTRAS

        if not any(item[0] == "quality" for item in NAV_EXTRAS):
            NAV_EXTRAS.append(("quality", "Quality", "/quality/", _may_see_quality))
