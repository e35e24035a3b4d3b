"""A round's questionnaire (问卷调查): the form, one public link per evaluated unit, optional invitation
codes, and the responses collected through the links. Nothing personal is kept: the respondent's address
only as a salted hash (per-round salt), deleted when the round is locked (signals.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Questionnaire(models.Model):
    round = models.OneToOneField(
        "rounds.Round", verbose_name="评估轮次", on_delete=models.CASCADE, related_name="questionnaire"
    )
    title = models.CharField("问卷标题", max_length=200)
    source = models.CharField("来源", max_length=255, blank=True)  # 内置问卷 id or the uploaded file's name
    # The definition as the core's workbook (write_form), so the web and the CLI read the same thing.
    form_xlsx = models.BinaryField("问卷定义工作簿")
    open = models.BooleanField("正在收集", default=False)
    min_seconds = models.PositiveIntegerField("最短作答时间（秒）", default=30)
    salt = models.CharField("地址散列盐", max_length=64)
    index_map = models.JSONField("指数映射", default=list, blank=True)  # [{index, indicator, input, scale}]
    office_name = models.CharField("评估办名称", max_length=100, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "问卷"
        verbose_name_plural = "问卷"

    def __str__(self) -> str:
        return self.title


class Link(models.Model):
    """The public link of one evaluated unit: an unguessable token, no login."""

    questionnaire = models.ForeignKey(Questionnaire, verbose_name="问卷", on_delete=models.CASCADE,
                                      related_name="links")
    unit = models.ForeignKey("organisation.Unit", verbose_name="评估对象", on_delete=models.CASCADE)
    token = models.CharField("链接令牌", max_length=64, unique=True)
    codes_required = models.BooleanField("须凭邀请码作答", default=False)

    class Meta:
        verbose_name = "问卷链接"
        verbose_name_plural = "问卷链接"
        constraints = [models.UniqueConstraint(fields=["questionnaire", "unit"], name="uniq_q_link")]
        ordering = ["unit__code"]


class InviteCode(models.Model):
    link = models.ForeignKey(Link, verbose_name="问卷链接", on_delete=models.CASCADE, related_name="codes")
    code = models.CharField("邀请码", max_length=16)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "邀请码"
        verbose_name_plural = "邀请码"
        constraints = [models.UniqueConstraint(fields=["link", "code"], name="uniq_q_code")]
        ordering = ["id"]


class ResponseStatus(models.TextChoices):
    COUNTED = "counted", "计入"
    SUSPICIOUS = "suspicious", "可疑（不计入）"
    SUPERSEDED = "superseded", "已被同一设备的新回答替换"


class QResponse(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, verbose_name="问卷", on_delete=models.CASCADE,
                                      related_name="responses")
    link = models.ForeignKey(Link, verbose_name="问卷链接", on_delete=models.CASCADE, related_name="responses")
    unit = models.ForeignKey("organisation.Unit", verbose_name="评估对象", on_delete=models.CASCADE)
    answers = models.JSONField("回答", default=dict)  # question name → value as check_answers cleaned it
    status = models.CharField("状态", max_length=16, choices=ResponseStatus.choices, default=ResponseStatus.COUNTED)
    reason = models.TextField("可疑原因", blank=True)
    reinstated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="恢复计入人", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    device = models.CharField("设备标识", max_length=64, blank=True, db_index=True)
    address_hash = models.CharField("地址散列", max_length=64, blank=True)
    code = models.ForeignKey(InviteCode, verbose_name="邀请码", null=True, blank=True, on_delete=models.SET_NULL)
    replaced_by = models.ForeignKey("self", verbose_name="替换为", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    duration = models.FloatField("作答用时（秒）", null=True, blank=True)
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True)

    class Meta:
        verbose_name = "问卷回答"
        verbose_name_plural = "问卷回答"
        ordering = ["id"]
        indexes = [models.Index(fields=["questionnaire", "unit", "status"])]
