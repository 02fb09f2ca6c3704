from django.db.models import Count
from django.shortcuts import render

from carehelm.organization.models import Unit


def unit_list(request):
    units = (Unit.objects.restrict(request.user, "view").select_related("facility")
             .annotate(bed_count=Count("rooms__beds", distinct=True), staff_count=Count("home_staff", distinct=True)))
    return render(request, "organization/unit_list.html", {"units": units})
