"""Reading the small tables the methods take: comparison matrices and unit × criterion data.

Cells are kept with their location (sheet, row as the user sees it, column header) so every problem is a
located Chinese :class:`~govassess.errors.UserError`.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from govassess.errors import ProblemCollector, UserError

_FULLWIDTH = str.maketrans("０１２３４５６７８９．／－＋％", "0123456789./-+%")


@dataclass
class Sheet:
    """One sheet (or a CSV file) as text cells; ``rows[0]`` is the header row (row 1)."""

    file: str
    name: str | None  # None for CSV
    rows: list[list[Any]]
    first_row: int = 1  # the user's row number of rows[0]


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return str(int(v)) if v.is_integer() else repr(v)
    s = str(v).strip()
    return s or None


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (as a spreadsheet names its columns)."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def read_sheets(path: str | Path) -> list[Sheet]:
    """Every non-empty sheet of an XLSX, or the one table of a CSV, as raw cells."""
    p = Path(path)
    file = str(path)
    if not p.exists():
        raise UserError("文件不存在", file=file)
    if not p.is_file():
        raise UserError("不是文件", file=file)
    suffix = p.suffix.lower()
    if suffix in (".csv", ".txt"):
        raw = p.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):  # GBK: a CSV saved by Excel/WPS on Chinese Windows
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise UserError("无法识别文件编码（应为 UTF-8 或 GBK）", file=file)
        rows = [list(r) for r in csv.reader(io.StringIO(text))]
        rows = _trim(rows)
        if not rows:
            raise UserError("文件为空", file=file)
        return [Sheet(file, None, rows)]
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        from python_calamine import CalamineWorkbook

        from govassess.xlsx_guard import check_workbook

        if suffix in (".xlsx", ".xlsm"):
            check_workbook(p)  # a huge used area or a zip bomb is refused before calamine builds its grid
        try:
            wb = CalamineWorkbook.from_path(str(p))
        except Exception:  # calamine raises its own error types for broken files
            raise UserError("无法打开工作簿：文件已损坏或不是 Excel 文件", file=file) from None
        sheets = []
        for name in wb.sheet_names:
            rows = _trim([list(r) for r in wb.get_sheet_by_name(name).to_python(skip_empty_area=False)])
            if rows:
                sheets.append(Sheet(file, name, rows))
        if not sheets:
            raise UserError("工作簿中没有任何数据", file=file)
        return sheets
    raise UserError(f"不支持的文件类型 {p.suffix}：应为 CSV 或 XLSX", file=file)


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    """Drop trailing empty rows and trailing empty columns."""
    cleaned = [[_text(c) for c in r] for r in rows]
    while cleaned and all(c is None for c in cleaned[-1]):
        cleaned.pop()
    width = max((max((i + 1 for i, c in enumerate(r) if c is not None), default=0) for r in cleaned), default=0)
    return [(r + [None] * width)[:width] for r in cleaned]


_FRACTION = re.compile(r"^([0-9]*\.?[0-9]+)\s*/\s*([0-9]*\.?[0-9]+)$")


def parse_number(text: str | None) -> float | None:
    """A number as an expert writes it: 3, 0.5, 1/3, full-width digits, 25%. None if not a number."""
    if text is None:
        return None
    s = text.strip().translate(_FULLWIDTH).replace(",", "")
    m = _FRACTION.match(s)
    if m:
        den = float(m.group(2))
        return float(m.group(1)) / den if den else None
    try:
        if s.endswith("%"):
            return float(s[:-1]) / 100
        return float(s)
    except ValueError:
        return None


@dataclass
class DataTable:
    """A unit × criterion table of numbers."""

    file: str
    sheet: str | None
    units: list[str]
    criteria: list[str]
    values: np.ndarray  # shape (units, criteria), float64, no NaN


def read_data_table(path: str | Path, *, sheet: str | None = None) -> DataTable:
    """First column unit codes, one column per criterion, a number in every cell (all problems listed)."""
    sheets = read_sheets(path)
    if sheet is not None:
        chosen = [s for s in sheets if s.name == sheet]
        if not chosen:
            raise UserError(f"找不到工作表「{sheet}」，工作簿中有：{'、'.join(str(s.name) for s in sheets)}",
                            file=str(path))
        sh = chosen[0]
    else:
        sh = sheets[0]
    header = sh.rows[0]
    where: dict[str, Any] = {"file": sh.file, "sheet": sh.name}
    problems = ProblemCollector()
    criteria: list[str] = []
    for j, h in enumerate(header[1:], start=1):
        if h is None:
            problems.add("表头为空：每一列都应写上指标名称", row=sh.first_row, column=column_letter(j), **where)
        criteria.append(h or column_letter(j))
    dup = sorted({c for c in criteria if criteria.count(c) > 1})
    if dup:
        problems.add(f"表头中的指标名称重复：{'、'.join(dup)}", row=sh.first_row, **where)
    if not criteria:
        problems.add("没有指标列：第一列为单位编码，其后每列一个指标", row=sh.first_row, **where)
    problems.raise_if_any()
    units: list[str] = []
    values = np.full((len(sh.rows) - 1, len(criteria)), np.nan)
    seen: dict[str, int] = {}
    for i, row in enumerate(sh.rows[1:]):
        r = sh.first_row + 1 + i
        unit = row[0]
        if unit is None:
            problems.add("单位编码为空", row=r, column=header[0] or "A", **where)
        elif unit in seen:
            problems.add(f"单位编码「{unit}」重复（第 {seen[unit]} 行已出现）", row=r, column=header[0] or "A", **where)
        else:
            seen[unit] = r
        units.append(unit or "")
        for j, c in enumerate(criteria):
            cell = row[j + 1]
            x = parse_number(cell)
            if cell is None:
                problems.add("缺少数值", row=r, column=c, **where)
            elif x is None or not math.isfinite(x):
                problems.add(f"应为数字，实际为「{cell}」", row=r, column=c, **where)
            else:
                values[i, j] = x
    if not units:
        problems.add("表中没有任何单位的数据", **where)
    problems.raise_if_any()
    return DataTable(sh.file, sh.name, units, criteria, values)
