from django.apps import AppConfig


class RectificationConfig(AppConfig):
    name = "govassess.web.rectification"
    label = "rectification"
    verbose_name = "整改（整改任务、答复、复核）"
    default_auto_field = "django.db.models.BigAutoField"
