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
from govassess.web.documents.models import (
    LEADER_READER,
    Document,
    DocumentFormat,
    DocumentKind,
    DocumentTemplate,
    ReaderVersion,
)
from govassess.web.organisation.models import Unit
from govassess.web.rounds import selectors
from govassess.web.rounds.models import JobStatus, Round
from govassess.web.systems.selectors import system_core

log = logging.getLogger(__name__)
CRASH = "文档生成出现内部错误，请查看服务器日志。"
# 向被评估单位公开 above this many units is refused (settings GOVASSESS_REPORT_READER_MAX_UNITS). One unit's
# version is small (own pages only: 36 pages, ~5 s Word or PDF at 1,000 units; 68 pages, ~5.5 s at 3,000;
# docs/performance.md), but every unit may ask for one and each carries the whole ranking, so the worker's total
# grows with the square of the round: ~1.5 h of one worker if all 1,000 units ask. No 阳江-like round comes near.
DEFAULT_READER_MAX_UNITS = 1000


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


def render(model, kind: str, fmt: str, target: Path, *, unit: str | None = None, template=None,
           own_pages: list[str] | None = None) -> None:
    """Write one document (kind bulletin / full / scorecard) to `target` through the one output writer.
    ``own_pages`` (full only): the units whose per-unit pages are printed (None: all).

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
            write_full_report(model, tpl, out, document=document, own_pages=own_pages)


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


def _write(rel: Path, model, kind: str, fmt: str, template, **options: Any) -> int:
    """Render into documents_dir()/rel (through OutputSet: a temporary name in the same folder, renamed at the
    end, so a killed job leaves no file under the final name); the file's size."""
    target = documents_dir() / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    render(model, kind, fmt, target, template=template, **options)
    return target.stat().st_size


def _discard(files: list[Path]) -> None:
    """A failed job's whole files (the office's written, the leaders' failed): no row will name them."""
    for path in files:
        path.unlink(missing_ok=True)


def document_execute(pk: int, *, own_thread: bool = False) -> None:
    """Run one document job: the report model, the Word document or PDF, and for a 评估报告 also the leaders'
    version (so that no leader's download renders anything). The row becomes DONE, with both files, in one
    transaction after both are written: a job killed before leaves files no row names, which nobody serves."""
    close_old_connections()
    rows = Document.objects.filter(pk=pk)
    written: list[Path] = []
    try:
        doc = Document.objects.select_related("round__system").get(pk=pk)
        rows.update(status=JobStatus.RUNNING, progress=0.1, message="读取评分结果")
        model = report_model(doc.round)
        full = doc.kind == DocumentKind.FULL
        rows.update(progress=0.3 if not full else 0.2, message="生成 PDF" if doc.format == "pdf" else "生成 Word 文档")
        template = document_template(doc)
        rel = Path(str(doc.round.pk)) / f"{uuid.uuid4().hex}.{doc.format}"
        written.append(documents_dir() / rel)
        size = _write(rel, model, doc.kind, doc.format, template)
        leader: tuple[Path, int] | None = None
        if full:
            rows.update(progress=0.6, message="生成领导版本")
            leader_rel = Path(str(doc.round.pk)) / f"{uuid.uuid4().hex}-{LEADER_READER}.{doc.format}"
            written.append(documents_dir() / leader_rel)
            leader = (leader_rel, _write(leader_rel, reader_model(doc.round, None), doc.kind, doc.format, template))
        with transaction.atomic():
            now = timezone.now()
            rows.update(status=JobStatus.DONE, progress=1.0, message="完成", file_path=str(rel), size=size,
                        finished_at=now)
            if leader is not None:
                ReaderVersion.objects.update_or_create(
                    document=doc, reader=LEADER_READER,
                    defaults={"status": JobStatus.DONE, "progress": 1.0, "message": "完成", "file_path": str(leader[0]),
                              "size": leader[1], "finished_at": now})
    except UserError as err:
        _discard(written)
        rows.update(status=JobStatus.FAILED, message=str(err)[:4000], finished_at=timezone.now())
    except Exception:  # a failed job must be visible, not a silent dead thread
        _discard(written)
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
    if to_units:
        _check_reader_limit(document.round)  # before anything changes
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


# ---- readers' versions of a published 评估报告 ----------------------------------------------------------------

def reader_max_units() -> int:
    return int(getattr(settings, "GOVASSESS_REPORT_READER_MAX_UNITS", DEFAULT_READER_MAX_UNITS))


def _check_reader_limit(round: Round) -> None:
    """向被评估单位公开 (and each unit's version) only up to the operator's limit of units: every unit's version
    has the whole ranking, so one build grows with the round, and every unit may ask for one."""
    run = selectors.latest_run(round)
    count = len((run.results or {}).get("units") or []) if run is not None else 0
    limit = reader_max_units()
    if count > limit:
        raise UserError(f"本轮共有 {count} 个被评估单位，超过评估报告向被评估单位公开的上限 {limit} 个"
                        f"（运维设置 GOVASSESS_REPORT_READER_MAX_UNITS）：评估报告不能向被评估单位公开。"
                        f"请发布通报，各单位下载本单位的成绩单——这两份文档就是给各单位的。")


def reader_model(round: Round, unit: Unit | None):
    """The report model of a reader's version: the notes this reader may not read taken out; for a unit, every
    other unit's name replaced by its code (its own stays)."""
    run = selectors.latest_run(round)
    if run is None or not run.results:
        raise UserError(f"轮次「{round.name}」尚无评分结果")
    if unit is not None and selectors.unit_result(run.results, unit.code) is None:
        raise UserError(f"轮次「{round.name}」的评分结果中没有单位 {unit.code}")
    results = selectors.redact(run.results, selectors.withheld_notes_reader(round=round, unit=unit))
    return report_model(round, results=results, anonymise=unit is not None,
                        reader=unit.code if unit is not None else None)


def reader_key(user) -> tuple[str, Unit | None]:
    """Whose version this (non-office) reader of a 评估报告 gets: ("leader", None) or (unit code, unit)."""
    from govassess.web.accounts.selectors import user_unit_id

    unit = Unit.objects.filter(pk=user_unit_id(user=user)).first() if policy.reader_is_unit(user) else None
    return (unit.code, unit) if unit is not None else (LEADER_READER, None)


def reader_file(*, user, document: Document) -> Path | ReaderVersion:
    """What this reader downloads (policy.can_download already checked); never renders anything. The office
    and every 通报: the document as made. A leader or a unit reading a 评估报告: its version's file when built;
    else the version row (queued, running or failed), its build started here if there was none — the view
    then shows the 正在生成 page. Started by the first reader who asks, not for every unit at 向被评估单位公开:
    most units may never download the report, and each build is a whole ranking long."""
    if policy.policy.can_manage(user) or document.kind != DocumentKind.FULL:
        return document_file(document)
    key, unit = reader_key(user)
    version = ReaderVersion.objects.filter(document=document, reader=key).first()
    if version is not None and version.status == JobStatus.DONE:
        path = documents_dir() / version.file_path
        if path.is_file():
            return path
        # The file went (a restore without the documents folder): build it again rather than fail forever.
        ReaderVersion.objects.filter(pk=version.pk, status=JobStatus.DONE).update(
            status=JobStatus.FAILED, message="文件已不存在")
        return reader_version_retry(user=user, document=document)
    if version is None:
        return reader_version_start(document=document, key=key, unit=unit)
    if version.status == JobStatus.RUNNING:
        from govassess.web.jobs import jobs_recover

        # A build whose process died (kill -9, a restart) would otherwise show 正在生成 forever.
        if jobs_recover(kinds=("reader",)):
            version.refresh_from_db()
    return version


def _check_reader_start(document: Document, unit: Unit | None) -> None:
    """Refused at once, as a message, not as a failed build."""
    if unit is not None:
        _check_reader_limit(document.round)
    if document.format == "pdf":
        from govassess.reports.typeset import require_fonts

        require_fonts()
    run = selectors.latest_run(document.round)
    if run is None or not run.results:
        raise UserError(f"轮次「{document.round.name}」尚无评分结果")
    if unit is not None and selectors.unit_result(run.results, unit.code) is None:
        raise UserError(f"轮次「{document.round.name}」的评分结果中没有单位 {unit.code}")


def reader_version_start(*, document: Document, key: str, unit: Unit | None, background: bool = True) -> ReaderVersion:
    """Queue the build of one reader's version unless one exists (the unique row: two clicks, one build).
    System work, not a user's change: no audit entry (the publication and each download are audited)."""
    from govassess.web.jobs import job_submit

    _check_reader_start(document, unit)
    version, created = ReaderVersion.objects.get_or_create(document=document, reader=key,
                                                           defaults={"unit": unit})
    if created:
        job_submit("reader", version.pk, background)
        version.refresh_from_db()
    return version


def reader_version_retry(*, user, document: Document, background: bool = True) -> ReaderVersion:
    """A failed build of this reader's version queued again (only from FAILED: a second click finds it queued)."""
    from govassess.web.jobs import job_submit

    key, unit = reader_key(user)
    version = ReaderVersion.objects.filter(document=document, reader=key).first()
    if version is None:
        return reader_version_start(document=document, key=key, unit=unit, background=background)
    if version.status != JobStatus.FAILED:
        return version
    _check_reader_start(document, unit)
    again = ReaderVersion.objects.filter(pk=version.pk, status=JobStatus.FAILED).update(
        status=JobStatus.QUEUED, progress=0, message="", file_path="", size=0, finished_at=None,
        heartbeat_at=None, created_at=timezone.now())
    if again == 1:
        job_submit("reader", version.pk, background)
    version.refresh_from_db()
    return version


def reader_version_execute(pk: int, *, own_thread: bool = False) -> None:
    """Build one reader's version (a job of kind "reader"): the reader's model, the 评估报告 with, for a unit,
    only its own per-unit pages. It changes no round data, so a locked round allows it. The file goes to a
    temporary name first (OutputSet) and the row names it only once it is whole."""
    close_old_connections()
    rows = ReaderVersion.objects.filter(pk=pk)
    written: list[Path] = []
    try:
        version = ReaderVersion.objects.select_related("document__round__system", "unit").get(pk=pk)
        doc = version.document
        rows.update(status=JobStatus.RUNNING, progress=0.1, message="读取评分结果")
        model = reader_model(doc.round, version.unit)
        rows.update(progress=0.3, message="生成本单位版本" if version.unit is not None else "生成领导版本")
        rel = Path(str(doc.round_id)) / f"{uuid.uuid4().hex}-{version.reader}.{doc.format}"
        written.append(documents_dir() / rel)
        own = [version.unit.code] if version.unit is not None else None
        size = _write(rel, model, doc.kind, doc.format, document_template(doc), own_pages=own)
        rows.update(status=JobStatus.DONE, progress=1.0, message="完成", file_path=str(rel), size=size,
                    finished_at=timezone.now())
    except UserError as err:
        _discard(written)
        rows.update(status=JobStatus.FAILED, message=str(err)[:4000], finished_at=timezone.now())
    except Exception:
        _discard(written)
        log.exception("reader version %s failed", pk)
        rows.update(status=JobStatus.FAILED, message=CRASH, finished_at=timezone.now())
    finally:
        if own_thread:
            connection.close()
        else:
            close_old_connections()


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
