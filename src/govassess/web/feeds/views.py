"""Feed pages. Views only check access, call a selector or a service, and render."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from govassess import safe_yaml
from govassess.errors import UserError
from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role, user_unit_id
from govassess.web.common import show_user_error, user_errors_to_messages
from govassess.web.feeds import selectors, services
from govassess.web.feeds.forms import MetricsRunForm, PeriodForm, RecordsUploadForm, SiteForm, form_problems
from govassess.web.feeds.models import MetricsRun, RecordSet, UnitSite
from govassess.web.organisation.models import Unit
from govassess.web.rounds import policy
from govassess.web.rounds.models import Round

MONITORS = {"volume": "总量分析", "ratings": "评价分析 / 区域分析", "alerts": "差评提醒"}


def _index_url(request, *args, **kwargs):
    return reverse("feeds_index")


def _report_url(request, pk, *args, **kwargs):
    return reverse("feeds_report", args=[pk])


def _records_url(request, *args, **kwargs):
    return reverse("feeds_records")


def _run_url(request, pk, *args, **kwargs):
    return reverse("feeds_run", args=[pk])


def _office(request):
    policy.require(policy.can_manage(request.user))


def _chosen_round(request) -> Round:
    value = request.POST.get("round", "")
    rnd = Round.objects.filter(pk=int(value)).first() if value.isdigit() else None
    if rnd is None:
        raise UserError("请选择评估轮次", field="评估轮次")
    return rnd


def _open_rounds():
    return Round.objects.exclude(state="final").select_related("system").order_by("-id")


# ---- sites and inspection reports --------------------------------------------------------------------------


@login_required
def feeds_index(request):
    policy.require(selectors.can_view_feeds(request.user))
    role = user_role(user=request.user)
    sites = list(selectors.sites_for(user=request.user))
    reports = selectors.reports_for(user=request.user)[:200]
    ctx = {
        "role": role,
        "sites": sites,
        "reports": reports,
        "is_office": role == Role.OFFICE,
        "is_filler": role == Role.FILLER,
        "monitors": MONITORS,
    }
    if role == Role.OFFICE:
        ctx["site_form"] = SiteForm()
    return render(request, "feeds/index.html", ctx)


@login_required
@require_POST
@user_errors_to_messages(_index_url)
def site_add(request):
    _office(request)
    form = SiteForm(request.POST)
    if not form.is_valid():
        raise UserError(problems=list(form_problems(form)))
    services.site_add(user=request.user, **form.cleaned_data)
    messages.success(request, "已登记网址。")
    return redirect("feeds_index")


@login_required
@require_POST
@user_errors_to_messages(_index_url)
def site_update(request, pk):
    _office(request)
    site = get_object_or_404(UnitSite, pk=pk)
    raw = request.POST.get("max_pages", "")
    if not raw.strip().isdigit():
        raise UserError("最大页面数应为正整数", field="最大页面数")
    services.site_update(
        user=request.user, site=site, active=request.POST.get("active") == "1", max_pages=int(raw)
    )
    messages.success(request, "已保存。")
    return redirect("feeds_index")


@login_required
@require_POST
@user_errors_to_messages(_index_url)
def site_delete(request, pk):
    _office(request)
    services.site_delete(user=request.user, site=get_object_or_404(UnitSite, pk=pk))
    messages.success(request, "已删除网址及其检查报告。")
    return redirect("feeds_index")


@login_required
@require_POST
@user_errors_to_messages(_index_url)
def site_inspect(request, pk):
    _office(request)
    site = get_object_or_404(UnitSite, pk=pk)
    rep = services.inspection_start(user=request.user, site=site)
    messages.success(request, f"已开始检查 {site.url}，完成后刷新本页查看。")
    return redirect("feeds_report", rep.pk)


@login_required
def report_detail(request, pk):
    rep = selectors.report_get(user=request.user, pk=pk)
    ctx = {
        "rep": rep,
        "view": selectors.report_view(rep),
        "is_office": policy.can_manage(request.user),
        "pushes": rep.feedpush_set.select_related("round").all(),
        "running": rep.status in ("queued", "running"),
    }
    if ctx["is_office"]:
        ctx["rounds"] = _open_rounds()
    # The unit appeals an indicator through the round's existing appeal flow (scorecard page).
    ctx["appeal_rounds"] = [p.round for p in ctx["pushes"] if p.round.state == "preliminary"]
    return render(request, "feeds/report.html", ctx)


@login_required
def report_json(request, pk):
    rep = selectors.report_get(user=request.user, pk=pk)
    resp = HttpResponse(
        json.dumps(rep.report or {}, ensure_ascii=False, indent=1), content_type="application/json"
    )
    resp["Content-Disposition"] = f'attachment; filename="report-{rep.unit.code}-{rep.pk}.json"'
    return resp


@login_required
@require_POST
@user_errors_to_messages(_report_url)
def report_push(request, pk):
    _office(request)
    rep = selectors.report_get(user=request.user, pk=pk)
    rnd = _chosen_round(request)
    upload = request.FILES.get("map_file")
    map_text = safe_yaml.decode(upload.read(), file=upload.name) if upload else ""
    push = services.report_push(user=request.user, report=rep, round=rnd, map_text=map_text)
    messages.success(request, f"已导入「{rnd.name}」{push.count} 项输入（来源：网上抓取）。")
    return redirect("feeds_report", pk)


# ---- raw records and metric runs ------------------------------------------------------------------------------


@login_required
def records_page(request):
    from govassess.metrics.output import builtin_maps

    _office(request)
    return render(
        request,
        "feeds/records.html",
        {
            "record_sets": RecordSet.objects.prefetch_related("runs")[:50],
            "upload_form": RecordsUploadForm(),
            "server_dirs": sorted(services.server_record_dirs()),
            "maps": sorted(builtin_maps()),
            "info_presets": info_presets(),
            "run_form": MetricsRunForm(),
            "spark_available": services.spark_available(),
            "spark_missing": services.SPARK_MISSING,
        },
    )


@login_required
@require_POST
@user_errors_to_messages(_records_url)
def records_upload(request):
    _office(request)
    form = RecordsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        raise UserError(problems=list(form_problems(form)))
    rs = services.records_upload(
        user=request.user, name=form.cleaned_data["name"], upload=form.cleaned_data["archive"]
    )
    messages.success(request, f"已上传记录目录「{rs.name}」。")
    return redirect("feeds_records")


@login_required
@require_POST
@user_errors_to_messages(_records_url)
def records_server(request):
    _office(request)
    rs = services.records_register_server(user=request.user, key=request.POST.get("key", ""))
    messages.success(request, f"已登记服务器记录目录「{rs.name}」。")
    return redirect("feeds_records")


def info_presets() -> list[tuple[str, str]]:
    from govassess.metrics.infowork import PRESET_NAMES

    return [(key, f"{name}（{key}）") for key, name in PRESET_NAMES.items()]


@login_required
@require_POST
@user_errors_to_messages(_records_url)
def metrics_start(request, pk):
    _office(request)
    rs = get_object_or_404(RecordSet, pk=pk)
    form = MetricsRunForm(request.POST, request.FILES)
    if not form.is_valid():
        raise UserError(problems=list(form_problems(form)))
    upload = form.cleaned_data.get("map_file")
    run = services.metrics_start(
        user=request.user,
        record_set=rs,
        period_from=form.cleaned_data["period_from"],
        period_to=form.cleaned_data["period_to"],
        map_ref=form.cleaned_data.get("map_ref") or "",
        map_text=safe_yaml.decode(upload.read(), file=upload.name) if upload else "",
        engine=form.cleaned_data.get("engine") or "duckdb",
        info_rules=form.cleaned_data.get("info_rules") or "",
    )
    messages.success(request, f"已开始计算（{run.get_engine_display()}）。")
    return redirect("feeds_run", run.pk)


@login_required
def run_detail(request, pk):
    _office(request)
    run = get_object_or_404(MetricsRun.objects.select_related("record_set"), pk=pk)
    return render(
        request,
        "feeds/run.html",
        {
            "run": run,
            "rows": run.rows[:500],
            "more": max(0, len(run.rows) - 500),
            "rounds": _open_rounds(),
            "pushes": run.feedpush_set.select_related("round").all(),
            "running": run.status in ("queued", "running"),
            "excluded": sum(p["count"] for p in run.problems),
        },
    )


@login_required
@require_POST
@user_errors_to_messages(_run_url)
def run_push(request, pk):
    _office(request)
    run = get_object_or_404(MetricsRun, pk=pk)
    rnd = _chosen_round(request)
    push = services.run_push(user=request.user, run=run, round=rnd)
    messages.success(request, f"已导入「{rnd.name}」{push.count} 项输入（来源：系统统计）。")
    return redirect("feeds_run", pk)


# ---- monitoring (政务服务指标分析) ----------------------------------------------------------------------------


def _monitor_access(request, kind: str) -> str | None:
    """Returns the unit code the report is limited to (a unit sees only its own 差评), None for all."""
    if kind not in MONITORS:
        raise PermissionDenied("没有该监测报表。")
    role = user_role(user=request.user)
    if role == Role.OFFICE:
        return None
    if kind == "alerts" and role == Role.FILLER:
        unit = Unit.objects.filter(pk=user_unit_id(user=request.user)).first()
        if unit is not None:
            return unit.code
    raise PermissionDenied("您无权查看该监测报表。")


def _monitor_run(request, kind: str, unit: str | None):
    form = PeriodForm(request.GET or None)
    today = timezone.localdate()
    data = form.cleaned_data if form.is_valid() else {}
    start = data.get("start") or dt.date(today.year, 1, 1)
    end = data.get("end") or today
    as_of = data.get("as_of") or today
    rs = selectors.record_set_pick(request.GET.get("set"))
    report = None
    if rs is not None:
        report = selectors.monitor(kind, record_set=rs, start=start, end=end, as_of=as_of, unit=unit)
    return form, rs, report, {"start": start, "end": end, "as_of": as_of}


@login_required
def monitor_page(request, kind):
    unit = _monitor_access(request, kind)
    ctx = {"kind": kind, "title": MONITORS[kind], "monitors": MONITORS, "unit": unit}
    try:
        form, rs, report, period = _monitor_run(request, kind, unit)
    except UserError as err:
        show_user_error(request, err)
        form, rs, report, period = PeriodForm(), None, None, {}
    ctx.update({"form": form, "record_set": rs, "report": report, "period": period})
    ctx["record_sets"] = RecordSet.objects.all()[:50] if unit is None else []
    if report is not None and kind == "volume":
        ctx["chart"] = selectors.volume_chart(report.rows)
    elif report is not None and kind == "ratings":
        ctx["chart"] = selectors.ratings_chart(report.rows)
    if report is not None:
        ctx["table"] = [[r[c] for c in report.columns] for r in report.rows[:2000]]
    return render(request, "feeds/monitor.html", ctx)


@login_required
def monitor_export(request, kind, fmt):
    from govassess.metrics.monitor import write_report

    unit = _monitor_access(request, kind)
    if fmt not in ("xlsx", "csv"):
        raise PermissionDenied("导出格式应为 xlsx 或 csv。")
    try:
        _, rs, report, _ = _monitor_run(request, kind, unit)
    except UserError as err:
        show_user_error(request, err)
        return redirect("feeds_monitor", kind)
    if report is None:
        messages.error(request, "还没有记录目录，请先在「原始记录」页上传。")
        return redirect("feeds_monitor", kind)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{kind}.{fmt}"
        write_report(report, out, sheet=MONITORS[kind].split(" ")[0])
        data = out.read_bytes()
    ctype = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if fmt == "xlsx"
        else "text/csv; charset=utf-8"
    )
    resp = HttpResponse(data, content_type=ctype)
    resp["Content-Disposition"] = f'attachment; filename="{kind}-{unit or "all"}.{fmt}"'
    return resp
