from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    name = "govassess.web.questionnaires"
    label = "questionnaires"
    verbose_name = "问卷调查"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from govassess.web.questionnaires import signals  # noqa: F401  (address hashes deleted on lock)
