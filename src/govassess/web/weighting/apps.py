from django.apps import AppConfig


class WeightingConfig(AppConfig):
    name = "govassess.web.weighting"
    label = "weighting"
    verbose_name = "评估方法（赋权与名次敏感性）"
    default_auto_field = "django.db.models.BigAutoField"
