"""Indices as a round's inputs (long form, as ``govassess score`` reads) and as a report workbook.

Without a map every index is written with ``indicator`` = the form's 问卷编号 and ``input`` = the index name
(满意度指数, 满意率, 一次办成：是占比 …); with a map (YAML, format in docs/questionnaire.md) only the mapped
indices, under the indicator system's (indicator, input). The note names the sample size, so the scoring
explanation of a leaf fed by a questionnaire says how many answers it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govassess import safe_yaml
from govassess.errors import ProblemCollector, UserError
from govassess.metrics.output import fmt
from govassess.outputs import save_workbook

from .indices import GroupIndices, Indices
from .model import LIKERT_TYPES, NUMERIC_TYPES, Form, Question

COUNT = "样本量"
INDEX = "满意度指数"
INDEX_LOW = "满意度指数置信下限"
INDEX_HIGH = "满意度指数置信上限"
SATISFIED = "满意率"
DISSATISFIED = "差评数"
NEEDED = "所需样本量"


def index_names(form: Form) -> list[str]:
    """Every index name a form yields, in output order."""
    names = [COUNT, INDEX, INDEX_LOW, INDEX_HIGH]
    if form.overall_question() is not None:
        names += [SATISFIED, DISSATISFIED]
    names.append(NEEDED)
    for q in form.questions:
        if q.type in NUMERIC_TYPES:
            names.append(f"{q.name}均值")
        elif q.list_name:
            names += [f"{q.name}：{c.name}占比" for c in form.choices[q.list_name]]
    return names


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def index_values(form: Form, g: GroupIndices) -> dict[str, tuple[float | None, str]]:
    """Index name → (value or None when it cannot be computed, note)."""
    s = form.settings
    base = f"样本量 {g.n}"
    if g.warning:
        base += f"（{g.warning}；误差 ±{_pct(s.margin)} 所需样本量 {g.needed}）"
    conf = f"{s.confidence * 100:g}%"
    ci = (f"，{conf} 置信区间 {g.index_low:.2f}–{g.index_high:.2f}" if g.index_low is not None
          and g.index_high is not None else "（回答不足 2 份，无置信区间）" if g.index is not None else "")
    out: dict[str, tuple[float | None, str]] = {
        COUNT: (float(g.n), base),
        INDEX: (g.index, f"{base}{ci}" + (f"；计入指数的回答 {g.index_n} 份" if g.index_n != g.n else "")),
        INDEX_LOW: (g.index_low, base),
        INDEX_HIGH: (g.index_high, base),
    }
    ov = form.overall_question()
    if ov is not None:
        out[SATISFIED] = (g.satisfied, f"{base}；总体满意度 ≥ {form.satisfied_min():g} 分 {g.satisfied_count} 份 / "
                                       f"作答 {g.overall_n} 份")
        out[DISSATISFIED] = (float(g.dissatisfied) if g.n else None,
                             f"{base}；总体满意度 ≤ {form.dissatisfied_max():g} 分的回答")
    pop = f"，总体数量 {fmt(g.population)}" if g.population is not None else ""
    out[NEEDED] = (float(g.needed) if g.needed is not None else None,
                   f"误差 ±{_pct(s.margin)}、置信水平 {conf}{pop}；实际样本量 {g.n}")
    stats = {qs.name: qs for qs in g.questions}
    for q in form.questions:
        qs = stats.get(q.name)
        if q.type in NUMERIC_TYPES:
            note = f"作答 {qs.n} 份" if qs else ""
            if qs and qs.low is not None and qs.high is not None:
                note += f"，{conf} 置信区间 {qs.low:.2f}–{qs.high:.2f}"
            out[f"{q.name}均值"] = (qs.mean if qs else None, note)
        elif q.list_name:
            shares = {name: share for name, _label, share in (qs.shares if qs else ())}
            for c in form.choices[q.list_name]:
                share = shares.get(c.name)
                hits = round(share * qs.n) if qs and share is not None else 0
                out[f"{q.name}：{c.name}占比"] = (share, f"选「{c.label}」{hits} 份 / 作答 {qs.n if qs else 0} 份")
    return out


@dataclass(frozen=True)
class MapEntry:
    index: str
    indicator: str
    input: str
    scale: float = 1.0


def load_index_map(path: Path, form: Form) -> list[MapEntry]:
    """A YAML map from index names onto an indicator system's (indicator, input) pairs."""
    source = str(path)
    data = safe_yaml.expect_mapping(safe_yaml.read_yaml(path, file=source) or {}, file=source, what="映射文件")
    items = data.get("inputs")
    if not isinstance(items, list) or not items:
        raise UserError("映射文件应有 inputs 列表（每项写 index、indicator、input，可选 scale）", file=source)
    known = index_names(form)
    problems = ProblemCollector()
    entries = []
    for i, e in enumerate(items, 1):
        where = {"file": source, "field": f"inputs 第 {i} 项"}
        if not isinstance(e, dict) or not all(e.get(k) not in (None, "") for k in ("index", "indicator", "input")):
            problems.add("每项须有 index（问卷指数名称）、indicator（指标编码）、input（输入项）", **where)
            continue
        index = str(e["index"])
        if index not in known:
            problems.add(f"问卷「{form.settings.title}」没有指数「{index}」，可用：{'、'.join(known)}", **where)
            continue
        try:
            scale = float(e.get("scale", 1))
        except (TypeError, ValueError):
            problems.add(f"scale 应为数字，实际为「{e.get('scale')}」", **where)
            continue
        entries.append(MapEntry(index, str(e["indicator"]), str(e["input"]), scale))
    problems.raise_if_any()
    return entries


def input_rows(indices: Indices, mapping: list[MapEntry] | None = None) -> tuple[list[dict[str, str]], list[str]]:
    """Rows (unit, indicator, input, value, note) and the (unit, index) pairs left out for want of answers."""
    form = indices.form
    rows: list[dict[str, str]] = []
    left_out: list[str] = []
    wanted = mapping if mapping is not None else [
        MapEntry(name, form.settings.form_id, name) for name in index_names(form)]
    for g in indices.units:
        values = index_values(form, g)
        for e in wanted:
            value, note = values[e.index]
            if value is None:
                left_out.append(f"{g.key} {e.index}：{'无回答' if g.n == 0 else '回答不足，无法计算'}")
                continue
            rows.append({"unit": g.key, "indicator": e.indicator, "input": e.input, "value": fmt(value * e.scale),
                         "note": f"{form.settings.title}{e.index}：{note}" if mapping is not None else note})
    return rows, left_out


# --- report workbook ---------------------------------------------------------------------------------------

_GROUP_HEADER = ["样本量", "满意度指数", "置信下限", "置信上限", "满意率", "差评数", "所需样本量", "总体数量", "提示"]


def _group_cells(g: GroupIndices) -> list[Any]:
    return [g.n, g.index, g.index_low, g.index_high, g.satisfied, g.dissatisfied if g.n else None, g.needed,
            g.population, g.warning or ""]


def _question_rows(scope: str, g: GroupIndices) -> list[list[Any]]:
    rows = []
    for qs in g.questions:
        if qs.type == "text" or qs.type == "date":
            continue
        shares = "；".join(f"{label} {_pct(share)}" for _name, label, share in qs.shares)
        rows.append([scope, g.key, qs.name, qs.label, qs.n, qs.mean, qs.sd, qs.low, qs.high,
                     qs.score if qs.type in LIKERT_TYPES else None, shares])
    return rows


def write_report(indices: Indices, target: Path, *, notes: list[str] | None = None) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    form = indices.form
    wb = Workbook()
    ws = wb.active
    ws.title = "单位指数"
    ws.append(["单位编码", "单位名称", "类别", *_GROUP_HEADER])
    for g in indices.units:
        ws.append([g.key, g.name or "", g.cls or "", *_group_cells(g)])
    cs = wb.create_sheet("类别指数")
    cs.append(["类别", "单位数", *_GROUP_HEADER])
    for g in indices.classes:
        count = sum(1 for u in indices.units if u.cls == g.key)
        cs.append([g.key, count, *_group_cells(g)])
    qs = wb.create_sheet("题目统计")
    qs.append(["范围", "单位或类别", "题目名称", "题目", "作答数", "均值", "标准差", "置信下限", "置信上限",
               "折算分（0–100）", "选项占比"])
    for g in indices.units:
        for r in _question_rows("单位", g):
            qs.append(r)
    for g in indices.classes:
        for r in _question_rows("类别", g):
            qs.append(r)
    ds = wb.create_sheet("差评意见")
    ds.append(["单位编码", "回答所在行", "总体满意度", "题目名称", "意见"])
    for g in indices.units:
        for c in g.comments:
            ds.append([c.unit, c.row, c.overall, c.question, c.text])
    ns = wb.create_sheet("说明")
    s = form.settings
    ns.append(["项目", "内容"])
    explain = [
        ("问卷", f"{s.title}（问卷编号 {s.form_id}{'，版本 ' + s.version if s.version else ''}）"),
        ("满意度指数", "每份回答计入指数的量表题按分值折算为 0–100 后加权平均，再对全部回答取平均"),
        ("五级量表分值", "、".join(f"{k}分={fmt(v)}" for k, v in enumerate(s.likert5_scores, 1))),
        ("置信区间", f"{s.confidence * 100:g}%，t 分布（均值 ± t × 标准差 / √n）"),
        ("所需样本量", f"n = z²·p(1−p)/e²，p = 0.5，e = {fmt(s.margin)}；给出总体数量时按有限总体校正"),
        ("最低样本量", str(s.min_sample)),
    ]
    if form.overall_question() is not None:
        explain += [("满意率", f"总体满意度题「{s.overall}」≥ {form.satisfied_min():g} 分的回答占作答回答的比例"),
                    ("差评", f"总体满意度题 ≤ {form.dissatisfied_max():g} 分的回答，其意见列在「差评意见」表")]
    else:
        explain.append(("意见", "本问卷未设总体满意度题：全部意见列在「差评意见」表"))
    for line in notes or []:
        explain.append(("提示", line))
    for k, v in explain:
        ns.append([k, v])
    for sheet in wb.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, float):
                    cell.number_format = "0.00"
    for sheet in (ws, cs):
        for row in sheet.iter_rows(min_row=2, min_col=8 if sheet is ws else 7, max_col=8 if sheet is ws else 7):
            for cell in row:
                if isinstance(cell.value, float):
                    cell.number_format = "0.0%"
    save_workbook(wb, target)


# --- responses entry template ------------------------------------------------------------------------------

TEMPLATE_ROWS = 500


def _hint(form: Form, q: Question) -> str:
    from .model import LIKERT5_LABELS, TYPE_NAMES

    parts = [q.label, f"（{TYPE_NAMES[q.type]}{'，必答' if q.required else ''}）"]
    if q.list_name:
        parts.append("选项：" + "、".join(c.label for c in form.choices[q.list_name]))
        if q.type == "select_multiple":
            parts.append("（多个选项用顿号分隔）")
    if q.type == "likert5":
        parts.append("填 1–5：" + "、".join(f"{k}={w}" for k, w in enumerate(LIKERT5_LABELS, 1)))
    if q.type == "likert10":
        parts.append("填 1–10，10 为最满意")
    if q.type == "date":
        parts.append("格式：2026-03-01")
    if q.relevant_nodes:
        parts.append("仅当显示条件成立时作答，否则留空")
    if q.constraint_message:
        parts.append(q.constraint_message)
    if q.hint:
        parts.append(q.hint)
    return "\n".join(parts)


def write_response_template(form: Form, target: Path, *, units: list[str] | None = None) -> None:
    """A workbook to type paper questionnaires into: one row per response, the unit code then one column per
    question (header = question name, * when required), drop-downs where Excel can hold them."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "回答"
    last = TEMPLATE_ROWS + 1
    ws.cell(row=1, column=1, value="单位编码").font = Font(bold=True, color="C00000")
    if units:
        formula = '"' + ",".join(units) + '"'
        if len(formula) <= 255:  # Excel's limit for a list written into the validation itself
            dv = DataValidation(type="list", formula1=formula, allow_blank=False)
            dv.error, dv.showErrorMessage = "请从下拉菜单中选择单位编码", True
            ws.add_data_validation(dv)
            dv.add(f"A2:A{last}")
    ws.column_dimensions["A"].width = 12
    for c, q in enumerate(form.questions, 2):
        cell = ws.cell(row=1, column=c, value=("*" if q.required else "") + q.name)
        cell.font = Font(bold=True, color="C00000" if q.required else "000000")
        comment = Comment(_hint(form, q), "govassess")
        comment.width, comment.height = 320, 180
        cell.comment = comment
        letter = get_column_letter(c)
        ws.column_dimensions[letter].width = max(10, min(30, len(q.name) * 2 + 4))
        dv = None
        if q.type == "select_one":
            labels = [ch.label for ch in form.choices[q.list_name or ""]]
            formula = '"' + ",".join(labels) + '"'
            if len(formula) <= 255 and not any("," in x for x in labels):
                dv = DataValidation(type="list", formula1=formula, allow_blank=True)
                dv.error = "请从下拉菜单中选择：" + "、".join(labels)
        elif q.type in ("likert5", "likert10", "integer"):
            if q.scale:
                dv = DataValidation(type="whole", operator="between", formula1="1", formula2=str(q.scale),
                                    allow_blank=True)
                dv.error = f"请填 1 到 {q.scale} 的整数"
            else:
                dv = DataValidation(type="whole", allow_blank=True, operator="greaterThanOrEqual", formula1="-999999999")
                dv.error = "请填整数"
        elif q.type == "date":
            dv = DataValidation(type="date", operator="greaterThan", formula1="DATE(1990,1,1)", allow_blank=True)
            dv.error = "日期格式应为 2026-03-01"
        elif q.type == "text":
            ws.column_dimensions[letter].number_format = "@"  # the column's own format, as forms/template.py
        if dv is not None:
            dv.errorTitle, dv.showErrorMessage = q.name, True
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{last}")
    ws.freeze_panes = "B2"
    info = wb.create_sheet("填写说明")
    lines = [form.settings.title, "每行录入一份问卷：第一列填单位编码，其余各列填对应题目的回答；表头带 * 的为必答题。",
             "把鼠标停在表头上可看到题目原文、选项和作答条件；未显示（被跳过）的题目请留空。",
             "填好后用 govassess questionnaire score 检查并计算指数（见 docs/questionnaire.md）。"]
    for i, line in enumerate(lines, 1):
        info.cell(row=i, column=1, value=line)
    info.column_dimensions["A"].width = 100
    save_workbook(wb, target)
