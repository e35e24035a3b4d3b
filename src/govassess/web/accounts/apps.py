from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "govassess.web.accounts"
    label = "accounts"
    verbose_name = "账号与角色"

    def ready(self) -> None:
        from govassess.web.accounts import signals  # noqa: F401  (connects the audit receivers)
