"""Indicator systems as the evaluation office's Excel table.

Offices keep indicator systems as a worksheet: one row per scored item (叶子指标), the upper
levels (一级/二级/三级指标) as vertically merged cells or left blank below their first row,
weights as ``2%`` / ``2`` / ``10分`` / ``(14)``. :func:`read_system_table` turns such a sheet into
the plain dict form of a system (what the YAML file loads to, see ``docs/indicator-systems.md``)
and says, in Chinese, what it had to guess. :func:`write_system_table` writes a system back in the
same layout, plus two sheets (``体系信息``: system fields; ``指标分组``: group fields keyed by the
group's first leaf code and level) holding what a one-row-per-leaf table cannot show, so that
reading the written file gives back the same dict. A workbook with a ``体系信息`` sheet is read as
our own layout (nothing guessed); any other workbook as an office table (rules guessed, notes given).

Only the dict form is used here, so this module does not depend on the system model classes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from govassess import safe_yaml
from govassess.errors import ProblemCollector, UserError
from govassess.outputs import save_workbook
from govassess.xlsx_guard import check_workbook

MAIN_SHEET = "指标体系"
GROUP_SHEET = "指标分组"
INFO_SHEET = "体系信息"

_CN_DIGITS = "一二三四五六七八九十"
LEVEL_HEADERS = [f"{d}级指标" for d in _CN_DIGITS]

# Normalised header text -> field. Level columns are handled separately.
_HEADER_FIELDS: dict[str, str] = {}
for _field, _names in {
    "code": ["序号", "编号", "指标编号", "指标编码", "编码", "指标序号"],
    "points": [
        "分数权重",
        "分值",
        "权重",
        "分数",
        "满分",
        "标准分",
        "分值权重",
        "权重分值",
        "指标分值",
        "指标权重",
    ],
    "criteria": [
        "评估要点",
        "评分细则",
        "评分标准",
        "评估内容",
        "考核内容",
        "评分方法",
        "考核要点",
        "评价标准",
        "评估标准",
        "计分方法",
        "考核标准",
        "评分办法",
    ],
    "lead": ["工作联系科室", "牵头科室", "牵头单位", "牵头部门", "责任科室", "责任单位", "联系科室"],
    "support": ["配合科室", "配合单位", "配合部门"],
    "source": ["数据来源", "取数方式", "采集方式"],
    "provider": ["提供部门", "数据提供部门", "提供单位", "数据提供单位"],
    "evidence": ["佐证材料", "佐证资料", "证明材料"],
    "note": ["备注"],
    "manual_reason": ["人工评分理由", "人工评分原因"],
    "rule": ["规则", "评分规则"],
    "kind": ["类型", "指标类型"],
    "applies": ["适用条件"],
    "classes": ["适用类别"],
    "veto": ["否决", "否决条件"],
    "extra": ["其他字段"],
}.items():
    for _n in _names:
        _HEADER_FIELDS[_n] = _field
_LEVEL_EXTRA = {"类别": 0, "维度": 0, "指标类别": 0}  # a category column left of 一级指标

# Column order written by write_system_table (after 序号 and the level columns).
_WRITE_COLUMNS: list[tuple[str, str, float]] = [
    ("points", "分值", 8),
    ("criteria", "评分细则", 48),
    ("source", "数据来源", 12),
    ("provider", "提供部门", 14),
    ("lead", "牵头科室", 14),
    ("support", "配合科室", 14),
    ("evidence", "佐证材料", 28),
    ("note", "备注", 16),
    ("rule", "规则", 30),
    ("kind", "类型", 8),
    ("applies", "适用条件", 16),
    ("classes", "适用类别", 14),
    ("veto", "否决", 14),
    ("manual_reason", "人工评分理由", 24),
    ("extra", "其他字段", 14),
]
_GROUP_COLUMNS: list[tuple[str, str, float]] = [
    ("first", "首个指标序号", 12),
    ("level", "层级", 6),
    ("name", "名称", 24),
    ("code", "序号", 8),
    ("points", "分值", 8),
    ("kind", "类型", 8),
    ("criteria", "评分细则", 30),
    ("source", "数据来源", 12),
    ("provider", "提供部门", 14),
    ("lead", "牵头科室", 14),
    ("support", "配合科室", 14),
    ("evidence", "佐证材料", 20),
    ("note", "备注", 16),
    ("applies", "适用条件", 16),
    ("classes", "适用类别", 14),
    ("veto", "否决", 14),
    ("extra", "其他字段", 14),
]
_GROUP_HEADER_FIELDS = {label: key for key, label, _ in _GROUP_COLUMNS}
_TEXT_FIELDS = ("criteria", "source", "provider", "lead", "support", "evidence", "note", "manual_reason", "applies", "veto")
_NODE_KEYS = (
    "code",
    "name",
    "points",
    "kind",
    "rule",
    "criteria",
    "source",
    "provider",
    "lead",
    "support",
    "evidence",
    "note",
    "manual_reason",
    "applies",
    "classes",
    "veto",
    "children",
)

_INFO_FIELDS: list[tuple[str, str]] = [
    ("id", "标识"),
    ("name", "名称"),
    ("description", "说明"),
    ("total", "总分（加权部分满分）"),
    ("scale", "折算分值"),
    ("precision", "小数位数"),
    ("missing", "缺数处理（zero/error）"),
    ("grades", "等次（自高到低）"),
    ("classes", "适用类别"),
    ("veto", "否决"),
    ("cap", "总分上限（含加分）"),
    ("bonus_above", "加分计入门槛（常规指标得分高于该值才计加分）"),
    ("labels", "名称标签（标识: 中文名称）"),
]
_SYSTEM_KEYS = {k for k, _ in _INFO_FIELDS} | {"indicators"}

_KIND_LABELS = {"normal": "一般", "bonus": "加分项", "penalty": "减分项"}
_KIND_FROM_LABEL = {
    "一般": "normal",
    "普通": "normal",
    "normal": "normal",
    "加分项": "bonus",
    "加分": "bonus",
    "bonus": "bonus",
    "减分项": "penalty",
    "减分": "penalty",
    "扣分项": "penalty",
    "penalty": "penalty",
}
_BONUS_NAMES = {"加分项", "加分", "加分指标", "附加分"}
_PENALTY_NAMES = {"减分项", "减分", "扣分项", "扣分", "减分指标"}

_NUM = r"\d+(?:\.\d+)?"
_SUBTOTAL_RE = re.compile(rf"^(.*?)\s*[（(]\s*({_NUM})\s*(?:分|%|％)?\s*[)）]\s*$", re.S)
_POINTS_RE = re.compile(rf"^[（(]?\s*(-?{_NUM})\s*(%|％|分)?\s*[)）]?$")
_SEP_RE = re.compile(r"[;；\n]")


# --------------------------------------------------------------------------- helpers


def _norm_header(value: object) -> str:
    text = "" if value is None else str(value)
    text = re.sub(r"\s+", "", text).replace("（", "(").replace("）", ")")
    return text


def _header_field(text: str) -> tuple[str | None, bool]:
    """Field for a normalised header text, and whether it says the unit is %."""
    percent = False
    m = re.fullmatch(r"(.*?)\((%|分|％)\)", text)
    if m:
        text, percent = m.group(1), m.group(2) != "分"
    if text in LEVEL_HEADERS or text in _LEVEL_EXTRA:
        return "level", percent
    return _HEADER_FIELDS.get(text), percent


def _number(value: float) -> int | float:
    """Round away binary noise (0.02 * 100) and give ints where the value is whole."""
    value = round(float(value), 6)
    return int(value) if value.is_integer() else value


def _num_text(value: int | float) -> str:
    value = _number(value)
    return str(value)


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return _num_text(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _name_text(value: object) -> str | None:
    """Names are often wrapped by hand inside the cell; CJK lines join without a space."""
    text = _cell_text(value)
    if text is None:
        return None
    text = re.sub(r"[ \t\u3000]*\n[ \t\u3000]*", "", text)
    return text.strip() or None


def _split_subtotal(text: str) -> tuple[str, int | float | None]:
    m = _SUBTOTAL_RE.match(text)
    if m and m.group(1).strip():
        return m.group(1).strip(), _number(float(m.group(2)))
    return text, None


def _display_name(name: str, points: object) -> str:
    if isinstance(points, int | float) and not isinstance(points, bool):
        return f"{name}({_num_text(points)})"
    return name


def _flow(value: object) -> str:
    """Compact one-line YAML (flow style), readable and parsed back exactly by yaml.safe_load."""
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, sort_keys=False, width=10**9)
    return text.strip().removesuffix("...").strip()


def _col_letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


# --------------------------------------------------------------------------- rule guessing

_PER_ITEM_RE = re.compile(
    rf"(?:每|一)(?:有)?(?:一)?(?P<unit>项|次|个|类|家|篇|条|件|人|份)[^，,；;。\n扣]*?(?:得|计|加)?\s*(?P<each>{_NUM})\s*分"
)
_CAP_RE = re.compile(rf"(?:最高|最多|满分|上限|得满|封顶|最高不超过)\s*(?:得|为|计)?\s*(?P<cap>{_NUM})\s*分")
_RATIO_RE = re.compile(
    rf"(?P<num>[^，,；;。：:=＝\s（()）/÷]+?)\s*[/÷]\s*(?P<den>[^，,；;。：:=＝\s（()）/÷×*xX]+?)\s*[×*xX]\s*(?P<mul>{_NUM})\s*分?"
)
_SCORE_NUM_RE = re.compile(rf"{_NUM}\s*分")
_DEDUCT_LEVEL_RE = re.compile(
    rf"(?:低于|不足|未达到?)\s*(?P<below>{_NUM})\s*[%％]\s*的?[，,]?\s*每低\s*(?:一|1)\s*个?百分点[，,]?\s*扣\s*(?P<each>{_NUM})\s*分"
)
_DEDUCT_COUNT_RE = re.compile(
    rf"每(?:发现|出现|有)?\s*(?:一)?\s*(?P<unit>项|次|件|个|处|条|起)[^，,；;。\n得]{{0,8}}?[，,]?\s*扣\s*(?P<each>{_NUM})\s*分"
)
_CHOICE_START_RE = re.compile(r"(?:^|[。；;\n])\s*(是\s*[，,、].*)$", re.S)
_OPTION_RE = re.compile(
    rf"^(?P<label>.+?)(?:的)?[，,、]?\s*(?:得\s*(?P<pts>{_NUM})\s*分|(?P<zero>不得分|不计分|0分))$", re.S
)


def _guess_rule(criteria: str | None, points: object) -> tuple[dict[str, Any], str | None]:
    """The rule for a criteria text, and the fragment it was read from (None → manual)."""
    if not criteria or not isinstance(points, int | float):
        return {"type": "manual"}, None
    text = criteria.strip()
    scores = _SCORE_NUM_RE.findall(text)

    m = _CHOICE_START_RE.search(text)
    if m:
        part = m.group(1).strip().rstrip("。.")
        options: dict[str, int | float] = {}
        ok = True
        for seg in re.split(r"[；;]", part):
            seg = seg.strip().rstrip("。.")
            om = _OPTION_RE.match(seg)
            if not om:
                ok = False
                break
            label = om.group("label").strip().rstrip("，,、的").strip()
            value = _number(float(om.group("pts"))) if om.group("pts") else 0
            if not label or label in options:
                ok = False
                break
            options[label] = value
        if (
            ok
            and len(options) >= 2
            and any(k.startswith("否") for k in options)
            and math.isclose(max(options.values()), float(points))
            and len(_SCORE_NUM_RE.findall(part)) == len(scores)
        ):
            return {"type": "choice", "input": "选项", "options": options}, part

    ratios = list(_RATIO_RE.finditer(text))
    if len(ratios) == 1 and len(scores) <= 1:
        r = ratios[0]
        num, den = r.group("num").strip(), r.group("den").strip()
        if num and den and num != den and math.isclose(float(r.group("mul")), float(points)):
            return {"type": "ratio", "num": num, "den": den}, r.group(0)

    items = list(_PER_ITEM_RE.finditer(text))
    caps = list(_CAP_RE.finditer(text))
    if len(items) == 1 and len(caps) == 1 and len(scores) == 2:
        each = _number(float(items[0].group("each")))
        cap = float(caps[0].group("cap"))
        if each > 0 and math.isclose(cap, float(points)):
            fragment = text[min(items[0].start(), caps[0].start()) : max(items[0].end(), caps[0].end())]
            return {"type": "per_item", "input": f"{items[0].group('unit')}数", "each": each}, fragment

    # Deductions, only when the deduction is the one scoring clause of the text.
    if len(scores) == 1 and "得" not in _SCORE_NUM_RE.sub("", text).replace("得分", ""):
        level = list(_DEDUCT_LEVEL_RE.finditer(text))
        if len(level) == 1:
            lm = level[0]
            below = f"{_num_text(float(lm.group('below')))}%"
            each = _number(float(lm.group("each")))
            return {"type": "deduct", "input": "实际值", "below": below, "each": each}, lm.group(0)
        count = list(_DEDUCT_COUNT_RE.finditer(text))
        if len(count) == 1 and float(count[0].group("each")) <= float(points):
            cm = count[0]
            each = _number(float(cm.group("each")))
            return {"type": "deduct", "input": f"{cm.group('unit')}数", "each": each}, cm.group(0)
    return {"type": "manual"}, None


_RULE_NAMES = {"choice": "选项计分", "ratio": "比率计分", "per_item": "按项计分", "deduct": "扣分"}


# --------------------------------------------------------------------------- reading


@dataclass
class _Row:
    excel_row: int
    path: list[tuple[int, str]]  # (level column index, cell text) of the groups above the leaf
    leaf: str  # text of the leaf's level cell
    leaf_col: int
    fields: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)  # unparsed cell texts by field, for notes
    bad: set[str] = field(default_factory=set)  # fields already reported as problems
    unknown: list[tuple[str, str]] = field(default_factory=list)


class _Sheet:
    """Cell access with merged ranges resolved: a vertical merge repeats its top-left value."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.title: str = ws.title
        self.values: list[list[Any]] = [list(r) for r in ws.iter_rows(values_only=True)]
        self.formats: dict[tuple[int, int], str] = {}
        self.merge_of: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        for rng in ws.merged_cells.ranges:
            box = (rng.min_row, rng.min_col, rng.max_row, rng.max_col)
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    self.merge_of[(r, c)] = box

    @property
    def max_row(self) -> int:
        return len(self.values)

    def raw(self, row: int, col: int) -> Any:
        if row - 1 >= len(self.values) or col - 1 >= len(self.values[row - 1]):
            return None
        return self.values[row - 1][col - 1]

    def get(self, row: int, col: int) -> Any:
        """Value as the reader sees it: the top-left value down a vertical merge, None across."""
        box = self.merge_of.get((row, col))
        if box is None:
            return self.raw(row, col)
        if col != box[1]:
            return None
        return self.raw(box[0], box[1])

    def number_format(self, row: int, col: int) -> str:
        box = self.merge_of.get((row, col))
        r, c = (box[0], box[1]) if box else (row, col)
        return str(self.ws.cell(row=r, column=c).number_format or "General")

    def hidden_row(self, row: int) -> bool:
        dim = self.ws.row_dimensions.get(row)
        return bool(dim is not None and dim.hidden)

    def vertical_span(self, row: int, col: int) -> tuple[int, int] | None:
        box = self.merge_of.get((row, col))
        if box and box[2] > box[0]:
            return box[0], box[2]
        return None


def _open_workbook(path: Path) -> Any:

    from openpyxl import load_workbook

    if not path.exists():
        raise UserError("文件不存在", file=str(path))
    if path.is_dir():
        raise UserError("这是一个文件夹，应为 .xlsx 文件", file=str(path))
    if path.suffix.lower() in {".xls", ".et", ".wps"}:
        raise UserError(
            "不支持旧版 Excel/WPS 格式，请在 Excel 或 WPS 中另存为 .xlsx 后再导入", file=str(path)
        )
    check_workbook(path)
    try:
        return load_workbook(path, data_only=True)
    except Exception:  # a damaged package: openpyxl and lxml raise a dozen different types (XMLSyntaxError …)
        raise UserError(
            "无法作为 .xlsx 工作簿打开：文件已损坏或不是 Excel 2007 及以上格式，请在 Excel 或 WPS 中打开后另存",
            file=str(path),
        ) from None


def _header_at(sheet: _Sheet, hr: int) -> tuple[dict[int, tuple[str, bool]], dict[int, str], int]:
    """Columns of a header starting at row hr, which may continue on the row below.

    Two-row headers put a title over several columns (任务分解 over 牵头科室 / 配合科室, 指标名称
    over 一级指标 / 二级指标 …); the row below counts as header when all its cells are known names.
    """
    width = max(len(v) for v in sheet.values[hr - 1 : hr + 1])
    cols: dict[int, tuple[str, bool]] = {}
    texts: dict[int, str] = {}
    for c in range(1, width + 1):
        text = _norm_header(sheet.raw(hr, c))
        f, pct = _header_field(text)
        if f:
            cols[c], texts[c] = (f, pct), text
        elif text:
            texts[c] = text
    data_start = hr + 1
    if hr + 1 <= sheet.max_row:
        below = {c: _norm_header(sheet.raw(hr + 1, c)) for c in range(1, width + 1)}
        found = {c: _header_field(t) for c, t in below.items() if t and c not in cols and _header_field(t)[0]}
        if found and all(not t or c in found for c, t in below.items() if c not in cols):
            for c, (f, pct) in found.items():
                if f:
                    cols[c], texts[c] = (f, pct), below[c]
            data_start = hr + 2
    return cols, texts, data_start


def _find_header(sheet: _Sheet) -> tuple[int, dict[int, tuple[str, bool]], dict[int, str], int] | None:
    """(header row, {col: (field, percent)}, {col: header text}, first data row) or None."""
    best: tuple[int, tuple[dict[int, tuple[str, bool]], dict[int, str], int]] | None = None
    for r in range(1, min(sheet.max_row, 30) + 1):
        if not any(_header_field(_norm_header(v))[0] for v in sheet.values[r - 1]):
            continue
        found = _header_at(sheet, r)
        fields = {f for f, _ in found[0].values()}
        if "level" in fields and "points" in fields and (best is None or len(found[0]) > len(best[1][0])):
            best = (r, found)
    if best is None:
        return None
    return best[0], *best[1]


def _parse_points(value: Any, fmt: str) -> int | float | None:
    """A weight cell as points: 2%, 0.02 formatted as %, 2, 2.0, 10分, （14）. None if not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if "%" in fmt:
            return _number(value * 100)
        return _number(value)
    # NFKC turns full-width ２％ and （１４） typed with a Chinese input method into 2% and (14).
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
    m = _POINTS_RE.match(text)
    if not m:
        return None
    return _number(float(m.group(1)))


def read_system_table(
    path: str | Path, *, system_id: str | None = None, name: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Read an indicator table (XLSX) into the dict form of a system, with notes on what was guessed.

    Raises UserError naming file, sheet, row and column for every problem found.
    """
    path = Path(path)
    wb = _open_workbook(path)
    native = INFO_SHEET in wb.sheetnames
    notes: list[str] = []
    problems = ProblemCollector()
    file = str(path)

    found = None
    others: list[str] = []
    # Visible sheets first: a hidden (or very hidden) sheet is never read silently in place of a visible one.
    hidden = {ws.title for ws in wb.worksheets if ws.sheet_state != "visible"}
    for ws in sorted(wb.worksheets, key=lambda w: w.title in hidden):
        if ws.title in (INFO_SHEET, GROUP_SHEET):
            continue
        sheet = _Sheet(ws)
        header = _find_header(sheet)
        if header and found is None:
            found = (sheet, header)
        elif header:
            others.append(ws.title)
    if found and others:
        notes.append(
            f"工作簿中还有其他指标表（{'、'.join(others)}），只读取了第一个「{found[0].title}」；"
            "如需导入其他表，请把它移到最前面或另存为单独的文件"
        )
    if found is None:
        raise UserError(
            "没有找到指标表：应有一个工作表含表头行，至少包括“一级指标”（或二级/三级指标）和“分值”（或分数权重、权重、分数）列；"
            f"本文件的工作表为 {'、'.join(wb.sheetnames)}",
            file=file,
        )
    if found[0].title in hidden:
        raise UserError(f"指标表只出现在隐藏的工作表「{found[0].title}」中；隐藏的工作表不会被读取，"
                        "请在 Excel 中取消隐藏后重试", file=file)
    sheet, (header_row, cols, texts, data_start) = found
    where: dict[str, Any] = {"file": file, "sheet": sheet.title}

    level_cols = sorted(c for c, (f, _) in cols.items() if f == "level")
    field_cols: dict[str, int] = {}
    extra_criteria: list[int] = []  # e.g. 评估内容 and 评分标准 side by side: both kept in criteria
    for c, (f, _) in sorted(cols.items()):
        if f == "level":
            continue
        if f == "criteria" and f in field_cols:
            extra_criteria.append(c)
        elif f in field_cols:
            problems.add(
                f"列「{texts[c]}」与列「{texts[field_cols[f]]}」含义相同，只能保留一列",
                row=header_row,
                column=_col_letter(c),
                **where,
            )
        else:
            field_cols[f] = c
    unknown_cols = {c: t for c, t in texts.items() if c not in cols and c not in level_cols}
    if extra_criteria:
        names = "、".join(f"「{texts[c]}」" for c in [field_cols["criteria"], *extra_criteria])
        notes.append(f"列{names}都作为评分细则，逐行合并（带列名）")
    if native and unknown_cols:
        notes.append("未识别的列已忽略：" + "、".join(f"「{t}」" for t in unknown_cols.values()))
    # In an office table 备注 often holds the evidence list; in our own layout it is the note.
    if "note" in field_cols and "evidence" not in field_cols and not native:
        field_cols["evidence_or_note"] = field_cols.pop("note")

    title = None
    for r in range(1, header_row):
        for c in range(1, len(sheet.values[r - 1]) + 1):
            t = _name_text(sheet.raw(r, c))
            if t and not re.fullmatch(r"(附件|附表)\s*\d*[:：]?", t):  # "附件2" above the real title
                title = title or t
                break

    rows: list[_Row] = []
    prev: _Row | None = None
    prev_levels: list[str | None] = []
    for r in range(data_start, sheet.max_row + 1):
        row_vals = {
            c: sheet.get(r, c)
            for c in set(level_cols) | set(field_cols.values()) | set(unknown_cols) | set(extra_criteria)
        }
        if all(_cell_text(v) is None for v in row_vals.values()):
            continue
        levels = [_name_text(row_vals[c]) for c in level_cols]
        filled = [i for i, v in enumerate(levels) if v]
        first_text = next((_cell_text(row_vals[c]) for c in sorted(row_vals) if _cell_text(row_vals[c])), "")
        texts_in_row = {_cell_text(v) for v in row_vals.values() if _cell_text(v)}
        if len(texts_in_row) == 1 and re.match(r"^(注|说明|备注)\s*[:：]", first_text or ""):
            notes.append(f"第{r}行 视为表注，已跳过：{(first_text or '')[:30]}")
            continue
        if not native and any(
            t and re.fullmatch(r"(合计|总计|总分|小计)", re.sub(r"\s", "", t)) for t in texts_in_row
        ):
            notes.append(f"第{r}行 视为合计行，已跳过")
            continue
        if not filled:
            if prev is None:
                problems.add("指标名称为空：第一条指标的各级指标列都没有内容", row=r, **where)
                continue
            resolved = list(prev_levels)
            leaf_i = prev.leaf_col
        else:
            leaf_i = max(filled)
            resolved = []
            for i, v in enumerate(levels):
                if i > leaf_i:
                    resolved.append(None)
                elif v:
                    resolved.append(v)
                elif prev is not None and i < len(prev_levels) and prev_levels[i] and i < prev.leaf_col:
                    resolved.append(prev_levels[i])
                elif prev is not None and i == prev.leaf_col and prev_levels[i]:
                    problems.add(
                        f"无法确定上级指标：本行「{texts[level_cols[i]]}」为空，而上一行该列“{prev_levels[i]}”是指标本身而非分组；"
                        "请填写本行的上级指标名称或合并单元格",
                        row=r,
                        column=_col_letter(level_cols[i]),
                        **where,
                    )
                    resolved.append(None)
                else:
                    resolved.append(None)
        leaf_text = resolved[leaf_i]
        assert leaf_text is not None
        path_ = [(i, t) for i, t in enumerate(resolved[:leaf_i]) if t]
        row = _Row(excel_row=r, path=path_, leaf=leaf_text, leaf_col=leaf_i)
        for f, c in field_cols.items():
            v = row_vals[c]
            if v is None:
                continue
            if f == "points":
                span = sheet.vertical_span(r, c)
                if span and span[0] != r:
                    problems.add(
                        f"分值单元格与第{span[0]}行合并，无法确定每条指标各自的分值；请拆分合并单元格并逐行填写",
                        row=r,
                        column=_col_letter(c),
                        **where,
                    )
                    row.bad.add("points")
                    continue
                pts = _parse_points(v, sheet.number_format(r, c))
                if pts is None:
                    problems.add(
                        f"分值“{_cell_text(v)}”不是数字，应写成 2、2%、2.5 或 10分 这样的形式",
                        row=r,
                        column=_col_letter(c),
                        **where,
                    )
                    row.bad.add("points")
                    continue
                row.fields["points"] = pts
                row.raw["points"] = _cell_text(v) or ""
            elif f == "code":
                if isinstance(v, int | float) and not isinstance(v, bool):
                    fmt = sheet.number_format(r, c)
                    code_text = _num_text(v)
                    if re.fullmatch(r"0+", fmt) and float(v).is_integer():
                        code_text = code_text.zfill(len(fmt))  # 001 kept as a number formatted "000"
                    row.fields["code"] = code_text
                else:
                    row.fields["code"] = _name_text(v)
            else:
                # Department names are wrapped by hand in narrow columns; long texts keep their lines.
                value_text = (
                    _name_text(v) if f in ("lead", "support", "provider", "source") else _cell_text(v)
                )
                if value_text is not None:
                    row.fields[f] = value_text
        if extra_criteria:
            parts = [(texts[c], _cell_text(row_vals[c])) for c in [field_cols["criteria"], *extra_criteria]]
            parts = [(h, t) for h, t in parts if t]
            if len(parts) > 1:
                row.fields["criteria"] = "\n".join(f"{h}：{t}" for h, t in parts)
            elif parts:
                row.fields["criteria"] = parts[0][1]
        for c, header_text in unknown_cols.items():
            t = _cell_text(row_vals[c])
            if t is not None:
                row.unknown.append((header_text, t))
        rows.append(row)
        prev, prev_levels = row, resolved
        if sheet.hidden_row(r):
            notes.append(f"第{r}行 是隐藏行，仍按一条指标读取；如该指标已停用，请删除该行")

    if not rows and not problems:
        raise UserError("指标表没有数据行（表头下方为空）", row=header_row, **where)

    groups_info = _read_group_sheet(wb, file, problems) if native else {}
    info = _read_info_sheet(wb, file, problems) if native else {}

    system = _build_tree(rows, native, groups_info, field_cols, sheet, where, level_cols, notes, problems)
    problems.raise_if_any()

    result: dict[str, Any] = {}
    if native:
        result.update(info)
    if system_id is not None:
        result["id"] = system_id
    if "id" not in result:
        slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "imported-system"
        result["id"] = slug
        notes.append(f"体系标识取为“{slug}”（来自文件名），可在导入时另行指定")
    if name is not None:
        result["name"] = name
    if "name" not in result:
        guess = title or (sheet.title if not re.fullmatch(r"(?i)sheet\d*", sheet.title) else path.stem)
        result["name"] = guess
        notes.append(f"体系名称取为“{guess}”")
    indicators = system
    if "total" not in result:
        total = sum(
            float(leaf.get("points") or 0)
            for leaf in _iter_leaves(indicators, None)
            if leaf.get("_kind", "normal") == "normal"
        )
        result["total"] = _number(total)
        notes.append(f"加权部分满分（total）取为各一般指标分值之和：{_num_text(total)}")
        _strip_private(indicators)
    result["indicators"] = indicators
    ordered = {k: result[k] for k in [k for k, _ in _INFO_FIELDS] if k in result}
    ordered.update({k: v for k, v in result.items() if k not in ordered})
    return ordered, notes


def _iter_leaves(nodes: list[dict[str, Any]], kind: str | None) -> Iterable[dict[str, Any]]:
    for node in nodes:
        k = node.get("kind", kind)
        if node.get("children"):
            yield from _iter_leaves(node["children"], k)
        else:
            node["_kind"] = k or "normal"
            yield node


def _strip_private(nodes: list[dict[str, Any]]) -> None:
    for node in nodes:
        node.pop("_kind", None)
        if node.get("children"):
            _strip_private(node["children"])


def _parse_yaml_cell(text: str, what: str, problems: ProblemCollector, **where: Any) -> Any:
    try:
        return safe_yaml.load_yaml(text)
    except UserError as e:
        detail = e.problems[0].message if e.problems else "格式错误"
        problems.add(f"{what}“{text[:40]}”无法解析，应为 YAML/JSON 写法（{detail}）", **where)
        return None


def _split_list(text: str) -> list[str]:
    return [p.strip() for p in _SEP_RE.split(text) if p.strip()]


def _node_fields(
    src: dict[str, Any], problems: ProblemCollector, where: dict[str, Any], col_of: dict[str, str]
) -> dict[str, Any]:
    """Turn the native per-node columns (rule, kind, classes, extra) into dict fields."""
    out: dict[str, Any] = {}
    for key in _TEXT_FIELDS:
        if key in src:
            out[key] = src[key]
    if "kind" in src:
        kind = _KIND_FROM_LABEL.get(str(src["kind"]).strip())
        if kind is None:
            problems.add(
                f"类型“{src['kind']}”无法识别，应为 一般 / 加分项 / 减分项（或 normal / bonus / penalty）",
                column=col_of.get("kind"),
                **where,
            )
        else:
            out["kind"] = kind
    if "classes" in src:
        out["classes"] = _split_list(str(src["classes"]))
    if "rule" in src:
        rule = _parse_yaml_cell(str(src["rule"]), "规则", problems, column=col_of.get("rule"), **where)
        if rule is not None and not (isinstance(rule, dict) and isinstance(rule.get("type"), str)):
            problems.add(
                "规则应写成 {type: 规则类型, …} 的形式，例如 {type: manual}",
                column=col_of.get("rule"),
                **where,
            )
        elif rule is not None:
            out["rule"] = rule
    if "extra" in src:
        extra = _parse_yaml_cell(str(src["extra"]), "其他字段", problems, column=col_of.get("extra"), **where)
        if extra is not None and not isinstance(extra, dict):
            problems.add("其他字段应写成 {字段: 值} 的形式", column=col_of.get("extra"), **where)
        elif extra:
            out.update(extra)
    return out


def _read_group_sheet(
    wb: Any, file: str, problems: ProblemCollector
) -> dict[tuple[str, int], dict[str, Any]]:
    if GROUP_SHEET not in wb.sheetnames:
        return {}
    ws = wb[GROUP_SHEET]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    if not rows:
        return {}
    header = {_norm_header(v): i for i, v in enumerate(rows[0]) if v is not None}
    before = len(problems.problems)
    col_of: dict[str, int] = {}
    for label, i in header.items():
        key = _GROUP_HEADER_FIELDS.get(label)
        if key:
            col_of[key] = i
    for need in ("first", "level", "name"):
        if need not in col_of:
            label = next(lb for k, lb, _ in _GROUP_COLUMNS if k == need)
            problems.add(f"缺少列「{label}」", file=file, sheet=GROUP_SHEET, row=1)
    if len(problems.problems) > before:
        return {}
    out: dict[tuple[str, int], dict[str, Any]] = {}
    letters = {k: _col_letter(i + 1) for k, i in col_of.items()}
    for r, vals in enumerate(rows[1:], start=2):
        cell = {k: vals[i] if i < len(vals) else None for k, i in col_of.items()}
        if all(_cell_text(v) is None for v in cell.values()):
            continue
        where = {"file": file, "sheet": GROUP_SHEET, "row": r}
        first = _cell_text(cell["first"])
        level_v = cell["level"]
        if first is None or not isinstance(level_v, int | float) or isinstance(level_v, bool):
            problems.add("“首个指标序号”和“层级”（数字）必须填写", **where)
            continue
        entry: dict[str, Any] = {"name": _cell_text(cell["name"]) or "", "row": r}
        if _cell_text(cell.get("code")) is not None:
            entry["code"] = _cell_text(cell["code"])
        pts = cell.get("points")
        if pts is not None:
            parsed = _parse_points(pts, "General")
            if parsed is None:
                problems.add(f"分值“{_cell_text(pts)}”不是数字", column=letters.get("points"), **where)
            else:
                entry["points"] = parsed
        src = {k: _cell_text(cell[k]) for k in cell if k not in ("first", "level", "name", "code", "points")}
        entry["fields"] = _node_fields(
            {k: v for k, v in src.items() if v is not None}, problems, where, letters
        )
        group_key = (first, int(level_v))
        if group_key in out:
            problems.add(
                f"与第{out[group_key]['row']}行重复（首个指标序号 {first}，层级 {int(level_v)}）", **where
            )
        out[group_key] = entry
    return out


def _read_info_sheet(wb: Any, file: str, problems: ProblemCollector) -> dict[str, Any]:
    ws = wb[INFO_SHEET]
    out: dict[str, Any] = {}
    for r, vals in enumerate(ws.iter_rows(values_only=True), start=1):
        if r == 1 or not vals or _cell_text(vals[0]) is None:
            continue
        key = str(_cell_text(vals[0]))
        value = vals[2] if len(vals) > 2 else None
        text = _cell_text(value)
        if text is None:
            continue
        where = {"file": file, "sheet": INFO_SHEET, "row": r, "column": "C"}
        if key in ("total", "scale"):
            num = _parse_points(value, "General")
            if num is None:
                problems.add(f"{key} 应为数字，实际为“{text}”", **where)
            else:
                out[key] = num
        elif key == "precision":
            if not isinstance(value, int | float) or isinstance(value, bool) or not float(value).is_integer():
                problems.add(f"小数位数应为整数，实际为“{text}”", **where)
            else:
                out[key] = int(value)
        elif key == "classes":
            out[key] = _split_list(text)
        elif key == "grades":
            grades = _parse_grades(text)
            if grades is None:
                grades = _parse_yaml_cell(text, "等次", problems, **where)
                if grades is not None and not isinstance(grades, list):
                    problems.add("等次应写成 优秀≥90；良好≥80 的形式", **where)
                    grades = None
            if grades is not None:
                out[key] = grades
        elif key in ("id", "name", "description", "missing", "veto"):
            out[key] = str(value) if isinstance(value, str) else text
        else:
            parsed = _parse_yaml_cell(text, key, problems, **where) if isinstance(value, str) else value
            out[key] = parsed
    return out


def _parse_grades(text: str) -> list[dict[str, Any]] | None:
    grades: list[dict[str, Any]] = []
    for part in _split_list(text):
        m = re.fullmatch(rf"(.+?)\s*(?:≥|>=)\s*(-?{_NUM})", part)
        if not m:
            return None
        grades.append({"name": m.group(1).strip(), "min": _number(float(m.group(2)))})
    return grades or None


def _build_tree(
    rows: list[_Row],
    native: bool,
    groups_info: dict[tuple[str, int], dict[str, Any]],
    field_cols: dict[str, int],
    sheet: _Sheet,
    where: dict[str, Any],
    level_cols: list[int],
    notes: list[str],
    problems: ProblemCollector,
) -> list[dict[str, Any]]:
    col_letters = {f: _col_letter(c) for f, c in field_cols.items()}

    # Rows sharing one leaf cell (a merged or blank-below deepest level) become a group.
    shared: dict[int, int] = {}  # row index -> its position (1, 2, …) among rows sharing one leaf cell
    i = 0
    while i < len(rows):
        j = i
        while (
            j + 1 < len(rows)
            and rows[j + 1].leaf_col == rows[i].leaf_col
            and rows[j + 1].leaf == rows[i].leaf
            and rows[j + 1].path == rows[i].path
            and _same_cell(sheet, rows[i], rows[j + 1], level_cols)
        ):
            j += 1
        if j > i:
            for k in range(i, j + 1):
                shared[k] = k - i + 1  # position within the block
            base, _ = _split_subtotal(rows[i].leaf)
            names = "、".join(f"{base}-{n}" for n in range(1, j - i + 2))
            notes.append(
                f"第{rows[i].excel_row}–{rows[j].excel_row}行 共用指标名称“{rows[i].leaf}”，按分组处理，下级指标依次命名为 {names}"
            )
        i = j + 1

    roots: list[dict[str, Any]] = []
    stack: list[tuple[tuple[int, str], dict[str, Any]]] = []
    codes: dict[str, int] = {}
    seen_codes = any("code" in r.fields for r in rows)
    group_first: dict[int, tuple[str, int]] = {}  # id(group) -> key for the group sheet
    used_group_keys: set[tuple[str, int]] = set()
    for idx, row in enumerate(rows):
        path = list(row.path)
        leaf_name = row.leaf
        if idx in shared:
            path.append((row.leaf_col, row.leaf))
            base, _ = _split_subtotal(row.leaf)
            leaf_name = f"{base}-{shared[idx]}"
        # Keep the open groups this row shares with the previous one.
        keep = 0
        while keep < len(stack) and keep < len(path) and stack[keep][0] == path[keep]:
            keep += 1
        del stack[keep:]
        for level_i, text in path[keep:]:
            gname, gpoints = _split_subtotal(text)
            group: dict[str, Any] = {"name": gname}
            if gpoints is not None:
                group["points"] = gpoints
            if not native:
                if gname in _BONUS_NAMES:
                    group["kind"] = "bonus"
                    notes.append(f"第{row.excel_row}行 分组“{gname}”按名称识别为加分项，下级分值为上限")
                elif gname in _PENALTY_NAMES:
                    group["kind"] = "penalty"
                    notes.append(f"第{row.excel_row}行 分组“{gname}”按名称识别为减分项，下级分值为上限")
            group["children"] = []
            (stack[-1][1]["children"] if stack else roots).append(group)
            group["_text"] = text
            group["_level"] = len(stack) + 1
            stack.append(((level_i, text), group))
        leaf: dict[str, Any] = {}
        code = row.fields.get("code")
        if code is not None:
            leaf["code"] = code
        pts = row.fields.get("points")
        # An office table may repeat the weight in the name: 支持配合协调力度(4) with 分值 4.
        name_, name_points = _split_subtotal(leaf_name)
        if native or name_points is None:
            pass
        elif pts is not None and math.isclose(float(name_points), float(pts)):
            leaf_name = name_
        elif pts is None:
            leaf_name, pts = name_, name_points
            notes.append(f"第{row.excel_row}行 指标“{name_}”的分值取自名称中的“({_num_text(name_points)})”")
        leaf["name"] = leaf_name
        if pts is not None:
            leaf["points"] = pts
        elif not native and "points" not in row.bad:
            problems.add(
                f"指标“{leaf_name}”没有分值", row=row.excel_row, column=col_letters.get("points"), **where
            )
        row_where = {**where, "row": row.excel_row}
        if native:
            leaf.update(_node_fields(row.fields, problems, row_where, col_letters))
        else:
            for key in ("criteria", "source", "provider", "lead", "support", "evidence", "manual_reason"):
                if key in row.fields:
                    leaf[key] = row.fields[key]
            extra_note = row.fields.get("evidence_or_note")
            if extra_note is not None:
                m = re.fullmatch(r"(?:由)?(.{2,30}?)(?:负责)?提供(?:数据)?[。.]?", extra_note)
                if m and "provider" not in leaf:
                    leaf["provider"] = m.group(1)
                    notes.append(f"第{row.excel_row}行 备注“{extra_note}”视为提供部门“{m.group(1)}”")
                else:
                    leaf["evidence"] = extra_note
            native_cols: dict[str, Any] = {
                k: row.fields[k]
                for k in ("rule", "kind", "applies", "classes", "veto", "extra")
                if k in row.fields
            }
            leaf.update(_node_fields(native_cols, problems, row_where, col_letters))
            # Columns with no field of their own are kept in the note rather than dropped.
            note_parts = [row.fields["note"]] if "note" in row.fields else []
            note_parts += [f"{h}：{t}" for h, t in row.unknown]
            if note_parts:
                leaf["note"] = "；".join(note_parts)
        (stack[-1][1]["children"] if stack else roots).append(leaf)
        if code is not None:
            if code in codes:
                problems.add(
                    f"序号“{code}”与第{codes[code]}行重复，指标编码必须唯一",
                    row=row.excel_row,
                    column=col_letters.get("code"),
                    **where,
                )
            else:
                codes[code] = row.excel_row
            for _, g in stack:
                if id(g) not in group_first:
                    group_first[id(g)] = (code, g["_level"])
        if not native and "rule" not in leaf:
            rule, fragment = _guess_rule(leaf.get("criteria"), pts)
            leaf["rule"] = rule
            row.raw["rule_fragment"] = fragment or ""
            row.raw["rule_type"] = rule["type"]
        leaf["_row"] = row.excel_row

    # Codes: from 序号 where given, else hierarchical ("1", "1.1", "1.1.1").
    if not seen_codes:
        notes.append("表中没有序号列或序号为空，指标编码按层级生成（1、1.1、1.1.1……）")
    _assign_codes(
        roots,
        "",
        generate_groups=not seen_codes and not native,
        mixed=seen_codes,
        codes=codes,
        notes=notes,
        problems=problems,
        where=where,
        native=native,
        code_col=col_letters.get("code"),
    )

    # Leaves carry the table's 序号; groups get codes too, so that results list their subtotals.
    if seen_codes and not native:
        planned: list[tuple[dict[str, Any], str]] = []
        _group_codes(roots, "", planned)
        clash = sorted({c for _, c in planned if c in codes})
        if clash:
            notes.append(f"分组未生成编码：生成的编码与序号 {'、'.join(clash[:5])} 重复")
        elif planned:
            for node, code in planned:
                node["code"] = code
            notes.append("分组编码按 A、B…（一级指标）、A1、A2…（二级指标）、A1.1…（更深层级）生成")

    # Notes on guessed rules, now that every leaf has its code.
    if not native:
        by_row = {x.excel_row: x for x in rows}
        for leaf in _walk(roots):
            if "children" in leaf:
                continue
            r = leaf["_row"]
            row = by_row[r]
            if row.raw.get("rule_type") and row.raw["rule_type"] != "manual":
                notes.append(
                    f"第{r}行 指标 {leaf.get('code')}：由“{row.raw['rule_fragment']}”推断为{_RULE_NAMES[row.raw['rule_type']]}"
                    f"（{_flow(leaf['rule'])}）"
                )
        manual = sum(1 for x in rows if x.raw.get("rule_type") == "manual")
        if manual:
            notes.append(
                f"{manual} 条指标的评分细则无法可靠推断为计算规则，设为人工评分（manual），细则原文保留在 criteria"
            )

    # Native layout: the group sheet adds what the level cells cannot show.
    if native:
        for group in _walk(roots):
            if "children" not in group:
                continue
            gkey = group_first.get(id(group))
            entry = groups_info.get(gkey) if gkey else None
            if gkey is None or entry is None:
                continue
            used_group_keys.add(gkey)
            if group["_text"] == _display_name(entry["name"], entry.get("points")):
                group["name"] = entry["name"]
                group.pop("points", None)
                if "points" in entry:
                    group["points"] = entry["points"]
            else:
                notes.append(
                    f"分组“{group['_text']}”与「{GROUP_SHEET}」第{entry['row']}行的名称/分值不一致，以指标表为准"
                )
            if "code" in entry:
                group["code"] = entry["code"]
            group.update(entry["fields"])
        for gkey2, entry in groups_info.items():
            if gkey2 not in used_group_keys:
                notes.append(
                    f"「{GROUP_SHEET}」第{entry['row']}行（{entry['name']}）在指标表中找不到对应分组，已忽略"
                )

    return [_clean(n) for n in roots]


def _same_cell(sheet: _Sheet, a: _Row, b: _Row, level_cols: list[int]) -> bool:
    """Whether row b repeats row a's leaf cell (merged with it, or left blank below it)."""
    col = level_cols[a.leaf_col]
    span = sheet.vertical_span(b.excel_row, col)
    if span is not None:
        return span[0] <= a.excel_row <= span[1]
    return all(_cell_text(sheet.get(b.excel_row, c)) is None for c in level_cols)


def _walk(nodes: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for node in nodes:
        yield node
        if "children" in node:
            yield from _walk(node["children"])


def _assign_codes(
    nodes: list[dict[str, Any]],
    prefix: str,
    *,
    generate_groups: bool,
    mixed: bool,
    codes: dict[str, int],
    notes: list[str],
    problems: ProblemCollector,
    where: dict[str, Any],
    native: bool,
    code_col: str | None,
) -> None:
    for i, node in enumerate(nodes, start=1):
        hier = f"{prefix}{i}"
        if "children" in node:
            if generate_groups and "code" not in node:
                node["code"] = hier
            _assign_codes(
                node["children"],
                hier + ".",
                generate_groups=generate_groups,
                mixed=mixed,
                codes=codes,
                notes=notes,
                problems=problems,
                where=where,
                native=native,
                code_col=code_col,
            )
        elif "code" not in node:
            if native:
                problems.add(
                    "序号为空：每条指标都需要序号（指标编码）", row=node["_row"], column=code_col, **where
                )
            elif hier in codes:
                problems.add(
                    f"序号为空，且按层级生成的编码“{hier}”已被第{codes[hier]}行使用",
                    row=node["_row"],
                    column=code_col,
                    **where,
                )
            else:
                node["code"] = hier
                codes[hier] = node["_row"]
                if mixed:
                    notes.append(f"第{node['_row']}行 序号为空，编码按层级生成为“{hier}”")


def _letters(n: int) -> str:
    """1 → A, 26 → Z, 27 → AA."""
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _group_codes(nodes: list[dict[str, Any]], prefix: str, out: list[tuple[dict[str, Any], str]]) -> None:
    """Group codes in the built-in systems' scheme: A, B … for 一级指标, A1, A2 … below, then A1.1."""
    n = 0
    for node in nodes:
        if "children" not in node:
            continue
        n += 1
        if not prefix:
            code = _letters(n)
        elif prefix[-1].isdigit():
            code = f"{prefix}.{n}"
        else:
            code = f"{prefix}{n}"
        out.append((node, code))
        _group_codes(node["children"], code, out)


def _clean(node: dict[str, Any]) -> dict[str, Any]:
    """Drop private keys and order the fields as the YAML contract lists them."""
    out: dict[str, Any] = {}
    for key in _NODE_KEYS:
        if key in node:
            out[key] = [_clean(c) for c in node["children"]] if key == "children" else node[key]
    for key, value in node.items():
        if key not in out and not key.startswith("_"):
            out[key] = value
    return out


# --------------------------------------------------------------------------- writing


def _leaf_rows(
    nodes: list[dict[str, Any]], ancestors: list[dict[str, Any]]
) -> Iterable[tuple[list[dict[str, Any]], dict[str, Any]]]:
    for node in nodes:
        if "children" in node:
            if not node["children"]:
                raise UserError(
                    "分组没有下级指标，无法写成表格（每行一条指标）",
                    indicator=node.get("code") or node.get("name"),
                )
            yield from _leaf_rows(node["children"], ancestors + [node])
        else:
            yield ancestors, node


def write_system_table(system: dict[str, Any], path: str | Path) -> Path:
    """Write a system (dict form) as the office's indicator table; returns the path written."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.worksheet.properties import PageSetupProperties

    path = Path(path)
    indicators = system.get("indicators") or []
    leaves = list(_leaf_rows(indicators, []))
    for _ancestors, leaf in leaves:
        if not leaf.get("code"):
            raise UserError("叶子指标缺少编码（code），无法写成表格", indicator=leaf.get("name"))
    depth = max((len(a) + 1 for a, _ in leaves), default=1)
    if depth > len(LEVEL_HEADERS):
        raise UserError(f"指标层级超过 {len(LEVEL_HEADERS)} 级，无法写成表格")

    wb = Workbook()
    ws = wb.active
    ws.title = MAIN_SHEET
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    headers = ["序号"] + LEVEL_HEADERS[:depth] + [label for _, label, _ in _WRITE_COLUMNS]
    widths = [8.0] + [16.0] * depth + [w for _, _, w in _WRITE_COLUMNS]
    ncols = len(headers)

    ws.cell(row=1, column=1, value=str(system.get("name") or ""))
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    for c, (h, w) in enumerate(zip(headers, widths), start=1):
        cell = ws.cell(row=2, column=c, value=h)
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.border = border
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        ws.column_dimensions[_col_letter(c)].width = w

    first_row = 3
    group_rows: dict[int, list[int]] = {}  # id(group) -> [first, last] row
    group_of: dict[int, tuple[dict[str, Any], int, str]] = {}
    known = set(_NODE_KEYS)
    for i, (ancestors, leaf) in enumerate(leaves):
        r = first_row + i
        ws.cell(row=r, column=1, value=str(leaf["code"]))
        for level, g in enumerate(ancestors, start=1):
            span = group_rows.setdefault(id(g), [r, r])
            span[1] = r
            group_of.setdefault(id(g), (g, level, str(leaf["code"])))
        leaf_col = 1 + len(ancestors) + 1
        ws.cell(row=r, column=leaf_col, value=str(leaf.get("name", "")))
        if leaf_col < 1 + depth:
            ws.merge_cells(start_row=r, start_column=leaf_col, end_row=r, end_column=1 + depth)
        for j, (key, _, _) in enumerate(_WRITE_COLUMNS):
            value = _cell_value(leaf, key, known)
            if value is not None:
                ws.cell(row=r, column=2 + depth + j, value=value)
    for gid, (g, level, _) in group_of.items():
        r1, r2 = group_rows[gid]
        ws.cell(row=r1, column=1 + level, value=_display_name(str(g.get("name", "")), g.get("points")))
        if r2 > r1:
            ws.merge_cells(start_row=r1, start_column=1 + level, end_row=r2, end_column=1 + level)
    last_row = first_row + len(leaves) - 1
    for row in ws.iter_rows(min_row=first_row, max_row=max(last_row, first_row), max_col=ncols):
        for cell in row:
            cell.border = border
            cell.alignment = wrap
    ws.freeze_panes = ws.cell(row=first_row, column=2 + depth)
    _print_setup(ws, PageSetupProperties, title_rows="2:2")

    # Group sheet: what a merged level cell cannot show.
    gs = wb.create_sheet(GROUP_SHEET)
    for c, (_, label, w) in enumerate(_GROUP_COLUMNS, start=1):
        cell = gs.cell(row=1, column=c, value=label)
        cell.font = Font(bold=True)
        cell.fill = head_fill
        gs.column_dimensions[_col_letter(c)].width = w
    for i, (g, level, first) in enumerate(group_of.values(), start=2):
        for c, (key, _, _) in enumerate(_GROUP_COLUMNS, start=1):
            if key == "first":
                gval: Any = first
            elif key == "level":
                gval = level
            elif key == "name":
                gval = str(g.get("name", ""))
            elif key == "code":
                gval = None if g.get("code") is None else str(g["code"])
            else:
                gval = _cell_value(g, key, known)
            if gval is not None:
                gs.cell(row=i, column=c, value=gval)
    gs.freeze_panes = "A2"

    # System sheet, second as offices expect it next to the table.
    info = wb.create_sheet(INFO_SHEET, 1)
    for c, (label, w) in enumerate([("字段", 14), ("含义", 24), ("值", 60)], start=1):
        cell = info.cell(row=1, column=c, value=label)
        cell.font = Font(bold=True)
        cell.fill = head_fill
        info.column_dimensions[_col_letter(c)].width = w
    items = list(_INFO_FIELDS) + [(k, k) for k in system if k not in _SYSTEM_KEYS]
    for r, (key, label) in enumerate(items, start=2):
        info.cell(row=r, column=1, value=key)
        info.cell(row=r, column=2, value=label)
        value = system.get(key)
        if value is None:
            continue
        if key == "classes":
            text: Any = "；".join(str(v) for v in value)
        elif key == "grades":
            simple = all(isinstance(g, dict) and set(g) == {"name", "min"} for g in value)
            text = (
                "；".join(f"{g['name']}≥{_num_text(g['min'])}" for g in value)
                if simple and value
                else _flow(value)
            )
        elif key in ("total", "scale", "precision") and isinstance(value, int | float):
            text = value
        elif isinstance(value, str) and key in {k for k, _ in _INFO_FIELDS}:
            text = value
        else:
            text = _flow(value)
        info.cell(row=r, column=3, value=text).alignment = Alignment(wrap_text=True, vertical="top")

    # Atomicity is the caller's (govassess.outputs.OutputSet); save_workbook keeps "=…" names as text.
    save_workbook(wb, path)
    return path


def _cell_value(node: dict[str, Any], key: str, known: set[str]) -> Any:
    if key == "points":
        pts = node.get("points")
        return pts if pts is not None else None
    if key == "rule":
        return _flow(node["rule"]) if "rule" in node else None
    if key == "kind":
        return _KIND_LABELS.get(node["kind"], node["kind"]) if "kind" in node else None
    if key == "classes":
        return "；".join(str(c) for c in node["classes"]) if "classes" in node else None
    if key == "extra":
        extra = {k: v for k, v in node.items() if k not in known}
        return _flow(extra) if extra else None
    value = node.get(key)
    return None if value is None else str(value)


def _print_setup(ws: Any, props_cls: Any, *, title_rows: str) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = props_cls(fitToPage=True)
    ws.print_title_rows = title_rows
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
