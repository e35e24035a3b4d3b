from django.apps import AppConfig


class SurveyConfig(AppConfig):
    name = "govassess.web.survey"
    label = "survey"
    verbose_name = "政务信息系统普查"
    default_auto_field = "django.db.models.BigAutoField"
