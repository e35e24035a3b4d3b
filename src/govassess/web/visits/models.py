"""暗访 (mystery visits) of a round: the office's plan (period, visitors, metrics map), the visits evaluators
record on their phones, and the photo / audio evidence of each visit (bytes under the data dir)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from govassess.metrics.schemas import VISIT_CHANNELS, VISIT_OUTCOMES


class VisitPlan(models.Model):
    round = models.OneToOneField(
        "rounds.Round", verbose_name="评估轮次", on_delete=models.CASCADE, related_name="visit_plan"
    )
    period_from = models.DateField("暗访期间开始", null=True, blank=True)
    period_to = models.DateField("暗访期间结束", null=True, blank=True)
    # Reviewers (评审/复核专家) assigned to visit in this round: the role exists, the assignment is per round.
    visitors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="暗访人员", blank=True, related_name="visit_plans"
    )
    map_text = models.TextField("指标映射（YAML）", blank=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "暗访安排"
        verbose_name_plural = "暗访安排"


class Visit(models.Model):
    round = models.ForeignKey("rounds.Round", verbose_name="评估轮次", on_delete=models.CASCADE, related_name="visits")
    unit = models.ForeignKey("organisation.Unit", verbose_name="评估对象", on_delete=models.PROTECT)
    visited_at = models.DateTimeField("暗访时间")
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="暗访人员", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    visitor_label = models.CharField("暗访人员（导入）", max_length=100, blank=True)
    channel = models.CharField("暗访渠道", max_length=20, choices=[(c, c) for c in VISIT_CHANNELS])
    matter = models.CharField("办理事项", max_length=200, blank=True)
    waiting_minutes = models.FloatField("等候时间（分钟）", null=True, blank=True)
    handling_minutes = models.FloatField("办理时间（分钟）", null=True, blank=True)
    outcome = models.CharField("办理结果", max_length=20, choices=[(c, c) for c in VISIT_OUTCOMES])
    note = models.TextField("情况说明", blank=True)
    excluded = models.BooleanField("已排除", default=False)
    exclude_reason = models.CharField("排除原因", max_length=500, blank=True)
    version = models.PositiveIntegerField("版本号", default=1)
    created_at = models.DateTimeField("记录时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "暗访"
        verbose_name_plural = "暗访"
        ordering = ["unit__code", "visited_at", "id"]
        indexes = [models.Index(fields=["round", "unit"])]

    @property
    def code(self) -> str:
        return f"V{self.pk:05d}"


class VisitFile(models.Model):
    visit = models.ForeignKey(Visit, verbose_name="暗访", on_delete=models.CASCADE, related_name="files")
    original_name = models.CharField("文件名", max_length=255)
    stored_path = models.CharField("存储路径", max_length=255)
    sha256 = models.CharField("SHA-256 校验值", max_length=64)
    size = models.PositiveBigIntegerField("大小")
    content_type = models.CharField("文件类型", max_length=120)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "暗访证据"
        verbose_name_plural = "暗访证据"
        ordering = ["uploaded_at", "id"]
