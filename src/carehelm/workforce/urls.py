from django.urls import path

from carehelm.workforce import views

urlpatterns = [
    path("staff/", views.staff_list, name="staff-list"),
    path("staff/import/", views.import_page, name="staff-import"),
    path("staff/<int:staff_id>/", views.staff_detail, name="staff-detail"),
    path("staff/<int:staff_id>/credentials/", views.credential_record, name="credential-record"),
    path("credentials/<int:credential_id>/verify/", views.credential_verify, name="credential-verify"),
    path("credentials/<int:credential_id>/history/", views.credential_history, name="credential-history"),
    path("credentials/expiry/", views.expiry_board, name="expiry-board"),
]
