"""Read a questionnaire definition (XLSForm-like workbook or the built-in YAML) and write it back to a workbook.

Both sources become the same three tables of rows (survey / choices / settings) and go through one parser,
so a built-in form, its exported copy and an office's edited copy are checked the same way. Every problem is
collected with its file, sheet, row and column, and raised together as one :class:`UserError`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from govassess import expr, safe_yaml
from govassess.errors import ProblemCollector, UserError
from govassess.outputs import save_workbook

from .model import (
    LIKERT_TYPES,
    LIST_TYPES,
    QUESTION_TYPES,
    RESERVED_NAMES,
    TYPE_NAMES,
    Choice,
    Form,
    Group,
    Question,
    Settings,
)

# Sheet names: XLSForm's, and the Chinese ones the export writes.
SHEETS = {"survey": ("survey", "问题"), "choices": ("choices", "选项"), "settings": ("settings", "设置")}
SHEET_ZH = {k: v[1] for k, v in SHEETS.items()}

SURVEY_COLUMNS = {
    "type": ("type", "类型", "题型"),
    "name": ("name", "名称", "字段名"),
    "label": ("label", "题目", "标签"),
    "required": ("required", "必填"),
    "relevant": ("relevant", "显示条件"),
    "constraint": ("constraint", "约束"),
    "constraint_message": ("constraint_message", "约束提示"),
    "hint": ("hint", "说明"),
    "index": ("index", "计入指数"),
    "weight": ("weight", "权重"),
}
CHOICE_COLUMNS = {
    "list_name": ("list_name", "列表名"),
    "name": ("name", "选项值"),
    "label": ("label", "选项标签"),
}
SETTING_KEYS = {
    "form_title": ("form_title", "问卷标题"),
    "form_id": ("form_id", "问卷编号"),
    "version": ("version", "版本"),
    "overall": ("overall", "总体满意度题"),
    "satisfied_min": ("satisfied_min", "满意最低分"),
    "dissatisfied_max": ("dissatisfied_max", "差评最高分"),
    "comments": ("comments", "意见题"),
    "min_sample": ("min_sample", "最低样本量"),
    "margin": ("margin", "允许误差"),
    "confidence": ("confidence", "置信水平"),
    "skipped": ("skipped", "跳过题的回答"),
    "likert5_scores": ("likert5_scores", "五级量表分值"),
    "likert10_scores": ("likert10_scores", "十级量表分值"),
}
# A vertical settings sheet (one setting a row) has these two headers.
SETTING_VERTICAL = (("设置项", "key"), ("值", "value"))

TYPE_ALIASES: dict[str, str] = {**{t: t for t in (*QUESTION_TYPES, "begin_group", "end_group")},
                                **{zh: t for t, zh in TYPE_NAMES.items()},
                                "int": "integer", "string": "text", "begin group": "begin_group",
                                "end group": "end_group", "数字": "decimal"}
YES = {"yes", "true", "1", "是", "y", "√"}
NO = {"no", "false", "0", "否", "n", "×"}
SKIPPED = {"refuse": "refuse", "拒绝": "refuse", "ignore": "ignore", "忽略": "ignore"}
SKIPPED_ZH = {"refuse": "拒绝", "ignore": "忽略"}
_XLSFORM_REF = re.compile(r"\$\{\s*([^}]+?)\s*\}")
_DOT = re.compile(r"(?<![\w.\]])\.(?![\w.\[])")  # a lone "." (XLSForm: the current question's value)


@dataclass(frozen=True)
class Table:
    """One sheet as rows of cells; ``rows[i]`` is sheet row ``first_row + i`` (header excluded)."""

    sheet: str
    header: list[str]
    rows: list[list[Any]]
    first_row: int


# --- reading sources ---------------------------------------------------------------------------------------

def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return str(int(v)) if v.is_integer() else repr(v)
    s = str(v).strip()
    return s or None


def _find_sheet(names: list[str], key: str) -> str | None:
    wanted = {n.lower() for n in SHEETS[key]}
    return next((n for n in names if n.strip().lower() in wanted), None)


def read_workbook_tables(path: Path) -> dict[str, Table]:
    from python_calamine import CalamineWorkbook

    file = str(path)
    if not path.exists():
        raise UserError("文件不存在", file=file)
    if path.suffix.lower() not in (".xlsx", ".xlsm", ".xls", ".ods"):
        raise UserError(f"不支持的文件类型 {path.suffix or '（无扩展名）'}：问卷定义应为 Excel 工作簿（.xlsx）", file=file)
    from govassess.xlsx_guard import check_workbook

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        check_workbook(path)  # a huge used area or a zip bomb is refused before calamine builds its grid
    try:
        wb = CalamineWorkbook.from_path(file)
    except Exception:  # calamine raises its own error types for broken files
        raise UserError("无法打开工作簿：文件已损坏或不是 Excel 文件", file=file) from None
    tables: dict[str, Table] = {}
    for key in SHEETS:
        name = _find_sheet(wb.sheet_names, key)
        if name is None:
            if key == "survey":
                raise UserError("找不到问题工作表：应有名为「问题」或「survey」的工作表，工作簿中有："
                                + "、".join(wb.sheet_names), file=file)
            continue
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        header_at = next((i for i, r in enumerate(rows[:10]) if any(_text(c) for c in r)), None)
        if header_at is None:
            tables[key] = Table(name, [], [], 2)
            continue
        header = [(_text(c) or "") for c in rows[header_at]]
        tables[key] = Table(name, header, rows[header_at + 1:], header_at + 2)
    return tables


def _yaml_tables(data: dict[str, Any], file: str) -> dict[str, Table]:
    """The built-in YAML holds the same sheets: survey and choices as lists of mappings, settings a mapping."""
    tables: dict[str, Table] = {}
    for key, cols in (("survey", SURVEY_COLUMNS), ("choices", CHOICE_COLUMNS)):
        items = data.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise UserError(f"{key} 应为映射的列表", file=file)
        header = [SHEET_HEADERS[key][c] for c in cols]
        rows = [[item.get(c) for c in cols] for item in items]
        tables[key] = Table(SHEET_ZH[key], header, rows, 2)
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        raise UserError("settings 应为映射", file=file)
    tables["settings"] = Table(SHEET_ZH["settings"], ["设置项", "值"],
                               [[SETTING_KEYS[k][1] if k in SETTING_KEYS else k, v] for k, v in settings.items()], 2)
    return tables


# --- parsing ----------------------------------------------------------------------------------------------

def _columns(table: Table, spec: dict[str, tuple[str, ...]], file: str, problems: ProblemCollector,
             required: tuple[str, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, h in enumerate(table.header):
        key = h.strip().lower()
        if key.startswith("label::"):  # XLSForm's per-language label column
            key = "label"
        for canon, names in spec.items():
            if key in {n.lower() for n in names}:
                if canon in found:
                    problems.add(f"列「{h}」重复", file=file, sheet=table.sheet, row=table.first_row - 1, column=h)
                found[canon] = i
    for canon in required:
        if canon not in found:
            problems.add(f"缺少列「{spec[canon][1]}」（{spec[canon][0]}）", file=file, sheet=table.sheet,
                         row=table.first_row - 1)
    return found


def _cell(row: list[Any], cols: dict[str, int], key: str) -> str | None:
    i = cols.get(key)
    return _text(row[i]) if i is not None and i < len(row) else None


def _rewrite(text: str, self_name: str | None) -> str:
    """XLSForm's ``${name}`` and ``.`` written in the project's language (``[name]``)."""
    out = _XLSFORM_REF.sub(lambda m: f"[{m.group(1)}]", text)
    if self_name is not None:
        out = _DOT.sub(f"[{self_name}]", out)
    return out


def _parse_choices(table: Table | None, file: str, problems: ProblemCollector) -> dict[str, tuple[Choice, ...]]:
    if table is None:
        return {}
    cols = _columns(table, CHOICE_COLUMNS, file, problems, ("list_name", "name", "label"))
    if len(cols) < 3:
        return {}
    lists: dict[str, list[Choice]] = {}
    first_row: dict[tuple[str, str], int] = {}
    for offset, row in enumerate(table.rows):
        r = table.first_row + offset
        cells = {k: _cell(row, cols, k) for k in cols}
        if not any(cells.values()):
            continue
        where = {"file": file, "sheet": table.sheet, "row": r}
        list_name, name, label = cells["list_name"], cells["name"], cells["label"]
        if not list_name:
            problems.add("列表名不能为空", column=table.header[cols["list_name"]], **where)
            continue
        if not name:
            problems.add("选项值不能为空", column=table.header[cols["name"]], **where)
            continue
        if not label:
            problems.add(f"选项「{name}」的选项标签不能为空", column=table.header[cols["label"]], **where)
            continue
        if (list_name, name) in first_row:
            problems.add(f"选项列表「{list_name}」中选项值「{name}」重复（已在第 {first_row[list_name, name]} 行出现）",
                         column=table.header[cols["name"]], **where)
            continue
        first_row[list_name, name] = r
        lists.setdefault(list_name, []).append(Choice(name, label))
    return {k: tuple(v) for k, v in lists.items()}


def _parse_settings(table: Table | None, file: str, problems: ProblemCollector,
                    ) -> tuple[dict[str, str], dict[str, tuple[int, str]]]:
    """Raw setting texts by canonical key, and where each was written (row, column)."""
    values: dict[str, str] = {}
    where: dict[str, tuple[int, str]] = {}
    if table is None or not table.header:
        return values, where
    lookup = {n.lower(): k for k, names in SETTING_KEYS.items() for n in names}
    head = [h.strip().lower() for h in table.header]
    vertical = len(head) >= 2 and head[0] in {h.lower() for h in SETTING_VERTICAL[0]} and head[1] in {
        h.lower() for h in SETTING_VERTICAL[1]}
    if vertical:
        for offset, row in enumerate(table.rows):
            r = table.first_row + offset
            key, value = (_text(row[0]) if row else None), (_text(row[1]) if len(row) > 1 else None)
            if not key:
                continue
            canon = lookup.get(key.lower())
            if canon is None:
                problems.add(f"未知的设置项「{key}」，可用：{'、'.join(v[1] for v in SETTING_KEYS.values())}",
                             file=file, sheet=table.sheet, row=r, column=table.header[0])
                continue
            if value is not None:
                values[canon], where[canon] = value, (r, table.header[1])
        return values, where
    row = table.rows[0] if table.rows else []
    for i, h in enumerate(table.header):
        if not h:
            continue
        canon = lookup.get(h.strip().lower())
        if canon is None:
            problems.add(f"未知的设置项「{h}」，可用：{'、'.join(v[1] for v in SETTING_KEYS.values())}",
                         file=file, sheet=table.sheet, row=table.first_row - 1, column=h)
            continue
        value = _text(row[i]) if i < len(row) else None
        if value is not None:
            values[canon], where[canon] = value, (table.first_row, h)
    return values, where


def _number(text: str) -> float | None:
    try:
        x = float(text.replace("％", "%").rstrip("%")) / (100 if text.endswith(("%", "％")) else 1)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _build_settings(raw: dict[str, str], at: dict[str, tuple[int, str]], sheet: str, file: str,
                    questions: dict[str, Question], problems: ProblemCollector) -> Settings:
    kw: dict[str, Any] = {}

    def bad(key: str, message: str) -> None:
        row, col = at[key]
        problems.add(message, file=file, sheet=sheet, row=row, column=col)

    for key, attr in (("form_id", "form_id"), ("form_title", "title"), ("version", "version")):
        if key in raw:
            kw[attr] = raw[key]
    if "overall" in raw:
        q = questions.get(raw["overall"])
        if q is None:
            bad("overall", f"总体满意度题「{raw['overall']}」不是问卷中的题目名称")
        elif q.type not in LIKERT_TYPES:
            bad("overall", f"总体满意度题「{q.name}」应为五级或十级量表题")
        else:
            kw["overall"] = q.name
    if "comments" in raw:
        names = [n for n in re.split(r"[\s,，、;；]+", raw["comments"]) if n]
        for n in names:
            if n not in questions:
                bad("comments", f"意见题「{n}」不是问卷中的题目名称")
            elif questions[n].type != "text":
                bad("comments", f"意见题「{n}」应为文本题")
        kw["comments"] = tuple(names)
    for key in ("satisfied_min", "dissatisfied_max"):
        if key in raw:
            x = _number(raw[key])
            if x is None:
                bad(key, f"「{raw[key]}」不是数字")
            else:
                kw[key] = x
    if "min_sample" in raw:
        x = _number(raw["min_sample"])
        if x is None or x < 1 or not x.is_integer():
            bad("min_sample", f"最低样本量应为正整数，实际为「{raw['min_sample']}」")
        else:
            kw["min_sample"] = int(x)
    for key, attr, zh in (("margin", "margin", "允许误差"), ("confidence", "confidence", "置信水平")):
        if key in raw:
            x = _number(raw[key])
            if x is None or not 0 < x < 1:
                bad(key, f"{zh}应在 0 到 1 之间（如 0.05 或 5%），实际为「{raw[key]}」")
            else:
                kw[attr] = x
    if "skipped" in raw:
        v = SKIPPED.get(raw["skipped"].strip().lower())
        if v is None:
            bad("skipped", f"跳过题的回答应为「拒绝」或「忽略」，实际为「{raw['skipped']}」")
        else:
            kw["skipped"] = v
    for key, k in (("likert5_scores", 5), ("likert10_scores", 10)):
        if key in raw:
            parts = [p for p in re.split(r"[\s,，、;；]+", raw[key]) if p]
            nums = [_number(p) for p in parts]
            if len(nums) != k or any(x is None or not 0 <= x <= 100 for x in nums):
                bad(key, f"{SETTING_KEYS[key][1]}应为 {k} 个 0 到 100 之间的数，依次对应 1 到 {k} 分，"
                         f"用逗号分隔，实际为「{raw[key]}」")
            else:
                kw[key] = tuple(float(x) for x in nums if x is not None)
    ov = questions.get(kw.get("overall", ""))
    for key in ("satisfied_min", "dissatisfied_max"):
        if key in kw and ov is not None and not 1 <= kw[key] <= (ov.scale or 0):
            bad(key, f"{SETTING_KEYS[key][1]}应在 1 到 {ov.scale} 之间（总体满意度题的量表）")
    return Settings(**kw)


def parse_tables(tables: dict[str, Table], file: str) -> Form:
    problems = ProblemCollector()
    survey = tables["survey"]
    choices = _parse_choices(tables.get("choices"), file, problems)
    cols = _columns(survey, SURVEY_COLUMNS, file, problems, ("type", "name", "label"))
    if not {"type", "name", "label"} <= cols.keys():
        problems.raise_if_any()

    def col(key: str) -> str:
        return survey.header[cols[key]] if key in cols else SURVEY_COLUMNS[key][1]

    # First pass: the rows and their names (references may point forward, as in XLSForm).
    entries: list[tuple[int, dict[str, str | None]]] = []
    for offset, row in enumerate(survey.rows):
        cells = {k: _cell(row, cols, k) for k in cols}
        if any(cells.values()):
            entries.append((survey.first_row + offset, cells))
    seen: dict[str, int] = {}
    group_names: set[str] = set()
    for r, cells in entries:
        name = cells.get("name")
        kind = (cells.get("type") or "").lower().replace(" ", "_")
        if kind.startswith(("begin_group", "分组开始")) and name:
            group_names.add(name)
        if name and not kind.startswith(("end", "分组结束")):
            if name in seen:
                problems.add(f"名称「{name}」重复（已在第 {seen[name]} 行使用）", file=file, sheet=survey.sheet,
                             row=r, column=col("name"))
            else:
                seen[name] = r
    multi_lists: dict[str, str] = {}
    for _r, cells in entries:
        parts = (cells.get("type") or "").split()
        if parts and TYPE_ALIASES.get(parts[0].lower()) == "select_multiple" and len(parts) > 1 and cells.get("name"):
            multi_lists[cells["name"] or ""] = parts[1]
    # Names an expression may use: every question, and "q.choice" for a multiple-choice question's options.
    known = set(seen) - group_names
    for qname, lname in multi_lists.items():
        known |= {f"{qname}.{c.name}" for c in choices.get(lname, ())}

    def parse_expr(text: str | None, key: str, r: int, self_name: str | None) -> expr.Node | None:
        if not text:
            return None
        where = {"file": file, "sheet": survey.sheet, "row": r, "column": col(key)}
        try:
            node = expr.parse(_rewrite(text, self_name))
        except expr.ExprError as e:
            problems.add(f"表达式「{text}」有误：{e}", **where)
            return None
        unknown = sorted(expr.names(node) - known)
        if unknown:
            problems.add(f"表达式「{text}」引用了问卷中没有的题目：{'、'.join(unknown)}", **where)
            return None
        return node

    questions: list[Question] = []
    groups: list[Group] = []
    stack: list[tuple[Group, expr.Node | None]] = []
    for r, cells in entries:
        where = {"file": file, "sheet": survey.sheet, "row": r}
        type_text = cells.get("type")
        if not type_text:
            problems.add("类型不能为空", column=col("type"), **where)
            continue
        parts = type_text.split()
        head = parts[0].lower()
        if head in ("begin", "end") and len(parts) > 1 and parts[1].lower() == "group":
            parts = [f"{head}_group", *parts[2:]]
            head = parts[0]
        qtype = TYPE_ALIASES.get(head)
        if qtype is None:
            problems.add(f"未知的题型「{parts[0]}」，可用：" + "、".join(f"{TYPE_NAMES[t]}（{t}）" for t in TYPE_NAMES),
                         column=col("type"), **where)
            continue
        name, label = cells.get("name"), cells.get("label")
        if qtype == "end_group":
            if not stack:
                problems.add("分组结束没有对应的分组开始", column=col("type"), **where)
            else:
                stack.pop()
            continue
        if not name:
            problems.add("名称不能为空", column=col("name"), **where)
            continue
        if re.search(r"[\s\[\]\"'“”]", name) or "." in name:
            problems.add(f"名称「{name}」不能含空格、方括号、引号或点号（表达式中要用它指代本题）",
                         column=col("name"), **where)
            continue
        if name in RESERVED_NAMES:
            problems.add(f"名称「{name}」是回答文件中单位列的列名，不能用作题目名称", column=col("name"), **where)
            continue
        relevant = cells.get("relevant")
        own_relevant = parse_expr(relevant, "relevant", r, None)
        if qtype == "begin_group":
            g = Group(name, label or "", r, relevant, stack[-1][0].name if stack else None)
            groups.append(g)
            stack.append((g, own_relevant))
            continue
        if not label:
            problems.add(f"题目「{name}」的题目文字不能为空", column=col("label"), **where)
        list_name = None
        if qtype in LIST_TYPES:
            if len(parts) < 2:
                problems.add(f"{TYPE_NAMES[qtype]}题应写成「{TYPE_NAMES[qtype]} 列表名」，缺少选项列表名",
                             column=col("type"), **where)
            else:
                list_name = parts[1]
                if list_name not in choices:
                    problems.add(f"选项列表「{list_name}」在「选项」工作表中不存在"
                                 + (f"（已有：{'、'.join(choices)}）" if choices else "（没有选项工作表或其中没有选项）"),
                                 column=col("type"), **where)
        elif len(parts) > 1:
            problems.add(f"{TYPE_NAMES[qtype]}题不需要选项列表，多余的「{' '.join(parts[1:])}」",
                         column=col("type"), **where)
        required = False
        req_text = cells.get("required")
        if req_text:
            low = req_text.lower()
            if low in YES:
                required = True
            elif low not in NO:
                problems.add(f"必填应写「是」或「否」，实际为「{req_text}」", column=col("required"), **where)
        index_text = cells.get("index")
        index = qtype in LIKERT_TYPES
        if index_text:
            low = index_text.lower()
            if low in YES:
                if qtype not in LIKERT_TYPES:
                    problems.add("只有五级或十级量表题可以计入满意度指数", column=col("index"), **where)
                index = qtype in LIKERT_TYPES
            elif low in NO:
                index = False
            else:
                problems.add(f"计入指数应写「是」或「否」，实际为「{index_text}」", column=col("index"), **where)
        weight = 1.0
        if cells.get("weight"):
            w = _number(cells["weight"] or "")
            if w is None or w <= 0:
                problems.add(f"权重应为正数，实际为「{cells['weight']}」", column=col("weight"), **where)
            else:
                weight = w
        constraint = cells.get("constraint")
        constraint_node = parse_expr(constraint, "constraint", r, name)
        nodes = tuple(n for _g, n in stack if n is not None) + ((own_relevant,) if own_relevant is not None else ())
        questions.append(Question(
            type=qtype, name=name, label=label or "", row=r, required=required, list_name=list_name,
            relevant=relevant, constraint=constraint, constraint_message=cells.get("constraint_message"),
            hint=cells.get("hint"), index=index, weight=weight, group=stack[-1][0].name if stack else None,
            relevant_nodes=nodes, constraint_node=constraint_node))
    for g, _n in stack:
        problems.add(f"分组「{g.name}」没有分组结束", file=file, sheet=survey.sheet, row=g.row, column=col("type"))
    if not questions and not problems:
        problems.add("问卷中没有任何题目", file=file, sheet=survey.sheet)
    by_name = {q.name: q for q in questions}
    settings_table = tables.get("settings")
    raw, at = _parse_settings(settings_table, file, problems)
    settings = _build_settings(raw, at, settings_table.sheet if settings_table else SHEET_ZH["settings"], file,
                               by_name, problems)
    problems.raise_if_any()
    return Form(settings, tuple(questions), tuple(groups), choices, source=file)


# --- public entry points ----------------------------------------------------------------------------------

BUILTIN = {"satisfaction": "政务服务满意度调查", "visit": "政务服务暗访记录"}


def builtin_form(form_id: str) -> Form:
    if form_id not in BUILTIN:
        raise UserError(f"没有内置问卷「{form_id}」，可用：" + "、".join(f"{k}（{v}）" for k, v in BUILTIN.items()))
    source = f"内置问卷 {form_id}.yaml"
    text = resources.files("govassess.questionnaire").joinpath("builtin", f"{form_id}.yaml").read_text(encoding="utf-8")
    data = safe_yaml.expect_mapping(safe_yaml.load_yaml(text, file=source), file=source, what="内置问卷")
    return parse_tables(_yaml_tables(data, source), source)


def load_form(ref: str | Path) -> Form:
    """A workbook path, or the id of a built-in form (satisfaction, visit)."""
    if str(ref) in BUILTIN and not Path(ref).exists():
        return builtin_form(str(ref))
    path = Path(ref)
    return parse_tables(read_workbook_tables(path), str(path))


SHEET_HEADERS = {
    "survey": {k: v[1] for k, v in SURVEY_COLUMNS.items()},
    "choices": {k: v[1] for k, v in CHOICE_COLUMNS.items()},
}


def _yes_no(b: bool) -> str:
    return "是" if b else "否"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def settings_rows(s: Settings) -> list[tuple[str, str]]:
    """Every setting, default or not, so an office sees what it may change."""
    default = Settings()
    rows = [("form_title", s.title), ("form_id", s.form_id), ("version", s.version),
            ("overall", s.overall or ""), ("satisfied_min", _fmt(s.satisfied_min) if s.satisfied_min else ""),
            ("dissatisfied_max", _fmt(s.dissatisfied_max) if s.dissatisfied_max else ""),
            ("comments", "、".join(s.comments)), ("min_sample", str(s.min_sample)), ("margin", _fmt(s.margin)),
            ("confidence", _fmt(s.confidence)), ("skipped", SKIPPED_ZH[s.skipped]),
            ("likert5_scores", ",".join(_fmt(x) for x in s.likert5_scores)),
            ("likert10_scores", ",".join(_fmt(round(x, 4)) for x in s.likert10_scores))]
    if s.likert10_scores == default.likert10_scores:  # the exact default (thirds of 100) is written as "默认"
        rows[-1] = ("likert10_scores", "")
    return rows


def write_form(form: Form, target: Path) -> None:
    """The definition as a workbook with Chinese sheet and column names, readable by :func:`load_form`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_ZH["survey"]
    ws.append(list(SHEET_HEADERS["survey"].values()))
    ends: list[int] = []  # rows where a group's end was written in the source, kept in order
    items: list[tuple[int, list[Any]]] = []
    for g in form.groups:
        items.append((g.row, [TYPE_NAMES["begin_group"], g.name, g.label, "", g.relevant or "", "", "", "", "", ""]))
    for q in form.questions:
        type_text = TYPE_NAMES[q.type] + (f" {q.list_name}" if q.list_name else "")
        items.append((q.row, [type_text, q.name, q.label, _yes_no(q.required), q.relevant or "", q.constraint or "",
                              q.constraint_message or "", q.hint or "",
                              _yes_no(q.index) if q.type in LIKERT_TYPES else "", _fmt(q.weight)]))
    # A group ends after its last member (questions or nested groups), before the next item outside it.
    members: dict[str, int] = {}
    for q in form.questions:
        g = q.group
        while g:
            members[g] = max(members.get(g, 0), q.row)
            g = next(x.parent for x in form.groups if x.name == g)
    for g in form.groups:
        ends.append(members.get(g.name, g.row))
    items.sort(key=lambda t: t[0])
    end_after: dict[int, int] = {}
    for e in ends:
        end_after[e] = end_after.get(e, 0) + 1
    for row, cells in items:
        ws.append(cells)
        for _ in range(end_after.get(row, 0)):
            ws.append([TYPE_NAMES["end_group"]] + [""] * 9)
    cs = wb.create_sheet(SHEET_ZH["choices"])
    cs.append(list(SHEET_HEADERS["choices"].values()))
    for list_name, options in form.choices.items():
        for c in options:
            cs.append([list_name, c.name, c.label])
    ss = wb.create_sheet(SHEET_ZH["settings"])
    ss.append(["设置项", "值"])
    for key, value in settings_rows(form.settings):
        ss.append([SETTING_KEYS[key][1], value])
    for sheet in (ws, cs, ss):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column, width in zip("ABCDEFGHIJ", (16, 16, 40, 8, 30, 24, 24, 24, 10, 8)):
            sheet.column_dimensions[column].width = width
    save_workbook(wb, target)
