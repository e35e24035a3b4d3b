"""Accounts in Django admin; every change is written to the audit log."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from govassess.web.accounts.forms import ThrottledAdminLoginForm
from govassess.web.accounts.models import OtpDevice, Profile
from govassess.web.accounts.services import account_password_set_by_office
from govassess.web.audit.services import audit_record

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    # Set by office password resets and cleared by the user's own change; not a box to tick by hand.
    readonly_fields = ["must_change_password"]


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

    def user_change_password(self, request, id, form_url=""):
        """Django admin's own password form: audited like every change (it bypasses save_model), and, as the
        office then knows the password, the account must change it at the next login, as after a reset in
        账号管理. One's own password set here is not flagged."""
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                account_password_set_by_office(user=request.user, account=User.objects.get(pk=id))
        return response

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


# /admin/login/ shows the throttle's message like the login page (the refusal itself is in the backend).
admin.site.login_form = ThrottledAdminLoginForm

_admin_logout = admin.site.logout


def _logout_clearing_drafts(request, extra_context=None):
    """/admin/logout/ also empties the browser's site storage (the fill form's autosaved drafts), like the
    platform's own logout (accounts.views.LogoutView). admin.site's URLs are built after this module runs."""
    response = _admin_logout(request, extra_context)
    if request.method == "POST":
        response["Clear-Site-Data"] = '"storage"'
    return response


admin.site.logout = _logout_clearing_drafts


# django-otp's own admin (English, unaudited) replaced by a read-only list whose deletions are audited.
admin.site.unregister(TOTPDevice)


@admin.register(OtpDevice)
class OtpDeviceAdmin(admin.ModelAdmin):
    list_display = ["account", "enabled"]
    # Only these two on the page: the device's key is the second factor's secret.
    fields = readonly_fields = ["account", "enabled"]

    @admin.display(description="账号")
    def account(self, obj):
        return obj.user.get_username()

    @admin.display(description="已启用", boolean=True)
    def enabled(self, obj):
        return obj.confirmed

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_record(
                user=request.user,
                action="otp_disable",
                object_type="account",
                object_id=obj.user_id,
                before={"username": obj.user.get_username(), "otp": obj.confirmed},
                after={"otp": False},
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
