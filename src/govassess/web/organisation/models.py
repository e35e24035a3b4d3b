"""Evaluated units (评估对象): code, name, class and free attributes used by `applies` expressions."""

from __future__ import annotations

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
