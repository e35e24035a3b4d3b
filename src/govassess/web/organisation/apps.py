from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "govassess.web.organisation"
    label = "organisation"
    verbose_name = "评估对象"
    default_auto_field = "django.db.models.BigAutoField"
