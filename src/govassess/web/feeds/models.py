"""Data feeds: unit websites and their inspection reports (网上抓取), raw-record folders and metric runs
(系统统计). Reports and results are stored as the core returns them (JSON)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from govassess.web.organisation.models import Unit
from govassess.web.rounds.models import JobStatus, Round


class UnitSite(models.Model):
    """A website of an evaluated unit, inspected on schedule."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="sites")
    url = models.URLField("网址", max_length=500)
    max_pages = models.PositiveIntegerField("最大页面数", default=500)
    active = models.BooleanField("定时检查", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit__code", "url"]
        constraints = [models.UniqueConstraint(fields=["unit", "url"], name="feeds_site_unique")]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.url}"


class SiteProbe(models.Model):
    """One availability visit between full inspections (probe_site)."""

    site = models.ForeignKey(UnitSite, on_delete=models.CASCADE, related_name="probes")
    time = models.DateTimeField(auto_now_add=True)
    ok = models.BooleanField(default=False)
    status = models.IntegerField(null=True, blank=True)
    elapsed = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-time", "-id"]


class InspectionReport(models.Model):
    """One crawl of a site; `report` is the core's report.json."""

    site = models.ForeignKey(UnitSite, on_delete=models.CASCADE, related_name="reports")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="inspection_reports")
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    message = models.TextField(blank=True)
    as_of = models.DateField()
    report = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written every HEARTBEAT_SECONDS while the job runs (web/jobs.py): a RUNNING job whose heartbeat has
    # stopped was left by a dead process.
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]


class RecordSet(models.Model):
    """A folder of raw records: extracted from an uploaded ZIP, or a server folder the operator configured."""

    name = models.CharField("名称", max_length=200)
    path = models.CharField(max_length=1000)  # never taken from user input (see services)
    uploaded = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class MetricsEngine(models.TextChoices):
    DUCKDB = "duckdb", "DuckDB"
    SPARK = "spark", "Spark"


class MetricsRun(models.Model):
    """compute_metrics over one record set and period; `rows` are the inputs it produced."""

    record_set = models.ForeignKey(RecordSet, on_delete=models.CASCADE, related_name="runs")
    engine = models.CharField(
        "计算引擎", max_length=16, choices=MetricsEngine.choices, default=MetricsEngine.DUCKDB
    )
    period_from = models.DateField()
    period_to = models.DateField()
    map_ref = models.CharField(max_length=200, blank=True)  # built-in map id, "upload", or "" (none)
    map_text = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    message = models.TextField(blank=True)
    rows = models.JSONField(default=list)
    problems = models.JSONField(default=list)  # [{record_set, files, rule, message, count, examples}]
    summary = models.JSONField(default=list)  # lines: totals, notices, skipped metrics, rows left out
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written every HEARTBEAT_SECONDS while the job runs (web/jobs.py): a RUNNING job whose heartbeat has
    # stopped was left by a dead process.
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]


class FeedPush(models.Model):
    """Inputs of a report or a metrics run stored into a round (the audit log holds each value)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="feed_pushes")
    report = models.ForeignKey(InspectionReport, null=True, blank=True, on_delete=models.CASCADE)
    run = models.ForeignKey(MetricsRun, null=True, blank=True, on_delete=models.CASCADE)
    source = models.CharField(max_length=20)
    count = models.IntegerField(default=0)
    rows = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
