from django.apps import AppConfig


class RoundsConfig(AppConfig):
    name = "govassess.web.rounds"
    label = "rounds"
    default_auto_field = "django.db.models.BigAutoField"
