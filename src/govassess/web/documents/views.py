"""Documents pages: views check access, call a service, and answer (files as attachments with Chinese names)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from govassess.errors import UserError
from govassess.web.audit.services import audit_record
from govassess.web.common import back, get_round, get_unit, show_user_error, user_errors_to_messages
from govassess.web.documents import policy, services
from govassess.web.documents.models import Document

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
                                  fmt=request.POST.get("format", ""))
    messages.success(request, f"已开始生成{doc.get_kind_display()}（后台任务），完成后可在本页下载。")
    return back(request, _round_url(request, pk))


@login_required
def document_status(request, pk):
    doc = _document(request, pk)
    policy.require_office(request.user)
    return JsonResponse({"status": doc.status, "status_label": doc.get_status_display(),
                         "progress": round(doc.progress, 3), "message": doc.message})


@login_required
def document_download(request, pk):
    doc = _document(request, pk)
    if not policy.can_download(request.user, doc):
        raise PermissionDenied("您无权下载该文档。")
    path = services.document_file(doc)
    if not path.is_file():
        messages.error(request, "文档文件已不存在，请重新生成。")
        return redirect(_round_url(request, doc.round_id))
    audit_record(user=request.user, action="document_download", object_type="document", object_id=doc.pk,
                 round=doc.round, after={"kind": doc.get_kind_display(), "format": doc.format})
    name = services.download_name(doc.round, doc.get_kind_display(), doc.format)
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[doc.format])


@login_required
@require_POST
def document_publish(request, pk):
    doc = _document(request, pk)
    policy.require_office(request.user)
    try:
        services.document_publish(user=request.user, document=doc)
        messages.success(request, f"已发布{doc.get_kind_display()}：各单位可在本轮页面下载。")
    except UserError as err:
        show_user_error(request, err)
    return back(request, _round_url(request, doc.round_id))


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
