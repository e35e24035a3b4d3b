"""Documents pages: views check access, call a service, and answer (files as attachments with Chinese names)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from govassess.errors import UserError
from govassess.web.audit.services import audit_record
from govassess.web.common import back, get_round, get_unit, show_user_error, user_errors_to_messages
from govassess.web.documents import policy, services, templating
from govassess.web.documents.models import (
    DEFAULT_TEMPLATE_NAME,
    Document,
    DocumentTemplate,
    ReaderVersion,
    RoundDocumentSettings,
)

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def _round_url(request, pk, *args, **kwargs):
    return reverse("round_detail", args=[pk]) + "#documents"


def _document(request, pk) -> Document:
    doc = get_object_or_404(Document.objects.select_related("round__system"), pk=pk)
    get_round(request.user, doc.round_id)  # the same 403 as the round's other pages
    return doc


@login_required
@require_POST
@user_errors_to_messages(_round_url)
def document_generate(request, pk):
    rnd = get_round(request.user, pk)
    policy.require_office(request.user)
    doc = services.document_start(user=request.user, round=rnd, kind=request.POST.get("kind", ""),
                                  fmt=request.POST.get("format", ""), template=request.POST.get("template", ""))
    messages.success(request, f"已开始用「{doc.template_name}」生成{doc.get_kind_display()}（后台任务），完成后可在本页下载。")
    return back(request, _round_url(request, pk))


@login_required
def document_status(request, pk):
    doc = _document(request, pk)
    policy.require_office(request.user)
    return JsonResponse({"status": doc.status, "status_label": doc.get_status_display(),
                         "progress": round(doc.progress, 3), "message": doc.message})


def _readable(request, pk) -> Document:
    doc = _document(request, pk)
    if not policy.can_download(request.user, doc):
        raise PermissionDenied("您无权下载该文档。")
    return doc


VERSION_LABELS = {True: "单位版（其他单位以代码显示）", False: "领导版（不含说明原文）"}


@login_required
def document_download(request, pk):
    """The file as a plain response, or, for a reader whose version of the 评估报告 is not built yet, the
    正在生成 page (its build started by services.reader_file). Nothing is rendered here."""
    doc = _readable(request, pk)
    try:
        found = services.reader_file(user=request.user, document=doc)
    except UserError as err:
        show_user_error(request, err)
        return redirect(_round_url(request, doc.round_id))
    if isinstance(found, ReaderVersion):
        return _version_page(request, doc, found)
    if not found.is_file():
        messages.error(request, "文档文件已不存在，请重新生成。")
        return redirect(_round_url(request, doc.round_id))
    version = "原件" if found == services.document_file(doc) else VERSION_LABELS[policy.reader_is_unit(request.user)]
    audit_record(user=request.user, action="document_download", object_type="document", object_id=doc.pk,
                 round=doc.round, after={"kind": doc.get_kind_display(), "format": doc.format, "version": version,
                                         "template": doc.template_name})
    name = services.download_name(doc.round, doc.get_kind_display(), doc.format)
    return FileResponse(found.open("rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[doc.format])


def _version_page(request, doc: Document, version: ReaderVersion):
    return render(request, "documents/version.html", {
        "doc": doc, "version": version, "unit_version": version.unit_id is not None,
        "back": _round_url(request, doc.round_id),
    })


def _own_version(request, pk) -> tuple[Document, ReaderVersion | None]:
    doc = _readable(request, pk)
    if policy.policy.can_manage(request.user):
        raise PermissionDenied("评估办下载的是文档原件，没有阅读版本。")
    if doc.kind != "full":
        raise Http404("该文档没有阅读版本")  # every 通报 is downloaded as made
    key, _ = services.reader_key(request.user)
    return doc, ReaderVersion.objects.filter(document=doc, reader=key).first()


@login_required
def document_version_status(request, pk):
    """The 正在生成 page's poll: this reader's own version only."""
    _, version = _own_version(request, pk)
    if version is None:
        return JsonResponse({"status": "none", "status_label": "尚未开始", "progress": 0, "message": ""})
    return JsonResponse({"status": version.status, "status_label": version.get_status_display(),
                         "progress": round(version.progress, 3), "message": version.message})


@login_required
@require_POST
def document_version_retry(request, pk):
    """生成失败后「重新生成」: this reader's version queued again (a second click finds it queued)."""
    doc, _ = _own_version(request, pk)
    try:
        services.reader_version_retry(user=request.user, document=doc)
    except UserError as err:
        show_user_error(request, err)
        return redirect(_round_url(request, doc.round_id))
    return redirect("document_download", pk=doc.pk)


@login_required
@require_POST
def document_publish(request, pk):
    doc = _document(request, pk)
    policy.require_office(request.user)
    to_units = (request.POST.get("audience") or request.GET.get("audience")) == "units"
    try:
        services.document_publish(user=request.user, document=doc, to_units=to_units)
        if to_units:
            messages.success(request, f"已向被评估单位公开{doc.get_kind_display()}：各单位下载的版本中，其他单位以代码显示。")
        elif doc.kind == "full":
            messages.success(request, f"已发布{doc.get_kind_display()}：评估办和领导可在本轮页面下载。")
        else:
            messages.success(request, f"已发布{doc.get_kind_display()}：各单位可在本轮页面下载。")
    except UserError as err:
        show_user_error(request, err)
    return back(request, _round_url(request, doc.round_id))


@login_required
@require_POST
@user_errors_to_messages(_round_url)
def scorecard_template_set(request, pk):
    rnd = get_round(request.user, pk)
    policy.require_office(request.user)
    chosen = templating.get_template_choice(request.POST.get("template", ""))
    templating.scorecard_template_set(user=request.user, round=rnd, template=chosen)
    messages.success(request, f"本轮成绩单模板已设为「{templating.template_label(chosen)}」。")
    return back(request, _round_url(request, pk))


# ---- 文档模板 ----------------------------------------------------------------------------------------------

TEMPLATES_ONLY = "只有评估办可以管理文档模板。"
# UserError fields of the template services → the form field the message is shown beside.
FORM_FIELDS = {"模板名称": "name", "模板文件": "yaml_file", "标志图片": "logo", "模板": "name"}


def _require_templates(user) -> None:
    policy.policy.require(policy.policy.can_manage(user), TEMPLATES_ONLY)


def _template(request, pk) -> DocumentTemplate:
    _require_templates(request.user)
    return get_object_or_404(DocumentTemplate, pk=pk)


@login_required
def template_list(request):
    _require_templates(request.user)
    rows = []
    scorecards: dict[int, list[str]] = {}
    for s in RoundDocumentSettings.objects.filter(scorecard_template__isnull=False).select_related("round"):
        scorecards.setdefault(s.scorecard_template_id or 0, []).append(s.round.name)
    for t in DocumentTemplate.objects.select_related("updated_by"):
        rows.append({"t": t, "rounds": scorecards.get(t.pk, []), "documents": t.documents.count()})
    return render(request, "documents/templates.html", {"rows": rows, "default_name": DEFAULT_TEMPLATE_NAME})


def _form(request, instance: DocumentTemplate | None):
    values = {"name": instance.name if instance else "", "text": instance.text if instance else ""}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {"name": request.POST.get("name", ""), "text": request.POST.get("text", "")}
        upload = request.FILES.get("yaml_file")
        try:
            text = templating.read_text_upload(upload) if upload is not None else values["text"]
            values["text"] = text
            t = templating.template_save(user=request.user, instance=instance, name=values["name"], text=text,
                                         logo=request.FILES.get("logo"),
                                         remove_logo=request.POST.get("remove_logo") == "1")
        except UserError as err:
            for p in err.problems[:200]:
                errors.setdefault(FORM_FIELDS.get(p.field or "", "text"), []).append(str(p))
        else:
            messages.success(request, f"已保存模板「{t.name}」。")
            return redirect("document_template_list")
    history = []
    if instance is not None:
        from govassess.web.audit.display import audit_rows
        from govassess.web.audit.models import AuditEntry

        # The template is in no round, so its audit trail is shown here rather than on a round's audit page.
        history = audit_rows(AuditEntry.objects.filter(object_type="document_template", object_id=str(instance.pk))
                             .select_related("user").order_by("-at", "-id")[:50])
    return render(request, "documents/template_form.html", {
        "instance": instance, "values": values, "errors": errors, "history": history,
        "logo_limit": f"{templating.logo_max_bytes() / 1024 / 1024:g}",
    }, status=400 if errors else 200)


@login_required
def template_create(request):
    _require_templates(request.user)
    return _form(request, None)


@login_required
def template_edit(request, pk):
    return _form(request, _template(request, pk))


@login_required
@require_POST
def template_delete(request, pk):
    t = _template(request, pk)
    try:
        templating.template_delete(user=request.user, template=t)
        messages.success(request, f"已删除模板「{t.name}」。")
    except UserError as err:
        show_user_error(request, err)
    return redirect("document_template_list")


def _yaml_response(text: str, name: str) -> HttpResponse:
    resp = HttpResponse(text.encode("utf-8"), content_type="application/x-yaml; charset=utf-8")
    resp["Content-Disposition"] = content_disposition_header(True, name)
    return resp


@login_required
def template_default(request):
    _require_templates(request.user)
    from govassess.reports.template import default_template_yaml

    return _yaml_response(default_template_yaml(), f"{DEFAULT_TEMPLATE_NAME}.yaml")


@login_required
def template_yaml(request, pk):
    t = _template(request, pk)
    return _yaml_response(t.text, f"{t.name}.yaml")


@login_required
def template_logo(request, pk):
    t = _template(request, pk)
    if not t.logo_path:
        raise Http404("该模板没有标志图片")
    try:
        path = templating.stored_path(t.logo_path)
    except UserError:
        raise Http404("该模板没有标志图片") from None
    if not path.is_file():
        raise Http404("标志图片文件已不存在")
    kind = "image/png" if path.suffix == ".png" else "image/jpeg"
    return FileResponse(path.open("rb"), content_type=kind)


@login_required
def scorecard_document(request, pk, code, fmt):
    rnd = get_round(request.user, pk)
    unit = get_unit(code)
    policy.require_scorecard_document(request.user, rnd, unit)
    try:
        data, name = services.scorecard_document(user=request.user, round=rnd, unit=unit, fmt=fmt)
    except UserError as err:
        show_user_error(request, err)
        return redirect(_round_url(request, pk))
    resp = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    resp["Content-Disposition"] = content_disposition_header(True, name)  # filename*=utf-8'' for the Chinese name
    return resp
