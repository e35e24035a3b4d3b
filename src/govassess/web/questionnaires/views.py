"""Questionnaire pages: the office's screens (attach, links, codes, progress, results, exports, posters, writing
the indices into the round) and the public answer page of a unit's link (no login, a valid token only).

Views check access, call a selector or a service and render; the checks of answers and the indices are the
core's (govassess.questionnaire)."""

from __future__ import annotations

import io
import json
import os
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.cache import cache
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from govassess import expr
from govassess.errors import UserError, shown_as
from govassess.questionnaire import BUILTIN
from govassess.questionnaire.model import LIKERT5_LABELS
from govassess.questionnaire.output import load_index_map
from govassess.questionnaire.responses import asked_questions
from govassess.web.audit import middleware as audit_context
from govassess.web.common import get_round, user_errors_to_messages
from govassess.web.questionnaires import selectors, services
from govassess.web.questionnaires.models import Link, QResponse, Questionnaire
from govassess.web.rounds import policy

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEVICE_COOKIE = "gaq_device"
DEVICE_SALT = "govassess.questionnaire.device"
START_SALT = "govassess.questionnaire.start"


def _office_round(request, pk):
    rnd = get_round(request.user, pk)
    policy.require(policy.can_manage(request.user), "只有评估办可以管理问卷。")
    return rnd


def _questionnaire(rnd) -> Questionnaire:
    q = Questionnaire.objects.filter(round=rnd).first()
    if q is None:
        raise UserError("本轮尚未设置问卷，请先选择内置问卷或上传问卷定义。")
    return q


def _office_url(request, pk, *args, **kwargs):
    return reverse("questionnaire_office", args=[pk])


def public_url(request, link: Link) -> str:
    return request.build_absolute_uri(reverse("questionnaire_public", args=[link.token]))


# ---- office ------------------------------------------------------------------------------------------------


@login_required
def index(request):
    from govassess.web.rounds.models import Round

    policy.require(policy.can_manage(request.user), "只有评估办可以管理问卷。")
    rounds = Round.objects.select_related("system").order_by("-id")
    have = dict(Questionnaire.objects.values_list("round_id", "title"))
    rows = [{"round": r, "title": have.get(r.pk)} for r in rounds]
    return render(request, "questionnaires/index.html", {"rows": rows})


@login_required
def office(request, pk):
    rnd = _office_round(request, pk)
    q = Questionnaire.objects.filter(round=rnd).first()
    ctx = {"round": rnd, "q": q, "builtin": BUILTIN}
    if q is not None:
        if not rnd.locked:
            services.links_ensure(q)
        form = services.form_of(q)
        progress = selectors.progress(q)
        for p in progress:
            p["url"] = public_url(request, p["link"])
        ctx.update({
            "form": form,
            "progress": progress,
            "total": sum(p["counted"] for p in progress),
            "set_aside": selectors.set_aside(q)[:500],
            "has_responses": q.responses.exists(),
            "map_text": _map_text(q),
            "index_names": selectors.available_indices(q),
            "chart": {"units": [p["unit"].name for p in progress], "counted": [p["counted"] for p in progress],
                      "suspicious": [p["suspicious"] for p in progress], "min": form.settings.min_sample},
        })
    return render(request, "questionnaires/office.html", ctx)


def _map_text(q: Questionnaire) -> str:
    if not q.index_map:
        return ""
    lines = ["inputs:"]
    for e in q.index_map:
        scale = f", scale: {e['scale']:g}" if float(e.get("scale", 1)) != 1 else ""
        lines.append(f'  - {{index: "{e["index"]}", indicator: "{e["indicator"]}", input: "{e["input"]}"{scale}}}')
    return "\n".join(lines) + "\n"


@login_required
@require_POST
@user_errors_to_messages(_office_url)
def attach(request, pk):
    rnd = _office_round(request, pk)
    upload = request.FILES.get("form_file")
    builtin = request.POST.get("builtin") or None
    if upload is None and builtin is None:
        raise UserError("请选择内置问卷，或上传问卷定义工作簿（.xlsx）。", field="问卷定义")
    if builtin is not None and builtin not in BUILTIN:
        raise UserError(f"没有内置问卷「{builtin}」。", field="内置问卷")
    q = services.questionnaire_attach(user=request.user, round=rnd, builtin=builtin, upload=upload)
    messages.success(request, f"已设置问卷「{q.title}」，每个评估对象各有一个答题链接。")
    return redirect("questionnaire_office", pk=rnd.pk)


@login_required
def form_export(request, pk):
    rnd = _office_round(request, pk)
    q = Questionnaire.objects.filter(round=rnd).first()
    if q is None:
        raise Http404("本轮尚未设置问卷")
    resp = HttpResponse(bytes(q.form_xlsx), content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="questionnaire-{rnd.pk}.xlsx"'
    return resp


@login_required
@require_POST
@user_errors_to_messages(_office_url)
def settings_save(request, pk):
    rnd = _office_round(request, pk)
    q = _questionnaire(rnd)
    raw = request.POST.get("min_seconds", "").strip()
    if not raw.isdigit():
        raise UserError(f"最短作答时间应为整数秒，实际为「{raw}」", field="最短作答时间")
    services.settings_update(user=request.user, q=q, min_seconds=int(raw),
                             office_name=request.POST.get("office_name", ""))
    messages.success(request, "已保存问卷设置。")
    return redirect("questionnaire_office", pk=rnd.pk)


@login_required
@require_POST
@user_errors_to_messages(_office_url)
def collection(request, pk):
    rnd = _office_round(request, pk)
    q = _questionnaire(rnd)
    is_open = request.POST.get("open") == "1"
    services.collection_set(user=request.user, q=q, open=is_open)
    messages.success(request, "已开始收集问卷回答。" if is_open else "已关闭问卷收集。")
    return redirect("questionnaire_office", pk=rnd.pk)


@login_required
@require_POST
@user_errors_to_messages(_office_url)
def codes_generate(request, pk, code):
    rnd = _office_round(request, pk)
    q = _questionnaire(rnd)
    link = get_object_or_404(Link, questionnaire=q, unit__code=code)
    raw = request.POST.get("count", "").strip()
    if not raw.isdigit():
        raise UserError(f"邀请码数量应为正整数，实际为「{raw}」", field="数量")
    made = services.codes_generate(user=request.user, link=link, count=int(raw))
    messages.success(request, f"已为「{link.unit.name}」生成 {len(made)} 个邀请码，该链接今后须凭邀请码作答。")
    return redirect("questionnaire_office", pk=rnd.pk)


@login_required
def codes_export(request, pk, code):
    from openpyxl import Workbook

    from govassess.outputs import save_workbook

    rnd = _office_round(request, pk)
    q = Questionnaire.objects.filter(round=rnd).first()
    link = get_object_or_404(Link, questionnaire=q, unit__code=code)
    wb = Workbook()
    ws = wb.active
    ws.title = "邀请码"
    ws.append(["单位编码", "单位名称", "邀请码", "答题链接", "已使用"])
    url = public_url(request, link)
    for c in link.codes.all():
        ws.append([link.unit.code, link.unit.name, c.code, url, "是" if c.used_at else "否"])
    buf = io.BytesIO()
    save_workbook(wb, buf)
    resp = HttpResponse(buf.getvalue(), content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="codes-{rnd.pk}-{link.unit.code}.xlsx"'
    return resp


@login_required
def responses_export(request, pk, fmt):
    rnd = _office_round(request, pk)
    q = Questionnaire.objects.filter(round=rnd).first()
    if q is None or fmt not in ("xlsx", "csv"):
        raise Http404("本轮尚未设置问卷")
    if fmt == "csv":
        resp = HttpResponse(selectors.export_csv(q), content_type="text/csv; charset=utf-8")
    else:
        buf = io.BytesIO()
        selectors.export_xlsx(q, buf)
        resp = HttpResponse(buf.getvalue(), content_type=XLSX)
    resp["Content-Disposition"] = f'attachment; filename="responses-{rnd.pk}.{fmt}"'
    return resp


@login_required
@require_POST
@user_errors_to_messages(_office_url)
def reinstate(request, pk, rid):
    rnd = _office_round(request, pk)
    q = _questionnaire(rnd)
    r = get_object_or_404(QResponse, questionnaire=q, pk=rid)
    services.reinstate(user=request.user, response=r)
    messages.success(request, f"第 {r.pk} 号回答已恢复计入指数。")
    return redirect("questionnaire_office", pk=rnd.pk)


@login_required
@require_POST
@user_errors_to_messages(_office_url)
def map_save(request, pk):
    rnd = _office_round(request, pk)
    q = _questionnaire(rnd)
    policy.require_unlocked(rnd)
    text = request.POST.get("map_text", "")
    entries = []
    if text.strip():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "映射.yaml"
            path.write_text(text, encoding="utf-8")
            with shown_as(path, "指数映射"):
                entries = load_index_map(path, services.form_of(q))
    services.map_set(user=request.user, q=q, entries=[
        {"index": e.index, "indicator": e.indicator, "input": e.input, "scale": e.scale} for e in entries])
    messages.success(request, f"已保存指数映射（{len(entries)} 项）。")
    return redirect("questionnaire_office", pk=rnd.pk)


@login_required
@require_POST
@user_errors_to_messages(_office_url)
def push(request, pk):
    rnd = _office_round(request, pk)
    q = _questionnaire(rnd)
    result = services.push_indices(user=request.user, q=q, overwrite=request.POST.get("overwrite") == "1")
    messages.success(request, f"已把问卷指数写入本轮指标数据：{result.count} 项有变化。")
    return redirect("questionnaire_office", pk=rnd.pk)


@login_required
def results(request, pk):
    rnd = _office_round(request, pk)
    q = Questionnaire.objects.filter(round=rnd).first()
    if q is None:
        raise Http404("本轮尚未设置问卷")
    ind = selectors.indices(q)
    form = ind.form
    charts = []
    for qs in selectors.pooled(q).questions:
        if qs.shares:
            charts.append({"name": qs.name, "label": qs.label, "kind": "share",
                           "x": [lbl for _n, lbl, _s in qs.shares],
                           "y": [round(s * 100, 1) for _n, _l, s in qs.shares]})
        elif qs.type in ("likert5", "likert10"):
            counts = selectors.distribution(q, qs.name, 5 if qs.type == "likert5" else 10)
            x = list(LIKERT5_LABELS) if qs.type == "likert5" else [str(k) for k in range(1, 11)]
            charts.append({"name": qs.name, "label": qs.label, "kind": "count", "x": x, "y": counts})
    ctx = {"round": rnd, "q": q, "form": form, "ind": ind, "charts": charts,
           "index_chart": {"units": [g.name or g.key for g in ind.units],
                           "index": [round(g.index, 2) if g.index is not None else None for g in ind.units]}}
    return render(request, "questionnaires/results.html", ctx)


def _qr_svg(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_inline(scale=6, dark="#000", light="#fff")


@login_required
def posters(request, pk, code=None):
    rnd = _office_round(request, pk)
    q = Questionnaire.objects.filter(round=rnd).first()
    if q is None:
        raise Http404("本轮尚未设置问卷")
    links = q.links.select_related("unit").order_by("unit__unit_class", "unit__code")
    if code is not None:
        links = links.filter(unit__code=code)
        if not links:
            raise Http404("没有该单位的问卷链接")
    pages = [{"unit": link.unit, "url": public_url(request, link), "qr": mark_safe(_qr_svg(public_url(request, link))),
              "codes": link.codes_required} for link in links]
    return render(request, "questionnaires/posters.html", {"round": rnd, "q": q, "pages": pages})


# ---- public answer page ------------------------------------------------------------------------------------


def _limit(key: str, limit: int, window: int) -> bool:
    """True while `key` has been hit at most `limit` times in the current window (fixed windows)."""
    bucket = f"gaq:{key}:{int(time.time() // window)}"
    if cache.add(bucket, 1, window + 5):
        return limit >= 1
    try:
        return cache.incr(bucket) <= limit
    except ValueError:  # expired between add and incr
        cache.add(bucket, 1, window + 5)
        return True


def _setting(name: str, default: int) -> int:
    # Django settings first (tests), then the environment (an operator: a hall's shared exit address).
    return int(getattr(settings, name, None) or os.environ.get(name) or default)


def _rate_ok(link: Link, ip: str | None, *, kind: str) -> bool:
    """Fixed-window counters in Django's cache: per link (a poster's link flooded from many addresses) and per
    address (one machine answering for many). The default cache is per process: with several gunicorn
    workers each keeps its own counts (docs/web-questionnaire.md)."""
    per_link = _setting("QUESTIONNAIRE_LINK_PER_MINUTE", 120)
    per_address = _setting("QUESTIONNAIRE_ADDRESS_PER_HOUR", 30)
    factor = 20 if kind == "asked" else 1  # showing/hiding questions is cheap and frequent
    addr = services.address_hash(link.questionnaire, ip)
    ok = _limit(f"{kind}:link:{link.pk}", per_link * factor, 60)
    if addr:
        ok = _limit(f"{kind}:addr:{addr[:32]}", per_address * factor, 3600) and ok
    return ok


def _too_many(request):
    return render(request, "questionnaires/public_message.html", {
        "title": "提交过于频繁",
        "text": "同一链接或同一网络在短时间内提交的问卷过多，请稍后再试。如在办事大厅集中填写，请联系现场工作人员。",
    }, status=429)


def _link(token: str) -> Link:
    link = Link.objects.select_related("questionnaire__round", "unit").filter(token=token).first()
    if link is None:
        raise Http404("问卷链接无效")
    return link


def _deps(form) -> dict[str, list[str]]:
    names = set(form.names)
    out = {}
    for qn in form.questions:
        used = set()
        for node in qn.relevant_nodes:
            for n in expr.names(node):
                base = n if n in names else n.rsplit(".", 1)[0]
                used.add(base)
        if used:
            out[qn.name] = sorted(used)
    return out


def _raw_answers(request, form) -> dict[str, str]:
    raw = {}
    for qn in form.questions:
        if qn.type == "select_multiple":
            picked = request.POST.getlist(qn.name)
            raw[qn.name] = ",".join(p for p in picked if p)
        else:
            raw[qn.name] = request.POST.get(qn.name, "")
    return raw


def _device(request) -> tuple[str, bool]:
    value = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT)
    if value:
        return value, False
    import secrets

    return secrets.token_hex(16), True


def _items(form, raw, errors, asked):
    """The questions in page order with their current values, grouped by innermost group."""
    groups = {g.name: g for g in form.groups}
    sections: list[dict] = []
    for qn in form.questions:
        if not sections or sections[-1]["group"] != qn.group:
            sections.append({"group": qn.group, "label": groups[qn.group].label if qn.group else "", "items": []})
        value = raw.get(qn.name, "")
        options = []
        if qn.list_name:
            chosen = set(str(value).split(",")) if value else set()
            options = [{"value": c.name, "label": c.label, "checked": c.name in chosen}
                       for c in form.choices[qn.list_name]]
        elif qn.type in ("likert5", "likert10"):
            labels = LIKERT5_LABELS if qn.type == "likert5" else [str(k) for k in range(1, 11)]
            options = [{"value": str(k), "label": f"{k} {lbl}" if qn.type == "likert5" else lbl,
                        "checked": str(value) == str(k)} for k, lbl in enumerate(labels, 1)]
        sections[-1]["items"].append({
            "q": qn, "value": value, "options": options, "error": errors.get(qn.name),
            "skip": bool(qn.relevant_nodes), "hidden": asked is not None and qn.name not in asked,
            "html_required": qn.required and not qn.relevant_nodes,
        })
    return sections


def public(request, token):
    link = _link(token)
    q = link.questionnaire
    why = services.collection_closed_reason(q)
    if why:
        return render(request, "questionnaires/public_message.html",
                      {"title": "问卷收集已结束" if q.round.locked else "问卷暂未开放", "text": why, "unit": link.unit})
    form = services.form_of(q)
    device, new_device = _device(request)
    raw: dict[str, str] = {}
    errors: dict[str, str] = {}
    general: list[str] = []
    if request.method == "POST":
        ip = audit_context.request_ip(request)
        if not _rate_ok(link, ip, kind="submit"):
            return _too_many(request)
        raw = _raw_answers(request, form)
        duration = None
        try:
            start = signing.loads(request.POST.get("started", ""), salt=START_SALT, max_age=86400)
            if start.get("l") == link.pk:
                duration = max(0.0, time.time() - float(start["t"]))
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            duration = None
        # The respondent's address never reaches the audit log: only its salted hash is kept, on the response.
        ctx_token = audit_context._client_ip.set(None)  # noqa: SLF001
        try:
            r = services.submit(link=link, raw=raw, device=device, ip=ip, duration=duration,
                                code=request.POST.get("invite_code", ""))
        except UserError as err:
            for p in err.problems:
                if p.field and p.field in form.names:
                    errors[p.field] = p.message
                else:
                    general.append(p.message)
        else:
            replaced = QResponse.objects.filter(replaced_by=r).exists()
            resp = render(request, "questionnaires/public_message.html", {
                "title": "提交成功，感谢您的评价！",
                "text": ("您之前在本设备上提交的回答已被这次的回答替换。" if replaced else
                         "您的回答已收到。同一设备再次提交将替换本次回答。"),
                "unit": link.unit, "ok": True})
            _set_device(resp, device)
            return resp
        finally:
            audit_context._client_ip.reset(ctx_token)  # noqa: SLF001
    asked = set(asked_questions(form, raw))
    started = signing.dumps({"l": link.pk, "t": time.time()}, salt=START_SALT)
    ctx = {
        "title": q.title, "link": link, "unit": link.unit, "q": q, "form": form, "sections": _items(form, raw, errors, asked),
        "errors": errors, "general": general, "started": started,
        "deps": _deps(form), "asked_url": reverse("questionnaire_asked", args=[token]),
        "code": request.POST.get("invite_code", ""),
    }
    resp = render(request, "questionnaires/public.html", ctx, status=200)
    if new_device:
        _set_device(resp, device)
    return resp


def _set_device(resp, device: str) -> None:
    resp.set_signed_cookie(DEVICE_COOKIE, device, salt=DEVICE_SALT, max_age=365 * 86400, httponly=True,
                           samesite="Lax", secure=bool(getattr(settings, "SESSION_COOKIE_SECURE", False)))


@require_POST
def asked(request, token):
    """Which questions are asked given the answers so far (the core's walk of 显示条件): the page shows and
    hides questions with it; the submission is checked again by check_answers."""
    link = _link(token)
    why = services.collection_closed_reason(link.questionnaire)
    if why:  # nothing to show or hide; the page itself says why on the next load
        return JsonResponse({"asked": [], "closed": why})
    if not _rate_ok(link, audit_context.request_ip(request), kind="asked"):
        return JsonResponse({"error": "请求过于频繁，请稍后再试"}, status=429)
    form = services.form_of(link.questionnaire)
    return JsonResponse({"asked": asked_questions(form, _raw_answers(request, form))})


def json_script_data(value) -> str:
    return json.dumps(value, ensure_ascii=False)
