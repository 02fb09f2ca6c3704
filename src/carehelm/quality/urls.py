from django.urls import path

from carehelm.quality import views

SCOPE = "<str:scope>/<int:pk>"

urlpatterns = [
    path("quality/", views.index, name="quality-index"),
    path("quality/rebuild", views.rebuild, name="quality-rebuild"),
    path("quality/definitions/", views.definitions, name="quality-definitions"),
    path(f"quality/{SCOPE}/", views.level_dashboard, name="quality-dashboard"),
    path(f"quality/{SCOPE}/board/", views.board, name="quality-board"),
    path(f"quality/{SCOPE}/board.pdf", views.board_pdf, name="quality-board-pdf"),
    path(f"quality/{SCOPE}/kpi/<slug:kpi>/", views.kpi_detail, name="quality-kpi"),
    path(f"quality/{SCOPE}/kpi/<slug:kpi>/chart.png", views.kpi_png, name="quality-kpi-png"),
    path(f"quality/{SCOPE}/kpi/<slug:kpi>/chart.csv", views.kpi_csv, name="quality-kpi-csv"),
]
