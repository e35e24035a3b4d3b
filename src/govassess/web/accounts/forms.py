from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from govassess.web.audit.selectors import login_failures_from_ip, login_failures_since


class ThrottledLoginForm(AuthenticationForm):
    """Refuses further attempts on an account, or from an address, after too many recent failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确。",
        "locked": "登录失败次数过多，请 %(minutes)s 分钟后再试。",
    }

    def clean(self):
        username = (self.data.get("username") or "").strip()
        since = timezone.now() - timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
        if username and login_failures_since(username=username, since=since) >= settings.LOGIN_MAX_FAILURES:
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"minutes": settings.LOGIN_LOCK_MINUTES}
            )
        ip = self.request.META.get("REMOTE_ADDR") if self.request is not None else None
        if ip and login_failures_from_ip(ip=ip, since=since) >= settings.LOGIN_MAX_FAILURES_PER_IP:
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"minutes": settings.LOGIN_LOCK_MINUTES}
            )
        return super().clean()


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
