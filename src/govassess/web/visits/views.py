"""暗访 pages: views check access, call a service and answer. The visit form is mobile-first (360–390 px)."""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from govassess.errors import UserError
from govassess.metrics.schemas import VISIT_CHANNELS, VISIT_OUTCOMES
from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role
from govassess.web.audit.services import audit_record
from govassess.web.common import back, get_round, show_user_error, user_errors_to_messages
from govassess.web.organisation.models import Unit
from govassess.web.rounds.models import Round
from govassess.web.rounds.policy import can_view_round
from govassess.web.visits import policy, services
from govassess.web.visits.models import Visit, VisitFile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _round_url(request, pk, *args, **kwargs):
    return reverse("visits_round", args=[pk])


@login_required
def visits_index(request):
    rounds = [r for r in Round.objects.select_related("system") if can_view_round(request.user, r)]
    rows = [(r, policy.can_view_page(request.user, r)) for r in rounds]
    return render(request, "visits/index.html", {"rows": rows})


def _fmt(x):
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


@login_required
def visits_round(request, pk):
    rnd = get_round(request.user, pk)
    policy.require_page(request.user, rnd)
    role = user_role(user=request.user)
    office = role == Role.OFFICE
    visits = list(policy.visible_visits(request.user, rnd).prefetch_related("files"))
    per_unit: dict[str, dict] = {}
    for v in visits:
        row = per_unit.setdefault(v.unit.code, {"unit": v.unit, "total": 0, "counted": 0, "success": 0})
        row["total"] += 1
        if not v.excluded:
            row["counted"] += 1
            row["success"] += v.outcome == "办成"
    plan = services.plan_of(rnd)
    reviewers = (get_user_model().objects.filter(profile__role=Role.REVIEWER).order_by("username")
                 if office else [])
    chosen = set(plan.visitors.values_list("pk", flat=True)) if plan else set()
    return render(request, "visits/round.html", {
        "round": rnd, "visits": visits, "per_unit": sorted(per_unit.values(), key=lambda r: r["unit"].code),
        "office": office, "can_record": policy.can_record(request.user, rnd) and not rnd.locked,
        "shows_visitor": policy.shows_visitor(request.user), "plan": plan, "reviewers": reviewers,
        "chosen": chosen, "fmt": _fmt,
        "rows": [(v, _fmt(v.waiting_minutes), _fmt(v.handling_minutes)) for v in visits],
    })


def _form_context(request, rnd, visit=None, data=None):
    if data is None and visit is not None:
        local = timezone.localtime(visit.visited_at)
        data = {
            "unit": visit.unit.code, "date": local.strftime("%Y-%m-%d"), "time": local.strftime("%H:%M"),
            "channel": visit.channel, "matter": visit.matter, "waiting_minutes": _fmt(visit.waiting_minutes),
            "handling_minutes": _fmt(visit.handling_minutes), "outcome": visit.outcome, "note": visit.note,
            "version": visit.version,
        }
    if data is None:
        now = timezone.localtime()
        data = {"date": now.strftime("%Y-%m-%d"), "time": now.strftime("%H:%M")}
    return {
        "round": rnd, "visit": visit, "data": data, "units": Unit.objects.filter(active=True).order_by("code"),
        "channels": VISIT_CHANNELS, "outcomes": VISIT_OUTCOMES, "max_mb": f"{services.max_bytes() / 1024 / 1024:g}",
        "allowed": services.ALLOWED_LABEL,
    }


def _save(request, rnd, visit=None):
    data = {k: request.POST.get(k, "") for k in (
        "unit", "date", "time", "channel", "matter", "waiting_minutes", "handling_minutes", "outcome", "note",
        "version")}
    try:
        saved = services.visit_save(user=request.user, round=rnd, data=data,
                                    uploads=request.FILES.getlist("files"), visit=visit)
    except UserError as err:
        show_user_error(request, err)
        return render(request, "visits/form.html", _form_context(request, rnd, visit, data), status=400)
    messages.success(request, f"已保存暗访记录 {saved.code}（{saved.unit.name}，{saved.outcome}）。")
    return redirect(reverse("visits_round", args=[rnd.pk]))


@login_required
def visit_new(request, pk):
    rnd = get_round(request.user, pk)
    if not policy.can_record(request.user, rnd):
        raise PermissionDenied(policy.NOT_VISITOR)
    if request.method == "POST":
        return _save(request, rnd)
    if rnd.locked:
        messages.error(request, "本轮评估已定稿（已锁定），不能再记录暗访。")
        return redirect(reverse("visits_round", args=[rnd.pk]))
    return render(request, "visits/form.html", _form_context(request, rnd))


def _visit(request, pk) -> Visit:
    visit = get_object_or_404(Visit.objects.select_related("round__system", "unit"), pk=pk)
    get_round(request.user, visit.round_id)
    return visit


@login_required
def visit_edit(request, pk):
    visit = _visit(request, pk)
    if request.method == "POST":
        try:
            policy.require_edit(request.user, visit)
        except UserError as err:
            show_user_error(request, err)
            return redirect(reverse("visits_round", args=[visit.round_id]))
        return _save(request, visit.round, visit)
    if not visit.round.locked:
        policy.require_edit(request.user, visit)
    else:  # read-only after the lock, for the same people
        policy.require_page(request.user, visit.round)
        if not (user_role(user=request.user) == Role.OFFICE or visit.visitor_id == request.user.pk):
            raise PermissionDenied("只能查看本人记录的暗访。")
    return render(request, "visits/form.html", _form_context(request, visit.round, visit))


@login_required
@require_POST
def visit_exclude(request, pk):
    visit = _visit(request, pk)
    try:
        excluded = request.POST.get("action", "exclude") != "include"
        services.visit_exclude(user=request.user, visit=visit, excluded=excluded, reason=request.POST.get("reason", ""))
        messages.success(request, f"已{'排除' if excluded else '恢复'}暗访记录 {visit.code}。")
    except UserError as err:
        show_user_error(request, err)
    return back(request, reverse("visits_round", args=[visit.round_id]))


@login_required
def visit_file(request, pk):
    vf = get_object_or_404(VisitFile.objects.select_related("visit__round", "visit__unit"), pk=pk)
    get_round(request.user, vf.visit.round_id)
    if not policy.can_download(request.user, vf):
        raise PermissionDenied("您无权查看该暗访证据。")
    path = services.file_path(vf)
    if not path.is_file():
        messages.error(request, "证据文件已不存在。")
        return redirect(reverse("visits_round", args=[vf.visit.round_id]))
    audit_record(user=request.user, action="visit_file_download", object_type="visit_file", object_id=vf.pk,
                 round=vf.visit.round, unit_code=vf.visit.unit.code, after={"file": vf.original_name})
    return FileResponse(path.open("rb"), filename=vf.original_name, content_type=vf.content_type)


@login_required
@require_POST
@user_errors_to_messages(_round_url)
def visits_plan(request, pk):
    rnd = get_round(request.user, pk)
    policy.require_manage(request.user)
    import datetime as dt

    def day(name):
        text = request.POST.get(name, "").strip()
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise UserError(f"日期「{text}」无效（应为 2021-03-01）", field="暗访期间") from None

    ids = [int(x) for x in request.POST.getlist("visitors") if x.isdigit()]
    services.plan_save(user=request.user, round=rnd, period_from=day("period_from"), period_to=day("period_to"),
                       map_text=request.POST.get("map_text", ""), visitor_ids=ids)
    messages.success(request, "已保存暗访安排。")
    return redirect(reverse("visits_round", args=[pk]))


@login_required
@require_POST
@user_errors_to_messages(_round_url)
def visits_push(request, pk):
    rnd = get_round(request.user, pk)
    policy.require_manage(request.user)
    push, left_out, per_unit = services.visits_push(
        user=request.user, round=rnd, overwrite=request.POST.get("overwrite") == "1")
    messages.success(request, f"已依据 {sum(per_unit.values())} 次暗访（{len(per_unit)} 个单位）写入本轮指标数据"
                              f" {push.count} 项（值未变的不计）。")
    for x in left_out[:20]:
        messages.warning(request, f"未写入：{x}")
    return redirect(reverse("visits_round", args=[pk]))


@login_required
@require_POST
@user_errors_to_messages(_round_url)
def visits_import(request, pk):
    rnd = get_round(request.user, pk)
    policy.require_manage(request.user)
    upload = request.FILES.get("file")
    if upload is None:
        raise UserError("请选择暗访记录文件（.xlsx 或 .csv）。", field="暗访记录文件")
    n = services.visits_import(user=request.user, round=rnd, upload=upload)
    messages.success(request, f"已导入暗访记录 {n} 条。")
    return redirect(reverse("visits_round", args=[pk]))


@login_required
def visits_template(request):
    from govassess.metrics.visits import template_workbook

    if user_role(user=request.user) not in (Role.OFFICE, Role.REVIEWER):
        raise PermissionDenied("只有评估办和暗访人员可以下载暗访记录模板。")
    buf = io.BytesIO()
    template_workbook(buf)
    resp = HttpResponse(buf.getvalue(), content_type=XLSX)
    resp["Content-Disposition"] = "attachment; filename*=UTF-8''%E6%9A%97%E8%AE%BF%E8%AE%B0%E5%BD%95%E6%A8%A1%E6%9D%BF.xlsx"
    return resp
