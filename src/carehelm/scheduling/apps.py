from django.apps import AppConfig


def _may_see_rosters(user) -> bool:
    from carehelm.accounts.scope import can

    return can(user, "view")


class SchedulingConfig(AppConfig):
    name = "carehelm.scheduling"
    label = "scheduling"
    verbose_name = "Rosters and on-call"

    def ready(self) -> None:
        from carehelm.web.context_processors import NAV_EXTRAS

        if not any(item[0] == "roster" for item in NAV_EXTRAS):
            NAV_EXTRAS.append(("roster", "Rosters", "/rosters/", _may_see_rosters))
