"""Data feeds: unit websites and their inspection reports (网上抓取), raw-record folders and metric runs
(系统统计). Reports and results are stored as the core returns them (JSON)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from govassess.web.organisation.models import Unit
from govassess.web.rounds.models import JobStatus, Round


class UnitSite(models.Model):
    """A website of an evaluated unit, inspected on schedule."""

    unit = models.ForeignKey(Unit, verbose_name="评估对象", on_delete=models.CASCADE, related_name="sites")
    url = models.URLField("网址", max_length=500)
    max_pages = models.PositiveIntegerField("最大页面数", default=500)
    active = models.BooleanField("定时检查", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "单位网站"
        verbose_name_plural = "单位网站"
        ordering = ["unit__code", "url"]
        constraints = [models.UniqueConstraint(fields=["unit", "url"], name="feeds_site_unique")]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.url}"


class SiteProbe(models.Model):
    """One availability visit between full inspections (probe_site)."""

    site = models.ForeignKey(UnitSite, verbose_name="网站", on_delete=models.CASCADE, related_name="probes")
    time = models.DateTimeField("探测时间", auto_now_add=True)
    ok = models.BooleanField("可访问", default=False)
    status = models.IntegerField("HTTP 状态码", null=True, blank=True)
    elapsed = models.FloatField("响应时间（秒）", null=True, blank=True)
    error = models.CharField("错误信息", max_length=500, blank=True)

    class Meta:
        verbose_name = "网站可用性探测"
        verbose_name_plural = "网站可用性探测"
        ordering = ["-time", "-id"]


class InspectionReport(models.Model):
    """One crawl of a site; `report` is the core's report.json."""

    site = models.ForeignKey(UnitSite, verbose_name="网站", on_delete=models.CASCADE, related_name="reports")
    unit = models.ForeignKey(
        Unit, verbose_name="评估对象", on_delete=models.CASCADE, related_name="inspection_reports"
    )
    status = models.CharField("状态", max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    message = models.TextField("运行信息", blank=True)
    as_of = models.DateField("检查基准日")
    report = models.JSONField("检查报告", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # Written every HEARTBEAT_SECONDS while the job runs (web/jobs.py): a RUNNING job whose heartbeat has
    # stopped was left by a dead process.
    heartbeat_at = models.DateTimeField("最近心跳时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "网站检查报告"
        verbose_name_plural = "网站检查报告"
        ordering = ["-created_at", "-id"]


class RecordSet(models.Model):
    """A folder of raw records: extracted from an uploaded ZIP, or a server folder the operator configured."""

    name = models.CharField("名称", max_length=200)
    path = models.CharField("存放路径", max_length=1000)  # never taken from user input (see services)
    uploaded = models.BooleanField("经网页上传", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "原始记录集"
        verbose_name_plural = "原始记录集"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class MetricsEngine(models.TextChoices):
    DUCKDB = "duckdb", "DuckDB"
    SPARK = "spark", "Spark"


class MetricsRun(models.Model):
    """compute_metrics over one record set and period; `rows` are the inputs it produced."""

    record_set = models.ForeignKey(
        RecordSet, verbose_name="原始记录集", on_delete=models.CASCADE, related_name="runs"
    )
    engine = models.CharField(
        "计算引擎", max_length=16, choices=MetricsEngine.choices, default=MetricsEngine.DUCKDB
    )
    period_from = models.DateField("统计起始日")
    period_to = models.DateField("统计截止日")
    map_ref = models.CharField(
        "指标映射", max_length=200, blank=True
    )  # built-in map id, "upload", or "" (none)
    map_text = models.TextField("指标映射文件内容", blank=True)
    # The 信息报送 regime (a preset name of govassess.metrics.infowork); blank: the map's, else none is computed.
    info_rules = models.CharField("信息报送考评办法", max_length=32, blank=True)
    status = models.CharField("状态", max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    message = models.TextField("运行信息", blank=True)
    rows = models.JSONField("指标数据行", default=list)
    problems = models.JSONField("问题", default=list)  # [{record_set, files, rule, message, count, examples}]
    summary = models.JSONField("摘要", default=list)  # lines: totals, notices, skipped metrics, rows left out
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # Written every HEARTBEAT_SECONDS while the job runs (web/jobs.py): a RUNNING job whose heartbeat has
    # stopped was left by a dead process.
    heartbeat_at = models.DateTimeField("最近心跳时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "指标计算任务"
        verbose_name_plural = "指标计算任务"
        ordering = ["-created_at", "-id"]


class FeedPush(models.Model):
    """Inputs of a report or a metrics run stored into a round (the audit log holds each value)."""

    round = models.ForeignKey(
        Round, verbose_name="评估轮次", on_delete=models.CASCADE, related_name="feed_pushes"
    )
    report = models.ForeignKey(
        InspectionReport, verbose_name="网站检查报告", null=True, blank=True, on_delete=models.CASCADE
    )
    run = models.ForeignKey(
        MetricsRun, verbose_name="指标计算任务", null=True, blank=True, on_delete=models.CASCADE
    )
    source = models.CharField("来源", max_length=20)
    count = models.IntegerField("行数", default=0)
    rows = models.JSONField("推送的行", default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "数据推送记录"
        verbose_name_plural = "数据推送记录"
        ordering = ["-created_at", "-id"]
