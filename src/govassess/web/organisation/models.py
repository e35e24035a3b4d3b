"""Evaluated units (评估对象): code, name, class and free attributes used by `applies` expressions."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Unit(models.Model):
    code = models.CharField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=200)
    unit_class = models.CharField("类别", max_length=60, db_index=True)
    attributes = models.JSONField("属性", default=dict, blank=True)
    active = models.BooleanField("参与评估", default=True)

    class Meta:
        verbose_name = "评估对象"
        verbose_name_plural = "评估对象"
        ordering = ["unit_class", "code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


# 一表通: the unit's master data, entered once and reused by every survey template and every round page.
# 单位名称 is `Unit.name` itself, so a rename shows everywhere the unit is shown.
PROFILE_FIELDS = [
    ("credit_code", "统一社会信用代码"),
    ("address", "地址"),
    ("nature", "性质"),
    ("contact", "联系人"),
    ("phone", "联系方式"),
    ("department", "所属部门"),
]


class UnitProfile(models.Model):
    unit = models.OneToOneField(
        Unit, verbose_name="评估对象", on_delete=models.CASCADE, related_name="master"
    )
    credit_code = models.CharField("统一社会信用代码", max_length=20, blank=True)
    address = models.CharField("地址", max_length=300, blank=True)
    nature = models.CharField("性质", max_length=60, blank=True)
    contact = models.CharField("联系人", max_length=60, blank=True)
    phone = models.CharField("联系方式", max_length=40, blank=True)
    department = models.CharField("所属部门", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "单位主数据（一表通）"
        verbose_name_plural = "单位主数据（一表通）"

    def __str__(self) -> str:
        return f"{self.unit.name} 主数据"


class UnitProfileChange(models.Model):
    """One edit of the master data: who, when, and every changed field before → after."""

    unit = models.ForeignKey(
        Unit, verbose_name="评估对象", on_delete=models.CASCADE, related_name="profile_changes"
    )
    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField("账号", max_length=150, blank=True)
    before = models.JSONField("修改前", default=dict)
    after = models.JSONField("修改后", default=dict)

    class Meta:
        verbose_name = "单位主数据修改记录"
        verbose_name_plural = "单位主数据修改记录"
        ordering = ["-at", "-id"]
