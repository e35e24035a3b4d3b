"""Evaluation methods on the web platform: AHP weighting tasks with invited experts, objective weights from a
past round's data, and rank-sensitivity jobs on a round's results. The numbers are always the core's
(govassess.methods); these rows only keep who entered what and what the core answered."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from govassess.web.rounds.models import JobStatus


class Aggregation(models.TextChoices):
    AIJ = "aij", "判断矩阵几何平均（AIJ）"
    AIP = "aip", "权重算术平均（AIP）"


class WeightingTask(models.Model):
    """An AHP task for one node of a draft system: its (normal) children are the criteria."""

    system = models.ForeignKey(
        "systems.System", verbose_name="指标体系", on_delete=models.PROTECT, related_name="weighting_tasks"
    )
    name = models.CharField("任务名称", max_length=100)
    node = models.CharField("上级指标编码", max_length=40, blank=True)  # "" = the first-level indicators
    node_name = models.CharField("上级指标", max_length=200, blank=True)
    criteria = models.JSONField("比较元素", default=list)  # [{"code": ..., "name": ...}] in tree order
    aggregation = models.CharField(
        "专家意见汇总方式", max_length=8, choices=Aggregation.choices, default=Aggregation.AIJ
    )
    # {"objective": ObjectiveWeighting pk, "how": "multiplicative"|"linear", "alpha": 0.5} or {}
    combination = models.JSONField("主客观组合", default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "层次分析法赋权任务"
        verbose_name_plural = "层次分析法赋权任务"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    """One invited expert (a reviewer account) and the comparison matrix they entered."""

    task = models.ForeignKey(
        WeightingTask, verbose_name="赋权任务", on_delete=models.CASCADE, related_name="invitations"
    )
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="专家", on_delete=models.CASCADE)
    judgements = models.JSONField("上三角判断值（原样）", null=True, blank=True)  # [[i, j, "1/3"], ...]
    matrix = models.JSONField("判断矩阵", null=True, blank=True)  # n × n floats, reciprocals filled
    result = models.JSONField("计算结果", null=True, blank=True)  # the core's AHPResult.to_dict() + warning
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)

    class Meta:
        verbose_name = "专家判断矩阵"
        verbose_name_plural = "专家判断矩阵"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["task", "expert"], name="uniq_weighting_invitation")]


class ObjectiveWeighting(models.Model):
    """熵权法 / CRITIC / 变异系数法 on a past round's data (units × leaves)."""

    round = models.ForeignKey("rounds.Round", verbose_name="数据来源轮次", on_delete=models.CASCADE)
    method = models.CharField("方法", max_length=16)
    node = models.CharField("上级指标编码", max_length=40, blank=True)  # "" = every normal leaf
    normalise = models.CharField("标准化", max_length=16, default="none")
    less_better = models.JSONField("越小越好的指标", default=list, blank=True)
    result = models.JSONField("计算结果", default=dict)  # the core's ObjectiveResult.to_dict() + codes, names
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "客观赋权结果"
        verbose_name_plural = "客观赋权结果"
        ordering = ["-created_at", "-id"]


class SensitivityRun(models.Model):
    """One rank-sensitivity job on a round's latest scoring results (govassess.web.jobs kind "sensitivity")."""

    round = models.ForeignKey(
        "rounds.Round", verbose_name="评估轮次", on_delete=models.CASCADE, related_name="sensitivity_runs"
    )
    scoring_run = models.ForeignKey(
        "rounds.ScoringRun", verbose_name="所依据的评分任务", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField("状态", max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.FloatField("进度", default=0)
    message = models.TextField("运行信息", blank=True)
    params = models.JSONField("参数", default=dict)  # perturb (fraction), samples, seed, mode, level
    results = models.JSONField("分析结果", null=True, blank=True)  # the core's Sensitivity.to_dict()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近心跳时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "名次敏感性分析"
        verbose_name_plural = "名次敏感性分析"
        ordering = ["-created_at", "-id"]
