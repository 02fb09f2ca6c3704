from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from carehelm.accounts import selectors, services
from carehelm.accounts.scope import reach, roles_of
from carehelm.validation import InvalidInput


def profile(request):
    new_secret = None
    if request.method == "POST":
        try:
            _, new_secret = services.create_api_token(user=request.user, name=request.POST.get("name", ""))
        except InvalidInput as exc:
            messages.error(request, "; ".join(p.message for p in exc.problems))
    r = reach(request.user, "view")
    return render(request, "accounts/profile.html", {
        "tokens": selectors.tokens_of(request.user),
        "new_secret": new_secret,
        "grants": request.user.role_grants.select_related("facility", "unit", "unit__facility"),
        "roles": sorted(roles_of(request.user)),
        "whole_system": r.everything,
    })


@require_POST
def revoke_token(request, token_id: int):
    token = get_object_or_404(selectors.tokens_of(request.user), pk=token_id)
    services.revoke_api_token(user=request.user, token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("profile")
