from django import forms
from django.contrib import admin

from govassess.errors import UserError
from govassess.web.audit.services import audit_record
from govassess.web.systems.models import Assignment, System


class SystemForm(forms.ModelForm):
    """A stored system must load in the core; its problems are shown with their indicator codes."""

    class Meta:
        model = System
        fields = ["slug", "name", "yaml_text"]

    def clean(self):
        data = super().clean()
        from govassess.indicators import system_from_yaml

        try:
            core = system_from_yaml(data.get("yaml_text") or "", file="体系定义")
        except UserError as err:
            raise forms.ValidationError([str(p) for p in err.problems[:50]]) from err
        if data.get("slug") and core.id != data["slug"]:
            raise forms.ValidationError(f"体系标识应与 YAML 中的 id 一致：{core.id}")
        return data


@admin.register(System)
class SystemAdmin(admin.ModelAdmin):
    form = SystemForm
    list_display = ["slug", "name", "updated_at"]
    search_fields = ["slug", "name"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            user=request.user,
            action="system_save",
            object_type="system",
            object_id=obj.slug,
            after={"name": obj.name, "changed": form.changed_data},
        )


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["system", "indicator", "user", "kind"]
    list_filter = ["system", "kind"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            user=request.user,
            action="assignment_set",
            object_type="assignment",
            object_id=obj.pk,
            indicator=obj.indicator,
            after={"user": obj.user.get_username(), "kind": obj.kind, "system": obj.system.slug},
        )

    def delete_model(self, request, obj):
        audit_record(
            user=request.user,
            action="assignment_delete",
            object_type="assignment",
            object_id=obj.pk,
            indicator=obj.indicator,
            before={"user": obj.user.get_username(), "kind": obj.kind},
        )
        super().delete_model(request, obj)
