"""Reading and validating a filled survey workbook.

``read_workbook`` turns an .xlsx into raw sheets with python-calamine (fast, reads cached formula values);
``validate_survey`` checks every cell and every cross-field rule of the form definition and either returns the
clean data or raises one UserError listing every problem with sheet, row, column, rule and offending value.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from govassess.errors import Problem, UserError
from govassess.forms.cells import INVALID, clean_column, shown
from govassess.forms.model import Form, Rule, Sheet
from govassess.xlsx_guard import check_workbook

HEADER_SCAN_ROWS = 10


@dataclass
class RawSheet:
    """A worksheet as read: ``rows[0]`` is Excel row 1; ``merged`` holds 0-based ((r0, c0), (r1, c1)) ranges."""

    name: str
    rows: list[list[Any]]
    hidden: bool = False
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)


@dataclass
class SheetData:
    sheet: Sheet
    rows: list[dict[str, Any]]
    row_numbers: list[int]  # Excel row of each data row (header = its own row number)


@dataclass
class SurveyData:
    """A validated survey: clean typed rows per sub-table (by sheet id), plus non-blocking warnings."""

    form: Form
    file: str | None
    sheets: dict[str, SheetData]
    warnings: list[str] = field(default_factory=list)
    # Row indices (per sheet id) accepted with a notice but left out of counts and screening (停用 systems).
    excluded: dict[str, set[int]] = field(default_factory=dict)
    # The group of the form's ``separate_by`` this workbook belongs to (涉密 / 非涉密), None if no row says.
    classification: str | None = None

    def rows(self, sheet_id: str) -> list[dict[str, Any]]:
        """Every row as filed (exports keep them all)."""
        return self.sheets[sheet_id].rows if sheet_id in self.sheets else []

    def counted(self, sheet_id: str, *, left_out: bool = False) -> list[dict[str, Any]]:
        """The rows that count (summary, screening and self-evaluation use these), or with ``left_out`` the
        rows accepted but not counted."""
        skip = self.excluded.get(sheet_id, set())
        return [r for i, r in enumerate(self.rows(sheet_id)) if (i in skip) == left_out]


def column_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def read_workbook(source: str | Path | IO[bytes], *, filename: str | None = None) -> list[RawSheet]:
    """Read every sheet of an .xlsx/.xls/.ods file (a path or an open binary file) with python-calamine.
    Raises UserError if unreadable."""
    import python_calamine as pc

    path = Path(source) if isinstance(source, (str, Path)) else None
    name = filename or (path.name if path is not None else "上传文件")
    if path is not None and not path.is_file():
        raise UserError("找不到文件", file=str(source))
    check_workbook(path if path is not None else source, file=name)  # type: ignore[arg-type]
    try:
        if path is not None:
            wb = pc.CalamineWorkbook.from_path(str(path))
        else:
            wb = pc.CalamineWorkbook.from_filelike(source)  # type: ignore[arg-type]
        out = []
        for meta in wb.sheets_metadata:
            sheet = wb.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=False)
            try:
                merged = [tuple(r) for r in (sheet.merged_cell_ranges or [])]
            except Exception:  # merged ranges are only read for xlsx; other formats just skip the check
                merged = []
            hidden = str(meta.visible).split(".")[-1].lower() != "visible"
            out.append(RawSheet(name=meta.name, rows=rows, hidden=hidden, merged=merged))  # type: ignore[arg-type]
        wb.close()
        return out
    except UserError:
        raise
    except Exception:  # calamine raises its own error types and sometimes ValueError/OSError
        raise UserError(
            "无法读取工作簿：文件已损坏或不是 Excel 2007 及以上格式（.xlsx），请在 Excel 或 WPS 中打开后另存",
            file=name,
        ) from None


def _header_key(text: Any) -> str:
    if text is None:
        return ""
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lstrip("*")
    return key


def _strip_unit(key: str) -> str:
    return re.sub(r"\([^()]*\)$", "", key)


def _find_header(sheet: Sheet, raw: RawSheet) -> tuple[int, dict[str, int]]:
    """Locate the header row among the first rows and map field name → column index."""
    wanted = {_header_key(f.name): f.name for f in sheet.fields}
    best_row, best_map = -1, {}  # type: tuple[int, dict[str, int]]
    for r, row in enumerate(raw.rows[:HEADER_SCAN_ROWS]):
        mapping: dict[str, int] = {}
        for c, cell in enumerate(row):
            key = _header_key(cell)
            name = wanted.get(key) or wanted.get(_strip_unit(key))
            if name and name not in mapping:
                mapping[name] = c
        if len(mapping) > len(best_map):
            best_row, best_map = r, mapping
    return best_row, best_map


def validate_survey(form: Form, raw_sheets: list[RawSheet], *, file: str | None = None) -> SurveyData:
    """Check every sheet of the form. Returns SurveyData or raises one UserError with every problem."""
    problems: list[Problem] = []
    warnings: list[str] = []
    cutoff = form.cutoff
    by_name = {_header_key(r.name): r for r in raw_sheets}
    known = {_header_key(s.name) for s in form.sheets} | {_header_key(form.summary_name), "填表说明"}
    for r in raw_sheets:
        if _header_key(r.name) not in known:
            warnings.append(f"工作表「{r.name}」不属于{form.name}，已忽略")
    data: dict[str, SheetData] = {}
    for sheet in form.sheets:
        raw = by_name.get(_header_key(sheet.name))
        if raw is None:
            problems.append(
                Problem(
                    f"缺少工作表「{sheet.name}」（请使用下载的模板填写，不要删除或改名工作表）", file=file
                )
            )
            continue
        if raw.hidden:
            warnings.append(f"工作表「{raw.name}」处于隐藏状态，已照常读取")
        header_row, columns = _find_header(sheet, raw)
        if header_row < 0:
            problems.append(
                Problem("找不到表头行（前10行中没有任何列名与模板一致）", file=file, sheet=raw.name)
            )
            continue
        missing = [f for f in sheet.fields if f.name not in columns]
        for f in missing:
            if f.required:
                problems.append(
                    Problem(
                        f"缺少必填列「{f.name}」",
                        file=file,
                        sheet=raw.name,
                        row=header_row + 1,
                        column=f.name,
                    )
                )
            else:
                warnings.append(f"工作表「{raw.name}」缺少列「{f.name}」，按空白处理")
        body = raw.rows[header_row + 1 :]
        # Data rows: those with any non-blank cell in a form column.
        cols = list(columns.values())
        keep: list[int] = []
        for i, row in enumerate(body):
            for c in cols:
                if c < len(row):
                    v = row[c]
                    if v is not None and v != "" and not (isinstance(v, str) and not v.strip()):
                        keep.append(i)
                        break
        row_numbers = [header_row + 2 + i for i in keep]
        field_at = {c: name for name, c in columns.items()}
        for (r0, c0), (r1, c1) in raw.merged:
            if r1 > header_row and c0 <= max(cols, default=-1):
                problems.append(
                    Problem(
                        f"存在合并单元格（{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}），"
                        "请取消合并并在每一行填写完整",
                        file=file,
                        sheet=raw.name,
                        row=max(r0, header_row + 1) + 1,
                        column=field_at.get(c0, column_letter(c0)),
                    )
                )
        clean: dict[str, list[Any]] = {}
        for f in sheet.fields:
            col_index = columns.get(f.name)
            if col_index is None:
                clean[f.name] = [None] * len(keep)
                continue
            values = [body[i][col_index] if col_index < len(body[i]) else None for i in keep]
            typed, found = clean_column(f, values, cutoff)
            clean[f.name] = typed
            for idx, message, rule_label, value in found:
                problems.append(
                    _problem(file, raw.name, row_numbers[idx], f.name, message, rule_label, value)
                )
        names = [f.name for f in sheet.fields]
        rows = [dict(zip(names, vals)) for vals in zip(*(clean[n] for n in names))] if keep else []
        data[sheet.id] = SheetData(sheet=sheet, rows=rows, row_numbers=row_numbers)
    excluded: dict[str, set[int]] = {}
    for sheet in form.sheets:
        if sheet.id not in data:
            continue
        sd = data[sheet.id]
        for rule in sheet.rules:
            if rule.type == "notice_value":
                warnings.extend(_notices(rule, sd, excluded))
            else:
                problems.extend(_apply_rule(rule, sd, data, form, file))
    classification, mixed = _separation(form, data, file)
    problems.extend(mixed)
    if problems:
        problems.sort(key=lambda p: (_sheet_order(form, p.sheet), p.row or 0))
        raise UserError(problems=problems)
    # INVALID never survives a successful validation; blanks are None.
    return SurveyData(
        form=form, file=file, sheets=data, warnings=warnings, excluded=excluded, classification=classification
    )


def _notices(rule: Rule, sd: SheetData, excluded: dict[str, set[int]]) -> list[str]:
    """A value the seed says need not be filed is accepted with its status and a notice (not an error)."""
    s = rule.spec
    by_value: dict[Any, list[int]] = {}
    for i, (row, row_no) in enumerate(zip(sd.rows, sd.row_numbers)):
        value = row.get(s["field"])
        if value is not None and value is not INVALID and value in s["values"]:
            by_value.setdefault(value, []).append(row_no)
            if s.get("exclude"):
                excluded.setdefault(sd.sheet.id, set()).add(i)
    out = []
    for value, row_nos in by_value.items():
        rows = "、".join(str(n) for n in row_nos[:20]) + (
            f" 等 {len(row_nos)} 行" if len(row_nos) > 20 else " 行"
        )
        tail = "，不计入汇总、筛查和自评" if s.get("exclude") else ""
        reason = f"{rule.message}；" if rule.message else ""
        out.append(
            f"工作表「{sd.sheet.name}」第 {rows}的{s['field']}为「{value}」：{reason}已按所填状态接受{tail}"
        )
    return out


def _separation(form: Form, data: dict[str, SheetData], file: str | None) -> tuple[str | None, list[Problem]]:
    """Which group (涉密 / 非涉密) the workbook's rows belong to; rows of two groups in one file are refused."""
    sep = form.separate_by
    if sep is None:
        return None, []
    first: dict[str, tuple[str, int, Any]] = {}  # group → (sheet name, row, value) of its first row
    for sid in sep.sheets:
        sd = data.get(sid)
        if sd is None:
            continue
        for row, row_no in zip(sd.rows, sd.row_numbers):
            value = row.get(sep.field)
            group = sep.group_of(value) if value is not INVALID else None
            if group is not None and group not in first:
                first[group] = (sd.sheet.name, row_no, value)
    if len(first) <= 1:
        return next(iter(first), None), []
    found = "；".join(f"{g}：工作表「{w[0]}」第 {w[1]} 行（{w[2]}）" for g, w in first.items())
    reason = sep.message or "以下分组须分开填报"
    sheet, row_no, _ = list(first.values())[1]  # located at the first row of the second group
    problem = Problem(
        f"{reason}。本文件同时含有{'、'.join(first)}的行（{found}），请分成{len(first)}个文件分别填报",
        file=file,
        sheet=sheet,
        row=row_no,
        column=sep.field,
    )
    return None, [problem]


def _sheet_order(form: Form, name: str | None) -> int:
    for i, s in enumerate(form.sheets):
        if s.name == name:
            return i
    return -1


def _problem(
    file: str | None, sheet: str, row: int, column: str, message: str, rule: str, value: Any
) -> Problem:
    shown_value = value if isinstance(value, str) else shown(value)
    return Problem(
        f"{message}（规则：{rule}；填写值：「{shown_value}」）",
        file=file,
        sheet=sheet,
        row=row,
        column=column,
    )


def _matches(value: Any, expected: Any) -> bool:
    if expected is None:
        return value is None
    if isinstance(expected, list):
        return value in expected
    return value == expected


def _conditions_hold(row: dict[str, Any], conditions: dict[str, Any]) -> bool | None:
    """True/False, or None when a condition field is itself invalid (the rule is then skipped)."""
    for name, expected in conditions.items():
        value = row.get(name)
        if value is INVALID:
            return None
        if not _matches(value, expected):
            return False
    return True


def _resolve(name: str, row: dict[str, Any], form: Form) -> Any:
    if name == "cutoff":
        return form.cutoff
    if name == "cutoff_year":
        return form.cutoff.year
    return row.get(name)


def _label(name: str, form: Form) -> str:
    if name == "cutoff":
        return f"调查截止日期（{form.cutoff.isoformat()}）"
    if name == "cutoff_year":
        return f"调查截止年度（{form.cutoff.year}）"
    return name


_RULE_LABELS = {
    "sum_equals": "合计相等",
    "order": "先后顺序",
    "requires_if": "条件必填",
    "forbidden_value": "不予填报",
    "notice_value": "提示",
    "allowed_if": "对应关系",
    "unique": "不得重复",
    "exists_in": "单位须在单位基本情况中登记",
}


def _apply_rule(
    rule: Rule, sd: SheetData, data: dict[str, SheetData], form: Form, file: str | None
) -> list[Problem]:
    s = rule.spec
    label = _RULE_LABELS[rule.type]
    name = sd.sheet.name
    out: list[Problem] = []

    def add(row_no: int, column: str, detail: str, value: Any) -> None:
        # The definition's message says why (in the seed's words); the detail says what exactly is wrong.
        text = (
            detail
            if not rule.message
            else rule.message
            if detail == "此项须填写"
            else f"{rule.message}：{detail}"
        )
        out.append(_problem(file, name, row_no, column, text, label, value))

    if rule.type == "unique":
        seen: dict[tuple, int] = {}
        for row, row_no in zip(sd.rows, sd.row_numbers):
            key = tuple(row.get(f) for f in s["fields"])
            if any(k is None or k is INVALID for k in key):
                continue
            if key in seen:
                add(
                    row_no,
                    s["fields"][-1],
                    f"与第 {seen[key]} 行重复（{'、'.join(s['fields'])}）",
                    "／".join(str(k) for k in key),
                )
            else:
                seen[key] = row_no
        return out
    if rule.type == "exists_in":
        target = data.get(s["sheet"])
        if target is None:
            return out
        allowed = {r.get(s["target"]) for r in target.rows}
        where = f"工作表「{target.sheet.name}」的「{s['target']}」列"
        for row, row_no in zip(sd.rows, sd.row_numbers):
            value = row.get(s["field"])
            if value is None or value is INVALID or value in allowed:
                continue
            add(row_no, s["field"], f"未在{where}中登记，请先登记该单位或核对名称", value)
        return out
    for row, row_no in zip(sd.rows, sd.row_numbers):
        if rule.type == "sum_equals":
            total = row.get(s["total"])
            parts = [row.get(p) for p in s["parts"]]
            if total is None or total is INVALID or any(p is INVALID for p in parts):
                continue
            got = sum(p for p in parts if p is not None)
            if abs(got - total) > float(s.get("tolerance", 0.005)):
                add(
                    row_no,
                    s["total"],
                    f"{'＋'.join(s['parts'])} 应等于 {s['total']}",
                    f"{got:.2f} ≠ {total:.2f}",
                )
        elif rule.type == "order":
            present: list[tuple[str, Any]] = []
            for f in s["fields"]:
                v = _resolve(f, row, form)
                if v is INVALID:
                    present = []
                    break
                if v is not None:
                    present.append((f, v))
            for (fa, va), (fb, vb) in zip(present, present[1:]):
                if va > vb or (s.get("strict") and va == vb):
                    column = fb if fb not in ("cutoff", "cutoff_year") else fa
                    add(
                        row_no,
                        column,
                        f"{_label(fa, form)} 不能晚于 {_label(fb, form)}",
                        f"{shown(va)} > {shown(vb)}",
                    )
        elif rule.type == "requires_if":
            if row.get(s["field"]) is not None:
                continue
            if "when" in s:
                hold = _conditions_hold(row, s["when"])
                if hold is not True:
                    continue
            if "unless" in s:
                hold = _conditions_hold(row, s["unless"])
                if hold is not False:
                    continue
            add(row_no, s["field"], "此项须填写", "")
        elif rule.type == "forbidden_value":
            value = row.get(s["field"])
            if value is not None and value in s["values"]:
                add(row_no, s["field"], f"不能为 {'、'.join(s['values'])}", value)
        elif rule.type == "allowed_if":
            value = row.get(s["field"])
            if value is None or value is INVALID:
                continue
            if _conditions_hold(row, s["when"]) is True and value not in s["values"]:
                add(row_no, s["field"], f"应为 {'、'.join(s['values'])}", value)
    return out


def survey_validate(
    path: str | Path, *, form: Form | str = "info-system-survey", cutoff: dt.date | None = None
) -> SurveyData:
    """Service: read and validate one survey workbook. Raises UserError listing every problem."""
    from govassess.forms.model import load_form

    f = load_form(form) if isinstance(form, str) else form
    if cutoff is not None:
        f = f.with_cutoff(cutoff)
    raw = read_workbook(path)
    return validate_survey(f, raw, file=Path(path).name)
