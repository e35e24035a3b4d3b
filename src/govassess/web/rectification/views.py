"""整改 pages: views check access (policy.py), call a service, and answer."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from govassess.errors import UserError
from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role, user_unit_id
from govassess.web.audit.services import audit_record
from govassess.web.common import back, get_round, get_unit, user_errors_to_messages
from govassess.web.rectification import policy, services
from govassess.web.rectification.models import Task, TaskEvidence, TaskList
from govassess.web.rounds.models import Round, RoundState


def _round_url(request, pk, *args, **kwargs):
    return reverse("rectification_round", args=[pk])


def _task_url(request, pk, *args, **kwargs):
    return reverse("rectification_task", args=[pk])


def _date(text: str | None) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"「{text}」不是有效的日期，应为 2026-12-31 这样的格式", field="整改期限") from None


def _visible_tasks(user, rnd: Round):
    qs = Task.objects.filter(round=rnd).select_related("unit")
    if policy.can_view_all(user):
        return qs
    if user_role(user=user) == Role.FILLER:
        return qs.filter(unit_id=user_unit_id(user=user))
    return qs.none()


@login_required
def index(request):
    """整改 menu: the final rounds and, per round, the tasks the user may see."""
    role = user_role(user=request.user)
    if role not in (Role.OFFICE, Role.REVIEWER, Role.FILLER):
        raise PermissionDenied("您无权查看整改任务。")
    rows = []
    for rnd in Round.objects.filter(state=RoundState.FINAL).select_related("system").order_by("-finalised_at", "-id"):
        tasks = list(_visible_tasks(request.user, rnd))
        if not tasks and role != Role.OFFICE:
            continue
        task_list = TaskList.objects.filter(round=rnd).first()
        rows.append({"round": rnd, "count": len(tasks), "accepted": sum(t.status == "accepted" for t in tasks),
                     "overdue": sum(t.overdue for t in tasks), "closed": bool(task_list and task_list.closed)})
    return render(request, "rectification/index.html", {"rows": rows, "office": role == Role.OFFICE})


@login_required
def round_tasks(request, pk):
    rnd = get_round(request.user, pk)
    role = user_role(user=request.user)
    if role not in (Role.OFFICE, Role.REVIEWER, Role.FILLER):
        raise PermissionDenied("您无权查看整改任务。")
    tasks = list(_visible_tasks(request.user, rnd))
    today = timezone.localdate()
    for t in tasks:
        t.days = t.days_overdue(today)
    task_list = TaskList.objects.filter(round=rnd).first()
    office = policy.policy.can_manage(request.user)
    units = []
    if office and rnd.state == RoundState.FINAL:
        units = sorted({(c.unit, c.unit_name) for c in _candidates(request, rnd)})
    return render(request, "rectification/round.html", {
        "round": rnd, "tasks": tasks, "overdue": sorted((t for t in tasks if t.days), key=lambda t: -t.days),
        "task_list": task_list, "closed": bool(task_list and task_list.closed), "office": office,
        "final": rnd.state == RoundState.FINAL, "units": units,
        "default_deadline": (today + dt.timedelta(days=30)).isoformat(),
    })


def _candidates(request, rnd):
    try:
        return services.lost_points(rnd)
    except UserError as err:
        messages.warning(request, str(err))
        return []


@login_required
@require_POST
@user_errors_to_messages(_round_url)
def create(request, pk):
    rnd = get_round(request.user, pk)
    policy.require_office(request.user)
    made, skipped = services.tasks_create_threshold(
        user=request.user, round=rnd, share_below=request.POST.get("share_below"),
        lost_at_least=request.POST.get("lost_at_least"), units=request.POST.getlist("units"),
        requirement=request.POST.get("requirement", ""), deadline=_date(request.POST.get("deadline")))
    _created_message(request, made, skipped)
    return back(request, _round_url(request, pk))


def _created_message(request, made, skipped) -> None:
    text = f"已下达整改任务 {len(made)} 项"
    if skipped:
        text += f"；{skipped} 项已有整改任务，未重复创建"
    messages.success(request, text + "。")


@login_required
@user_errors_to_messages(_round_url)
def pick(request, pk, code):
    """One unit's lost points, to hand-pick tasks from (the office)."""
    rnd = get_round(request.user, pk)
    unit = get_unit(code)
    policy.require_office(request.user)
    if request.method == "POST":
        made, skipped = services.tasks_create_picked(
            user=request.user, round=rnd, unit=unit, indicators=request.POST.getlist("indicators"),
            requirement=request.POST.get("requirement", ""), deadline=_date(request.POST.get("deadline")))
        _created_message(request, made, skipped)
        return redirect("rectification_round", pk)
    candidates = [c for c in _candidates(request, rnd) if c.unit == unit.code] if rnd.state == RoundState.FINAL else []
    existing = set(Task.objects.filter(round=rnd, unit=unit).values_list("indicator", flat=True))
    return render(request, "rectification/pick.html", {
        "round": rnd, "unit": unit, "candidates": candidates, "existing": existing,
        "final": rnd.state == RoundState.FINAL,
        "default_deadline": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
    })


@login_required
@require_POST
@user_errors_to_messages(_round_url)
def close(request, pk):
    rnd = get_round(request.user, pk)
    policy.require_office(request.user)
    services.task_list_close(user=request.user, round=rnd)
    messages.success(request, "已关闭本轮整改任务清单：此后任务不再变更。")
    return redirect("rectification_round", pk)


def _task(request, pk) -> Task:
    task = get_object_or_404(Task.objects.select_related("round__system", "unit", "task_list"), pk=pk)
    get_round(request.user, task.round_id)  # the same 403 as the round's other pages
    policy.require_view(request.user, task)
    return task


@login_required
def task_detail(request, pk):
    task = _task(request, pk)
    events = list(task.events.select_related("user").prefetch_related("evidence"))
    return render(request, "rectification/task.html", {
        "task": task, "events": events, "days": task.days_overdue(),
        "can_answer": policy.can_answer(request.user, task), "can_review": policy.can_review(request.user, task),
        "closed": task.task_list.closed,
    })


@login_required
@require_POST
@user_errors_to_messages(_task_url)
def answer(request, pk):
    task = _task(request, pk)
    policy.check_answer(request.user, task)
    services.task_answer(user=request.user, task=task, text=request.POST.get("text", ""),
                         uploads=request.FILES.getlist("files"))
    messages.success(request, "整改情况已提交，等待复核。")
    return redirect("rectification_task", pk)


@login_required
@require_POST
@user_errors_to_messages(_task_url)
def review(request, pk):
    task = _task(request, pk)
    policy.policy.require(policy.policy.can_review(request.user), "只有评审专家和评估办可以复核整改情况。")
    decision = request.POST.get("decision", "")
    if decision not in ("accept", "return"):
        raise UserError("请选择复核结论：通过或退回", field="复核结论")
    services.task_review(user=request.user, task=task, accept=decision == "accept", reason=request.POST.get("reason", ""))
    messages.success(request, "已复核通过。" if decision == "accept" else "已退回，单位可重新提交整改情况。")
    return redirect("rectification_task", pk)


@login_required
def evidence_download(request, pk):
    ev = get_object_or_404(TaskEvidence.objects.select_related("task__round", "task__unit"), pk=pk)
    get_round(request.user, ev.task.round_id)
    policy.require_view(request.user, ev.task)
    path = services.evidence_file(ev)
    if not path.is_file():
        messages.error(request, "文件已不存在。")
        return redirect("rectification_task", ev.task_id)
    audit_record(user=request.user, action="rectification_evidence_download", object_type="rectification_task",
                 object_id=ev.task_id, round=ev.task.round, unit_code=ev.task.unit.code, indicator=ev.task.indicator,
                 after={"file": ev.original_name})
    return FileResponse(path.open("rb"), as_attachment=True, filename=ev.original_name, content_type=ev.content_type)
