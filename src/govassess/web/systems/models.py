"""Indicator systems (指标体系) stored as the YAML of the core's ``system.to_dict()``."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class System(models.Model):
    slug = models.CharField("体系标识", max_length=80, unique=True)
    name = models.CharField("体系名称", max_length=200)
    yaml_text = models.TextField("体系定义（YAML）")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "指标体系"
        verbose_name_plural = "指标体系"
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class AssignmentKind(models.TextChoices):
    PROVIDER = "provider", "数据提供"
    REVIEWER = "reviewer", "评审"


class Assignment(models.Model):
    """Which provider department (or reviewer) answers for which indicator of a system."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="assignments")
    indicator = models.CharField("指标编码", max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments")
    kind = models.CharField(
        "类型", max_length=16, choices=AssignmentKind.choices, default=AssignmentKind.PROVIDER
    )

    class Meta:
        verbose_name = "指标分工"
        verbose_name_plural = "指标分工"
        constraints = [
            models.UniqueConstraint(fields=["system", "indicator", "user", "kind"], name="uniq_assignment")
        ]

    def __str__(self) -> str:
        return f"{self.system.slug} {self.indicator} → {self.user}"
