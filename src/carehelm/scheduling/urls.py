from django.urls import path

from carehelm.scheduling import views

urlpatterns = [
    path("rosters/", views.roster_list, name="roster-list"),
    path("rosters/new", views.period_create, name="roster-create"),
    path("rosters/setup/", views.unit_setup_index, name="unit-setup-index"),
    path("rosters/setup/<int:unit_id>/", views.unit_setup, name="unit-setup"),
    path("rosters/<int:period_id>/", views.roster_grid, name="roster-grid"),
    path("rosters/<int:period_id>/grid", views.grid_fragment, name="roster-grid-fragment"),
    path("rosters/<int:period_id>/generate", views.roster_generate, name="roster-generate"),
    path("rosters/<int:period_id>/solve-status", views.solve_status, name="roster-solve-status"),
    path("rosters/<int:period_id>/cancel", views.solve_cancel, name="roster-solve-cancel"),
    path("rosters/<int:period_id>/change", views.roster_change, name="roster-change"),
    path("rosters/<int:period_id>/publish", views.roster_publish, name="roster-publish"),
    path("rosters/<int:period_id>/explain", views.roster_explain, name="roster-explain"),
    path("rosters/<int:period_id>/roster.csv", views.roster_csv, name="roster-csv"),
    path("rosters/<int:period_id>/print", views.roster_print, name="roster-print"),
    path("rosters/<int:period_id>/absences", views.absence_mark, name="roster-absence"),
    path("rosters/<int:period_id>/repair/<int:absence_id>/", views.roster_repair, name="roster-repair"),
    path("rosters/<int:period_id>/swaps/<int:swap_id>/decide", views.swap_decide, name="roster-swap-decide"),
    path("my/shifts/", views.my_shifts, name="my-shifts"),
    path("feeds/roster/<str:token>.ics", views.calendar_feed, name="roster-feed"),
]
