"""The data-entry workbook: one row per unit and input, drop-downs for choices, criteria beside each input.

``read_inputs`` reads it back unchanged (its Chinese headers are aliases of unit / indicator / input / value / note).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from govassess.indicators.model import IndicatorSystem, InputSpec
from govassess.outputs import save_workbook
from govassess.rules import BOOL, CHOICE, COUNT, PERCENT, SCORE
from govassess.scoring.engine import applicability

HEADERS = ("单位编码", "单位名称", "指标编码", "指标名称", "输入项", "填报值", "备注（理由）", "填写要求", "评分细则", "数据来源", "提供部门")
WIDTHS = (14, 24, 10, 28, 18, 14, 24, 26, 60, 12, 16)
KIND_HINT = {PERCENT: "百分数，填 97.5% 或 0.975（不带 % 按小数读，97.5 会被拒绝）", COUNT: "整数", BOOL: "是 / 否", SCORE: "人工评分，须在备注写明理由",
             "number": "数字"}


def _bounds(s: InputSpec) -> tuple[float | None, float | None]:
    lo = s.min if s.min is not None else (0.0 if s.kind in (COUNT, SCORE) else None)
    return lo, s.max


def _range_text(s: InputSpec) -> str:
    lo, hi = _bounds(s)
    show = (lambda x: f"{x * 100:g}%") if s.kind == PERCENT else (lambda x: f"{x:g}")
    if lo is not None and hi is not None:
        return f"{show(lo)}–{show(hi)}"
    if lo is not None:
        return f"不小于 {show(lo)}"
    if hi is not None:
        return f"不大于 {show(hi)}"
    return ""


def _hint(s: InputSpec) -> str:
    """The 填写要求 column: the kind and the allowed range, as the cell's validation checks them."""
    if s.kind == CHOICE:
        return "可选：" + "、".join(s.choices or ())
    if s.kind == BOOL:
        return KIND_HINT[BOOL]
    if s.kind == SCORE:
        lo, hi = _bounds(s)
        return f"{lo or 0:g}–{hi:g} 分，须在备注写明理由" if hi is not None else KIND_HINT[SCORE]
    rng = _range_text(s)
    why = f"（{s.reason}）" if s.reason else ""  # a range the system widened says why
    return KIND_HINT.get(s.kind, "数字") + (f"，{rng}{why}" if rng else "")


# (type, operator, formula1, formula2, message) — one DataValidation per distinct rule, shared by its cells.
Validation = tuple[str, str | None, str, str | None, str]


def _validation(s: InputSpec) -> Validation | None:
    choices = tuple(s.choices or ()) if s.kind == CHOICE else (("是", "否") if s.kind == BOOL else ())
    if choices:
        listed = ",".join(choices)
        # Excel caps an inline list at 255 characters; longer lists are checked on import only.
        return ("list", None, f'"{listed}"', None, "请从下拉列表中选择") if len(listed) < 250 else None
    kind = "whole" if s.kind == COUNT else "decimal"
    lo, hi = _bounds(s)
    rng = _range_text(s)
    what = {COUNT: "整数", PERCENT: "数（百分数可写 97.5%，即 0.975）", SCORE: "分数"}.get(s.kind, "数字")
    message = f"应为{what}" + (f"，范围 {rng}" if rng else "")
    if lo is not None and hi is not None:
        return (kind, "between", f"{lo:g}", f"{hi:g}", message)
    if lo is not None:
        return (kind, "greaterThanOrEqual", f"{lo:g}", None, message)
    if hi is not None:
        return (kind, "lessThanOrEqual", f"{hi:g}", None, message)
    return (kind, "between", "-1E+15", "1E+15", message)  # any number: still refuses text


def _data_validation(kind: str, operator: str | None, f1: str, f2: str | None, message: str) -> DataValidation:
    return DataValidation(type=kind, operator=operator, formula1=f1, formula2=f2, allow_blank=True,
                          showErrorMessage=True, errorTitle="填报值无效", error=message,
                          showInputMessage=True, promptTitle="填写要求", prompt=message)


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
            hint = _hint(s)
            ws.append([unit, name, s.indicator, s.indicator_name, s.label or s.input, value, note, hint, s.criteria, s.source,
                       s.provider])
            rule = _validation(s)
            if rule is not None:
                dv = validations.get(rule)
                if dv is None:
                    dv = _data_validation(*rule)
                    validations[rule] = dv
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
        f"指标体系：{system.name}",
        "只填写黄色的「填报值」和「备注（理由）」两列，不要修改其他列，不要增删表头。",
        "百分数填 97.5% 或 0.975（不带 % 的数按小数读：1 即 100%，97.5 会被拒绝）；是/否只用于是/否类输入；选项类输入请用下拉列表。",
        "人工评分（评审专家）必须在备注中写明理由。",
        "整个文件一次性导入：任何一处错误都会列出工作表、行、列，且不导入任何数据。",
    ):
        info.append([line])
    info.column_dimensions["A"].width = 100
    save_workbook(wb, path)  # a unit named "=…" or a prefilled note stays text, never a formula
    return row - 1
