"""整改 pages: views check access (policy.py), call a service, and answer."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST

from govassess.errors import UserError
from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role, user_unit_id
from govassess.web.audit.services import audit_record
from govassess.web.common import back, get_round, get_unit, user_errors_to_messages
from govassess.web.rectification import excel, policy, selectors, services
from govassess.web.rectification.models import Task, TaskEvidence, TaskList, TaskStatus
from govassess.web.rounds import selectors as rounds_selectors
from govassess.web.rounds.models import Round, RoundState
from govassess.web.tables import table_page


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


OVERDUE_SHOWN = 20  # the page's 逾期未整改 box: the longest overdue; the rest through the 仅逾期 filter


def _require_task_role(user) -> str:
    role = user_role(user=user)
    if role not in (Role.OFFICE, Role.REVIEWER, Role.FILLER):
        raise PermissionDenied("您无权查看整改任务。")
    return role


@login_required
def index(request):
    """整改 menu: the final rounds and, per round, counts of the tasks the user may see (withdrawn ones not
    counted), aggregated in the database."""
    role = _require_task_role(request.user)
    today = timezone.localdate()
    qs = Task.objects.filter(round__state=RoundState.FINAL).exclude(status=TaskStatus.WITHDRAWN)
    if not policy.can_view_all(request.user):
        qs = qs.filter(unit_id=user_unit_id(user=request.user))
    counts = {r["round_id"]: r for r in qs.values("round_id").annotate(
        count=Count("id"), accepted=Count("id", filter=Q(status=TaskStatus.ACCEPTED)),
        overdue=Count("id", filter=selectors.overdue_q(today)))}
    closed = set(TaskList.objects.filter(closed_at__isnull=False).values_list("round_id", flat=True))
    rows = []
    for rnd in Round.objects.filter(state=RoundState.FINAL).select_related("system").order_by("-finalised_at", "-id"):
        c = counts.get(rnd.pk) or {}
        if not c and role != Role.OFFICE:
            continue
        rows.append({"round": rnd, "count": c.get("count", 0), "accepted": c.get("accepted", 0),
                     "overdue": c.get("overdue", 0), "closed": rnd.pk in closed})
    return render(request, "rectification/index.html", {"rows": rows, "office": role == Role.OFFICE})


STATUS_ORDER = {s: i for i, s in enumerate(TaskStatus.values)}


@login_required
def round_tasks(request, pk):
    """A round's tasks: filters (status, unit, overdue) in the database, then the project's server-side
    sorting, search and pages (tables.table_page); the office's creation form from the cached candidates."""
    rnd = get_round(request.user, pk)
    _require_task_role(request.user)
    office = policy.policy.can_manage(request.user)
    final = rnd.state == RoundState.FINAL
    if office and request.GET.get("pick"):
        return redirect("rectification_pick", pk, get_unit(request.GET["pick"]).code)
    today = timezone.localdate()
    every = policy.can_view_all(request.user)
    flt = selectors.TaskFilter.from_params(request.GET)
    visible = selectors.visible_tasks(request.user, rnd)
    # A unit's open list leaves its withdrawn tasks out (listed apart, with the reason on the task's page).
    base = visible if every else visible.exclude(status=TaskStatus.WITHDRAWN)
    # Sorting and search run over light rows (3,000 units × several tasks); only the shown page is loaded as
    # tasks with their units.
    rows = [SimpleNamespace(pk=pk, code=code, name=name, indicator=ind, indicator_name=ind_name, lead=lead,
                            status=status, lost=lost, deadline=deadline)
            for pk, code, name, ind, ind_name, lead, status, lost, deadline in
            selectors.filtered_tasks(base, flt, today=today).order_by("unit__code", "indicator", "id").values_list(
                "pk", "unit__code", "unit__name", "indicator", "indicator_name", "lead", "status", "lost", "deadline")]
    labels = dict(TaskStatus.choices)
    table = table_page(
        request, rows,
        columns=[("unit", "单位", lambda r: r.code), ("indicator", "指标", lambda r: r.indicator),
                 ("lost", "失分", lambda r: r.lost), ("lead", "牵头科室", lambda r: r.lead),
                 ("deadline", "整改期限", lambda r: r.deadline),
                 ("status", "状态", lambda r: STATUS_ORDER.get(r.status, 9)), ("open", "", None)],
        text=lambda r: " ".join([r.code, r.name, r.indicator, r.indicator_name, r.lead, labels.get(r.status, "")]))
    loaded = Task.objects.select_related("unit").in_bulk([r.pk for r in table.rows])
    shown = [loaded[r.pk] for r in table.rows]
    for t in shown:
        t.days = t.days_overdue(today)
    overdue_qs = base.filter(selectors.overdue_q(today)).order_by("deadline", "unit__code", "indicator")
    overdue = list(overdue_qs[:OVERDUE_SHOWN])
    for t in overdue:
        t.days = t.days_overdue(today)
    task_list = TaskList.objects.filter(round=rnd).first()
    units = []
    if office and final:
        # The round's units, not the candidates: the page then never reads the results JSON (60 MB at 3,000
        # units); a unit without lost points shows "本轮没有失分项" on its pick page.
        units = list(rounds_selectors.round_units(rnd).order_by("code").values_list("code", "name"))
    # The same <option>s in two selects, 3,000 of them: escaped once here rather than twice in the template loop.
    unit_options = format_html_join("", '<option value="{}">{} {}</option>', ((c, c, n) for c, n in units))
    statuses = [(v, label) for v, label in TaskStatus.choices if every or v != TaskStatus.WITHDRAWN]
    return render(request, "rectification/round.html", {
        "round": rnd, "tasks": shown, "t": table, "overdue": overdue,
        "overdue_count": overdue_qs.count() if len(overdue) == OVERDUE_SHOWN else len(overdue),
        "withdrawn": [] if every else list(visible.filter(status=TaskStatus.WITHDRAWN)),
        "filter": flt, "statuses": statuses, "every": every,
        "task_list": task_list, "closed": bool(task_list and task_list.closed), "office": office,
        "final": final, "units": units, "unit_options": unit_options, "default_deadline": (today + dt.timedelta(days=30)).isoformat(),
    })


@login_required
def export(request, pk):
    """The task list under the page's filters (status, unit, overdue) as .xlsx; a unit's filler gets its own
    tasks only (withdrawn ones included, marked 已撤销)."""
    rnd = get_round(request.user, pk)
    _require_task_role(request.user)
    today = timezone.localdate()
    flt = selectors.TaskFilter.from_params(request.GET)
    qs = selectors.with_history(selectors.filtered_tasks(selectors.visible_tasks(request.user, rnd), flt, today=today))
    data = excel.tasks_workbook_bytes(qs.order_by("unit__code", "indicator", "id").iterator(chunk_size=2000),
                                      today=today, title=f"{rnd.name} 整改任务")
    resp = HttpResponse(data, content_type=excel.XLSX)
    resp["Content-Disposition"] = f'attachment; filename="rectification-{rnd.pk}.xlsx"'
    return resp


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
        "can_change": policy.can_change(request.user, task),
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
@require_POST
@user_errors_to_messages(_task_url)
def edit(request, pk):
    task = _task(request, pk)
    policy.check_change(request.user, task)
    services.task_update(user=request.user, task=task, requirement=request.POST.get("requirement", ""),
                         deadline=_date(request.POST.get("deadline")), lead=request.POST.get("lead", ""))
    messages.success(request, "已修改整改任务，并通知了该单位。")
    return redirect("rectification_task", pk)


@login_required
@require_POST
@user_errors_to_messages(_task_url)
def withdraw(request, pk):
    task = _task(request, pk)
    policy.check_change(request.user, task)
    services.task_withdraw(user=request.user, task=task, reason=request.POST.get("reason", ""))
    messages.success(request, "已撤销该整改任务，并通知了该单位。")
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
