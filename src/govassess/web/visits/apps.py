from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "govassess.web.visits"
    label = "visits"
    verbose_name = "暗访记录"
    default_auto_field = "django.db.models.BigAutoField"
