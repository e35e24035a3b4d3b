from django.contrib import admin

from govassess.web.rounds.models import (
    AnnualResult,
    Appeal,
    Evidence,
    Extension,
    Round,
    ScoringRun,
    Submission,
)


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["name", "system", "state", "deadline", "appeal_deadline"]
    list_filter = ["state", "system"]
    # Round state changes go through the workflow (and its audit), not through admin edits.
    readonly_fields = ["state", "finalised_at"]


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ["round", "unit", "deadline", "reason"]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["round", "unit", "status", "submitted_at", "reviewed_by"]
    list_filter = ["status"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["round", "unit", "indicator", "status", "created_at"]
    list_filter = ["status"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["round", "unit", "indicator", "original_name", "size", "sha256"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin):
    list_display = ["round", "status", "progress", "created_at", "finished_at"]
    exclude = ["results"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AnnualResult)
class AnnualResultAdmin(admin.ModelAdmin):
    """Made by `annual_combine` (audited) on the 年度综合 page; here only to look at, like the scoring runs."""

    list_display = ["name", "created_at"]
    exclude = ["results"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
