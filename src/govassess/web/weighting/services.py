"""Changing weighting tasks, objective weights, applied versions and sensitivity jobs. Every change is checked
by weighting.policy, computed by the core (govassess.methods) and audited in the same transaction."""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from django.db import close_old_connections, connection, transaction
from django.urls import reverse
from django.utils import timezone

from govassess.errors import UserError
from govassess.methods import ahp
from govassess.methods.apply import has_base_points
from govassess.methods.tables import Sheet
from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role
from govassess.web.audit.services import audit_record
from govassess.web.rounds.services import notification_send
from govassess.web.systems.selectors import system_core
from govassess.web.weighting import policy
from govassess.web.weighting.models import Aggregation, Invitation, WeightingTask

log = logging.getLogger(__name__)
MAX_CRITERIA = 15  # the RI tables end at n = 15
UPLOAD_SUFFIXES = (".csv", ".xlsx")
MAX_UPLOAD_BYTES = 2 * 1024 * 1024


# ---- AHP tasks ---------------------------------------------------------------------------------------------


def node_children(core, node: str):
    """The normal children of `node` ("" = the first level), or a UserError saying why they cannot be weighted."""
    if node:
        hits = [n for n in core.nodes() if n.code == node]
        if not hits:
            raise UserError(f"指标体系中没有编码为「{node}」的指标", indicator=node)
        parent = hits[0]
        if parent.is_leaf:
            raise UserError(f"指标 {node}「{parent.name}」没有下级指标，无需两两比较", indicator=node)
        if parent.kind != "normal":
            raise UserError(f"指标 {node}「{parent.name}」是加分项或减分项，不参与赋权", indicator=node)
        kids, name = parent.children, parent.name
    else:
        kids, name = core.indicators, "一级指标"
    # Only what scores: a normal group holding nothing but bonus/penalty items (阳江's 「D 加减分」) has no points.
    kids = [k for k in kids if has_base_points(k)]
    if len(kids) < 2:
        raise UserError(f"「{name}」下只有 {len(kids)} 个参与计分的指标，至少需要 2 个才能两两比较", indicator=node or None)
    if len(kids) > MAX_CRITERIA:
        raise UserError(f"「{name}」下有 {len(kids)} 个指标，超过 {MAX_CRITERIA} 个：请先分组，再在组内两两比较",
                        indicator=node or None)
    return name, kids


def task_create(*, user, system, node: str, name: str = "", aggregation: str = Aggregation.AIJ) -> WeightingTask:
    policy.require_office(user)
    policy.require_draft_system(system)
    if aggregation not in Aggregation.values:
        raise UserError(f"未知的专家意见汇总方式「{aggregation}」")
    node = (node or "").strip()
    node_name, kids = node_children(system_core(system), node)
    criteria = [{"code": k.code or k.name, "name": k.name} for k in kids]
    with transaction.atomic():
        task = WeightingTask.objects.create(
            system=system,
            name=(name or "").strip() or f"{system.name} · {node_name}",
            node=node,
            node_name=node_name,
            criteria=criteria,
            aggregation=aggregation,
            created_by=user,
        )
        audit_record(
            user=user,
            action="weighting_task_create",
            object_type="weighting_task",
            object_id=task.pk,
            indicator=node,
            after={"system": system.slug, "node": node_name, "criteria": [c["name"] for c in criteria],
                   "aggregation": aggregation},
        )
    return task


def task_set_aggregation(*, user, task: WeightingTask, aggregation: str) -> None:
    policy.require_office(user)
    if aggregation not in Aggregation.values:
        raise UserError(f"未知的专家意见汇总方式「{aggregation}」，可选：aij、aip")
    with transaction.atomic():
        before = task.aggregation
        WeightingTask.objects.filter(pk=task.pk).update(aggregation=aggregation)
        task.aggregation = aggregation
        audit_record(user=user, action="weighting_aggregation", object_type="weighting_task", object_id=task.pk,
                     before={"aggregation": before}, after={"aggregation": aggregation})


def task_invite(*, user, task: WeightingTask, expert) -> Invitation:
    policy.require_office(user)
    if user_role(user=expert) != Role.REVIEWER or not expert.is_active:
        raise UserError(f"账号「{expert.get_username()}」不是在用的评审专家账号，不能邀请为赋权专家")
    with transaction.atomic():
        inv, created = Invitation.objects.get_or_create(task=task, expert=expert)
        if created:
            audit_record(user=user, action="weighting_invite", object_type="weighting_task", object_id=task.pk,
                         after={"expert": expert.get_username()})
            notification_send(
                users=[expert],
                message=f"评估办邀请您参加赋权任务「{task.name}」：请对 {len(task.criteria)} 个指标两两比较重要程度。",
                link=reverse("weighting_task", args=[task.pk]),
            )
    return inv


def _criteria_names(task: WeightingTask) -> list[str]:
    return [c["name"] for c in task.criteria]


def judgements_from_form(task: WeightingTask, cells: dict[tuple[int, int], str]) -> ahp.Judgements:
    """The form's upper triangle as the core's sheet reader sees a file: the same checks, the same messages
    (lower triangle empty, filled with reciprocals by the core)."""
    names = _criteria_names(task)
    n = len(names)
    rows: list[list[Any]] = [[None, *names]]
    for i in range(n):
        row: list[Any] = [names[i]]
        for k in range(n):
            if k > i:
                v = (cells.get((i, k)) or "").strip()
                row.append(v or None)
            elif k == i:
                row.append("1")
            else:
                row.append(None)
        rows.append(row)
    return ahp.judgements_from_sheet(Sheet("网页表单", None, rows), "")


def judgements_from_upload(task: WeightingTask, upload) -> ahp.Judgements:
    """A CSV/XLSX matrix read by the CLI's reader; its criteria must be the task's (names or codes, any order)."""
    name = Path(upload.name or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise UserError(f"判断矩阵文件应为 CSV 或 XLSX，实际为「{suffix or '无扩展名'}」", file=name)
    if upload.size > MAX_UPLOAD_BYTES:
        raise UserError(f"文件过大（{upload.size / 1024 / 1024:.1f} MB），判断矩阵不超过 2 MB", file=name)
    with tempfile.TemporaryDirectory(prefix="govassess-ahp-") as d:
        path = Path(d) / f"matrix{suffix}"
        with path.open("wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        try:
            found = ahp.read_judgements(path)
        except UserError as err:  # the reader names the temporary file: name the upload instead
            raise UserError(problems=[_renamed(p, name) for p in err.problems]) from None
    if len(found) != 1:
        raise UserError(f"文件中有 {len(found)} 个工作表的判断矩阵：每位专家只上传自己的一个矩阵", file=name)
    j = found[0]
    names = _criteria_names(task)
    codes = [c["code"] for c in task.criteria]
    order = []
    for c in j.criteria:
        if c in names:
            order.append(names.index(c))
        elif c in codes:
            order.append(codes.index(c))
        else:
            raise UserError(f"矩阵中的元素「{c}」不是本任务比较的指标；应为：{'、'.join(names)}", file=name)
    if sorted(order) != list(range(len(names))):
        raise UserError(f"矩阵的元素应恰好是本任务的 {len(names)} 个指标：{'、'.join(names)}", file=name)
    inv = np.argsort(order)  # row/column of the file that holds task criterion k
    return ahp.Judgements(names, j.matrix[np.ix_(inv, inv)], "")


def _renamed(p, name: str):
    return replace(p, file=name)


def _fmt(x: float) -> str:
    """A judgement as the scale writes it: 3, 1/3 (the stored matrix keeps the exact float)."""
    if x >= 1:
        return f"{x:.4g}"
    return f"1/{1 / x:.4g}"


def matrix_submit(*, user, task: WeightingTask, judgements: ahp.Judgements, source: str = "form") -> Invitation:
    policy.require_fill(user, task)
    inv = Invitation.objects.get(task=task, expert=user)
    expert = user.get_full_name() or user.get_username()
    judgements.expert = expert
    result = ahp.analyse(judgements)
    d = result.to_dict()
    d["warning"] = result.warning()
    n = len(task.criteria)
    upper = [[i, k, _fmt(float(judgements.matrix[i, k]))] for i in range(n) for k in range(i + 1, n)]
    with transaction.atomic():
        before = inv.judgements
        inv.judgements = upper
        inv.matrix = [[float(x) for x in row] for row in judgements.matrix]
        inv.result = d
        inv.submitted_at = timezone.now()
        inv.save()
        audit_record(
            user=user,
            action="weighting_matrix",
            object_type="weighting_task",
            object_id=task.pk,
            before=before,
            after={"judgements": upper, "cr": d["cr"], "source": {"form": "网页表单", "upload": "上传文件"}[source]},
        )
    return inv


def task_group(task: WeightingTask) -> ahp.GroupResult | None:
    """The core's group result of every submitted matrix, by the task's aggregation; None before any."""
    done = [i for i in task.invitations.select_related("expert") if i.matrix]
    if not done:
        return None
    names = _criteria_names(task)
    experts = [
        ahp.Judgements(names, np.array(i.matrix, dtype=float), i.expert.get_full_name() or i.expert.get_username())
        for i in done
    ]
    return ahp.group(experts, aggregation=task.aggregation)


# ---- objective weights from a past round -------------------------------------------------------------------

NUMERIC_KINDS = ("number", "percent", "count", "score")
SOURCES = {"inputs": "各单位的填报值（每个指标一个数值输入）", "scores": "各单位的指标得分率（最近一次评分结果）"}


def objective_leaves(core, node: str):
    """The criteria of an objective weighting: every normal leaf ("") or the (leaf) children of one node."""
    if not node:
        return [n for n in core.leaves() if n.kind == "normal"]
    name, kids = node_children(core, node)
    inner = [k.code or k.name for k in kids if not k.is_leaf]
    if inner:
        raise UserError(f"「{name}」的下级指标 {'、'.join(inner)} 还有下级：客观赋权只能对叶子指标计算，"
                        "请选择其下一层或「全部叶子指标」", indicator=node)
    return kids


def round_table(round, leaves, source: str):
    """The round's data as the core's unit × criterion table (columns are leaf codes).

    inputs: a leaf's one numeric input (number, percent, count, expert score) as stored; units that entered
    nothing at all for these leaves did not take part and are left out; a unit with some values but not all
    is refused with each missing value named.
    scores: score ÷ points of each leaf in the round's latest scoring result (every leaf, any rule)."""
    from govassess.errors import ProblemCollector
    from govassess.methods.tables import DataTable, parse_number
    from govassess.web.rounds.models import InputValue
    from govassess.web.rounds.selectors import latest_run
    from govassess.web.systems.selectors import system_fields

    codes = [n.code or n.name for n in leaves]
    label = f"轮次「{round.name}」"
    if source == "scores":
        run = latest_run(round)
        if run is None or not run.results:
            raise UserError(f"{label}尚无评分结果：请先运行评分，或改用填报值")
        return _score_rates(run.results, codes, label)
    if source != "inputs":
        raise UserError(f"未知的数据来源「{source}」")
    fields = {c: [f for f in system_fields(round.system) if f.indicator == c] for c in codes}
    problems = ProblemCollector()
    pick = {}
    for c in codes:
        numeric = [f for f in fields[c] if f.kind in NUMERIC_KINDS]
        if len(fields[c]) != 1 or len(numeric) != 1:
            kinds = "、".join(f"{f.label}（{f.kind_label}）" for f in fields[c]) or "无"
            problems.add(f"该指标的输入为 {kinds}，不是一个数值：请改用「指标得分率」作为数据来源，或只选有数值输入的指标组",
                         file=label, indicator=c)
        else:
            pick[c] = numeric[0].input
    problems.raise_if_any()
    stored: dict[tuple[str, str], str] = {}
    for unit, ind, inp, value in InputValue.objects.filter(round=round, indicator__in=codes).values_list(
        "unit__code", "indicator", "input", "value"
    ):
        if pick.get(ind) == inp and value.strip():
            stored[(unit, ind)] = value
    units = sorted({u for u, _ in stored})
    values = []
    for u in units:
        row = []
        for c in codes:
            text = stored.get((u, c))
            x = parse_number(text)
            if text is None:
                problems.add(f"单位 {u} 缺少「{pick[c]}」的填报值", file=label, indicator=c)
            elif x is None:
                problems.add(f"单位 {u} 的「{pick[c]}」为「{text}」，不是数值", file=label, indicator=c)
            row.append(x if x is not None else 0.0)
        values.append(row)
    problems.raise_if_any()
    if len(units) < 2:
        raise UserError(f"{label}只有 {len(units)} 个单位填报了这些指标，客观赋权至少需要 2 个单位", file=label)
    return DataTable(label, None, units, codes, np.array(values, dtype=float))


_OPTION_WORDS = {"--normalise minmax": "「极差标准化」", "--normalise none": "「不标准化」", "--less-better": "「越小越好的指标」"}


def _form_words(message: str) -> str:
    for option, words in _OPTION_WORDS.items():
        message = message.replace(f" {option}", words).replace(option, words)
    return message


def _score_rates(results: dict, codes: list[str], label: str):
    """score ÷ points per unit × leaf from a results dict. A leaf not applicable to some units has no rate for
    them: refused, naming the units, since leaving them out would change what the other units are compared with."""
    from govassess.errors import ProblemCollector
    from govassess.methods.tables import DataTable

    units, rows = [], []
    not_applicable: dict[str, list[str]] = {c: [] for c in codes}
    for u in results.get("units", []):
        per = u.get("indicators") or {}
        row = []
        for c in codes:
            cell = per.get(c) or {}
            if not cell.get("applicable") or not cell.get("points"):
                not_applicable[c].append(str(u.get("unit")))
                row.append(0.0)
            else:
                row.append(float(cell.get("score") or 0.0) / float(cell["points"]))
        units.append(str(u.get("unit")))
        rows.append(row)
    problems = ProblemCollector()
    for c, who in not_applicable.items():
        if who:
            shown = "、".join(who[:5]) + (f" 等 {len(who)} 个单位" if len(who) > 5 else "")
            problems.add(f"该指标对 {shown} 不适用，没有得分率：客观赋权要求所选指标对每个单位都适用，"
                         "请改选不含该指标的范围（某个上级指标下的叶子指标）", file=label, indicator=c)
    problems.raise_if_any()
    if len(units) < 2:
        raise UserError(f"{label}的评分结果中只有 {len(units)} 个单位，客观赋权至少需要 2 个单位", file=label)
    return DataTable(label, None, units, codes, np.array(rows, dtype=float))


def objective_create(*, user, round, method: str, node: str = "", source: str = "inputs", normalise: str = "none",
                     less_better: list[str] | tuple[str, ...] = ()):
    from govassess.methods import objective
    from govassess.web.rounds import policy as round_policy
    from govassess.web.weighting.models import ObjectiveWeighting

    policy.require_office(user)
    round_policy.require(round_policy.can_view_round(user, round))
    if method not in ("entropy", "critic", "cv"):
        raise UserError(f"未知的客观赋权方法「{method}」，可选：熵权法、CRITIC 法、变异系数法")
    leaves = objective_leaves(system_core(round.system), (node or "").strip())
    codes = [n.code or n.name for n in leaves]
    unknown = [c for c in less_better if c not in codes]
    if unknown:
        raise UserError(f"越小越好的指标 {'、'.join(unknown)} 不在所选范围内；可填的指标编码为：{'、'.join(codes)}",
                        field="越小越好的指标")
    if less_better and normalise == "none" and method != "critic":
        raise UserError("按原值计算（不标准化）时不区分指标方向：标注了越小越好的指标，请同时选择「极差标准化」",
                        field="标准化")
    table = round_table(round, leaves, source)
    try:
        result = objective.compute(method, table, normalise=normalise, less_better=list(less_better))
    except UserError as err:  # the core speaks of the CLI's options; the form names them differently
        raise UserError(problems=[replace(p, message=_form_words(p.message)) for p in err.problems]) from None
    d = result.to_dict()
    d["names"] = [n.name for n in leaves]
    d["units"] = list(table.units)
    d["source"] = source
    with transaction.atomic():
        ow = ObjectiveWeighting.objects.create(round=round, method=method, node=node or "", normalise=result.normalise,
                                               less_better=list(less_better), result=d, created_by=user)
        audit_record(user=user, action="weighting_objective", object_type="objective_weighting", object_id=ow.pk,
                     round=round, after={"method": method, "source": {"inputs": "填报值", "scores": "指标得分率"}[source],
                                         "node": node or "全部叶子指标",
                                         "normalise": result.normalise, "less_better": list(less_better),
                                         "units": len(table.units)})
    return ow


def combined_weights(task: WeightingTask, group: ahp.GroupResult | None = None):
    """The task's AHP weights combined with its chosen objective weighting (matched by leaf code), or None."""
    from govassess.methods import objective
    from govassess.web.weighting.models import ObjectiveWeighting

    c = task.combination or {}
    if not c.get("objective"):
        return None
    group = group or task_group(task)
    ow = ObjectiveWeighting.objects.filter(pk=c["objective"]).first()
    if group is None or ow is None:
        return None
    by_code = dict(zip(ow.result["criteria"], ow.result["weights"]))
    b = [by_code[x["code"]] for x in task.criteria]
    return objective.combine(group.combined.weights, b, how=c.get("how", "multiplicative"), alpha=float(c.get("alpha", 0.5)))


def task_combine(*, user, task: WeightingTask, objective_pk: int | None, how: str = "multiplicative",
                 alpha: float = 0.5) -> None:
    """Choose (or clear, objective_pk None) the objective weights the task's AHP weights are combined with."""
    from govassess.methods import objective
    from govassess.web.weighting.models import ObjectiveWeighting

    policy.require_office(user)
    combination: dict[str, Any] = {}
    if objective_pk is not None:
        ow = ObjectiveWeighting.objects.filter(pk=objective_pk).first()
        if ow is None:
            raise UserError("找不到所选的客观赋权结果")
        codes = [x["code"] for x in task.criteria]
        if sorted(ow.result["criteria"]) != sorted(codes):
            raise UserError(f"客观赋权结果 #{ow.pk} 的指标（{'、'.join(ow.result['criteria'])}）与本任务的比较元素"
                            f"（{'、'.join(codes)}）不同：请对同一组叶子指标计算客观权重")
        objective.combine([1.0] * len(codes), [1.0] * len(codes), how=how, alpha=alpha)  # the core checks how/α
        combination = {"objective": ow.pk, "how": how, "alpha": alpha}
    with transaction.atomic():
        before = task.combination
        WeightingTask.objects.filter(pk=task.pk).update(combination=combination)
        task.combination = combination
        audit_record(user=user, action="weighting_combine", object_type="weighting_task", object_id=task.pk,
                     before=before or None, after=combination or None)


# ---- applying weights: a new version of a draft system ----------------------------------------------------

STEPS = (1.0, 0.5, 0.1)
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,30}$")


def weights_apply(*, user, system, weights, step: float = 1.0, version: str = ""):
    """The core's `apply_weights` on a draft system: a new System row (slug `<slug>-<version>`) whose YAML has
    the new points, rules scaled, and the date, method and source of the weights in its description. The
    original system is left as it was."""
    from govassess.indicators import dump_yaml, system_from_dict
    from govassess.methods.apply import apply_weights
    from govassess.web.systems.models import System

    policy.require_office(user)
    policy.require_draft_system(system)
    version = (version or "").strip()
    slug = _check_version(system, version)
    if step not in STEPS:
        raise UserError(f"取整步长应为 {'、'.join(f'{s:g}' for s in STEPS)} 之一", field="取整步长")
    applied = apply_weights(system_core(system), [weights], step=step, version=version,
                            today=timezone.localdate())
    data = applied.system.to_dict()
    data["id"] = slug
    text = dump_yaml(system_from_dict(data, file=f"{slug}.yaml"))
    changes = [{"code": c, "name": n, "from": old, "to": new} for c, n, old, new in applied.changes]
    with transaction.atomic():
        new = System.objects.create(slug=slug, name=f"{system.name}（{version}）", yaml_text=text)
        _copy_assignments(system, new)
        audit_record(
            user=user,
            action="weighting_apply",
            object_type="system",
            object_id=slug,
            before={"system": system.slug, "points": {c["code"]: c["from"] for c in changes}},
            after={"system": slug, "points": {c["code"]: c["to"] for c in changes}, "weights": weights.file,
                   "method": weights.method, "step": step},
        )
    return new, changes


def _check_version(system, version: str) -> str:
    from govassess.web.systems.models import System

    version = (version or "").strip()
    if not _VERSION.match(version):
        raise UserError(f"版本号「{version}」无效：用字母、数字、点或横线，如 2025、v2、2025.1（不超过 31 个字符）",
                        field="版本号")
    slug = f"{system.slug}-{version}"[:80]
    if System.objects.filter(slug=slug).exists():
        raise UserError(f"已有标识为「{slug}」的指标体系：请换一个版本号", field="版本号")
    return slug


def _copy_assignments(source, target) -> None:
    """A new version answers to the same departments and reviewers per indicator as the one it came from."""
    from govassess.web.systems.models import Assignment

    Assignment.objects.bulk_create([
        Assignment(system=target, indicator=a.indicator, user_id=a.user_id, kind=a.kind)
        for a in Assignment.objects.filter(system=source)
    ])


def system_draft_copy(*, user, system, version: str = ""):
    """A copy of any system (one a round already uses, too) as a new draft version to weight: same indicators,
    rules and points, same indicator assignments; the copy is recorded in its description and audited."""
    from govassess.indicators import dump_yaml, system_from_dict
    from govassess.web.systems.models import System

    policy.require_office(user)
    slug = _check_version(system, version)
    data = system_core(system).to_dict()
    data["id"] = slug
    data["version"] = version.strip()
    stamp = f"{timezone.localdate().isoformat()} 由指标体系 {system.slug} 复制为草稿版本（govassess 网页平台），用于修订权重。"
    data["description"] = (str(data.get("description") or "").rstrip() + "\n" + stamp).strip()
    text = dump_yaml(system_from_dict(data, file=f"{slug}.yaml"))
    with transaction.atomic():
        new = System.objects.create(slug=slug, name=f"{system.name}（{version.strip()}）", yaml_text=text)
        _copy_assignments(system, new)
        audit_record(user=user, action="weighting_copy", object_type="system", object_id=slug,
                     before={"system": system.slug}, after={"system": slug, "version": version.strip()})
    return new


def task_weights(task: WeightingTask, use: str = "ahp"):
    """The task's weights as the core's Weights (criteria by code): AHP group weights or the combination."""
    from govassess.methods.objective import Weights

    group = task_group(task)
    if group is None:
        raise UserError("尚无专家提交判断矩阵，没有可应用的权重")
    who = "、".join(e.expert for e in group.experts)
    label = f"网页平台赋权任务 #{task.pk}「{task.name}」（层次分析法，{len(group.experts)} 位专家：{who}"
    label += f"，{task.get_aggregation_display()}）" if len(group.experts) > 1 else "）"
    codes = [c["code"] for c in task.criteria]
    if use == "combined":
        w = combined_weights(task, group)
        if w is None:
            raise UserError("本任务尚未设定主客观组合")
        c = task.combination
        how = "乘法合成" if c.get("how") == "multiplicative" else f"线性加权 α = {c.get('alpha')}"
        return Weights("combine", codes, np.asarray(w),
                       f"{label}与客观赋权 #{c['objective']} 组合（{how}）")
    return Weights("ahp", codes, np.asarray(group.combined.weights), label)


def objective_weights(ow):
    from govassess.methods.objective import Weights

    r = ow.result
    return Weights(ow.method, list(r["criteria"]), np.asarray(r["weights"], dtype=float),
                   f"网页平台客观赋权 #{ow.pk}（轮次「{ow.round.name}」的数据，{len(r.get('units', []))} 个单位）")


# ---- rank sensitivity (a background job) -------------------------------------------------------------------

SENSITIVITY_DEFAULTS = {"perturb": 0.10, "samples": 2000, "seed": 1, "mode": "uniform", "level": "leaf"}
MAX_SAMPLES = 5000  # a web request's job stays within seconds for a few thousand units


def sensitivity_params(*, perturb_percent: str, samples: str, seed: str, mode: str = "uniform",
                       level: str = "leaf") -> dict[str, Any]:
    """The office's form as the core's parameters, each problem named by its field."""
    from govassess.errors import ProblemCollector
    from govassess.methods.tables import parse_number

    problems = ProblemCollector()
    p = parse_number((perturb_percent or "").rstrip("%").strip())
    if p is None or not 0 < p < 100:
        problems.add(f"扰动幅度应为 0 到 100 之间的百分数（如 10 表示 ±10%），实际为「{perturb_percent}」", field="扰动幅度")
    n = (samples or "").strip()
    if not n.isdigit() or not 100 <= int(n) <= MAX_SAMPLES:
        problems.add(f"抽样次数应为 100 到 {MAX_SAMPLES} 之间的整数，实际为「{samples}」", field="抽样次数")
    s = (seed or "").strip()
    if not s.isdigit() or int(s) > 2**32 - 1:
        problems.add(f"随机种子应为非负整数，实际为「{seed}」", field="随机种子")
    if mode not in ("uniform", "dirichlet"):
        problems.add(f"未知的扰动方式「{mode}」", field="扰动方式")
    if level not in ("leaf", "1"):
        problems.add(f"未知的扰动层级「{level}」", field="扰动层级")
    problems.raise_if_any()
    return {"perturb": float(p) / 100, "samples": int(n), "seed": int(s), "mode": mode, "level": level}


def sensitivity_start(*, user, round, params: dict[str, Any], background: bool = True):
    from govassess.web.jobs import job_submit
    from govassess.web.rounds.models import JobStatus
    from govassess.web.rounds.selectors import latest_run
    from govassess.web.weighting.models import SensitivityRun

    policy.require_start_sensitivity(user, round)
    run = latest_run(round)
    if run is None or not run.results:
        raise UserError("本轮尚无评分结果：请先运行评分，再分析名次敏感性")
    with transaction.atomic():
        if round.sensitivity_runs.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
            raise UserError("已有名次敏感性分析在运行，请稍候。")
        job = SensitivityRun.objects.create(round=round, scoring_run=run, params=params, created_by=user)
        audit_record(user=user, action="sensitivity_start", object_type="sensitivity_run", object_id=job.pk,
                     round=round, after={**params, "perturb": f"±{100 * params['perturb']:g}%", "scoring_run": run.pk})
    job_submit("sensitivity", job.pk, background)
    if not background:
        job.refresh_from_db()
    return job


def sensitivity_execute(job_id: int, *, own_thread: bool = False) -> None:
    """Run one sensitivity job: the core's read_round + analyse on the scoring run's stored results."""
    from govassess.methods import sensitivity
    from govassess.web.rounds.models import JobStatus
    from govassess.web.weighting.models import SensitivityRun

    close_old_connections()
    rows = SensitivityRun.objects.filter(pk=job_id)
    try:
        job = SensitivityRun.objects.select_related("round__system", "scoring_run").get(pk=job_id)
        rows.update(status=JobStatus.RUNNING, progress=0.1, message="抽样计算")
        if job.scoring_run is None or not job.scoring_run.results:
            raise UserError("所依据的评分结果已不存在，请重新运行")
        core = system_core(job.round.system)
        label = f"轮次「{job.round.name}」的评分结果"
        rd = sensitivity.read_round(job.scoring_run.results, core, file=label)
        p = job.params
        res = sensitivity.analyse(rd, core, perturb=p["perturb"], samples=p["samples"], seed=p["seed"],
                                  mode=p.get("mode", "uniform"), level=p.get("level", "leaf"))
        rows.update(status=JobStatus.DONE, progress=1.0, message="完成", results=res.to_dict(),
                    finished_at=timezone.now())
    except UserError as err:
        rows.update(status=JobStatus.FAILED, message=str(err)[:4000], finished_at=timezone.now())
    except Exception:  # a failed job must be visible, not a silent dead thread
        log.exception("sensitivity run %s failed", job_id)
        rows.update(status=JobStatus.FAILED, message="名次敏感性分析出现内部错误，请查看服务器日志。",
                    finished_at=timezone.now())
    finally:
        if own_thread:
            connection.close()
        else:
            close_old_connections()
