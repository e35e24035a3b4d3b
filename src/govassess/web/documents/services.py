"""Generating and publishing the round's documents. The documents are the core's (govassess.reports): the
report model of the round's latest scoring results, with the previous final round for the changes and the
round's lock time printed under the title; these functions only decide who, when, and where the file goes."""

from __future__ import annotations

import logging
import tempfile
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from govassess.errors import UserError
from govassess.outputs import OutputSet
from govassess.web.audit.services import audit_record
from govassess.web.documents import policy, templating
from govassess.web.documents.models import Document, DocumentFormat, DocumentKind, DocumentTemplate
from govassess.web.rounds import selectors
from govassess.web.rounds.models import JobStatus, Round
from govassess.web.systems.selectors import system_core

log = logging.getLogger(__name__)
CRASH = "文档生成出现内部错误，请查看服务器日志。"


def documents_dir() -> Path:
    return Path(getattr(settings, "DOCUMENTS_DIR", None) or Path(settings.DATA_DIR) / "documents")


def document_file(document: Document) -> Path:
    return documents_dir() / document.file_path


def download_name(round: Round, what: str, fmt: str) -> str:
    from govassess.reports.cli import file_name

    return file_name(round.name, what, fmt)


def report_model(round: Round, *, results: dict[str, Any] | None = None, anonymise: bool = False,
                 reader: str | None = None):
    """The core's report model of the round's latest scoring results (lock time: the round's 定稿时间)."""
    from govassess.reports.model import build_model

    run = selectors.latest_run(round)
    if results is None:
        results = run.results if run is not None else None
    if not results:
        raise UserError(f"轮次「{round.name}」尚无评分结果：请先运行评分")
    core = system_core(round.system)
    previous = None
    before = selectors.previous_final_round(round)
    prev_run = selectors.latest_run(before) if before is not None else None
    # The changes since the previous round only mean something for the same indicator system.
    if prev_run is not None and prev_run.results and (prev_run.results.get("system") or {}).get("id") == core.id:
        previous = prev_run.results
    from govassess.web.rectification.services import report_rows

    # 上轮整改情况: the previous final round's 整改任务 (None when it has none: no section in the 成绩单).
    return build_model(results, core, previous=previous, anonymise=anonymise, reader=reader,
                       results_file=f"轮次「{round.name}」的评分结果", locked_at=round.finalised_at,
                       rectification=report_rows(before))


def render(model, kind: str, fmt: str, target: Path, *, unit: str | None = None, template=None) -> None:
    """Write one document (kind bulletin / full / scorecard) to `target` through the one output writer.

    PDF is typeset directly (reports/typeset.py: Typst, fonts embedded), not converted from the Word file."""
    from govassess.reports.template import load_template
    from govassess.reports.typeset import PdfDocument
    from govassess.reports.word import WordDocument, write_bulletin, write_full_report, write_scorecard

    tpl = template or load_template(None)
    document = PdfDocument if fmt == "pdf" else WordDocument
    with OutputSet() as outs:
        out = outs.file(target)
        if kind == "scorecard":
            write_scorecard(model, tpl, str(unit), out, document=document)
        elif kind == "bulletin":
            write_bulletin(model, tpl, out, document=document)
        else:
            write_full_report(model, tpl, out, document=document)


def _check_choice(kind: str, fmt: str) -> None:
    if kind not in DocumentKind.values:
        raise UserError("请选择要生成的文档：通报或评估报告", field="文档")
    if fmt not in DocumentFormat.values:
        raise UserError("请选择文档格式：Word（.docx）或 PDF", field="格式")


def document_template(doc: Document):
    """The core template a document was asked for with (its own copy of text and logo)."""
    return templating.core_template(doc.template_text, doc.template_name, doc.template_logo)


def _template_audit(doc: Document) -> dict:
    return {"template": doc.template_name, "template_sha256": doc.template_sha256}


def document_start(*, user, round: Round, kind: str, fmt: str, background: bool = True,
                   template: str | None = None) -> Document:
    """Queue one document. ``template``: the chosen 文档模板's id ("" or None: 默认模板)."""
    from govassess.web.jobs import job_submit

    policy.require_office(user)
    policy.require_final(round)
    _check_choice(kind, fmt)
    chosen = templating.get_template_choice(template)
    if fmt == "pdf":
        from govassess.reports.typeset import require_fonts

        require_fonts()  # refused at once, not as a failed job
    run = selectors.latest_run(round)
    if run is None or not run.results:
        raise UserError(f"轮次「{round.name}」尚无评分结果：请先运行评分")
    with transaction.atomic():
        if round.documents.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
            raise UserError("已有文档正在生成，请稍候。")
        if chosen is not None:
            chosen = DocumentTemplate.objects.select_for_update().get(pk=chosen.pk)  # not deleted meanwhile
        copy = templating.copy_for_document(chosen, round)
        try:
            doc = Document.objects.create(round=round, kind=kind, format=fmt, created_by=user, **copy)
            audit_record(user=user, action="document_generate", object_type="document", object_id=doc.pk, round=round,
                         after={"kind": doc.get_kind_display(), "format": fmt, "scoring_run": run.pk,
                                **_template_audit(doc)})
        except BaseException:
            if copy["template_logo"]:
                templating.stored_path(copy["template_logo"]).unlink(missing_ok=True)
            raise
    job_submit("documents", doc.pk, background)
    if not background:
        doc.refresh_from_db()
    return doc


def document_execute(pk: int, *, own_thread: bool = False) -> None:
    """Run one document job: the report model, the Word document, and its PDF when asked for."""
    close_old_connections()
    rows = Document.objects.filter(pk=pk)
    try:
        doc = Document.objects.select_related("round__system").get(pk=pk)
        rows.update(status=JobStatus.RUNNING, progress=0.1, message="读取评分结果")
        model = report_model(doc.round)
        rows.update(progress=0.3, message="生成 PDF" if doc.format == "pdf" else "生成 Word 文档")
        rel = Path(str(doc.round.pk)) / f"{uuid.uuid4().hex}.{doc.format}"
        target = documents_dir() / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        render(model, doc.kind, doc.format, target, template=document_template(doc))
        rows.update(status=JobStatus.DONE, progress=1.0, message="完成", file_path=str(rel),
                    size=target.stat().st_size, finished_at=timezone.now())
    except UserError as err:
        rows.update(status=JobStatus.FAILED, message=str(err)[:4000], finished_at=timezone.now())
    except Exception:  # a failed job must be visible, not a silent dead thread
        log.exception("document %s failed", pk)
        rows.update(status=JobStatus.FAILED, message=CRASH, finished_at=timezone.now())
    finally:
        if own_thread:
            connection.close()
        else:
            close_old_connections()


def document_publish(*, user, document: Document, to_units: bool = False) -> Document:
    """The office publishes a finished document. A 通报: every account that reads the round's results may then
    download it. A 评估报告: the office and the leaders; with ``to_units`` (向被评估单位公开, possibly later) also
    every evaluated unit, each in a version where the other units' names are replaced by their codes."""
    policy.require_office(user)
    policy.require_final(document.round)
    if document.status != JobStatus.DONE:
        raise UserError("文档尚未生成完成，不能发布。")
    if to_units and document.kind != DocumentKind.FULL:
        raise UserError("通报发布后各单位即可下载，无需另行向被评估单位公开。")
    if document.units_published or (document.published and not to_units):
        raise UserError("该文档已发布。")
    now = timezone.now()
    with transaction.atomic():
        changes: dict[str, Any] = {}
        if not document.published:
            changes.update(published_at=now, published_by=user)
        if to_units:
            changes.update(units_published_at=now, units_published_by=user)
        rows = Document.objects.filter(pk=document.pk, units_published_at__isnull=True)
        if not to_units:
            rows = rows.filter(published_at__isnull=True)
        if rows.update(**changes) == 1:
            audience = "评估办、领导和各被评估单位（其他单位以代码显示）" if to_units else (
                "评估办和领导" if document.kind == DocumentKind.FULL else "可查看本轮结果的全部账号")
            audit_record(user=user, action="document_publish", object_type="document", object_id=document.pk,
                         round=document.round,
                         before={"published": document.published, "units_published": document.units_published},
                         after={"kind": document.get_kind_display(), "format": document.format, "audience": audience,
                                **_template_audit(document)})
    document.refresh_from_db()
    return document


def reader_file(*, user, document: Document) -> Path:
    """The file this reader downloads (policy.can_download already checked). The office: the document as made.
    Anyone else reading a 评估报告: a version made for them on first request and kept beside it, from the same
    results and template, with the notes they may not read taken out and, for a unit, every other unit's name
    replaced by its code (the reader's own stays)."""
    if policy.policy.can_manage(user) or document.kind != DocumentKind.FULL:
        return document_file(document)
    from govassess.web.accounts.selectors import user_unit_id
    from govassess.web.organisation.models import Unit

    unit = Unit.objects.filter(pk=user_unit_id(user=user)).first() if policy.reader_is_unit(user) else None
    key = unit.code if unit is not None else "leader"
    target = documents_dir() / str(document.round_id) / f"{document.pk}-{key}.{document.format}"
    if target.is_file():
        return target
    if document.format == "pdf":
        from govassess.reports.typeset import require_fonts

        require_fonts()
    rnd = document.round
    run = selectors.latest_run(rnd)
    if run is None or not run.results:
        raise UserError(f"轮次「{rnd.name}」尚无评分结果")
    results = selectors.redact(run.results, selectors.withheld_notes_round(user=user, round=rnd))
    if unit is not None and selectors.unit_result(results, unit.code) is None:
        raise UserError(f"轮次「{rnd.name}」的评分结果中没有单位 {unit.code}")
    model = report_model(rnd, results=results, anonymise=unit is not None,
                         reader=unit.code if unit is not None else None)
    target.parent.mkdir(parents=True, exist_ok=True)
    render(model, document.kind, document.format, target, template=document_template(document))
    return target


def scorecard_document(*, user, round: Round, unit, fmt: str) -> tuple[bytes, str]:
    """One unit's 成绩单, generated on request: (file content, download name). Other units are anonymised (the
    成绩单 names only its own unit), and notes the user may not read are taken out as on the scorecard page."""
    policy.require_scorecard_document(user, round, unit)
    if fmt not in DocumentFormat.values:
        raise UserError("成绩单格式应为 docx 或 pdf")
    if fmt == "pdf":
        from govassess.reports.typeset import require_fonts

        require_fonts()
    run = selectors.latest_run(round)
    if run is None or not run.results:
        raise UserError(f"轮次「{round.name}」尚无评分结果")
    if selectors.unit_result(run.results, unit.code) is None:
        raise UserError(f"轮次「{round.name}」的评分结果中没有单位 {unit.code}")
    results = selectors.redact(run.results, selectors.withheld_notes(user=user, round=round, unit=unit))
    model = report_model(round, results=results, anonymise=True, reader=unit.code)
    chosen = templating.scorecard_template(round)  # the round's 成绩单模板, as it reads now
    copy = {"text": chosen.text, "logo": chosen.logo_path, "name": chosen.name} if chosen is not None else None
    tpl = templating.core_template(copy["text"], copy["name"], copy["logo"]) if copy is not None else None
    with tempfile.TemporaryDirectory(prefix="govassess-card-") as tmp:
        target = Path(tmp) / f"card.{fmt}"
        render(model, "scorecard", fmt, target, unit=unit.code, template=tpl)
        data = target.read_bytes()
    audit_record(user=user, action="scorecard_document", object_type="unit", object_id=unit.code, round=round,
                 unit_code=unit.code,
                 after={"format": fmt, "template": templating.template_label(chosen),
                        "template_sha256": templating.template_hash(chosen.text, chosen.logo_sha256)
                        if chosen is not None else templating.template_hash("")})
    return data, download_name(round, f"{unit.code}-{unit.name}-成绩单", fmt)
