from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from govassess.web.accounts import throttle


class ThrottleMessageMixin:
    """The message of a refused login. The refusal itself happens in the authentication backend
    (accounts.backends), so a form without this mixin still cannot bypass the throttle."""

    def get_invalid_login_error(self):
        refused = getattr(self.request, "login_wait", None) if self.request is not None else None
        if refused is not None:  # refused unchecked: say nothing about the password
            return forms.ValidationError(
                LOCKED_MESSAGE, code="locked", params={"wait": throttle.wait_text(refused.seconds)}
            )
        # A wrong password, which may itself have started a wait: say both now, not at the next attempt.
        ip = self.request.META.get("REMOTE_ADDR") if self.request is not None else None
        wait = throttle.login_wait(username=self.data.get("username"), ip=ip)
        if wait is not None:
            return forms.ValidationError(
                self.error_messages["invalid_login"] + LOCKED_MESSAGE,
                code="invalid_login",
                params={"wait": throttle.wait_text(wait.seconds)},
            )
        return super().get_invalid_login_error()


LOCKED_MESSAGE = "登录失败次数过多，请 %(wait)s后再试。"


class ThrottledLoginForm(ThrottleMessageMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确。",
        "otp_missing": "该账号已启用动态口令：请同时输入验证器上显示的 6 位动态口令。",
        "otp_wrong": "动态口令不正确或已使用过，请输入验证器上当前显示的动态口令。",
    }

    # Not on the login page: the code is asked on a second step, only of an account that has a confirmed
    # device and only once its password is right (LoginView). A client may still send both in one request.
    otp_token = forms.CharField(label="动态口令", required=False, max_length=16)

    otp_needed = False  # password right, account enrolled, no code sent: LoginView shows the code step
    otp_device = None  # the device that accepted the code sent with the password

    def clean(self):
        from govassess.web.accounts.otp import otp_enrolled, otp_match

        cleaned = super().clean()
        user = self.user_cache
        if user is not None and otp_enrolled(user):
            token = (cleaned.get("otp_token") or "").strip()
            if not token:
                self.otp_needed = True
                return cleaned
            self.otp_device = otp_match(user, token)
            if self.otp_device is None:
                self.user_cache = None
                otp_failed(user, self.request)
                raise forms.ValidationError(self.error_messages["otp_wrong"], code="otp_wrong")
        return cleaned


def otp_failed(user, request) -> None:
    """A wrong code counts as a failed login, so codes cannot be guessed outside the login throttle."""
    from django.contrib.auth.signals import user_login_failed

    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)


class OtpStepForm(forms.Form):
    otp_token = forms.CharField(label="动态口令", max_length=16, error_messages={"required": "请输入动态口令。"})


class ThrottledAdminLoginForm(ThrottleMessageMixin, AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确；管理后台只接受评估办账号。",
        "otp_required": "该账号已启用动态口令，请从平台登录页（/accounts/login/）登录后再进入管理后台。",
    }

    def confirm_login_allowed(self, user):
        from govassess.web.accounts.otp import otp_enrolled

        super().confirm_login_allowed(user)
        # The admin's login page has no code field: an account with a second factor must not skip it here.
        if otp_enrolled(user):
            raise forms.ValidationError(self.error_messages["otp_required"], code="otp_required")


class AccountForm(forms.Form):
    username = forms.CharField(label="账号", max_length=150)
    display_name = forms.CharField(label="姓名", max_length=150)
    role = forms.ChoiceField(label="角色")
    unit = forms.ModelChoiceField(
        label="所属评估对象",
        queryset=None,
        required=False,
        help_text="被评估单位填报员必填；数据提供部门可选",
    )

    def __init__(self, *args, **kwargs):
        from govassess.web.accounts.models import Role
        from govassess.web.organisation.models import Unit

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = Role.choices
        self.fields["unit"].queryset = Unit.objects.all()


class AccountImportForm(forms.Form):
    file = forms.FileField(label="账号表（.xlsx）")
