"""The computed 汇总表: one row per department, 下属单位 rolled up into their 所属部门."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from govassess.errors import UserError
from govassess.forms.model import Form
from govassess.forms.survey import SurveyData
from govassess.outputs import OutputSet, csv_cell, save_workbook

TOTAL_LABEL = "合计"


def department_map(data: SurveyData) -> dict[str, str]:
    """单位名称 → its top department (following 所属部门 upwards; a unit without one is a department)."""
    parent = {r["单位名称"]: r.get("所属部门") for r in data.rows("units") if r.get("单位名称")}
    top: dict[str, str] = {}
    for unit in parent:
        seen = {unit}
        current = unit
        while parent.get(current) and parent[current] not in seen and parent[current] in parent:
            current = parent[current]
            seen.add(current)
        top[unit] = current
    return top


def _department_of(row: dict[str, Any], sheet_id: str, top: dict[str, str]) -> str | None:
    name = row.get("单位名称") if sheet_id == "units" else row.get("部门全称")
    if name is None:
        return None
    return top.get(name, name)


def _holds(row: dict[str, Any], where: dict[str, Any]) -> bool:
    for name, expected in where.items():
        value = row.get(name)
        if isinstance(expected, list):
            if value not in expected:
                return False
        elif value != expected:
            return False
    return True


def survey_summary(datasets: list[SurveyData], *, total: bool = True) -> list[dict[str, Any]]:
    """Service: the 汇总表 rows (``{"部门": …, <column>: number}``), departments in order of first appearance,
    plus a final 合计 row. Datasets of several workbooks are merged by department name."""
    if not datasets:
        return []
    form = datasets[0].form
    _one_group(datasets)
    table: dict[str, dict[str, float]] = {}
    for data in datasets:
        top = department_map(data)
        for unit in top.values():
            table.setdefault(unit, {})
        for col in form.summary:
            for row in data.counted(col.sheet, left_out=col.excluded):
                dept = _department_of(row, col.sheet, top)
                if dept is None or not _holds(row, col.where):
                    continue
                cells = table.setdefault(dept, {})
                if col.agg == "count":
                    cells[col.name] = cells.get(col.name, 0) + 1
                else:
                    value = row.get(col.field or "")
                    if isinstance(value, (int, float)):
                        cells[col.name] = cells.get(col.name, 0) + value
    rows = []
    for dept, cells in table.items():
        line: dict[str, Any] = {"部门": dept}
        for col in form.summary:
            line[col.name] = _tidy(cells.get(col.name, 0))
        rows.append(line)
    if total and rows:
        sums: dict[str, Any] = {"部门": TOTAL_LABEL}
        for col in form.summary:
            sums[col.name] = _tidy(sum(r[col.name] for r in rows))
        rows.append(sums)
    return rows


def _one_group(datasets: list[SurveyData]) -> None:
    """涉密 and 非涉密 workbooks are summarised separately (the seed: 分开填报、分开刻盘)."""
    sep = datasets[0].form.separate_by
    groups: dict[str, list[str]] = {}
    for d in datasets:
        if d.classification is not None:
            groups.setdefault(d.classification, []).append(d.file or "（未命名文件）")
    if sep is None or len(groups) <= 1:
        return
    listed = "；".join(f"{g}：{'、'.join(files)}" for g, files in groups.items())
    raise UserError(
        f"{sep.message or '以下分组须分开汇总'}，不能放在同一份汇总表中（{listed}）。请按{'、'.join(groups)}分别汇总"
    )


def _tidy(value: float) -> float | int:
    # Sums of 2-decimal amounts pick up binary noise (0.1 + 0.2); show them as typed.
    rounded = round(value, 4)
    return int(rounded) if float(rounded).is_integer() else rounded


def summary_headers(form: Form) -> list[str]:
    return ["部门"] + [f"{c.name}（{c.unit}）" if c.unit else c.name for c in form.summary]


def write_summary_workbook(form: Form, rows: list[dict[str, Any]], path: str | Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = form.summary_name
    ws.append(summary_headers(form))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for row in rows:
        ws.append([row["部门"]] + [row[c.name] for c in form.summary])
    for c, col in enumerate(form.summary, 2):
        if col.unit == "万元":
            for r in range(2, len(rows) + 2):
                ws.cell(row=r, column=c).number_format = "0.00"
    ws.freeze_panes = "B2"
    ws.column_dimensions["A"].width = 30
    path = Path(path)
    save_workbook(wb, path)  # department names stay text; atomicity is the caller's
    return path


def export_survey(data: SurveyData, out_dir: str | Path, *, outputs: OutputSet | None = None) -> list[Path]:
    """Write a validated survey as one UTF-8 CSV per sub-table (BOM, so Excel and WPS open it) + manifest.json.

    All files appear together or none does (within ``outputs`` when given, else a set of its own)."""
    if outputs is None:
        with OutputSet() as own:
            return export_survey(data, out_dir, outputs=own)
    out = outputs.folder(out_dir, option="--out")
    written = []
    counts = {}
    for sheet in data.form.sheets:
        rows = data.rows(sheet.id)
        counts[sheet.id] = len(rows)
        path = out / f"{sheet.id}.csv"
        with outputs.file(path).open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["行号"] + [f.name for f in sheet.fields])
            for row_no, row in zip(data.sheets[sheet.id].row_numbers, rows):
                writer.writerow([row_no] + [csv_cell(_csv_value(row.get(f.name))) for f in sheet.fields])
        written.append(path)
    manifest = {
        "form": data.form.id,
        "file": data.file,
        "cutoff": data.form.cutoff.isoformat(),
        "sheets": {s.id: s.name for s in data.form.sheets},
        "rows": counts,
        "warnings": data.warnings,
    }
    outputs.file(out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    written.append(out / "manifest.json")
    return written


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
