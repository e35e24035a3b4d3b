"""An evaluation round (评估轮次) and everything collected, reviewed and scored in it."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RoundState(models.TextChoices):
    DRAFT = "draft", "草稿"
    COLLECTING = "collecting", "填报中"
    REVIEWING = "reviewing", "审核中"
    PRELIMINARY = "preliminary", "初步结果公示"
    FINAL = "final", "已定稿"


class Round(models.Model):
    name = models.CharField("轮次名称", max_length=100)
    system = models.ForeignKey("systems.System", verbose_name="指标体系", on_delete=models.PROTECT)
    state = models.CharField("状态", max_length=16, choices=RoundState.choices, default=RoundState.DRAFT)
    deadline = models.DateTimeField("填报截止时间", null=True, blank=True)
    appeal_deadline = models.DateTimeField("申诉截止时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    finalised_at = models.DateTimeField("定稿时间", null=True, blank=True)

    class Meta:
        verbose_name = "评估轮次"
        verbose_name_plural = "评估轮次"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.system.name}）"

    @property
    def locked(self) -> bool:
        return self.state == RoundState.FINAL


class Extension(models.Model):
    """A per-unit extension of the filling deadline."""

    round = models.ForeignKey(
        Round, verbose_name="评估轮次", on_delete=models.CASCADE, related_name="extensions"
    )
    unit = models.ForeignKey("organisation.Unit", verbose_name="评估对象", on_delete=models.CASCADE)
    deadline = models.DateTimeField("延期至")
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "延期"
        verbose_name_plural = "延期"
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="uniq_extension")]


class InputValue(models.Model):
    """One value: (round, unit, indicator, input). `version` implements optimistic locking."""

    round = models.ForeignKey(Round, verbose_name="评估轮次", on_delete=models.CASCADE, related_name="inputs")
    unit = models.ForeignKey("organisation.Unit", verbose_name="评估对象", on_delete=models.CASCADE)
    indicator = models.CharField("指标编码", max_length=40)
    input = models.CharField("输入名称", max_length=100)
    value = models.CharField("值", max_length=500, blank=True)
    note = models.TextField("说明", blank=True)
    # 内部意见: the reviewers' private remark beside a value (mostly an expert score). Unlike `note` (the
    # reason, which the unit reads on its scorecard once published) it is never shown to the unit, a
    # provider or a leader, and never enters the core's input frames, so no report or export can quote it.
    internal_note = models.TextField("内部意见", blank=True)
    source = models.CharField("来源", max_length=20, blank=True)
    version = models.PositiveIntegerField("版本号", default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="修改人", null=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "输入值"
        verbose_name_plural = "输入值"
        constraints = [
            models.UniqueConstraint(fields=["round", "unit", "indicator", "input"], name="uniq_input_value")
        ]
        indexes = [models.Index(fields=["round", "unit"])]


class EvidenceKind(models.TextChoices):
    UNIT = "unit", "单位佐证材料"
    REVIEW = "review", "评审附件"


class Evidence(models.Model):
    """An uploaded evidence file (佐证材料); the bytes live under the data dir, never under the web root.
    A unit's own evidence and the reviewers' attachments about it are kept apart by `kind`: a unit never
    sees the reviewers' attachments, and nobody but the unit adds to its evidence."""

    round = models.ForeignKey(
        Round, verbose_name="评估轮次", on_delete=models.CASCADE, related_name="evidence"
    )
    unit = models.ForeignKey("organisation.Unit", verbose_name="评估对象", on_delete=models.CASCADE)
    indicator = models.CharField("指标编码", max_length=40)
    kind = models.CharField("类别", max_length=16, choices=EvidenceKind.choices, default=EvidenceKind.UNIT)
    appeal = models.ForeignKey(
        "Appeal",
        verbose_name="所属申诉",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    original_name = models.CharField("文件名", max_length=255)
    stored_path = models.CharField("存储路径", max_length=255)
    sha256 = models.CharField("SHA-256 校验值", max_length=64)
    size = models.PositiveBigIntegerField("大小")
    content_type = models.CharField("文件类型", max_length=120)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, on_delete=models.SET_NULL
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["indicator", "uploaded_at"]


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "已通过"


class Submission(models.Model):
    round = models.ForeignKey(
        Round, verbose_name="评估轮次", on_delete=models.CASCADE, related_name="submissions"
    )
    unit = models.ForeignKey("organisation.Unit", verbose_name="评估对象", on_delete=models.CASCADE)
    status = models.CharField(
        "状态", max_length=16, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT
    )
    reason = models.TextField("退回原因 / 审核意见", blank=True)
    # The reviewer's private remark on the review (内部意见): reviewers and the office only, never the unit.
    internal_note = models.TextField("内部意见", blank=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)

    class Meta:
        verbose_name = "报送"
        verbose_name_plural = "报送"
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="uniq_submission")]


class AppealStatus(models.TextChoices):
    PENDING = "pending", "待处理"
    UPHELD = "upheld", "申诉成立"
    REJECTED = "rejected", "申诉不成立"


class Appeal(models.Model):
    round = models.ForeignKey(
        Round, verbose_name="评估轮次", on_delete=models.CASCADE, related_name="appeals"
    )
    unit = models.ForeignKey("organisation.Unit", verbose_name="评估对象", on_delete=models.CASCADE)
    indicator = models.CharField("指标编码", max_length=40)
    reason = models.TextField("申诉理由")
    status = models.CharField(
        "状态", max_length=16, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    decision = models.TextField("处理意见", blank=True)
    changes = models.JSONField("更正的输入", default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="提出人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = "申诉"
        verbose_name_plural = "申诉"
        ordering = ["-created_at"]


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "计算中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ScoringRun(models.Model):
    """One scoring job; `results` is the core's results JSON, stored as is."""

    round = models.ForeignKey(Round, verbose_name="评估轮次", on_delete=models.CASCADE, related_name="runs")
    status = models.CharField("状态", max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.FloatField("进度", default=0)
    message = models.TextField("运行信息", blank=True)
    results = models.JSONField("结果", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    # Written every HEARTBEAT_SECONDS while the job runs (web/jobs.py): a RUNNING job whose heartbeat has
    # stopped was left by a dead process.
    heartbeat_at = models.DateTimeField("最近心跳时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "评分任务"
        verbose_name_plural = "评分任务"
        ordering = ["-created_at", "-id"]


class AnnualResult(models.Model):
    """Rounds combined with weights (上半年 40% / 下半年 60%) through the core's `combine_results`."""

    name = models.CharField("名称", max_length=100)
    rounds = models.JSONField("轮次与权重", default=list)  # [{"round": id, "weight": 0.4}, ...]
    results = models.JSONField("综合结果", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "年度综合结果"
        verbose_name_plural = "年度综合结果"
        ordering = ["-created_at"]


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收账号",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    message = models.CharField("通知内容", max_length=500)
    link = models.CharField("链接", max_length=300, blank=True)
    read = models.BooleanField("已读", default=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-created_at", "-id"]
