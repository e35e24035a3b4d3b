"""Django admin for 整改: to look things up, not to change them. Every change of a task goes through the
services (rectification.services: create, answer, review, edit, withdraw, close), which check the lock and the
closed list, keep the task's history (TaskEvent) and write the audit entry; an admin edit or deletion would do
none of that, so the admin offers neither (as audit's and the rounds' scoring runs' admin)."""

from __future__ import annotations

from django.contrib import admin

from govassess.web.admin_readonly import ReadOnlyAdmin
from govassess.web.rectification.models import Task, TaskEvent, TaskEvidence, TaskList


class TaskEventInline(admin.TabularInline):
    model = TaskEvent
    fields = ["at", "kind", "text", "user"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TaskList)
class TaskListAdmin(ReadOnlyAdmin):
    list_display = ["round", "created_at", "closed_at", "closed_by"]


@admin.register(Task)
class TaskAdmin(ReadOnlyAdmin):
    list_display = ["round", "unit", "indicator", "indicator_name", "lost", "lead", "deadline", "status"]
    list_filter = ["status", "round"]
    search_fields = ["unit__code", "unit__name", "indicator", "indicator_name", "lead"]
    list_select_related = ["round", "unit"]
    inlines = [TaskEventInline]


@admin.register(TaskEvent)
class TaskEventAdmin(ReadOnlyAdmin):
    list_display = ["task", "kind", "user", "at"]
    list_filter = ["kind"]
    list_select_related = ["task__unit", "user"]


@admin.register(TaskEvidence)
class TaskEvidenceAdmin(ReadOnlyAdmin):
    list_display = ["task", "original_name", "size", "sha256", "uploaded_by", "uploaded_at"]
    list_select_related = ["task__unit", "uploaded_by"]
