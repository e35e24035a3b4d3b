from django.contrib import admin

from govassess.web.admin_readonly import ReadOnlyAdmin
from govassess.web.audit.services import audit_record
from govassess.web.organisation.models import Unit, UnitProfileChange


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit_class", "active"]
    list_filter = ["unit_class", "active"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        # Deleting a unit cascades to its inputs in every round, final ones included: only a unit without
        # round data may go (deactivate the others). Its evidence, submissions and appeals are checked by
        # their own admins (rounds/admin.py) when Django collects what the deletion would take with it.
        from govassess.web.rounds.models import InputValue

        if obj is not None and InputValue.objects.filter(unit=obj).exists():
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            old = Unit.objects.get(pk=obj.pk)
            before = {
                "name": old.name,
                "class": old.unit_class,
                "attributes": old.attributes,
                "active": old.active,
            }
        super().save_model(request, obj, form, change)
        audit_record(
            user=request.user,
            action="unit_save",
            object_type="unit",
            object_id=obj.code,
            unit_code=obj.code,
            before=before,
            after={
                "name": obj.name,
                "class": obj.unit_class,
                "attributes": obj.attributes,
                "active": obj.active,
            },
        )


@admin.register(UnitProfileChange)
class UnitProfileChangeAdmin(ReadOnlyAdmin):
    """History of the 一表通 master data, read-only (edits go through the unit's 单位信息 page)."""

    list_display = ["unit", "at", "username"]
    list_filter = ["unit"]
