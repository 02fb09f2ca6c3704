from django.urls import path

from carehelm.activity import views

urlpatterns = [
    path("census/", views.census, name="census"),
    path("census/<int:unit_id>/", views.bed_board, name="bed-board"),
    path("census/beds/<int:bed_id>/status/", views.bed_status, name="bed-status"),
    path("census/feed/", views.feed_log, name="adt-log"),
]
