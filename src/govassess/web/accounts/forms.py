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
    }


class ThrottledAdminLoginForm(ThrottleMessageMixin, AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确；管理后台只接受评估办账号。",
    }


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
