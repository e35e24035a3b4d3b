"""Django admin for round data. Admin is a side door to the same rules as the pages: a locked (final) round
is read-only here, changes go through the services (which check the lock and write the audit entry), and
every deletion that remains possible is audited; evidence files are moved to the retained store, never
unlinked. Bulk deletion is switched off so each object's own checks apply."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.forms.models import model_to_dict

from govassess.errors import UserError
from govassess.web.audit.services import audit_record
from govassess.web.rounds import policy, services
from govassess.web.rounds.models import (
    AnnualResult,
    Appeal,
    AppealStatus,
    Evidence,
    Extension,
    JobStatus,
    Round,
    RoundState,
    ScoringRun,
    Submission,
)


def _plain(obj) -> dict:
    """An object's fields as JSON-safe values for the audit entry of its deletion."""
    return {
        k: (v if isinstance(v, int | float | bool | type(None)) else str(v))
        for k, v in model_to_dict(obj).items()
    }


class AuditedAdmin(admin.ModelAdmin):
    """No bulk actions (delete_selected would bypass the per-object checks); each deletion is audited."""

    actions = None

    def round_of(self, obj) -> Round | None:
        return getattr(obj, "round", None)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        rnd = self.round_of(obj) if obj is not None else None
        if rnd is not None and rnd.locked:
            return False
        return super().has_change_permission(request, obj)

    def may_delete(self, obj) -> bool:
        rnd = self.round_of(obj)
        return rnd is None or not rnd.locked

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not self.may_delete(obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        if not self.may_delete(obj):
            raise PermissionDenied(policy.LOCKED_MESSAGE)
        rnd = self.round_of(obj)
        audit_record(
            user=request.user,
            action="admin_delete",
            object_type=obj._meta.model_name,
            object_id=obj.pk,
            round=rnd,
            unit_code=getattr(getattr(obj, "unit", None), "code", ""),
            indicator=getattr(obj, "indicator", ""),
            before=_plain(obj),
            after=None,
        )
        super().delete_model(request, obj)


class RoundAdminForm(forms.ModelForm):
    class Meta:
        model = Round
        fields = ["name", "system", "deadline", "appeal_deadline"]

    def clean(self):
        data = super().clean()
        if self.instance.pk and data.get("system") and data["system"].pk != self.instance.system_id:
            if self.instance.inputs.exists():
                raise forms.ValidationError(services.SYSTEM_LOCKED_MESSAGE)
        return data


@admin.register(Round)
class RoundAdmin(AuditedAdmin):
    form = RoundAdminForm
    list_display = ["name", "system", "state", "deadline", "appeal_deadline"]
    list_filter = ["state", "system"]
    # Round state changes go through the workflow (and its audit), not through admin edits.
    readonly_fields = ["state", "finalised_at"]

    def round_of(self, obj):
        return obj

    def has_add_permission(self, request):
        return admin.ModelAdmin.has_add_permission(self, request)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.inputs.exists():
            fields.append("system")  # the inputs belong to this system's indicators
        return fields

    def may_delete(self, obj) -> bool:
        # Only an empty round: deleting one cascades to its inputs, evidence, appeals and scoring runs.
        return not obj.locked and not (obj.inputs.exists() or obj.evidence.exists() or obj.runs.exists())

    def save_model(self, request, obj, form, change):
        d = form.cleaned_data
        if change:
            services.round_update(
                user=request.user,
                round=obj,
                name=d["name"],
                deadline=d.get("deadline"),
                appeal_deadline=d.get("appeal_deadline"),
                system=d.get("system"),
            )
        else:
            rnd = services.round_create(
                user=request.user, system=d["system"], name=d["name"], deadline=d.get("deadline")
            )
            if d.get("appeal_deadline"):
                services.round_update(
                    user=request.user,
                    round=rnd,
                    name=rnd.name,
                    deadline=rnd.deadline,
                    appeal_deadline=d["appeal_deadline"],
                )
            obj.pk = rnd.pk
            obj.refresh_from_db()


@admin.register(Extension)
class ExtensionAdmin(AuditedAdmin):
    list_display = ["round", "unit", "deadline", "reason"]

    def has_add_permission(self, request):
        return admin.ModelAdmin.has_add_permission(self, request)

    def get_readonly_fields(self, request, obj=None):
        return ["round", "unit"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        # extension_set refuses on a locked round and writes the audit entry (with the old deadline).
        try:
            ext = services.extension_set(
                user=request.user, round=obj.round, unit=obj.unit, deadline=obj.deadline, reason=obj.reason
            )
        except UserError as err:
            raise PermissionDenied(str(err)) from err
        obj.pk = ext.pk


@admin.register(Submission)
class SubmissionAdmin(AuditedAdmin):
    list_display = ["round", "unit", "status", "submitted_at", "reviewed_by"]
    list_filter = ["status"]

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(AuditedAdmin):
    list_display = ["round", "unit", "indicator", "status", "created_at"]
    list_filter = ["status"]

    def has_change_permission(self, request, obj=None):
        return False

    def may_delete(self, obj) -> bool:
        # A decided appeal is part of the result's history (an upheld one corrected inputs): it stays.
        return super().may_delete(obj) and obj.status == AppealStatus.PENDING

    def delete_model(self, request, obj):
        if not self.may_delete(obj):
            raise PermissionDenied("已处理的申诉和已定稿轮次的申诉不能删除。")
        for ev in obj.evidence.all():  # the cascade would leave the files behind
            services.evidence_remove(user=request.user, evidence=ev, action="evidence_admin_delete")
        super().delete_model(request, obj)


@admin.register(Evidence)
class EvidenceAdmin(AuditedAdmin):
    list_display = ["round", "unit", "indicator", "kind", "original_name", "size", "sha256"]
    list_filter = ["kind"]

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        if not self.may_delete(obj):
            raise PermissionDenied(policy.LOCKED_MESSAGE)
        path = services.evidence_remove(user=request.user, evidence=obj, action="evidence_admin_delete")
        messages.info(request, f"文件已移至保留目录：{path.name}")


def _published(run: ScoringRun) -> bool:
    rnd = run.round
    return run.status == JobStatus.DONE and policy.state_at_least(rnd, RoundState.PRELIMINARY)


@admin.register(ScoringRun)
class ScoringRunAdmin(AuditedAdmin):
    list_display = ["round", "status", "progress", "created_at", "finished_at"]
    exclude = ["results"]

    def has_change_permission(self, request, obj=None):
        return False

    def may_delete(self, obj) -> bool:
        # Deleting a finished run of a published round would put an older total (or none) in its place.
        return super().may_delete(obj) and not _published(obj)


@admin.register(AnnualResult)
class AnnualResultAdmin(AuditedAdmin):
    """Made by `annual_combine` (audited) on the 年度综合 page; here only to look at, like the scoring runs."""

    list_display = ["name", "created_at"]
    exclude = ["results"]

    def has_change_permission(self, request, obj=None):
        return False
