"""The fill-in workbook for a form: one sheet per sub-table, frozen header, notes, drop-downs, number formats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from govassess.forms.model import Field, Form
from govassess.outputs import save_workbook

TEMPLATE_ROWS = 1000  # rows that carry drop-downs and formats; more rows can be added by copying
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FONT = Font(bold=True, color="C00000")
_FONT = Font(bold=True)


def _number_format(f: Field) -> str | None:
    if f.type == "number" and f.decimals is not None:
        return "0." + "0" * f.decimals if f.decimals else "0"
    if f.type in ("integer", "year"):
        return "0"
    if f.type == "date":
        return "yyyy-mm-dd"
    if f.type in ("text", "credit_code", "uscc", "org_code", "id_card", "phone"):
        return "@"  # keeps codes and phone numbers as typed (no 9.1E+17, no lost leading 0)
    return None


def _comment(f: Field, form: Form) -> str:
    parts = []
    if f.required:
        parts.append("必填。")
    if f.note:
        parts.append(f.note.replace("调查截止日", form.cutoff.isoformat()))
    if f.type == "choice":
        parts.append("下拉选择：" + "、".join(f.options))
    if f.unit:
        parts.append(f"单位：{f.unit}" + (f"，保留{f.decimals}位小数" if f.decimals else "") + "。")
    if f.type == "date":
        parts.append("格式：2015-10-15。")
    if f.max == "cutoff":
        parts.append(f"不晚于 {form.cutoff.isoformat()}。")
    return "".join(parts) or f.name


def _validation(f: Field, form: Form) -> DataValidation | None:
    if f.type == "choice":
        formula = '"' + ",".join(f.options) + '"'
        if len(formula) <= 255:
            dv = DataValidation(type="list", formula1=formula, allow_blank=not f.required)
            dv.error = "请从下拉菜单中选择：" + "、".join(f.options)
            dv.errorTitle = f.name
            dv.showErrorMessage = True
            return dv
        return None
    if f.type in ("number", "integer") and f.min is not None:
        dv = DataValidation(
            type="decimal" if f.type == "number" else "whole",
            operator="greaterThanOrEqual",
            formula1=str(f.min),
            allow_blank=True,
        )
        dv.error = f"{f.name}应填写不小于 {f.min:g} 的{'数字' if f.type == 'number' else '整数'}"
        dv.showErrorMessage = True
        return dv
    if f.type == "date":
        dv = DataValidation(
            type="date",
            operator="lessThanOrEqual",
            formula1=f"DATE({form.cutoff.year},{form.cutoff.month},{form.cutoff.day})"
            if f.max == "cutoff"
            else "DATE(2100,12,31)",
            allow_blank=True,
        )
        dv.error = "日期格式应为 2015-10-15" + (
            f"，且不晚于 {form.cutoff.isoformat()}" if f.max == "cutoff" else ""
        )
        dv.showErrorMessage = True
        return dv
    return None


def write_template(
    form: Form, path: str | Path, *, prefill: dict[str, list[dict[str, Any]]] | None = None
) -> Path:
    """Write the survey workbook. ``prefill`` (sheet id → rows) pre-fills rows, e.g. 一表通 unit master data."""
    wb = Workbook()
    intro = wb.active
    intro.title = "填表说明"
    lines = [
        form.name,
        f"调查截止日期：{form.cutoff.isoformat()}",
        "带 * 的列为必填项；下拉列请从菜单中选择。",
    ]
    if form.description:
        lines.append(form.description)
    for s in form.sheets:
        lines.append(f"{s.name}：{s.note or ''}")
    for i, line in enumerate(lines, 1):
        intro.cell(row=i, column=1, value=line).alignment = Alignment(wrap_text=True)
    intro.column_dimensions["A"].width = 120
    for sheet in form.sheets:
        ws = wb.create_sheet(sheet.name)
        for c, f in enumerate(sheet.fields, 1):
            cell = ws.cell(row=1, column=c, value=f.header)
            cell.font = _REQUIRED_FONT if f.required else _FONT
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            comment = Comment(_comment(f, form), "govassess")
            comment.width, comment.height = 300, 160
            cell.comment = comment
            letter = get_column_letter(c)
            ws.column_dimensions[letter].width = max(10, min(30, len(f.header) * 2 + 2))
            number_format = _number_format(f)
            rows = (prefill or {}).get(sheet.id, [])
            last = max(TEMPLATE_ROWS, len(rows)) + 1
            if number_format:
                # The column's own format (what Excel and WPS write for "format the whole column"): a cell
                # typed into it takes the format, without 1,000 empty styled cells per column to write and read.
                ws.column_dimensions[letter].number_format = number_format
            dv = _validation(f, form)
            if dv is not None:
                ws.add_data_validation(dv)
                dv.add(f"{letter}2:{letter}{last}")
            for r, row in enumerate(rows, 2):
                if row.get(f.name) is not None:
                    cell = ws.cell(row=r, column=c, value=row[f.name])
                    if number_format:  # a cell that exists keeps its own format, not the column's
                        cell.number_format = number_format
        ws.freeze_panes = "A2"
        ws.row_dimensions[1].height = 36
    path = Path(path)
    save_workbook(wb, path)  # prefilled master data such as "=…" stays text; atomicity is the caller's
    return path
