from django.urls import path

from carehelm.organization import views

urlpatterns = [path("units/", views.unit_list, name="unit-list")]
