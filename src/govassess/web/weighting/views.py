"""Pages of the evaluation methods. Views check access (weighting.policy), call a selector or a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from govassess.errors import UserError
from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role
from govassess.web.common import user_errors_to_messages
from govassess.web.systems.models import System
from govassess.web.weighting import policy, selectors, services
from govassess.web.weighting.models import Aggregation, Invitation, ObjectiveWeighting, WeightingTask


def _task_url(request, pk, *args, **kwargs):
    return reverse("weighting_task", args=[pk])


def _index_url(request, *args, **kwargs):
    return reverse("weighting_index")


def _task(user, pk) -> WeightingTask:
    task = get_object_or_404(WeightingTask.objects.select_related("system"), pk=pk)
    policy.require_view_task(user, task)
    return task


@login_required
def index(request):
    role = user_role(user=request.user)
    if role == Role.REVIEWER:
        tasks = WeightingTask.objects.filter(invitations__expert=request.user).select_related("system")
        return render(request, "weighting/index.html", {"tasks": tasks, "office": False})
    policy.require_office(request.user)
    ctx = {
        "office": True,
        "tasks": WeightingTask.objects.select_related("system"),
        "targets": selectors.task_targets(),
        "aggregations": Aggregation.choices,
        "objective_targets": selectors.objective_targets(),
        "objectives": [selectors.objective_view(ow) for ow in ObjectiveWeighting.objects.select_related("round")],
        "methods": list(selectors.METHOD_LABELS.items()),
        "sources": list(services.SOURCES.items()),
        "versions": selectors.applied_versions(),
        "systems": System.objects.all(),
    }
    return render(request, "weighting/index.html", ctx)


@login_required
@require_POST
@user_errors_to_messages(_index_url)
def task_create(request):
    policy.require_office(request.user)
    target = request.POST.get("target", "")
    system_pk, _, node = target.partition(":")
    if not system_pk.isdigit():
        raise UserError("请选择要赋权的指标体系与上级指标")
    system = get_object_or_404(System, pk=int(system_pk))
    task = services.task_create(
        user=request.user,
        system=system,
        node=node,
        name=request.POST.get("name", ""),
        aggregation=request.POST.get("aggregation", Aggregation.AIJ),
    )
    messages.success(request, f"已创建赋权任务「{task.name}」，请邀请专家。")
    return redirect("weighting_task", task.pk)


@login_required
def task_detail(request, pk):
    task = _task(request.user, pk)
    office = policy.is_office(request.user)
    ctx = {"task": task, "office": office, "draft": policy.is_draft_system(task.system)}
    if office:
        ctx.update(selectors.task_overview(task))
        invited = set(task.invitations.values_list("expert_id", flat=True))
        ctx["candidates"] = [
            u for u in get_user_model().objects.filter(profile__role=Role.REVIEWER, is_active=True).order_by("username")
            if u.pk not in invited
        ]
        ctx["aggregations"] = Aggregation.choices
        ctx["combinable"] = selectors.combinable(task)
        ctx["steps"] = services.STEPS
        combined = services.combined_weights(task)
        if combined is not None:
            ctx["combined"] = [
                {"code": c["code"], "name": c["name"], "weight": float(w)} for c, w in zip(task.criteria, combined)
            ]
    else:
        inv = get_object_or_404(Invitation, task=task, expert=request.user)
        ctx["mine"] = selectors.invitation_view(task, inv)
        ctx["grid"] = selectors.matrix_grid(task, inv)
        ctx["scale"] = selectors.SCALE
    return render(request, "weighting/task.html", ctx)


@login_required
@require_POST
@user_errors_to_messages(_task_url)
def task_invite(request, pk):
    task = _task(request.user, pk)
    policy.require_office(request.user)
    expert = get_user_model().objects.filter(pk=request.POST.get("expert") or 0).first()
    if expert is None:
        raise UserError("请选择要邀请的专家")
    services.task_invite(user=request.user, task=task, expert=expert)
    messages.success(request, f"已邀请专家 {expert.get_full_name() or expert.get_username()}，并发送站内通知。")
    return redirect("weighting_task", pk)


@login_required
@require_POST
@user_errors_to_messages(_task_url)
def task_aggregation(request, pk):
    task = _task(request.user, pk)
    services.task_set_aggregation(user=request.user, task=task, aggregation=request.POST.get("aggregation", ""))
    messages.success(request, f"汇总方式已改为：{task.get_aggregation_display()}。")
    return redirect("weighting_task", pk)


def _saved(request, inv: Invitation) -> None:
    r = inv.result or {}
    if r.get("warning"):
        messages.warning(request, r["warning"])
        messages.success(request, f"判断矩阵已保存（CR = {r['cr']:.4f}），建议按提示修改后重新提交。")
    else:
        messages.success(request, f"判断矩阵已保存，通过一致性检验（CR = {r['cr']:.4f}）。")


@login_required
@require_POST
@user_errors_to_messages(_task_url)
def task_matrix(request, pk):
    task = _task(request.user, pk)
    policy.require_fill(request.user, task)
    n = len(task.criteria)
    cells = {(i, k): request.POST.get(f"a_{i}_{k}", "") for i in range(n) for k in range(i + 1, n)}
    judgements = services.judgements_from_form(task, cells)
    _saved(request, services.matrix_submit(user=request.user, task=task, judgements=judgements, source="form"))
    return redirect("weighting_task", pk)


@login_required
@require_POST
@user_errors_to_messages(_task_url)
def task_upload(request, pk):
    task = _task(request.user, pk)
    policy.require_fill(request.user, task)
    upload = request.FILES.get("file")
    if upload is None:
        raise UserError("请选择判断矩阵文件（CSV 或 XLSX）")
    judgements = services.judgements_from_upload(task, upload)
    _saved(request, services.matrix_submit(user=request.user, task=task, judgements=judgements, source="upload"))
    return redirect("weighting_task", pk)





@login_required
@require_POST
@user_errors_to_messages(_task_url)
def task_combine(request, pk):
    task = _task(request.user, pk)
    policy.require_office(request.user)
    raw = request.POST.get("objective", "")
    alpha_text = (request.POST.get("alpha") or "0.5").strip()
    try:
        alpha = float(alpha_text)
    except ValueError:
        raise UserError(f"线性组合系数 α 应为 0 到 1 之间的数，实际为「{alpha_text}」", field="α") from None
    services.task_combine(
        user=request.user,
        task=task,
        objective_pk=int(raw) if raw.isdigit() else None,
        how=request.POST.get("how", "multiplicative"),
        alpha=alpha,
    )
    messages.success(request, "已设定主客观组合赋权。" if task.combination else "已取消主客观组合。")
    return redirect("weighting_task", pk)


@login_required
@require_POST
@user_errors_to_messages(_index_url)
def objective_create(request):
    from govassess.web.rounds.models import Round

    policy.require_office(request.user)
    round_pk, _, node = request.POST.get("target", "").partition(":")
    if not round_pk.isdigit():
        raise UserError("请选择数据来源轮次与指标范围")
    rnd = get_object_or_404(Round, pk=int(round_pk))
    less = [c.strip() for c in request.POST.get("less_better", "").replace("，", ",").replace("、", ",").split(",")]
    ow = services.objective_create(
        user=request.user,
        round=rnd,
        method=request.POST.get("method", ""),
        node=node,
        source=request.POST.get("source", "inputs"),
        normalise=request.POST.get("normalise", "none"),
        less_better=[c for c in less if c],
    )
    messages.success(request, f"已按{selectors.METHOD_LABELS[ow.method]}计算 {len(ow.result['criteria'])} 个指标的权重。")
    return redirect("weighting_objective", ow.pk)


@login_required
def objective_detail(request, pk):
    policy.require_office(request.user)
    ow = get_object_or_404(ObjectiveWeighting.objects.select_related("round__system"), pk=pk)
    ctx = selectors.objective_view(ow)
    ctx["systems"] = selectors.draft_systems()
    ctx["steps"] = services.STEPS
    return render(request, "weighting/objective.html", ctx)


def _step(request) -> float:
    text = (request.POST.get("step") or "1").strip()
    try:
        return float(text)
    except ValueError:
        raise UserError(f"取整步长应为数字，实际为「{text}」", field="取整步长") from None


def _applied(request, new, changes) -> None:
    moved = "；".join(f"{c['code']} {c['name']} {c['from']:g} → {c['to']:g}" for c in changes)
    messages.success(request, f"已生成指标体系新版本「{new.name}」（标识 {new.slug}）。分值：{moved}")


def _objective_url(request, pk, *args, **kwargs):
    return reverse("weighting_objective", args=[pk])


@login_required
@require_POST
@user_errors_to_messages(_task_url)
def task_apply(request, pk):
    task = _task(request.user, pk)
    policy.require_office(request.user)
    weights = services.task_weights(task, request.POST.get("use", "ahp"))
    new, changes = services.weights_apply(
        user=request.user, system=task.system, weights=weights, step=_step(request),
        version=request.POST.get("version", ""),
    )
    _applied(request, new, changes)
    return redirect("weighting_task", pk)


@login_required
@require_POST
@user_errors_to_messages(_objective_url)
def objective_apply(request, pk):
    policy.require_office(request.user)
    ow = get_object_or_404(ObjectiveWeighting.objects.select_related("round"), pk=pk)
    system = System.objects.filter(pk=request.POST.get("system") or 0).first()
    if system is None:
        raise UserError("请选择要应用权重的草稿指标体系")
    new, changes = services.weights_apply(
        user=request.user, system=system, weights=services.objective_weights(ow), step=_step(request),
        version=request.POST.get("version", ""),
    )
    _applied(request, new, changes)
    return redirect("weighting_objective", pk)


def _results_url(request, pk, *args, **kwargs):
    return reverse("round_results", args=[pk])


@login_required
@require_POST
@user_errors_to_messages(_results_url)
def sensitivity_start(request, pk):
    from govassess.web.common import back, get_round

    rnd = get_round(request.user, pk)
    policy.require_start_sensitivity(request.user, rnd)
    params = services.sensitivity_params(
        perturb_percent=request.POST.get("perturb", ""),
        samples=request.POST.get("samples", ""),
        seed=request.POST.get("seed", ""),
        mode=request.POST.get("mode", "uniform"),
        level=request.POST.get("level", "leaf"),
    )
    services.sensitivity_start(user=request.user, round=rnd, params=params)
    messages.success(request, "已开始名次敏感性分析（后台计算），完成后本页显示结果。")
    return back(request, reverse("round_results", args=[pk]))


@login_required
@require_POST
@user_errors_to_messages(_index_url)
def system_copy(request):
    policy.require_office(request.user)
    system = System.objects.filter(pk=request.POST.get("system") or 0).first()
    if system is None:
        raise UserError("请选择要复制的指标体系")
    new = services.system_draft_copy(user=request.user, system=system, version=request.POST.get("version", ""))
    messages.success(request, f"已复制为草稿版本「{new.name}」（标识 {new.slug}），可在其上创建赋权任务。")
    return redirect("weighting_index")
