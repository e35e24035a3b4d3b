from django.apps import AppConfig


class RoundsConfig(AppConfig):
    name = "govassess.web.rounds"
    label = "rounds"
    verbose_name = "评估轮次与填报"
    default_auto_field = "django.db.models.BigAutoField"
