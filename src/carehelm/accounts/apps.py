from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "carehelm.accounts"
    label = "accounts"
    verbose_name = "Accounts and access"
