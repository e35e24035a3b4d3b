from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "govassess.web.feeds"
    label = "feeds"
    verbose_name = "数据来源（网上抓取、系统统计）"
    default_auto_field = "django.db.models.BigAutoField"
