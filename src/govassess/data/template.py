"""The data-entry workbook: one row per unit and input, drop-downs for choices, criteria beside each input.

``read_inputs`` reads it back unchanged (its Chinese headers are aliases of unit / indicator / input / value / note).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from govassess.indicators.model import IndicatorSystem
from govassess.outputs import save_workbook
from govassess.rules import BOOL, CHOICE, COUNT, PERCENT, SCORE
from govassess.scoring.engine import applicability

HEADERS = ("单位编码", "单位名称", "指标编码", "指标名称", "输入项", "填报值", "备注（理由）", "填写要求", "评分细则", "数据来源", "提供部门")
WIDTHS = (14, 24, 10, 28, 18, 14, 24, 26, 60, 12, 16)
KIND_HINT = {PERCENT: "百分数，填 97.5% 或 0.975（不带 % 按小数读，97.5 会被拒绝）", COUNT: "非负整数", BOOL: "是 / 否", SCORE: "人工评分，须在备注写明理由",
             "number": "数字"}


def write_template(system: IndicatorSystem, units: pl.DataFrame, path: str | Path, *,
                   inputs: pl.DataFrame | None = None, only_sources: set[str] | None = None) -> int:
    """Write the workbook; returns the number of input rows. Existing ``inputs`` are pre-filled."""
    if system.classes is not None:
        units = units.filter(pl.col("class").is_in(list(system.classes)))
    app = applicability(system, units)
    applicable = {(u, c) for u, c, a in app.iter_rows() if a}
    filled: dict[tuple[str, str, str], tuple[str | None, str | None]] = {}
    if inputs is not None:
        for u, c, i, v, n in inputs.select("unit", "indicator", "input", "value", "note").iter_rows():
            filled[(u, c, i)] = (v, n)
    specs = [s for s in system.inputs() if s.indicator != system.id]
    if only_sources is not None:
        specs = [s for s in specs if s.source in only_sources]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "填报"
    ws.append(list(HEADERS))
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    validations: dict[tuple[str, ...], DataValidation] = {}
    leaf_codes = {leaf.code for leaf in system.leaves()}
    row = 1
    for unit, name in units.select("unit", "name").iter_rows():
        for s in specs:
            if s.indicator in leaf_codes and (unit, s.indicator) not in applicable:
                continue
            row += 1
            value, note = filled.get((unit, s.indicator, s.input), (None, None))
            hint = "可选：" + "、".join(s.choices or ()) if s.kind == CHOICE else KIND_HINT.get(s.kind, "")
            if s.kind == SCORE and s.max is not None:
                hint = f"0–{s.max:g} 分，须在备注写明理由"
            elif s.kind == PERCENT and s.max is not None and s.max != 1:  # widened by the system's limits
                hint = f"{hint}；本项上限 {s.max * 100:g}%（{s.reason}）" if s.reason else hint
            ws.append([unit, name, s.indicator, s.indicator_name, s.input, value, note, hint, s.criteria, s.source, s.provider])
            choices = tuple(s.choices or ()) if s.kind == CHOICE else (("是", "否") if s.kind == BOOL else ())
            if choices and len(",".join(choices)) < 250:
                dv = validations.get(choices)
                if dv is None:
                    dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                                        showErrorMessage=True, errorTitle="无效选项", error="请从下拉列表中选择")
                    validations[choices] = dv
                    ws.add_data_validation(dv)
                dv.add(f"F{row}")
    for i, w in enumerate(WIDTHS, 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = w
    wrap = Alignment(wrap_text=True, vertical="top")
    for r in ws.iter_rows(min_row=2, min_col=8, max_col=9):
        for cell in r:
            cell.alignment = wrap
    input_fill = PatternFill("solid", fgColor="FFF2CC")
    for r in range(2, row + 1):
        ws.cell(r, 6).fill = input_fill
        ws.cell(r, 7).fill = input_fill
    ws.freeze_panes = "F2"
    ws.auto_filter.ref = f"A1:{ws.cell(1, len(HEADERS)).column_letter}{max(row, 1)}"
    ws.page_setup.orientation = "landscape"
    ws.print_title_rows = "1:1"
    info = wb.create_sheet("说明")
    for line in (
        f"指标体系：{system.name}（{system.id}）",
        "只填写黄色的「填报值」和「备注（理由）」两列，不要修改其他列，不要增删表头。",
        "百分数填 97.5% 或 0.975（不带 % 的数按小数读：1 即 100%，97.5 会被拒绝）；是/否只用于是/否类输入；选项类输入请用下拉列表。",
        "人工评分（评审专家）必须在备注中写明理由。",
        "整个文件一次性导入：任何一处错误都会列出工作表、行、列，且不导入任何数据。",
    ):
        info.append([line])
    info.column_dimensions["A"].width = 100
    save_workbook(wb, path)  # a unit named "=…" or a prefilled note stays text, never a formula
    return row - 1
