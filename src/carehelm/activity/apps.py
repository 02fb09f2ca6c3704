from django.apps import AppConfig


def _may_see_census(user) -> bool:
    from carehelm.accounts.scope import can

    return can(user, "view")


class ActivityConfig(AppConfig):
    name = "carehelm.activity"
    label = "activity"
    verbose_name = "Patient activity and census"

    def ready(self) -> None:
        from carehelm.web.context_processors import NAV_EXTRAS

        if not any(item[0] == "beds" for item in NAV_EXTRAS):
            NAV_EXTRAS.append(("beds", "Beds & census", "/census/", _may_see_census))
