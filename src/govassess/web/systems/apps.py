from django.apps import AppConfig


class SystemsConfig(AppConfig):
    name = "govassess.web.systems"
    label = "systems"
    default_auto_field = "django.db.models.BigAutoField"
