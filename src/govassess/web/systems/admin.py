import re

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from govassess.errors import UserError
from govassess.web.audit.services import audit_record
from govassess.web.systems.models import Assignment, System, immutable_message


class SystemForm(forms.ModelForm):
    """A stored system must load in the core; its problems are shown with their indicator codes."""

    class Meta:
        model = System
        fields = ["slug", "name", "yaml_text"]

    def clean(self):
        data = super().clean()
        from govassess.indicators import system_from_yaml

        inst = self.instance
        if inst.pk is not None and inst.rounds_using():
            stored = System.objects.get(pk=inst.pk)
            if any(k in data and data[k] != getattr(stored, k) for k in ("slug", "yaml_text")):
                # Reached when rounds started using the system after the page was opened (the change page
                # of a system in use has the definition read-only). The refusal is audited; the admin's
                # transaction commits since the form only re-renders.
                audit_record(
                    user=getattr(self, "request_user", None),
                    action="system_change_refused",
                    object_type="system",
                    object_id=stored.slug,
                    before={"name": stored.name},
                    after={"source": "管理后台", "rounds": stored.rounds_using()},
                )
                raise forms.ValidationError(immutable_message(stored))
        if "yaml_text" not in self.fields:
            return data  # definition read-only (in use): only the display name can change

        try:
            core = system_from_yaml(data.get("yaml_text") or "", file="体系定义")
        except UserError as err:
            raise forms.ValidationError([str(p) for p in err.problems[:50]]) from err
        if data.get("slug") and core.id != data["slug"]:
            raise forms.ValidationError(f"体系标识应与 YAML 中的 id 一致：{core.id}")
        return data


def _new_version(system: System) -> tuple[str, str]:
    """A free identifier for the next version of `system` and its YAML carrying that id."""
    base = re.sub(r"-v\d+$", "", system.slug)
    n = 2
    while System.objects.filter(slug=f"{base}-v{n}").exists():
        n += 1
    slug = f"{base}-v{n}"
    text = re.sub(r"^id:.*$", f"id: {slug}", system.yaml_text, count=1, flags=re.M)
    return slug, text


@admin.register(System)
class SystemAdmin(admin.ModelAdmin):
    form = SystemForm
    list_display = ["slug", "name", "usage", "updated_at"]
    search_fields = ["slug", "name"]

    @admin.display(description="使用中的轮次")
    def usage(self, obj):
        names = obj.rounds_using()
        return "、".join(names) if names else "（未使用，可修改）"

    @admin.display(description="修改体系定义")
    def new_version(self, obj):
        url = reverse("admin:systems_system_add") + f"?copy={obj.pk}"
        return format_html(
            '已被轮次使用，体系定义（标识和 YAML）不能再修改。<a href="{}">复制为新版本</a>后修改，新的轮次选用新版本。',
            url,
        )

    @admin.display(description="体系定义（YAML）")
    def definition(self, obj):
        return format_html('<pre class="yaml" style="white-space: pre-wrap; margin: 0">{}</pre>', obj.yaml_text)

    def _in_use(self, obj) -> bool:
        return obj is not None and bool(obj.rounds_using())

    def get_fields(self, request, obj=None):
        if self._in_use(obj):
            return ["name", "usage", "new_version", "slug", "definition"]
        return ["slug", "name", "yaml_text"] + (["usage"] if obj is not None else [])

    def get_readonly_fields(self, request, obj=None):
        if self._in_use(obj):
            return ["usage", "new_version", "slug", "definition"]
        return ["usage"] if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.request_user = request.user  # the audited refusal in clean() names who tried
        return form

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        source = (
            System.objects.filter(pk=request.GET.get("copy") or 0).first()
            if request.GET.get("copy", "").isdigit()
            else None
        )
        if source is not None:
            slug, text = _new_version(source)
            initial.update(slug=slug, name=f"{source.name}（新版本）", yaml_text=text)
        return initial

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
