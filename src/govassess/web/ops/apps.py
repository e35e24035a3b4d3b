from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "govassess.web.ops"
    label = "ops"
    verbose_name = "运行维护"

    def ready(self) -> None:
        # django_tasks_db registers its task table in the admin with English labels; the platform's admin is
        # Chinese and the jobs are shown on their own pages (评分任务, 指标计算, 网站检查), so it stays out.
        from django.contrib import admin

        try:
            from django_tasks_db.models import DBTaskResult
        except ImportError:  # pragma: no cover - the dependency is required, this only keeps ready() safe
            return
        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)
