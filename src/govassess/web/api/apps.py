from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "govassess.web.api"
    label = "api"
    verbose_name = "数据报送接口"
    default_auto_field = "django.db.models.BigAutoField"
