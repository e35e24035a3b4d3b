"""Accounts: one profile per Django user carrying its role and, for fillers, its unit."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_otp.plugins.otp_totp.models import TOTPDevice


class Role(models.TextChoices):
    OFFICE = "office", "评估办管理员"
    FILLER = "filler", "被评估单位填报员"
    PROVIDER = "provider", "数据提供部门"
    REVIEWER = "reviewer", "评审/复核专家"
    LEADER = "leader", "领导"


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="账号", on_delete=models.CASCADE, related_name="profile"
    )
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    unit = models.ForeignKey(
        "organisation.Unit", verbose_name="所属评估对象", null=True, blank=True, on_delete=models.PROTECT
    )
    department = models.CharField("部门名称", max_length=100, blank=True)
    # Set when the office creates the account or resets its password (the office then knows the password);
    # cleared when the user changes it. Enforced by accounts.middleware.ForcePasswordChangeMiddleware.
    must_change_password = models.BooleanField("须修改密码", default=False)

    class Meta:
        verbose_name = "账号角色"
        verbose_name_plural = "账号角色"

    def __str__(self) -> str:
        return f"{self.user.username}（{self.get_role_display()}）"


class OtpDevice(TOTPDevice):
    """django-otp's TOTP device under a Chinese name in the admin, where the office removes a lost phone's
    device (audited, accounts/admin.py)."""

    class Meta:
        proxy = True
        verbose_name = "动态口令设备"
        verbose_name_plural = "动态口令设备"
