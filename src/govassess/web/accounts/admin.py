"""Accounts in Django admin; every change is written to the audit log."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from govassess.web.accounts.models import Profile
from govassess.web.audit.services import audit_record

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False


def _snapshot(user):
    if user is None or user.pk is None:
        return None
    profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
    return {
        "username": user.username,
        "active": user.is_active,
        "staff": user.is_staff,
        "superuser": user.is_superuser,
        "role": getattr(profile, "role", None),
    }


admin.site.unregister(User)


@admin.register(User)
class AuditedUserAdmin(UserAdmin):
    inlines = [ProfileInline]

    def save_model(self, request, obj, form, change):
        before = _snapshot(User.objects.filter(pk=obj.pk).first()) if change else None
        password_changed = "password" in form.changed_data or "password1" in form.changed_data
        super().save_model(request, obj, form, change)
        after = _snapshot(obj)
        if password_changed:
            after = {**(after or {}), "password": "（已修改）"}
        audit_record(
            user=request.user,
            action="account_change" if change else "account_create",
            object_type="account",
            object_id=obj.pk,
            before=before,
            after=after,
        )

    def delete_model(self, request, obj):
        audit_record(
            user=request.user,
            action="account_delete",
            object_type="account",
            object_id=obj.pk,
            before=_snapshot(obj),
        )
        super().delete_model(request, obj)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "unit", "department"]
    list_filter = ["role"]
