from django.contrib import admin
from django.urls import include, path

from carehelm.api.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("carehelm.web.urls")),
    path("", include("carehelm.accounts.urls")),
    path("", include("carehelm.organization.urls")),
    path("", include("carehelm.workforce.urls")),
    path("", include("carehelm.audit.urls")),
    path("", include("carehelm.runs.urls")),
    path("", include("carehelm.quality.urls")),
    path("", include("carehelm.activity.urls")),
    path("", include("carehelm.scheduling.urls")),
]

handler403 = "carehelm.web.views.forbidden"
handler404 = "carehelm.web.views.not_found"
handler500 = "carehelm.web.views.server_error"
