"""The office's 文档模板: the YAML wording of the core's documents (govassess.reports.template) and a logo,
checked by the core loader before anything is stored, audited with before/after. The built-in 默认模板 is no
row: a document or a round without a template uses the core's defaults."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction

from govassess.errors import UserError
from govassess.reports.template import ReportTemplate, load_template, template_from_text
from govassess.web.audit.services import audit_record
from govassess.web.documents import policy
from govassess.web.documents.models import (
    DEFAULT_TEMPLATE_NAME,
    Document,
    DocumentTemplate,
    RoundDocumentSettings,
)
from govassess.web.rounds.models import JobStatus, Round

LOGO_TYPES = {".png": (b"\x89PNG\r\n\x1a\n",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",)}
TEXT_MAX_BYTES = 256 * 1024  # the default template is about 3 KB


def logo_max_bytes() -> int:
    return int(settings.DOCUMENT_LOGO_MAX_BYTES)


def _root() -> Path:
    from govassess.web.documents.services import documents_dir

    return documents_dir()


def stored_path(rel: str) -> Path:
    """A file under the documents folder; a stored name that leads outside it is refused, never opened."""
    root = _root().resolve()
    path = (root / rel).resolve()
    if root not in path.parents:
        raise UserError("非法的文件路径")
    return path


def template_hash(text: str, logo_sha256: str = "") -> str:
    return hashlib.sha256(text.encode("utf-8") + b"\0" + logo_sha256.encode("ascii")).hexdigest()


def template_label(template: DocumentTemplate | None) -> str:
    return template.name if template is not None else DEFAULT_TEMPLATE_NAME


def core_template(text: str, name: str, logo_rel: str = "") -> ReportTemplate:
    """The core's template of a stored text and logo (the defaults when both are empty)."""
    if not text.strip() and not logo_rel:
        return load_template(None)
    return template_from_text(text, name=f"模板「{name}」", logo=stored_path(logo_rel) if logo_rel else None)


def read_text_upload(upload) -> str:
    """An uploaded .yaml / .yml file as text (UTF-8; GBK is named as such)."""
    from govassess.safe_yaml import decode

    name = Path(upload.name or "").name
    if Path(name).suffix.lower() not in (".yaml", ".yml"):
        raise UserError(f"文件「{name}」不是 YAML 文件：请上传 .yaml 或 .yml 文件", field="模板文件")
    if upload.size > TEXT_MAX_BYTES:
        raise UserError(f"文件「{name}」超过大小上限 {TEXT_MAX_BYTES // 1024} KB", field="模板文件")
    return decode(upload.read(), file=name)


def _check_logo(upload) -> tuple[str, str]:
    """(original name, stored extension) of an uploaded logo: PNG or JPEG by its content, within the size
    limit, and an image python-docx (the writer that embeds it) can read."""
    from docx.image.image import Image

    name = Path(upload.name or "").name
    if upload.size == 0:
        raise UserError(f"文件「{name}」是空文件", field="标志图片")
    if upload.size > logo_max_bytes():
        raise UserError(f"标志图片「{name}」超过大小上限 {logo_max_bytes() / 1024 / 1024:g} MB", field="标志图片")
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    ext = next((e for e, magics in LOGO_TYPES.items() if any(data.startswith(m) for m in magics)), None)
    if ext is None:
        raise UserError(f"标志图片「{name}」应为 PNG 或 JPEG 图片（按文件内容判断）", field="标志图片")
    try:
        Image.from_blob(data)
    except Exception:  # python-docx raises several kinds for a damaged header
        raise UserError(f"标志图片「{name}」已损坏，无法读取", field="标志图片") from None
    return name, ".jpg" if ext == ".jpeg" else ext


def _name(name: str, instance: DocumentTemplate | None) -> str:
    name = (name or "").strip()
    if not name:
        raise UserError("请填写模板名称", field="模板名称")
    if len(name) > 100:
        raise UserError("模板名称最长 100 个字", field="模板名称")
    if name == DEFAULT_TEMPLATE_NAME:
        raise UserError(f"「{DEFAULT_TEMPLATE_NAME}」是内置模板的名称，请另取一个名称", field="模板名称")
    same = DocumentTemplate.objects.filter(name=name)
    if instance is not None:
        same = same.exclude(pk=instance.pk)
    if same.exists():
        raise UserError(f"已有名为「{name}」的模板", field="模板名称")
    return name


def _snapshot(t: DocumentTemplate) -> dict:
    return {"name": t.name, "template_text": t.text, "logo": t.logo_name, "logo_sha256": t.logo_sha256,
            "sha256": template_hash(t.text, t.logo_sha256)}


def template_save(*, user, instance: DocumentTemplate | None, name: str, text: str, logo=None,
                  remove_logo: bool = False) -> DocumentTemplate:
    """Create (instance None) or change a template. The text (and the new logo) are checked by the core loader
    first; on any error nothing is stored and no file is left."""
    policy.require_office(user)
    name = _name(name, instance)
    text = text or ""
    if len(text.encode("utf-8")) > TEXT_MAX_BYTES:
        raise UserError(f"模板文字超过大小上限 {TEXT_MAX_BYTES // 1024} KB", field="模板文字")
    checked = _check_logo(logo) if logo is not None else None
    root = _root()
    folder = root / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    from govassess.web.rounds.services import sweep_upload_leftovers

    # What a killed logo upload left (a .part file, or a renamed logo whose row never committed).
    sweep_upload_leftovers(folder, {Path(p).name for p in DocumentTemplate.objects.exclude(logo_path="")
                                    .values_list("logo_path", flat=True)})
    part = final = None
    digest = ""
    if checked is not None:
        rel = Path("templates") / f"{uuid.uuid4().hex}{checked[1]}"
        final = root / rel
        # As evidence uploads: the bytes under a .part name, renamed only as the last step of the transaction.
        part = final.with_name(f".{final.name}.part")
        h = hashlib.sha256()
        with open(part, "wb") as out:
            for chunk in logo.chunks():
                h.update(chunk)
                out.write(chunk)
        digest = h.hexdigest()
    try:
        # The core's checks, with the logo the template will have (the new one, the old one, or none).
        if part is not None:
            logo_path: Path | None = part
        elif instance is not None and instance.logo_path and not remove_logo:
            logo_path = stored_path(instance.logo_path)
        else:
            logo_path = None
        template_from_text(text, name=f"模板「{name}」", logo=logo_path)
        old_logo = instance.logo_path if instance is not None else ""
        with transaction.atomic():
            before = _snapshot(instance) if instance is not None else None
            t = instance if instance is not None else DocumentTemplate(created_by=user)
            if instance is not None:
                t = DocumentTemplate.objects.select_for_update().get(pk=instance.pk)
            t.name, t.text, t.updated_by = name, text, user
            if checked is not None and final is not None:
                t.logo_path, t.logo_name, t.logo_sha256 = str(final.relative_to(root)), checked[0][:255], digest
            elif remove_logo:
                t.logo_path = t.logo_name = t.logo_sha256 = ""
            try:
                with transaction.atomic():
                    t.save()
            except IntegrityError:  # the same name saved by someone else a moment ago
                raise UserError(f"已有名为「{name}」的模板", field="模板名称") from None
            audit_record(user=user, action="document_template_update" if instance is not None else "document_template_create",
                         object_type="document_template", object_id=t.pk, before=before, after=_snapshot(t))
            if part is not None and final is not None:
                part.replace(final)
    except BaseException:
        if part is not None:
            part.unlink(missing_ok=True)
        if final is not None:
            final.unlink(missing_ok=True)
        raise
    # Documents keep their own copy of the logo (document_start), so the replaced file is no one's.
    if old_logo and old_logo != t.logo_path:
        stored_path(old_logo).unlink(missing_ok=True)
    return t


def _users_of(t: DocumentTemplate) -> list[str]:
    problems = []
    active = Document.objects.filter(template=t, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).select_related("round")
    for d in active:
        problems.append(f"轮次「{d.round.name}」的{d.get_kind_display()}正在用该模板生成")
    for s in RoundDocumentSettings.objects.filter(scorecard_template=t).select_related("round"):
        problems.append(f"轮次「{s.round.name}」的成绩单模板是该模板")
    return problems


def template_delete(*, user, template: DocumentTemplate) -> None:
    """Delete a template no queued / running document and no round's 成绩单 uses. Finished documents keep the
    name, the text and the logo they were made with."""
    policy.require_office(user)
    with transaction.atomic():
        t = DocumentTemplate.objects.select_for_update().get(pk=template.pk)
        users = _users_of(t)
        if users:
            raise UserError(f"模板「{t.name}」正在使用，不能删除：{'；'.join(users)}", field="模板")
        before = _snapshot(t)
        logo = t.logo_path
        t.delete()
        audit_record(user=user, action="document_template_delete", object_type="document_template",
                     object_id=template.pk, before=before)
    if logo:
        transaction.on_commit(lambda: stored_path(logo).unlink(missing_ok=True))


def copy_for_document(template: DocumentTemplate | None, round: Round) -> dict:
    """The fields a Document keeps of its template: name, text, hash and its own copy of the logo."""
    if template is None:
        return {"template": None, "template_name": DEFAULT_TEMPLATE_NAME, "template_text": "",
                "template_logo": "", "template_sha256": template_hash("")}
    logo = ""
    if template.logo_path:
        source = stored_path(template.logo_path)
        rel = Path(str(round.pk)) / f"logo-{uuid.uuid4().hex}{source.suffix}"
        (_root() / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, _root() / rel)
        logo = str(rel)
    return {"template": template, "template_name": template.name, "template_text": template.text,
            "template_logo": logo, "template_sha256": template_hash(template.text, template.logo_sha256)}


def get_template_choice(value: str | None) -> DocumentTemplate | None:
    """A template chosen in a form: "" is the built-in 默认模板."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return DocumentTemplate.objects.get(pk=int(value))
    except (ValueError, DocumentTemplate.DoesNotExist):
        raise UserError("所选模板不存在，请刷新页面后重新选择", field="模板") from None


def scorecard_template(round: Round) -> DocumentTemplate | None:
    s = RoundDocumentSettings.objects.filter(round=round).select_related("scorecard_template").first()
    return s.scorecard_template if s is not None else None


def scorecard_template_set(*, user, round: Round, template: DocumentTemplate | None) -> None:
    """The office sets the round's 成绩单模板 (presentation only: allowed on a final round, audited)."""
    policy.require_office(user)
    with transaction.atomic():
        s, _ = RoundDocumentSettings.objects.select_for_update().get_or_create(round=round)
        before = template_label(s.scorecard_template)
        s.scorecard_template = template
        s.save()
        audit_record(user=user, action="document_scorecard_template", object_type="round", object_id=round.pk,
                     round=round, before={"scorecard_template": before},
                     after={"scorecard_template": template_label(template)})
