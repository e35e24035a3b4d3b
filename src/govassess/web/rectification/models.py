"""整改任务: after a round's results are published, the office turns lost points into tasks for the units; a unit
answers with a description and evidence, a reviewer accepts or returns it. Every step is kept (TaskEvent)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone


class TaskStatus(models.TextChoices):
    OPEN = "open", "待整改"
    SUBMITTED = "submitted", "待复核"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "已通过"
    # Withdrawn by the office (a task given by mistake): kept in the history, never overdue, not "not rectified".
    WITHDRAWN = "withdrawn", "已撤销"


# No further step on these: not answered, reviewed, edited or withdrawn any more.
FINISHED = (TaskStatus.ACCEPTED, TaskStatus.WITHDRAWN)


class TaskList(models.Model):
    """The 整改任务 of one round as a whole: once the office closes it, nothing of it changes any more."""

    round = models.OneToOneField("rounds.Round", verbose_name="评估轮次", on_delete=models.CASCADE,
                                 related_name="rectification")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="关闭人", null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = "整改任务清单"
        verbose_name_plural = "整改任务清单"

    def __str__(self) -> str:
        return f"{self.round.name} 整改任务"

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


class Task(models.Model):
    task_list = models.ForeignKey(TaskList, verbose_name="整改任务清单", on_delete=models.CASCADE, related_name="tasks")
    round = models.ForeignKey("rounds.Round", verbose_name="评估轮次", on_delete=models.CASCADE,
                              related_name="rectification_tasks")
    unit = models.ForeignKey("organisation.Unit", verbose_name="评估对象", on_delete=models.CASCADE)
    indicator = models.CharField("指标编码", max_length=40)
    indicator_name = models.CharField("指标名称", max_length=200)
    lost = models.FloatField("失分")
    reason = models.TextField("评分说明", blank=True)  # the rule's Chinese explanation (the model's LostPoint)
    lead = models.CharField("牵头科室", max_length=100, blank=True)
    requirement = models.TextField("整改要求", blank=True)
    deadline = models.DateField("整改期限")
    status = models.CharField("状态", max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "整改任务"
        verbose_name_plural = "整改任务"
        ordering = ["unit__code", "indicator", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "unit", "indicator"], name="uniq_rectification_task")]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.indicator} {self.indicator_name}"

    def days_overdue(self, today: dt.date | None = None) -> int:
        """Days past the deadline while not accepted or withdrawn (0: not overdue). Dates are the office's
        (Beijing) dates."""
        if self.status in FINISHED:
            return 0
        today = today or timezone.localdate()
        return max(0, (today - self.deadline).days)

    @property
    def overdue(self) -> bool:
        return self.days_overdue() > 0

    def report_status(self, today: dt.date | None = None) -> str:
        """The status the next round's 成绩单 prints (govassess.reports.rectification.STATUSES). A withdrawn
        task is left out of the 成绩单 (services.report_rows); "已撤销" is what the pages and the export say."""
        if self.status == TaskStatus.ACCEPTED:
            return "已通过"
        if self.status == TaskStatus.WITHDRAWN:
            return "已撤销"
        if self.days_overdue(today) > 0:
            return "逾期未整改"
        return {TaskStatus.RETURNED: "未通过", TaskStatus.SUBMITTED: "待复核"}.get(self.status, "整改中")


class EventKind(models.TextChoices):
    CREATE = "create", "下达任务"
    ANSWER = "answer", "提交整改情况"
    ACCEPT = "accept", "复核通过"
    RETURN = "return", "退回"
    EDIT = "edit", "修改任务"
    WITHDRAW = "withdraw", "撤销任务"


class TaskEvent(models.Model):
    """One step of a task's history (never changed or deleted: returned answers stay readable)."""

    task = models.ForeignKey(Task, verbose_name="整改任务", on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("步骤", max_length=16, choices=EventKind.choices)
    text = models.TextField("内容", blank=True)  # the answer's description, or the reviewer's reason
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, on_delete=models.SET_NULL,
                             related_name="+")
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "整改记录"
        verbose_name_plural = "整改记录"
        ordering = ["at", "id"]


class TaskEvidence(models.Model):
    """An evidence file of an answer; the bytes live under the evidence folder, as the rounds' evidence does."""

    task = models.ForeignKey(Task, verbose_name="整改任务", on_delete=models.CASCADE, related_name="evidence")
    event = models.ForeignKey(TaskEvent, verbose_name="所属答复", on_delete=models.CASCADE, related_name="evidence")
    original_name = models.CharField("文件名", max_length=255)
    stored_path = models.CharField("存储路径", max_length=255)
    sha256 = models.CharField("SHA-256 校验值", max_length=64)
    size = models.PositiveBigIntegerField("大小")
    content_type = models.CharField("文件类型", max_length=120)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", null=True,
                                    on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "整改佐证材料"
        verbose_name_plural = "整改佐证材料"
        ordering = ["uploaded_at", "id"]
