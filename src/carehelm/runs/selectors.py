from carehelm.runs.models import Run


def runs_for(user):
    return Run.objects.restrict(user, "view")
