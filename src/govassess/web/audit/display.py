"""The audit log as a person reads it: Chinese action names, unit and indicator names, before → after as
values, Beijing time. Used by the round's 审计日志 page and its Excel export alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

ACTION_LABELS = {
    "login": "登录",
    "login_failed": "登录失败",
    "login_throttled": "登录被暂缓（失败次数过多）",
    "logout": "退出登录",
    "otp_enrol": "启用动态口令",
    "otp_disable": "停用动态口令",
    "otp_reset": "评估办重置动态口令",
    "account_create": "创建账号",
    "account_change": "修改账号",
    "account_delete": "删除账号",
    "account_password": "修改本人密码",
    "account_password_reset": "重置密码",
    "account_deactivate": "停用账号",
    "account_reactivate": "启用账号",
    "round_create": "创建评估轮次",
    "round_update": "修改轮次设置",
    "round_state": "变更轮次阶段",
    "extension_set": "延长填报期限",
    "input_set": "填报或修改数据",
    "input_clear": "清除数据",
    "input_internal_note": "填写内部意见",
    "evidence_add": "上传佐证材料",
    "evidence_delete": "删除佐证材料",
    "submission_submit": "提交报送",
    "submission_accept": "审核通过",
    "submission_return": "退回报送",
    "appeal_file": "提出申诉",
    "appeal_decide": "处理申诉",
    "scoring_start": "运行评分",
    "annual_combine": "生成年度综合结果",
    "system_import": "导入指标体系",
    "system_save": "保存指标体系",
    "system_change_refused": "拒绝修改已被轮次使用的指标体系",
    "assignment_set": "设置指标分工",
    "assignment_delete": "取消指标分工",
    "unit_save": "保存评估对象",
    "unit_profile_save": "保存单位主数据",
    "job_claim": "后台任务开始",
    "job_fail": "后台任务失败",
    "job_recover": "后台任务恢复",
    "feed_push": "推送数据来源结果",
    "inspection_start": "启动网站检查",
    "metrics_start": "启动系统统计",
    "records_server": "读取服务器记录",
    "records_upload": "上传访问记录",
    "site_add": "添加网站",
    "site_update": "修改网站",
    "site_delete": "删除网站",
    "survey_create": "创建普查",
    "survey_extension": "延长普查期限",
    "survey_submit": "提交普查",
    "survey_upload": "上传普查表",
    "survey_usage": "登记系统使用情况",
    "survey_thresholds": "设定僵尸系统筛查阈值",
    "weighting_task_create": "创建赋权任务",
    "weighting_invite": "邀请赋权专家",
    "weighting_aggregation": "修改专家意见汇总方式",
    "weighting_matrix": "提交判断矩阵",
    "weighting_combine": "设定主客观组合赋权",
    "weighting_objective": "计算客观权重",
    "weighting_apply": "应用权重生成体系新版本",
    "weighting_copy": "复制指标体系为草稿版本",
    "sensitivity_start": "运行名次敏感性分析",
    "document_generate": "生成评估文档",
    "document_download": "下载评估文档",
    "document_publish": "发布评估文档",
    "scorecard_document": "下载成绩单文档",
    "document_template_create": "新建文档模板",
    "document_template_update": "修改文档模板",
    "document_template_delete": "删除文档模板",
    "document_scorecard_template": "设置成绩单模板",
    "rectification_create": "下达整改任务",
    "rectification_answer": "提交整改情况",
    "rectification_accept": "整改复核通过",
    "rectification_return": "退回整改情况",
    "rectification_close": "关闭整改任务清单",
    "rectification_edit": "修改整改任务",
    "rectification_withdraw": "撤销整改任务",
    "rectification_evidence_download": "下载整改佐证材料",
    "visit_plan_save": "保存暗访安排",
    "visit_create": "记录暗访",
    "visit_update": "修改暗访",
    "visit_exclude": "排除暗访记录",
    "visit_include": "恢复暗访记录",
    "visit_file_add": "上传暗访证据",
    "visit_file_download": "查看暗访证据",
    "visit_import": "导入暗访记录",
    "visit_push": "暗访写入本轮指标数据",
    "questionnaire_attach": "设置问卷",
    "questionnaire_settings": "修改问卷设置",
    "questionnaire_open": "开始收集问卷",
    "questionnaire_close": "关闭问卷收集",
    "questionnaire_codes": "生成问卷邀请码",
    "questionnaire_replace": "同一设备的新回答替换旧回答",
    "questionnaire_reinstate": "可疑问卷回答恢复计入",
    "questionnaire_map": "设置问卷指数映射",
}

OBJECT_LABELS = {
    "account": "账号",
    "round": "评估轮次",
    "input": "输入数据",
    "evidence": "佐证材料",
    "submission": "报送",
    "appeal": "申诉",
    "scoring_run": "评分任务",
    "annual_result": "年度综合结果",
    "feed_push": "数据来源推送",
    "inspection_report": "网站检查报告",
    "metrics_run": "系统统计",
    "record_set": "访问记录",
    "unit_profile": "单位主数据",
    "unit_site": "网站",
    "system": "指标体系",
    "weighting_task": "赋权任务",
    "objective_weighting": "客观赋权",
    "sensitivity_run": "名次敏感性分析",
    "document": "评估文档",
    "document_template": "文档模板",
    "assignment": "指标分工",
    "unit": "评估对象",
    "extension": "延期",
    "job": "后台任务",
    "survey": "普查",
    "rectification_task": "整改任务",
    "rectification_list": "整改任务清单",
    "visit_plan": "暗访安排",
    "visit": "暗访",
    "visit_file": "暗访证据",
    "questionnaire": "问卷",
    "questionnaire_response": "问卷回答",
}

FIELD_LABELS = {
    "value": "数值",
    "note": "说明",
    "internal_note": "内部意见",
    "state": "阶段",
    "status": "状态",
    "name": "名称",
    "deadline": "截止时间",
    "appeal_deadline": "申诉截止时间",
    "reason": "原因",
    "decision": "处理意见",
    "changes": "更正内容",
    "username": "账号",
    "role": "角色",
    "unit": "评估对象",
    "active": "启用",
    "staff": "可进管理后台",
    "superuser": "超级管理员",
    "password": "密码",
    "must_change_password": "须修改密码",
    "tokens_revoked": "作废的接口令牌数",
    "system": "指标体系",
    "file": "文件",
    "filename": "文件",
    "size": "大小（字节）",
    "sha256": "校验值",
    "source": "来源",
    "version": "版本",
    "wait_seconds": "需等待（秒）",
    "by": "限制依据",
    "kind": "类型",
    "format": "格式",
    "user": "人员",
    "url": "网址",
    "otp": "动态口令",
    # evaluation methods (weighting app)
    "node": "上级指标",
    "criteria": "比较元素",
    "aggregation": "专家意见汇总方式",
    "expert": "专家",
    "judgements": "判断值（行、列、值）",
    "cr": "一致性比率 CR",
    "method": "方法",
    "normalise": "标准化",
    "less_better": "越小越好的指标",
    "units": "单位数",
    "objective": "客观赋权结果编号",
    "how": "组合方式",
    "alpha": "主观权重占比 α",
    "points": "分值",
    "weights": "权重来源",
    "step": "取整步长",
    "perturb": "扰动幅度",
    "samples": "抽样次数",
    "seed": "随机种子",
    "mode": "扰动方式",
    "level": "扰动层级",
    "scoring_run": "所依据的评分任务",
    # metrics runs (feeds app)
    "record_set": "记录目录",
    "from": "期间起",
    "to": "期间止",
    "map": "指标映射",
    "engine": "计算引擎",
    "info_rules": "信息报送考评办法",
    # 整改 (rectification app)
    "lost": "失分",
    "requirement": "整改要求",
    "text": "整改情况说明",
    "files": "佐证材料",
    "tasks": "整改任务数",
    "accepted": "已通过数",
    # documents and 文档模板
    "template": "文档模板",
    "template_sha256": "模板校验值",
    "template_text": "模板文字",
    "logo": "标志图片",
    "logo_sha256": "标志校验值",
    "audience": "发布范围",
    "published": "已发布",
    "units_published": "已向被评估单位公开",
    "scorecard_template": "成绩单模板",
    "withdrawn": "已撤销数",
    "lead": "牵头科室",
    # questionnaires
    "title": "标题",
    "questions": "题目数",
    "min_seconds": "最短作答时间（秒）",
    "office_name": "评估办名称",
    "open": "正在收集",
    "count": "数量",
    "replaced_by": "替换为回答编号",
}

_VALUE_LABELS: dict[str, dict[str, str]] = {}


def _value_labels() -> dict[str, dict[str, str]]:
    """Stored codes → their Chinese labels, for the fields whose values are choices."""
    if not _VALUE_LABELS:
        from govassess.web.accounts.models import Role
        from govassess.web.questionnaires.models import ResponseStatus
        from govassess.web.rounds.models import AppealStatus, RoundState, SubmissionStatus

        statuses = {**dict(SubmissionStatus.choices), **dict(AppealStatus.choices), **dict(ResponseStatus.choices)}
        _VALUE_LABELS.update(
            state=dict(RoundState.choices),
            status=statuses,
            role=dict(Role.choices),
            by={"account": "同一账号", "address": "同一来源地址"},
            aggregation={"aij": "判断矩阵几何平均（AIJ）", "aip": "权重算术平均（AIP）"},
            method={"entropy": "熵权法", "critic": "CRITIC 法", "cv": "变异系数法", "ahp": "层次分析法",
                    "combine": "主客观组合赋权"},
            normalise={"none": "不标准化", "minmax": "极差标准化"},
            how={"multiplicative": "乘法合成", "linear": "线性加权"},
            mode={"uniform": "均匀扰动", "dirichlet": "狄利克雷抽样"},
            level={"leaf": "叶子指标", "1": "一级指标"},
        )
    return _VALUE_LABELS


def readable(value: Any, key: str = "") -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return "；".join(f"{FIELD_LABELS.get(k, k)}：{readable(v, k)}" for k, v in value.items()) or "（空）"
    if isinstance(value, list):
        return "、".join(readable(v, key) for v in value) or "（空）"
    text = str(value)
    label = _value_labels().get(key, {}).get(text)
    if label:
        return label
    if key.endswith("deadline") or key.endswith("_at"):
        try:
            from datetime import datetime

            return timezone.localtime(datetime.fromisoformat(text)).strftime("%Y-%m-%d %H:%M")
        except (ValueError, TypeError):
            return text
    return text


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class AuditRow:
    at: str
    actor: str
    ip: str
    action: str
    target: str
    unit: str
    indicator: str
    changes: list[Change] = field(default_factory=list)

    @property
    def before_text(self) -> str:
        return "\n".join(f"{c.label}：{c.before}" for c in self.changes if c.before != "")

    @property
    def after_text(self) -> str:
        return "\n".join(f"{c.label}：{c.after}" for c in self.changes if c.after != "")


def local_time(at) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M:%S")


def _changes(before: Any, after: Any) -> list[Change]:
    if isinstance(before, dict) or isinstance(after, dict):
        b = before if isinstance(before, dict) else {}
        a = after if isinstance(after, dict) else {}
        out = []
        empty = ("", "（空）")
        for key in list(b) + [k for k in a if k not in b]:
            if readable(b.get(key)) in empty and readable(a.get(key)) in empty:
                continue  # nothing before, nothing after: not a change worth a line
            out.append(
                Change(
                    FIELD_LABELS.get(key, key),
                    readable(b[key], key) if key in b else "",
                    readable(a[key], key) if key in a else "",
                )
            )
        return out
    if before is None and after is None:
        return []
    return [
        Change("内容", "" if before is None else readable(before), "" if after is None else readable(after))
    ]


def audit_rows(entries) -> list[AuditRow]:
    from govassess.web.organisation.models import Unit
    from govassess.web.systems.selectors import system_fields

    entries = list(entries)
    units = {
        u.code: u.name for u in Unit.objects.filter(code__in={e.unit_code for e in entries if e.unit_code})
    }
    indicator_names: dict[int, dict[str, str]] = {}
    rows = []
    for e in entries:
        indicator = e.indicator
        if indicator and e.round_id:
            if e.round_id not in indicator_names:
                indicator_names[e.round_id] = {
                    f.indicator: f.indicator_name for f in system_fields(e.round.system)
                }
            name = indicator_names[e.round_id].get(indicator)
            indicator = f"{indicator} {name}" if name else indicator
        user = e.user
        display = (user.get_full_name() or "").strip() if user is not None else ""
        actor = (
            f"{display}（{e.username}）" if display and display != e.username else (e.username or "（系统）")
        )
        obj = OBJECT_LABELS.get(e.object_type, e.object_type)
        rows.append(
            AuditRow(
                at=local_time(e.at),
                actor=actor,
                ip=e.ip or "",
                action=ACTION_LABELS.get(e.action, e.action),
                target=f"{obj} {e.object_id}".strip(),
                unit=f"{units[e.unit_code]}（{e.unit_code}）" if e.unit_code in units else e.unit_code,
                indicator=indicator,
                changes=_changes(e.before, e.after),
            )
        )
    return rows
