"""Excel in and out, always through the core: templates by `write_template`, imports by `read_inputs`,
results workbooks by `write_results_workbook`. This module only adapts files to HTTP."""

from __future__ import annotations

import tempfile
from pathlib import Path

from govassess.errors import UserError
from govassess.outputs import save_workbook
from govassess.web.organisation.selectors import units_frame
from govassess.web.rounds.models import Round
from govassess.web.systems.selectors import system_core

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_bytes(*, round: Round, units, values: list[dict] | None = None) -> bytes:
    """The core's data-entry workbook for these units, pre-filled with `values` (rows of stored inputs)."""
    from govassess.data import inputs_from_rows
    from govassess.data.template import write_template

    core = system_core(round.system)
    frame = units_frame(units)
    inputs = inputs_from_rows(core, frame, values, source="平台已存数据") if values else None
    with tempfile.TemporaryDirectory(prefix="govassess-tpl-") as tmp:
        path = Path(tmp) / "template.xlsx"
        write_template(core, frame, path, inputs=inputs)
        return path.read_bytes()


def read_upload(*, round: Round, units, upload):
    """Parse an uploaded XLSX/CSV with the core; a located UserError (sheet/row/column) comes out as is."""
    from govassess.data import read_inputs
    from govassess.errors import shown_as

    name = Path(upload.name or "upload.xlsx").name
    suffix = Path(name).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise UserError(f"文件「{name}」不是 Excel（.xlsx）或 CSV 文件。", file=name)
    with tempfile.TemporaryDirectory(prefix="govassess-up-") as tmp:
        path = Path(tmp) / name
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        with shown_as(path, name):
            return read_inputs(path, system_core(round.system), units_frame(units))


def results_workbook_bytes(*, results: dict) -> bytes:
    from govassess.reports.workbook import write_results_workbook

    with tempfile.TemporaryDirectory(prefix="govassess-res-") as tmp:
        path = Path(tmp) / "results.xlsx"
        write_results_workbook(results, path)
        return path.read_bytes()


def completeness_workbook_bytes(*, rows) -> bytes:
    """The completeness table as shown on the page (one row per unit, missing inputs listed)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "完成度"
    ws.append(["单位编码", "单位名称", "类别", "报送状态", "已填", "应填", "完成度(%)", "缺少的输入"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for c in rows:
        missing = "；".join(f"{f.indicator}·{f.label}" for f in c.missing)
        ws.append(
            [
                c.unit.code,
                c.unit.name,
                c.unit.unit_class,
                c.status_label,
                c.filled,
                c.total,
                c.percent,
                missing,
            ]
        )
    for col, width in zip("ABCDEFGH", (10, 28, 12, 10, 8, 8, 10, 80)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    save_workbook(wb, buf)  # unit names, notes in before/after: text, never a formula
    return buf.getvalue()


def audit_workbook_bytes(*, entries) -> bytes:
    """The audit log as filtered on the page, as the page shows it (audit.display): Beijing time, actor,
    address, action, object, unit and indicator with names, before → after as readable values."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from govassess.web.audit.display import audit_rows

    wb = Workbook()
    ws = wb.active
    ws.title = "审计日志"
    ws.append(
        ["时间（北京时间）", "操作人", "来源地址", "操作", "对象", "评估对象", "指标", "修改前", "修改后"]
    )
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in audit_rows(entries):
        ws.append([r.at, r.actor, r.ip, r.action, r.target, r.unit, r.indicator, r.before_text, r.after_text])
    for col, width in zip("ABCDEFGHI", (20, 18, 16, 18, 14, 24, 16, 40, 40), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2, min_col=8, max_col=9):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws.page_setup.orientation = "landscape"
    ws.print_title_rows = "1:1"
    buf = io.BytesIO()
    save_workbook(wb, buf)  # unit names, notes in before/after: text, never a formula
    return buf.getvalue()
