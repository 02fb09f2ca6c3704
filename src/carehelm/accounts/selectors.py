from carehelm.accounts.models import ApiToken


def tokens_of(user):
    return ApiToken.objects.filter(user=user)
