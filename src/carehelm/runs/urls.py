from django.urls import path

from carehelm.runs import views

urlpatterns = [
    path("runs/<int:run_id>/", views.run_status, name="run-status"),
    path("runs/<int:run_id>/cancel", views.run_cancel, name="run-cancel"),
]
