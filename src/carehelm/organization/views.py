from django.db.models import Count
from django.shortcuts import render

from carehelm.organization.models import Unit


def unit_list(request):
    # Restrict in a subquery: a staff member reaches their unit through a join on home_staff, and
    # counting over that same join would count only themselves.
    visible = Unit.objects.restrict(request.user, "view").values("pk")
    units = (Unit.objects.filter(pk__in=visible).select_related("facility")
             .annotate(bed_count=Count("rooms__beds", distinct=True), staff_count=Count("home_staff", distinct=True)))
    return render(request, "organization/unit_list.html", {"units": units})
