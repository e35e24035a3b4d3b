from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "govassess.web.documents"
    label = "documents"
    verbose_name = "评估文档（通报、评估报告、成绩单）"
    default_auto_field = "django.db.models.BigAutoField"
