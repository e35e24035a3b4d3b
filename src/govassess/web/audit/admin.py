from django.contrib import admin

from govassess.web.admin_readonly import ReadOnlyAdmin
from govassess.web.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "ip", "action", "object_type", "object_id", "unit_code", "indicator"]
    list_filter = ["action", "object_type"]
    search_fields = ["username", "unit_code", "indicator", "object_id"]
    # The audit log is append-only, also for administrators (ReadOnlyAdmin).
