"""Survey campaigns (政务信息系统普查): the office opens one, each unit uploads its validated workbook and submits."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Campaign(models.Model):
    name = models.CharField("名称", max_length=100)
    form_id = models.CharField("表单", max_length=60, default="info-system-survey")
    cutoff = models.DateField("调查截止日期")
    deadline = models.DateTimeField("填报截止时间")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    # Usage figures (使用情况/运行数据, one row per system) for the 僵尸 screening and the project self-evaluation.
    usage = models.BinaryField("使用情况数据", null=True, blank=True)
    usage_filename = models.CharField("使用情况数据文件名", max_length=200, blank=True)
    # The office's numbers for the 僵尸 screening's thresholds (名称 → 值); the seed sets none.
    zombie_thresholds = models.JSONField("僵尸系统筛查阈值", default=dict, blank=True)

    class Meta:
        verbose_name = "普查"
        verbose_name_plural = "普查"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class CampaignExtension(models.Model):
    campaign = models.ForeignKey(
        Campaign, verbose_name="普查", on_delete=models.CASCADE, related_name="extensions"
    )
    unit = models.ForeignKey("organisation.Unit", verbose_name="单位", on_delete=models.CASCADE)
    deadline = models.DateTimeField("延期至")
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "普查延期"
        verbose_name_plural = "普查延期"
        unique_together = [("campaign", "unit")]


class ResponseStatus(models.TextChoices):
    UPLOADED = "uploaded", "已上传未提交"
    SUBMITTED = "submitted", "已提交"


class Response(models.Model):
    """A unit's current workbook (the last upload that passed every check). Kept as the original bytes so the
    office's 汇总表 and screening always re-read it through the core's `survey_validate`."""

    campaign = models.ForeignKey(
        Campaign, verbose_name="普查", on_delete=models.CASCADE, related_name="responses"
    )
    unit = models.ForeignKey("organisation.Unit", verbose_name="单位", on_delete=models.CASCADE)
    status = models.CharField("状态", max_length=16, choices=ResponseStatus.choices, default="uploaded")
    filename = models.CharField("文件名", max_length=200)
    workbook = models.BinaryField("工作簿")
    sha256 = models.CharField("SHA-256 校验值", max_length=64)
    counts = models.JSONField("各子表行数", default=dict)
    warnings = models.JSONField("提示", default=list)
    uploaded_at = models.DateTimeField("上传时间", auto_now=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, on_delete=models.SET_NULL
    )
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)

    class Meta:
        verbose_name = "普查填报"
        verbose_name_plural = "普查填报"
        unique_together = [("campaign", "unit")]
