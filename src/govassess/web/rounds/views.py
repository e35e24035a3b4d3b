"""Round pages. Views only check access, call a selector or a service, and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from govassess.errors import UserError
from govassess.web.accounts.models import Role
from govassess.web.accounts.selectors import user_role, user_unit_id
from govassess.web.common import get_round, get_unit, show_user_error, user_errors_to_messages
from govassess.web.organisation.models import Unit
from govassess.web.rounds import excel, policy, selectors, services
from govassess.web.rounds.forms import (
    AnnualForm,
    AppealDecisionForm,
    AppealForm,
    ExtensionForm,
    ReviewForm,
    RoundForm,
    UploadForm,
)
from govassess.web.rounds.models import AnnualResult, Appeal, Evidence, Round, RoundState, ScoringRun
from govassess.web.systems.selectors import assigned_indicators, system_fields
from govassess.web.tables import table_page

# Submission states in the order of the work (sorting the status column by it, not by its letters).
STATUS_ORDER = {"submitted": 0, "returned": 1, "draft": 2, "accepted": 3}


def _round_url(request, pk, *args, **kwargs):
    return reverse("round_detail", args=[pk])


def _unit_url(request, pk, code, *args, **kwargs):
    return reverse("unit_form", args=[pk, code])


# ---- dashboard & round -----------------------------------------------------------------------------------


@login_required
def dashboard(request):
    rounds = selectors.round_list(user=request.user)
    role = user_role(user=request.user)
    unit_id = user_unit_id(user=request.user)
    unit = Unit.objects.filter(pk=unit_id).first() if unit_id else None
    return render(request, "rounds/dashboard.html", {"rounds": rounds, "unit": unit, "role": role})


@login_required
def round_create(request):
    policy.require(policy.can_manage(request.user))
    form = RoundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rnd = services.round_create(
            user=request.user,
            system=form.cleaned_data["system"],
            name=form.cleaned_data["name"],
            deadline=form.cleaned_data["deadline"],
        )
        return redirect("round_detail", rnd.pk)
    return render(request, "rounds/round_form.html", {"form": form})


@login_required
def round_detail(request, pk):
    rnd = get_round(request.user, pk)
    role = user_role(user=request.user)
    ctx = {
        "round": rnd,
        "states": RoundState,
        "next_states": sorted(services.TRANSITIONS[rnd.state], key=policy.ORDER.index),
    }
    if role in (Role.OFFICE, Role.REVIEWER):
        ctx["counts"] = selectors.dashboard_state_counts(rnd)
        ctx["latest_run"] = selectors.latest_run(rnd)
        ctx["active_run"] = selectors.active_run(rnd)
        ctx["pending_appeals"] = rnd.appeals.filter(status="pending").count()
    if role == Role.OFFICE:
        ctx["edit_form"] = RoundForm(instance=rnd)
        ctx["extension_form"] = ExtensionForm()
        ctx["extensions"] = rnd.extensions.select_related("unit")
    if role == Role.FILLER:
        unit = Unit.objects.filter(pk=user_unit_id(user=request.user)).first()
        ctx["unit"] = unit
        if unit:
            ctx["my"] = selectors.completeness(round=rnd, units=[unit], owners=("unit",))[0]
            ctx["may_fill"], ctx["why_not"] = policy.unit_may_fill(rnd, unit)
            ctx["deadline"] = policy.effective_deadline(rnd, unit)
    return render(request, "rounds/round_detail.html", ctx)


@login_required
@require_POST
@user_errors_to_messages(_round_url)
def round_edit(request, pk):
    rnd = get_round(request.user, pk)
    policy.require(policy.can_manage(request.user))
    policy.require_unlocked(rnd)
    # A bound ModelForm writes the posted values into its instance while validating: give it a copy, so
    # the service reads the stored settings for the audit's "before".
    form = RoundForm(request.POST, instance=Round.objects.get(pk=rnd.pk))
    if not form.is_valid():
        raise UserError(problems=[p for p in _form_problems(form)])
    services.round_update(
        user=request.user,
        round=rnd,
        name=form.cleaned_data["name"],
        deadline=form.cleaned_data["deadline"],
        appeal_deadline=form.cleaned_data["appeal_deadline"],
        system=form.cleaned_data["system"],
    )
    messages.success(request, "已保存。")
    return redirect("round_detail", pk)


def _form_problems(form):
    from govassess.errors import Problem

    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for e in errors:
            yield Problem(str(e), field=str(label) if label else None)


@login_required
@require_POST
@user_errors_to_messages(_round_url)
def round_state(request, pk):
    rnd = get_round(request.user, pk)
    policy.require(policy.can_manage(request.user))
    services.round_transition(user=request.user, round=rnd, to_state=request.POST.get("to", ""))
    messages.success(request, f"已转入「{rnd.get_state_display()}」。")
    return redirect("round_detail", pk)


@login_required
@require_POST
@user_errors_to_messages(_round_url)
def round_extension(request, pk):
    rnd = get_round(request.user, pk)
    policy.require(policy.can_manage(request.user))
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        raise UserError(problems=list(_form_problems(form)))
    services.extension_set(user=request.user, round=rnd, **form.cleaned_data)
    messages.success(request, "已设置延期。")
    return redirect("round_detail", pk)


@login_required
def round_completeness(request, pk):
    rnd = get_round(request.user, pk)
    policy.require(policy.can_review(request.user))
    rows = selectors.completeness(round=rnd, units=selectors.round_units(rnd))
    t = table_page(
        request,
        rows,
        columns=[
            ("unit", "评估对象", lambda c: c.unit.code),
            ("class", "类别", lambda c: c.unit.unit_class),
            ("status", "报送状态", lambda c: STATUS_ORDER.get(c.status, 9)),
            ("filled", "已填", lambda c: c.filled),
            ("total", "应填", lambda c: c.total),
            ("percent", "完成度", lambda c: c.percent),
            ("missing", "缺少的输入", None),
        ],
        text=lambda c: " ".join(
            [c.unit.code, c.unit.name, c.unit.unit_class, c.status_label] + [f.label for f in c.missing]
        ),
    )
    return render(request, "rounds/completeness.html", {"round": rnd, "rows": t.rows, "t": t})


@login_required
def round_completeness_export(request, pk):
    rnd = get_round(request.user, pk)
    policy.require(policy.can_review(request.user))
    rows = selectors.completeness(round=rnd, units=selectors.round_units(rnd))
    resp = HttpResponse(excel.completeness_workbook_bytes(rows=rows), content_type=excel.XLSX)
    resp["Content-Disposition"] = f'attachment; filename="completeness-{rnd.pk}.xlsx"'
    return resp


# ---- unit fill form ----------------------------------------------------------------------------------------


def _check_unit_access(request, rnd, unit):
    if not policy.can_view_unit_data(request.user, rnd, unit):
        raise PermissionDenied("您无权查看该单位的数据。")


@login_required
def unit_form(request, pk, code):
    rnd = get_round(request.user, pk)
    unit = get_unit(code)
    _check_unit_access(request, rnd, unit)
    if request.method == "POST":
        return _unit_form_save(request, rnd, unit)
    groups = selectors.fill_form(user=request.user, round=rnd, unit=unit)
    comp = selectors.completeness(
        round=rnd,
        units=[unit],
        owners=("unit",) if user_role(user=request.user) == Role.FILLER else ("unit", "provider", "reviewer"),
    )[0]
    sub = rnd.submissions.filter(unit=unit).first()
    may_fill, why_not = policy.unit_may_fill(rnd, unit)
    try:
        upload_kind = policy.check_add_evidence(request.user, rnd, unit)
    except (PermissionDenied, UserError):
        upload_kind = None
    return render(
        request,
        "rounds/unit_form.html",
        {
            "round": rnd,
            "unit": unit,
            "groups": groups,
            "completeness": comp,
            "submission": sub,
            "may_fill": may_fill,
            "why_not": why_not,
            "deadline": policy.effective_deadline(rnd, unit),
            "is_filler": user_role(user=request.user) == Role.FILLER,
            "upload_form": UploadForm(),
            "upload_kind": upload_kind,
            "field_count": sum(len(ind["rows"]) for g in groups for ind in g.indicators),
            "draft_saved": request.session.pop("draft_saved", None) == f"{rnd.pk}:{unit.code}",
        },
    )


def _unit_form_save(request, rnd, unit):
    """Save the values that changed in the form; each value carries the version it was read at."""
    fields = {f.key: f for f in system_fields(rnd.system)}
    entries, internal = [], []
    count = int(request.POST.get("count", "0") or 0)
    for i in range(min(count, 5000)):
        key = request.POST.get(f"key_{i}")
        if key not in fields:
            continue
        if f"in_{i}" in request.POST and request.POST[f"in_{i}"] != request.POST.get(f"oin_{i}", ""):
            f = fields[key]
            internal.append(
                {
                    "indicator": f.indicator,
                    "input": f.input,
                    "text": request.POST[f"in_{i}"],
                    "expected": request.POST.get(f"oin_{i}", ""),
                }
            )
        if f"v_{i}" not in request.POST:
            # A disabled field (not the user's to edit) is not sent by the browser: nothing to change,
            # not "cleared" (a reviewer saving a remark beside a unit's value must not clear that value).
            continue
        value = request.POST.get(f"v_{i}", "")
        note = request.POST.get(f"n_{i}", request.POST.get(f"on_{i}", ""))
        if value == request.POST.get(f"ov_{i}", "") and note == request.POST.get(f"on_{i}", ""):
            continue
        ver = request.POST.get(f"ver_{i}", "")
        f = fields[key]
        entries.append(
            {
                "indicator": f.indicator,
                "input": f.input,
                "value": value,
                "note": note,
                "version": int(ver) if ver.isdigit() else None,
            }
        )
    if internal:
        # Before anything is saved: a remark from someone who may not write one refuses the whole form.
        policy.require(policy.can_review(request.user), "只有评审专家和评估办可以填写内部意见。")
    saved, problems = services.input_values_save_form(
        user=request.user, round=rnd, unit=unit, entries=entries
    )
    n, more = services.internal_notes_save_form(user=request.user, round=rnd, unit=unit, entries=internal)
    saved, problems = saved + n, problems + more
    for err in problems:
        show_user_error(request, err)
    if not problems:
        # Tells the next page (ui.js) that the browser's autosaved draft may be dropped; kept if anything failed.
        request.session["draft_saved"] = f"{rnd.pk}:{unit.code}"
    if saved:
        messages.success(request, f"已保存 {saved} 项。")
    elif not problems:
        messages.info(request, "没有需要保存的修改。")
    return redirect("unit_form", rnd.pk, unit.code)


@login_required
@require_POST
@user_errors_to_messages(_unit_url)
def unit_submit(request, pk, code):
    rnd = get_round(request.user, pk)
    unit = get_unit(code)
    _check_unit_access(request, rnd, unit)
    services.submission_submit(user=request.user, round=rnd, unit=unit)
    messages.success(request, "已提交，等待审核。")
    return redirect("unit_form", pk, code)


@login_required
def unit_template(request, pk, code):
    rnd = get_round(request.user, pk)
    unit = get_unit(code)
    _check_unit_access(request, rnd, unit)
    try:
        data = excel.template_bytes(
            round=rnd,
            units=[unit],
            values=selectors.template_values(user=request.user, round=rnd, units=[unit]),
        )
    except UserError as err:
        show_user_error(request, err)
        return redirect("unit_form", pk, code)
    resp = HttpResponse(data, content_type=excel.XLSX)
    resp["Content-Disposition"] = f'attachment; filename="template-{rnd.pk}-{unit.code}.xlsx"'
    return resp


@login_required
@require_POST
@user_errors_to_messages(_unit_url)
def unit_upload(request, pk, code):
    rnd = get_round(request.user, pk)
    unit = get_unit(code)
    _check_unit_access(request, rnd, unit)
    policy.require_unlocked(rnd)  # before the file is read: a final round refuses any import
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        raise UserError("请选择要上传的文件。")
    frame = excel.read_upload(round=rnd, units=[unit], upload=form.cleaned_data["file"])
    n = services.input_values_import(user=request.user, round=rnd, frame=frame, scope_unit=unit)
    _import_message(request, n)
    return redirect("unit_form", pk, code)


def _import_message(request, n: int) -> None:
    if n:
        messages.success(request, f"已导入 {n} 项数据。")
    else:
        messages.info(request, "文件中的数据与已保存的相同，没有需要导入的修改。")


@login_required
@require_POST
@user_errors_to_messages(_unit_url)
def evidence_upload(request, pk, code):
    rnd = get_round(request.user, pk)
    unit = get_unit(code)
    _check_unit_access(request, rnd, unit)
    policy.check_add_evidence(request.user, rnd, unit)  # who may add, before looking at what was sent
    files = request.FILES.getlist("file")
    if not files:
        raise UserError("请选择要上传的佐证材料。")
    indicator = request.POST.get("indicator", "")
    for f in files[:20]:
        services.evidence_add(user=request.user, round=rnd, unit=unit, indicator=indicator, upload=f)
    messages.success(request, f"已上传 {min(len(files), 20)} 个文件。")
    return redirect(reverse("unit_form", args=[pk, code]) + f"#ind-{indicator}")


@login_required
def evidence_download(request, pk):
    ev = get_object_or_404(Evidence.objects.select_related("round", "unit"), pk=pk)
    if not policy.can_view_evidence(request.user, ev.round, ev.unit, ev.kind):
        raise PermissionDenied("您无权查看该佐证材料。")
    path = services.evidence_path(ev)
    if not path.exists():
        raise PermissionDenied("文件不存在。")
    resp = FileResponse(
        open(path, "rb"), content_type=ev.content_type, as_attachment=True, filename=ev.original_name
    )
    resp["X-Content-Type-Options"] = "nosniff"
    return resp


@login_required
@require_POST
def evidence_delete(request, pk):
    ev = get_object_or_404(Evidence.objects.select_related("round", "unit"), pk=pk)
    if not policy.can_view_evidence(request.user, ev.round, ev.unit, ev.kind):
        raise PermissionDenied("您无权操作该佐证材料。")
    target = reverse("unit_form", args=[ev.round_id, ev.unit.code])
    try:
        services.evidence_delete(user=request.user, evidence=ev)
        messages.success(request, "已删除。")
    except UserError as err:
        show_user_error(request, err)
    return redirect(target)


# ---- provider ------------------------------------------------------------------------------------------------


@login_required
def provider_page(request, pk):
    rnd = get_round(request.user, pk)
    policy.require(user_role(user=request.user) in (Role.PROVIDER, Role.OFFICE))
    mine = assigned_indicators(system=rnd.system, user=request.user)
    fields = [
        f
        for f in system_fields(rnd.system)
        if (f.indicator in mine if user_role(user=request.user) == Role.PROVIDER else f.owner == "provider")
    ]
    units = list(selectors.round_units(rnd))
    comp = selectors.completeness(round=rnd, units=units, owners=("provider",))
    return render(
        request,
        "rounds/provider.html",
        {"round": rnd, "fields": fields, "units": units, "completeness": comp, "upload_form": UploadForm()},
    )


@login_required
def provider_template(request, pk):
    rnd = get_round(request.user, pk)
    policy.require(user_role(user=request.user) in (Role.PROVIDER, Role.OFFICE))
    units = list(selectors.round_units(rnd))
    data = excel.template_bytes(
        round=rnd, units=units, values=selectors.template_values(user=request.user, round=rnd, units=units)
    )
    resp = HttpResponse(data, content_type=excel.XLSX)
    resp["Content-Disposition"] = f'attachment; filename="template-{rnd.pk}-all.xlsx"'
    return resp


@login_required
@require_POST
@user_errors_to_messages(lambda request, pk: reverse("provider_page", args=[pk]))
def provider_upload(request, pk):
    rnd = get_round(request.user, pk)
    policy.require(user_role(user=request.user) in (Role.PROVIDER, Role.OFFICE))
    policy.require_unlocked(rnd)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        raise UserError("请选择要上传的文件。")
    frame = excel.read_upload(
        round=rnd, units=list(selectors.round_units(rnd)), upload=form.cleaned_data["file"]
    )
    n = services.input_values_import(user=request.user, round=rnd, frame=frame)
    _import_message(request, n)
    return redirect("provider_page", pk)


# ---- review ----------------------------------------------------------------------------------------------------


@login_required
def review_queue(request, pk):
    rnd = get_round(request.user, pk)
    policy.require(policy.can_review(request.user))
    subs = list(selectors.review_queue(round=rnd))
    t = table_page(
        request,
        subs,
        columns=[
            ("unit", "评估对象", lambda s: s.unit.code),
            ("status", "状态", lambda s: STATUS_ORDER.get(s.status, 9)),
            ("submitted", "提交时间", lambda s: s.submitted_at),
            ("reason", "意见", None),
            ("action", "操作", None),
        ],
        text=lambda s: f"{s.unit.code} {s.unit.name} {s.get_status_display()} {s.reason}",
    )
    return render(request, "rounds/review_queue.html", {"round": rnd, "submissions": t.rows, "t": t})


@login_required
def review_unit(request, pk, code):
    rnd = get_round(request.user, pk)
    unit = get_unit(code)
    policy.require(policy.can_review(request.user))
    if request.method == "POST":
        form = ReviewForm(request.POST)
        try:
            if not form.is_valid():
                raise UserError(problems=list(_form_problems(form)))
            services.submission_review(
                user=request.user,
                round=rnd,
                unit=unit,
                accept=form.cleaned_data["decision"] == "accept",
                reason=form.cleaned_data["reason"],
                internal_note=form.cleaned_data["internal_note"],
            )
            messages.success(request, "已审核。")
            return redirect("review_queue", pk)
        except UserError as err:
            show_user_error(request, err)
            return redirect("review_unit", pk, code)
    groups = selectors.fill_form(user=request.user, round=rnd, unit=unit)
    sub = rnd.submissions.filter(unit=unit).first()
    return render(
        request,
        "rounds/review_unit.html",
        {"round": rnd, "unit": unit, "groups": groups, "submission": sub, "form": ReviewForm()},
    )


# ---- scoring & results -----------------------------------------------------------------------------------------


@login_required
@require_POST
@user_errors_to_messages(_round_url)
def round_score(request, pk):
    rnd = get_round(request.user, pk)
    policy.require(policy.can_manage(request.user))
    services.scoring_start(user=request.user, round=rnd, background=True)
    messages.success(request, "评分任务已开始。")
    return redirect("round_detail", pk)


@login_required
def run_status(request, pk):
    run = get_object_or_404(ScoringRun.objects.select_related("round"), pk=pk)
    policy.require(policy.can_review(request.user) and policy.can_view_round(request.user, run.round))
    return JsonResponse(
        {
            "status": run.status,
            "status_label": run.get_status_display(),
            "progress": round(run.progress, 3),
            "message": run.message,
        }
    )


def _results_or_none(rnd):
    run = selectors.latest_run(rnd)
    return run.results if run else None


@login_required
def round_results(request, pk):
    rnd = get_round(request.user, pk)
    policy.require(policy.can_view_results(request.user, rnd), "结果尚未发布。")
    results = _results_or_none(rnd)
    ctx = {"round": rnd, "results": results, "published": rnd.state == RoundState.FINAL}
    if results:
        full = policy.can_review(request.user) or user_role(user=request.user) == Role.LEADER
        columns = [
            ("rank", "排名", lambda r: r["rank"]),
            ("unit", "评估对象", lambda r: r["unit"]),
            ("weighted", "加权得分", lambda r: r["weighted"]),
            ("bonus", "加分", lambda r: r["bonus"]),
            ("penalty", "减分", lambda r: r["penalty"]),
            ("score", "总分", lambda r: r["score"]),
            ("grade", "等次", lambda r: r["grade"]),
        ] + ([("card", "成绩单", None)] if full else [])
        ranking = selectors.ranking(results)
        for n, block in enumerate(ranking, 1):
            # One set of parameters per class table (c1-sort, c1-page, …): each pages and sorts on its own.
            block["t"] = table_page(
                request,
                block["units"],
                columns=columns,
                text=lambda r: f"{r['unit']} {r['name']} {r.get('grade') or ''}",
                prefix=f"c{n}-",
            )
            block["id"] = f"ranking-{n}"
        ctx["ranking"] = ranking
        ctx["warnings"] = results.get("warnings", [])
        ctx["full"] = full
    return render(request, "rounds/results.html", ctx)


@login_required
def round_overview(request, pk):
    """Leader dashboard: the office and leaders, published (final) rounds only."""
    rnd = get_round(request.user, pk)
    role = user_role(user=request.user)
    policy.require(role in (Role.OFFICE, Role.LEADER), "领导驾驶舱仅供评估办和领导查看。")
    policy.require(
        rnd.state == RoundState.FINAL and policy.can_view_results(request.user, rnd), "结果尚未发布。"
    )
    return render(request, "rounds/overview.html", {"round": rnd, "o": selectors.leader_overview(rnd)})


@login_required
def round_results_export(request, pk):
    rnd = get_round(request.user, pk)
    policy.require(policy.can_view_results(request.user, rnd), "结果尚未发布。")
    results = _results_or_none(rnd)
    if results is None:
        messages.error(request, "尚无评分结果。")
        return redirect("round_detail", pk)
    # Notes the user may not read (a leader reads none) are quoted in the core's explanations: taken out.
    results = selectors.redact(results, selectors.withheld_notes_round(user=request.user, round=rnd))
    if not (policy.can_review(request.user) or user_role(user=request.user) == Role.LEADER):
        # Other roles get the ranking only: no indicator detail of other units.
        results = {
            **results,
            "units": [
                {k: v for k, v in u.items() if k not in ("indicators", "lost", "missing")}
                for u in results.get("units", [])
            ],
        }
    data = excel.results_workbook_bytes(results=results)
    resp = HttpResponse(data, content_type=excel.XLSX)
    resp["Content-Disposition"] = f'attachment; filename="results-{rnd.pk}.xlsx"'
    return resp


@login_required
def scorecard(request, pk, code):
    rnd = get_round(request.user, pk)
    unit = get_unit(code)
    if not policy.can_view_scorecard(request.user, rnd, unit):
        raise PermissionDenied("您无权查看该单位的成绩单。")
    results = _results_or_none(rnd)
    full = policy.can_review(request.user) or user_role(user=request.user) == Role.LEADER
    data = (
        selectors.scorecard(
            results=results,
            unit_code=unit.code,
            with_heatmap=full,
            with_others=full or rnd.state == RoundState.FINAL,
            small_class_averages=full,
        )
        if results
        else {}
    )
    data = selectors.redact(data, selectors.withheld_notes(user=request.user, round=rnd, unit=unit))
    me = data.get("unit") if data else None
    appeals = rnd.appeals.filter(unit=unit)
    return render(
        request,
        "rounds/scorecard.html",
        {
            "round": rnd,
            "unit": unit,
            "data": data,
            "me": me,
            "published": rnd.state == RoundState.FINAL,
            "band": selectors.rank_band(me.get("rank"), data.get("class_count", 0)) if me else "",
            "charts": data.get("charts") if data else None,
            "appeals": appeals,
            "can_appeal": (rnd.state == RoundState.PRELIMINARY and policy.is_own_unit(request.user, unit)),
            "appeal_form": AppealForm(),
        },
    )


@login_required
def scorecard_export(request, pk, code):
    """The scorecard of one unit as a workbook (the core's results workbook restricted to that unit)."""
    rnd = get_round(request.user, pk)
    unit = get_unit(code)
    if not policy.can_view_scorecard(request.user, rnd, unit):
        raise PermissionDenied("您无权查看该单位的成绩单。")
    results = _results_or_none(rnd)
    me = selectors.unit_result(results, unit.code) if results else None
    if me is None:
        messages.error(request, "尚无评分结果。")
        return redirect("scorecard", pk, code)
    if rnd.state != RoundState.FINAL and not policy.can_review(request.user):
        me = {**me, "rank": None}  # before publication a unit sees its rank band, not its rank
    me = selectors.redact(me, selectors.withheld_notes(user=request.user, round=rnd, unit=unit))
    data = excel.results_workbook_bytes(results={**results, "units": [me]})
    resp = HttpResponse(data, content_type=excel.XLSX)
    resp["Content-Disposition"] = f'attachment; filename="scorecard-{rnd.pk}-{unit.code}.xlsx"'
    return resp


# ---- appeals ---------------------------------------------------------------------------------------------------


@login_required
@require_POST
@user_errors_to_messages(lambda request, pk, code: reverse("scorecard", args=[pk, code]))
def appeal_create(request, pk, code):
    rnd = get_round(request.user, pk)
    unit = get_unit(code)
    policy.check_appeal(request.user, unit)
    form = AppealForm(request.POST)
    if not form.is_valid():
        raise UserError(problems=list(_form_problems(form)))
    services.appeal_file(
        user=request.user,
        round=rnd,
        unit=unit,
        indicator=form.cleaned_data["indicator"],
        reason=form.cleaned_data["reason"],
        uploads=request.FILES.getlist("file")[:10],
    )
    messages.success(request, "申诉已提交。")
    return redirect("scorecard", pk, code)


@login_required
def appeal_list(request, pk):
    rnd = get_round(request.user, pk)
    appeals = selectors.appeals_for(user=request.user, round=rnd)
    return render(request, "rounds/appeals.html", {"round": rnd, "appeals": appeals})


@login_required
def appeal_detail(request, pk):
    appeal = get_object_or_404(Appeal.objects.select_related("round__system", "unit"), pk=pk)
    rnd = appeal.round
    if not policy.can_view_round(request.user, rnd) or not (
        policy.can_review(request.user) or policy.is_own_unit(request.user, appeal.unit)
    ):
        raise PermissionDenied("您无权查看该申诉。")
    fields = [f for f in system_fields(rnd.system) if f.indicator == appeal.indicator]
    # The current values are shown only to those who rule on the appeal.
    values = selectors.values_for(rnd, appeal.unit) if policy.can_review(request.user) else {}
    if request.method == "POST":
        policy.require(policy.can_review(request.user))
        form = AppealDecisionForm(request.POST)
        try:
            if not form.is_valid():
                raise UserError(problems=list(_form_problems(form)))
            changes = {f.input: request.POST.get(f"c_{i}", "") for i, f in enumerate(fields)}
            decided = services.appeal_decide(
                user=request.user,
                appeal=appeal,
                upheld=form.cleaned_data["outcome"] == "upheld",
                decision=form.cleaned_data["decision"],
                changes=changes,
            )
            done = f"已处理：申诉{decided.get_status_display().removeprefix('申诉')}。"
            if decided.rescore_run is not None:
                done += "已按更正后的数据启动重新评分。"
            messages.success(request, done)
        except UserError as err:
            show_user_error(request, err)
        return redirect("appeal_detail", pk)
    rows = [{"i": i, "field": f, "value": values.get((f.indicator, f.input))} for i, f in enumerate(fields)]
    return render(
        request,
        "rounds/appeal_detail.html",
        {
            "appeal": appeal,
            "round": rnd,
            "rows": rows,
            "form": AppealDecisionForm(),
            "can_decide": policy.can_review(request.user),
        },
    )


# ---- audit & annual --------------------------------------------------------------------------------------------


@login_required
def round_audit(request, pk):
    from govassess.web.audit.display import audit_rows
    from govassess.web.audit.selectors import audit_actions, audit_search

    rnd = get_round(request.user, pk)
    policy.require(policy.can_manage(request.user))
    entries, errors = audit_search(round=rnd, params=request.GET)
    ctx = {
        "round": rnd,
        "entries": entries[:500],
        "rows": audit_rows(entries[:500]),
        "total": entries.count(),
        "actions": audit_actions(round=rnd),
        "errors": errors,
        "q": request.GET,
    }
    return render(request, "rounds/audit.html", ctx)


@login_required
def round_audit_export(request, pk):
    from govassess.web.audit.selectors import audit_search

    rnd = get_round(request.user, pk)
    policy.require(policy.can_manage(request.user))
    entries, _ = audit_search(round=rnd, params=request.GET)
    resp = HttpResponse(excel.audit_workbook_bytes(entries=entries), content_type=excel.XLSX)
    resp["Content-Disposition"] = f'attachment; filename="audit-{rnd.pk}.xlsx"'
    return resp


@login_required
def annual_list(request):
    policy.require(policy.can_manage(request.user) or user_role(user=request.user) == Role.LEADER)
    form = AnnualForm(request.POST or None)
    if request.method == "POST":
        policy.require(policy.can_manage(request.user))
        if form.is_valid():
            d = form.cleaned_data
            try:
                ar = services.annual_combine(
                    user=request.user,
                    name=d["name"],
                    rounds=[(d["first"], d["first_weight"] / 100), (d["second"], d["second_weight"] / 100)],
                )
                return redirect("annual_detail", ar.pk)
            except UserError as err:
                show_user_error(request, err)
    return render(request, "rounds/annual_list.html", {"items": AnnualResult.objects.all(), "form": form})


@login_required
def annual_detail(request, pk):
    policy.require(policy.can_manage(request.user) or user_role(user=request.user) == Role.LEADER)
    ar = get_object_or_404(AnnualResult, pk=pk)
    results = ar.results or {}
    names = list(results.get("rounds") or [])
    weights = [(n, round(w * 100, 2)) for n, w in zip(names, results.get("weights") or [])]
    ranking = selectors.ranking(results)
    per_round = {u["unit"]: u.get("rounds") or {} for u in results.get("units", [])}
    for block in ranking:
        for u in block["units"]:
            u["round_scores"] = [per_round.get(u["unit"], {}).get(n) for n in names]
    return render(request, "rounds/annual_detail.html", {"item": ar, "ranking": ranking, "weights": weights})


@login_required
def annual_export(request, pk):
    policy.require(policy.can_manage(request.user) or user_role(user=request.user) == Role.LEADER)
    ar = get_object_or_404(AnnualResult, pk=pk)
    resp = HttpResponse(excel.results_workbook_bytes(results=ar.results or {}), content_type=excel.XLSX)
    resp["Content-Disposition"] = f'attachment; filename="annual-{ar.pk}.xlsx"'
    return resp
