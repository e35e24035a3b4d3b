"""The admin pages that only look things up. Their models change through the apps' services, which check the
lock, keep the history and write the audit entry; an admin edit or deletion would do none of that."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
