from django.apps import AppConfig


class SystemsConfig(AppConfig):
    name = "govassess.web.systems"
    label = "systems"
    verbose_name = "指标体系"
    default_auto_field = "django.db.models.BigAutoField"
