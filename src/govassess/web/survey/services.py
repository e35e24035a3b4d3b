"""Write side of the survey campaigns. Keyword-only, permission checks inside, audit entry in the same
transaction. Workbooks are validated by the core (`govassess.forms.services.survey_validate`), all-or-nothing."""

from __future__ import annotations

import hashlib
import io
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from govassess.errors import Problem, UserError
from govassess.forms.model import list_forms
from govassess.forms.services import survey_validate
from govassess.outputs import seal_sheet
from govassess.web.audit.services import audit_record
from govassess.web.survey import policy
from govassess.web.survey.models import Campaign, CampaignExtension, Response, ResponseStatus


def campaign_create(
    *, user, name: str, cutoff: date, deadline: datetime, form_id: str = "info-system-survey"
):
    policy.require_office(user)
    if form_id not in {fid for fid, _ in list_forms()}:
        raise UserError(f"没有表单「{form_id}」", field="表单")
    if not name.strip():
        raise UserError("请填写普查名称", field="名称")
    with transaction.atomic():
        c = Campaign.objects.create(name=name.strip(), form_id=form_id, cutoff=cutoff, deadline=deadline)
        audit_record(
            user=user,
            action="survey_create",
            object_type="survey",
            object_id=c.pk,
            after={
                "name": c.name,
                "form": form_id,
                "cutoff": cutoff.isoformat(),
                "deadline": deadline.isoformat(),
            },
        )
    return c


def extension_set(
    *, user, campaign: Campaign, unit, deadline: datetime, reason: str = ""
) -> CampaignExtension:
    policy.require_office(user)
    with transaction.atomic():
        ext = CampaignExtension.objects.filter(campaign=campaign, unit=unit).first()
        before = ext.deadline.isoformat() if ext else None
        ext, _ = CampaignExtension.objects.update_or_create(
            campaign=campaign, unit=unit, defaults={"deadline": deadline, "reason": reason}
        )
        audit_record(
            user=user,
            action="survey_extension",
            object_type="survey",
            object_id=campaign.pk,
            unit_code=unit.code,
            before={"deadline": before},
            after={"deadline": deadline.isoformat(), "reason": reason},
        )
    return ext


def response_upload(*, user, campaign: Campaign, unit, upload) -> Response:
    """Validate an uploaded workbook and make it the unit's current survey. Any problem → UserError listing
    every located problem, and the stored survey stays exactly as it was."""
    policy.require_unit(user, unit)
    policy.require_open(campaign, unit)
    name = getattr(upload, "name", None) or "调查表.xlsx"
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise UserError(f"文件过大（上限 {settings.EVIDENCE_MAX_BYTES // 1024 // 1024} MB）", file=name)
    content = upload.read()
    data = survey_validate(io.BytesIO(content), form=campaign.form_id, cutoff=campaign.cutoff, filename=name)
    sep = data.form.separate_by
    if sep is not None and sep.offline is not None and data.classification == sep.offline:
        raise UserError(
            f"本文件含有{sep.offline}的信息系统或网络（{sep.field}），{sep.offline}内容不得通过本平台上传；"
            f"{sep.message or '请分开填报'}，请按保密规定离线报送，本平台只接收其余部分",
            file=name,
        )
    names = [r.get("单位名称") for r in data.rows("units")]
    if unit.name not in names:
        sheet = data.sheets["units"].sheet.name if "units" in data.sheets else "单位基本情况"
        raise UserError(
            problems=[
                Problem(
                    f"单位基本情况中没有本单位「{unit.name}」（单位名称须与一表通登记的一致；请使用下载的预填模板）",
                    file=name,
                    sheet=sheet,
                    column="单位名称",
                )
            ]
        )
    counts = {sid: len(sd.rows) for sid, sd in data.sheets.items()}
    with transaction.atomic():
        resp = Response.objects.select_for_update().filter(campaign=campaign, unit=unit).first()
        before = {"filename": resp.filename, "status": resp.status, "counts": resp.counts} if resp else None
        if resp is None:
            resp = Response(campaign=campaign, unit=unit)
        resp.filename = name[:200]
        resp.workbook = content
        resp.sha256 = hashlib.sha256(content).hexdigest()
        resp.counts = counts
        resp.warnings = list(data.warnings)[:100]
        resp.status = ResponseStatus.UPLOADED
        resp.submitted_at = None
        resp.uploaded_by = user
        resp.save()
        audit_record(
            user=user,
            action="survey_upload",
            object_type="survey",
            object_id=campaign.pk,
            unit_code=unit.code,
            before=before,
            after={"filename": resp.filename, "sha256": resp.sha256, "counts": counts},
        )
    return resp


def response_submit(*, user, campaign: Campaign, unit) -> Response:
    policy.require_unit(user, unit)
    policy.require_open(campaign, unit)
    with transaction.atomic():
        resp = Response.objects.select_for_update().filter(campaign=campaign, unit=unit).first()
        if resp is None:
            raise UserError("尚未上传调查表，请先下载模板填写后上传。")
        if resp.status == ResponseStatus.SUBMITTED:
            raise UserError("本单位调查表已提交。")
        resp.status = ResponseStatus.SUBMITTED
        resp.submitted_at = timezone.now()
        resp.save(update_fields=["status", "submitted_at"])
        audit_record(
            user=user,
            action="survey_submit",
            object_type="survey",
            object_id=campaign.pk,
            unit_code=unit.code,
            before={"status": ResponseStatus.UPLOADED},
            after={"status": ResponseStatus.SUBMITTED},
        )
    return resp


class _Upload:
    """The minimal upload interface `response_upload` reads (name, size, read)."""

    def __init__(self, name: str, content: bytes):
        self.name, self._content, self.size = name, content, len(content)

    def read(self) -> bytes:
        return self._content


def response_save_systems(*, user, campaign: Campaign, unit, rows: list[dict]) -> Response:
    """The online table editor: the 政务信息系统基本情况表 rows typed in the browser replace that sheet of the
    unit's workbook (the stored one, or the pre-filled template), and the whole workbook then goes through the
    same validation as an upload — all-or-nothing. Row N of `rows` is Excel row N + 2 in problems."""
    from openpyxl import load_workbook

    from govassess.forms.model import load_form
    from govassess.web.survey.selectors import template_bytes

    policy.require_unit(user, unit)
    policy.require_open(campaign, unit)
    sheet = load_form(campaign.form_id).sheet("systems")
    stored = Response.objects.filter(campaign=campaign, unit=unit).first()
    base = bytes(stored.workbook) if stored else template_bytes(campaign=campaign, unit=unit)
    wb = load_workbook(io.BytesIO(base))
    index = wb.sheetnames.index(sheet.name) if sheet.name in wb.sheetnames else len(wb.sheetnames)
    if sheet.name in wb.sheetnames:
        del wb[sheet.name]
    ws = wb.create_sheet(sheet.name, index)
    ws.append([f.header for f in sheet.fields])
    for row in rows:
        ws.append([_cell(f, row.get(f.name)) for f in sheet.fields])
    ws.freeze_panes = "A2"
    # What the unit typed online is text ("=…" included); the rest of its stored workbook is left as uploaded.
    seal_sheet(ws)
    out = io.BytesIO()
    wb.save(out)
    return response_upload(
        user=user, campaign=campaign, unit=unit, upload=_Upload("在线填报.xlsx", out.getvalue())
    )


def _cell(field, value):
    """Browser text → cell value: numbers as numbers (the core also reads numeric text), everything else as typed."""
    text = (value or "").strip()
    if not text:
        return None
    if field.type in ("number", "integer", "year"):
        try:
            number = float(text)
        except ValueError:
            return text  # left for the core to report with its own message
        return int(number) if number.is_integer() and field.type != "number" else number
    return text


def usage_upload(*, user, campaign: Campaign, upload) -> int:
    """The office's usage figures (CSV or XLSX, one row per system, keyed by 部门全称 + 信息系统名称), checked by
    the core's `read_usage`; replaces the previous file. Returns the number of systems."""
    import tempfile
    from pathlib import Path

    from govassess.forms.services import read_usage

    policy.require_office(user)
    name = getattr(upload, "name", None) or "使用情况.csv"
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xls", ".ods"):
        raise UserError("使用情况数据应为 CSV 或 Excel 文件", file=name)
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise UserError(f"文件过大（上限 {settings.EVIDENCE_MAX_BYTES // 1024 // 1024} MB）", file=name)
    content = upload.read()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"usage{suffix}"
        path.write_bytes(content)
        try:
            usage = read_usage(path)
        except UserError as err:
            # The core names the temporary file; the user knows it by the uploaded name.
            from dataclasses import replace

            raise UserError(problems=[replace(p, file=name) for p in err.problems]) from None
    with transaction.atomic():
        before = {"filename": campaign.usage_filename} if campaign.usage_filename else None
        campaign.usage, campaign.usage_filename = content, name[:200]
        campaign.save(update_fields=["usage", "usage_filename"])
        audit_record(
            user=user,
            action="survey_usage",
            object_type="survey",
            object_id=campaign.pk,
            before=before,
            after={"filename": name, "sha256": hashlib.sha256(content).hexdigest(), "systems": len(usage)},
        )
    return len(usage)


def zombie_thresholds_set(*, user, campaign: Campaign, values: dict[str, float]) -> dict[str, float]:
    """The office sets the 僵尸 screening's thresholds for a campaign; checked by the core (names, ranges)."""
    from govassess.forms.screening import load_screening_config

    policy.require_office(user)
    load_screening_config(thresholds=values)  # refuses unknown names and out-of-range values, changes nothing
    with transaction.atomic():
        before = dict(campaign.zombie_thresholds or {})
        campaign.zombie_thresholds = dict(values)
        campaign.save(update_fields=["zombie_thresholds"])
        audit_record(
            user=user,
            action="survey_thresholds",
            object_type="survey",
            object_id=campaign.pk,
            before=before or None,
            after=dict(values),
        )
    return dict(values)
