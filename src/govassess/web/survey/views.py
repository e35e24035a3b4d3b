"""Survey pages and 一表通 master data. Views check access, call a selector or a service, and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from govassess.errors import Problem, UserError
from govassess.web.common import get_unit, user_errors_to_messages
from govassess.web.organisation import selectors as org_selectors
from govassess.web.organisation import services as org_services
from govassess.web.survey import policy, selectors, services
from govassess.web.survey.forms import CampaignForm, ExtensionForm, ProfileForm, UploadForm
from govassess.web.survey.models import Campaign

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _form_problems(form) -> list[Problem]:
    out = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        out += [Problem(str(e), field=str(label) if label else None) for e in errors]
    return out


def _detail_url(request, pk, *args, **kwargs):
    return reverse("survey_detail", args=[pk])


def _unit_url(request, pk, code, *args, **kwargs):
    return reverse("survey_unit", args=[pk, code])


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    resp = HttpResponse(data, content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


# ---- campaigns -------------------------------------------------------------------------------------------


@login_required
def campaign_list(request):
    unit = selectors.own_unit(user=request.user)
    if not (policy.is_office(request.user) or policy.can_view_unit(request.user, unit)):
        raise PermissionDenied("您没有查看普查的权限。")
    return render(
        request,
        "survey/list.html",
        {
            "campaigns": selectors.campaign_list(user=request.user),
            "unit": unit,
            "office": policy.is_office(request.user),
        },
    )


@login_required
def campaign_create(request):
    policy.require_office(request.user)
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            c = services.campaign_create(user=request.user, **form.cleaned_data)
        except UserError as err:
            for p in err.problems:
                form.add_error(None, str(p))
        else:
            return redirect("survey_detail", c.pk)
    return render(request, "survey/campaign_form.html", {"form": form})


@login_required
def campaign_detail(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    if not policy.is_office(request.user):
        unit = selectors.own_unit(user=request.user)
        policy.require_unit(request.user, unit)
        return redirect("survey_unit", pk, unit.code)
    rows = selectors.completeness(campaign=campaign)
    ctx = {
        "campaign": campaign,
        "rows": rows,
        "done": sum(r["done"] for r in rows),
        "uploaded": sum(r["response"] is not None for r in rows),
        "extension_form": ExtensionForm(),
    }
    return render(request, "survey/campaign_detail.html", ctx)


@login_required
@require_POST
@user_errors_to_messages(_detail_url)
def campaign_extension(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    policy.require_office(request.user)
    form = ExtensionForm(request.POST)
    if not form.is_valid():
        raise UserError(problems=_form_problems(form))
    services.extension_set(user=request.user, campaign=campaign, **form.cleaned_data)
    messages.success(request, "已设置延期。")
    return redirect("survey_detail", pk)


@login_required
def campaign_summary(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    policy.require_office(request.user)
    try:
        ctx = selectors.consolidated(campaign=campaign)
    except UserError as err:
        ctx = {"error": err}
    ctx["campaign"] = campaign
    ctx["upload_form"] = UploadForm()
    return render(request, "survey/summary.html", ctx)


@login_required
@user_errors_to_messages(_detail_url)
def campaign_summary_export(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    policy.require_office(request.user)
    return _xlsx(selectors.summary_workbook_bytes(campaign=campaign), f"survey-{campaign.pk}-summary.xlsx")


# ---- one unit's survey -------------------------------------------------------------------------------------


def _unit_page(request, campaign, unit, *, problems=None, status=200):
    response = selectors.response_get(campaign=campaign, unit=unit)
    deadline = policy.effective_deadline(campaign, unit)
    try:
        policy.require_open(campaign, unit)
        why_locked = ""
    except UserError as err:
        why_locked = str(err)
    ctx = {
        "campaign": campaign,
        "unit": unit,
        "response": response,
        "deadline": deadline,
        "why_locked": why_locked,
        "master": org_selectors.unit_master_rows(unit),
        "problems": problems or [],
        "upload_form": UploadForm(),
    }
    return render(request, "survey/unit.html", ctx, status=status)


@login_required
def unit_survey(request, pk, code):
    campaign = get_object_or_404(Campaign, pk=pk)
    unit = get_unit(code)
    policy.require_unit(request.user, unit)
    return _unit_page(request, campaign, unit)


@login_required
def unit_template(request, pk, code):
    campaign = get_object_or_404(Campaign, pk=pk)
    unit = get_unit(code)
    policy.require_unit(request.user, unit)
    return _xlsx(
        selectors.template_bytes(campaign=campaign, unit=unit), f"survey-{campaign.pk}-{unit.code}.xlsx"
    )


@login_required
@require_POST
def unit_upload(request, pk, code):
    """On any problem the page is shown again with every problem in a table (sheet, row, column, rule, value)."""
    campaign = get_object_or_404(Campaign, pk=pk)
    unit = get_unit(code)
    policy.require_unit(request.user, unit)
    form = UploadForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise UserError("请选择要上传的调查表文件。", field="文件")
        resp = services.response_upload(
            user=request.user, campaign=campaign, unit=unit, upload=form.cleaned_data["file"]
        )
    except UserError as err:
        return _unit_page(request, campaign, unit, problems=err.problems, status=200)
    n = resp.counts.get("systems", 0)
    messages.success(request, f"调查表检查通过，已保存（政务信息系统 {n} 个）。确认无误后请提交。")
    return redirect("survey_unit", pk, code)


@login_required
@require_POST
@user_errors_to_messages(_unit_url)
def unit_submit(request, pk, code):
    campaign = get_object_or_404(Campaign, pk=pk)
    unit = get_unit(code)
    policy.require_unit(request.user, unit)
    services.response_submit(user=request.user, campaign=campaign, unit=unit)
    messages.success(request, "已提交。")
    return redirect("survey_unit", pk, code)


@login_required
def unit_workbook(request, pk, code):
    campaign = get_object_or_404(Campaign, pk=pk)
    unit = get_unit(code)
    policy.require_unit(request.user, unit)
    resp = campaign.responses.filter(unit=unit).first()
    if resp is None:
        messages.error(request, "尚未上传调查表。")
        return redirect("survey_unit", pk, code)
    return _xlsx(bytes(resp.workbook), f"survey-{campaign.pk}-{unit.code}-uploaded.xlsx")


# ---- 一表通 master data ------------------------------------------------------------------------------------


@login_required
def unit_profile(request, code):
    unit = get_unit(code)
    if not org_selectors.can_edit_profile(request.user, unit):
        raise PermissionDenied("只能查看和修改本单位的单位信息。")
    current = org_selectors.profile_dict(unit)
    labels = {f.label: name for name, f in ProfileForm.base_fields.items()}
    initial = {labels[k]: v for k, v in current.items() if k in labels}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            org_services.unit_profile_update(user=request.user, unit=unit, data=form.cleaned_data)
        except UserError as err:
            by_label = {f.label: name for name, f in form.fields.items()}
            for p in err.problems:
                form.add_error(by_label.get(p.field or ""), p.message)
        else:
            messages.success(request, "单位信息已保存；各调查表模板和评估轮次将使用新的信息。")
            return redirect("unit_profile", code)
    return render(request, "survey/unit_profile.html", {"unit": unit, "form": form, "master": current})


@login_required
def unit_profile_history(request, code):
    unit = get_unit(code)
    if not org_selectors.can_edit_profile(request.user, unit):
        raise PermissionDenied("只能查看本单位的单位信息。")
    changes = org_selectors.unit_profile_history(unit)
    return render(request, "survey/unit_profile_history.html", {"unit": unit, "changes": changes})


@login_required
def unit_systems(request, pk, code):
    """Online editor of the 政务信息系统基本情况表; saving validates the whole workbook like an upload."""
    campaign = get_object_or_404(Campaign, pk=pk)
    unit = get_unit(code)
    policy.require_unit(request.user, unit)
    fields, rows = selectors.systems_editor(campaign=campaign, unit=unit)
    problems, bad = [], set()
    if request.method == "POST":
        rows = _posted_rows(request.POST, fields)
        try:
            services.response_save_systems(user=request.user, campaign=campaign, unit=unit, rows=rows)
        except UserError as err:
            problems = err.problems
            # Editor row i is Excel row i + 2 (header in row 1).
            bad = {(p.row - 2, p.column) for p in problems if p.row is not None}
        else:
            messages.success(request, f"已保存并通过检查（政务信息系统 {len(rows)} 个）。确认无误后请提交。")
            return redirect("survey_unit", pk, code)
    blank = {f.name: "" for f in fields}
    grid = [
        (i, [(f, row.get(f.name, ""), (i, f.name) in bad) for f in fields])
        for i, row in enumerate([*rows, blank])
    ]
    ctx = {"campaign": campaign, "unit": unit, "fields": fields, "grid": grid, "problems": problems}
    return render(request, "survey/systems.html", ctx)


def _posted_rows(post, fields) -> list[dict]:
    """Cells arrive as c-<row>-<col>; rows ticked for deletion and entirely blank rows are dropped."""
    n = min(int(post.get("rows") or 0), 5000) if str(post.get("rows") or "0").isdigit() else 0
    rows = []
    for i in range(n):
        if post.get(f"del-{i}"):
            continue
        row = {f.name: post.get(f"c-{i}-{j}", "") for j, f in enumerate(fields)}
        if any(v.strip() for v in row.values()):
            rows.append(row)
    return rows


@login_required
@require_POST
@user_errors_to_messages(lambda request, pk: reverse("survey_summary", args=[pk]))
def campaign_usage(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    policy.require_office(request.user)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        raise UserError("请选择使用情况数据文件（CSV 或 Excel）。")
    n = services.usage_upload(user=request.user, campaign=campaign, upload=form.cleaned_data["file"])
    messages.success(request, f"已保存使用情况数据（{n} 个系统）。")
    return redirect("survey_summary", pk)


@login_required
def campaign_selfeval(request, pk):
    campaign = get_object_or_404(Campaign, pk=pk)
    policy.require_office(request.user)
    try:
        ctx = selectors.selfeval_scores(campaign=campaign)
    except UserError as err:
        ctx = {"error": err, "units": [], "indicators": []}
    ctx["campaign"] = campaign
    return render(request, "survey/selfeval.html", ctx)


@login_required
@require_POST
@user_errors_to_messages(lambda request, pk: reverse("survey_summary", args=[pk]))
def campaign_thresholds(request, pk):
    """The office's numbers for the screening's thresholds: one text box per threshold, blank = the default."""
    from govassess.forms.screening import parse_threshold_options, threshold_rows

    campaign = get_object_or_404(Campaign, pk=pk)
    policy.require_office(request.user)
    names = [t["阈值"] for t in threshold_rows(selectors.screening_config(campaign=campaign))]
    posted = [f"{n}={request.POST[n].strip()}" for n in names if request.POST.get(n, "").strip()]
    services.zombie_thresholds_set(
        user=request.user, campaign=campaign, values=parse_threshold_options(posted)
    )
    messages.success(request, "已保存筛查阈值。")
    return redirect("survey_summary", pk)
