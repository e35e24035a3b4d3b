"""The results workbook: rankings, score matrix, lost points and explanations, ready to print.

Built from the results dict (the JSON ``score`` writes). openpyxl in write-only (streaming) mode:
it is already a dependency, and streaming keeps memory flat when a national round has thousands
of units × dozens of indicators (the explanation sheet then has hundreds of thousands of rows).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from copy import copy
from pathlib import Path
from typing import Any

from govassess.outputs import save_workbook, text_cell

EXCEL_MAX_ROWS = 1_048_576
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
SCORE_FORMAT = "0.00"


def sheet_title(text: str, taken: Iterable[str] = ()) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\, not starting with '."""
    name = _BAD_SHEET_CHARS.sub("_", str(text)).strip().strip("'") or "Sheet"
    name = name[:31]
    used = {t.lower() for t in taken}
    if name.lower() not in used:
        return name
    n = 2
    while True:
        suffix = f"({n})"
        candidate = name[: 31 - len(suffix)] + suffix
        if candidate.lower() not in used:
            return candidate
        n += 1


def _natural(text: object) -> tuple[tuple[int, object], ...]:
    """Sort key that puts U2 before U10."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", str(text)) if p)


class _Styles:
    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        thin = Side(style="thin", color="808080")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.head_font = Font(bold=True)
        self.head_fill = PatternFill("solid", fgColor="DDEBF7")
        self.head_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.title_font = Font(bold=True, size=14)
        self.title_align = Alignment(horizontal="center", vertical="center")
        self.wrap = Alignment(vertical="top", wrap_text=True)
        self.center = Alignment(horizontal="center", vertical="top")


class _Book:
    """A write-only workbook with helpers for the table sheets all four kinds share."""

    def __init__(self) -> None:
        from openpyxl import Workbook

        self.wb = Workbook(write_only=True)
        self.st = _Styles()
        self.titles: list[str] = []
        self._protos: dict[str, Any] = {}

    def sheet(self, title: str) -> Any:
        name = sheet_title(title, self.titles)
        self.titles.append(name)
        return self.wb.create_sheet(name)

    def cell(self, ws: Any, value: Any, kind: str = "text") -> Any:
        from openpyxl.cell import WriteOnlyCell

        cell = text_cell(ws, WriteOnlyCell(ws, value=value))  # a name like "=HYPERLINK(…)" stays text
        # Styling each cell through openpyxl's style lookups dominates the run time on big rounds;
        # style one prototype cell per kind and copy its style ids (what openpyxl's own copy does).
        proto = self._protos.get(kind)
        if proto is None:
            proto = self._protos[kind] = self._styled(WriteOnlyCell(ws, value=None), kind)
        cell._style = copy(proto._style)
        return cell

    def _styled(self, cell: Any, kind: str) -> Any:
        st = self.st
        if kind == "head":
            cell.font, cell.fill, cell.alignment, cell.border = (
                st.head_font,
                st.head_fill,
                st.head_align,
                st.border,
            )
        elif kind == "title":
            cell.font, cell.alignment = st.title_font, st.title_align
        else:
            cell.border = st.border
            if kind == "num":
                cell.number_format = SCORE_FORMAT
            elif kind == "wrap":
                cell.alignment = st.wrap
            elif kind == "center":
                cell.alignment = st.center
        return cell

    def save(self, path: Path) -> None:
        # Atomicity is the caller's (govassess.outputs.OutputSet hands out the temporary path).
        save_workbook(self.wb, path)


def _setup_print(ws: Any, *, title_rows: str, title_cols: str | None = None) -> None:
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _merge(ws: Any, r1: int, c1: int, r2: int, c2: int) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.cell_range import CellRange

    if (r1, c1) != (r2, c2):
        ws.merged_cells.add(CellRange(f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"))


def _widths(ws: Any, widths: list[float]) -> None:
    from openpyxl.utils import get_column_letter

    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _table(
    book: _Book,
    base_title: str,
    heading: str,
    columns: list[tuple[str, float, str]],
    rows: Iterable[list[Any]],
) -> None:
    """A titled table (title row, one header row, bordered body); continues on a new sheet past Excel's row limit."""
    per_sheet = EXCEL_MAX_ROWS - 2
    it: Iterator[list[Any]] = iter(rows)
    part = 1
    while True:
        title = base_title if part == 1 else f"{base_title}({part})"
        ws = book.sheet(title)
        _widths(ws, [w for _, w, _ in columns])
        ws.freeze_panes = "A3"
        _setup_print(ws, title_rows="2:2")
        ws.append([book.cell(ws, heading if part == 1 else f"{heading}（续{part - 1}）", "title")])
        _merge(ws, 1, 1, 1, len(columns))
        ws.append([book.cell(ws, name, "head") for name, _, _ in columns])
        written = 0
        for values in it:
            ws.append([book.cell(ws, v, kind) for v, (_, _, kind) in zip(values, columns)])
            written += 1
            if written >= per_sheet:
                break
        else:
            return
        part += 1


def _num(value: Any) -> Any:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def write_results_workbook(results: dict[str, Any], path: str | Path) -> None:
    """Write the results dict (see ``score``'s JSON) as a formatted, printable workbook."""
    path = Path(path)
    system = results.get("system") or {}
    units: list[dict[str, Any]] = list(results.get("units") or [])
    indicators: list[dict[str, Any]] = list(results.get("indicators") or [])
    round_name = results.get("round")
    rounds = results.get("rounds")
    if isinstance(rounds, list) and not round_name:
        round_name = "合并（" + "、".join(str(r) for r in rounds) + "）"
    prefix = str(system.get("name") or system.get("id") or "评估结果") + (
        f" {round_name}" if round_name else ""
    )
    book = _Book()
    # A system without grades (the seed sets none) gets no empty 等次 column; the 说明 sheet says why once.
    graded = bool(system.get("grades")) or "grades" not in system or any(u.get("grade") for u in units)
    if isinstance(rounds, list):
        _combined(book, prefix, results, rounds, units, graded)
        _notices(book, prefix, results)
        book.save(path)
        return

    # Ranking, one sheet per unit class, in the order classes first appear.
    classes: dict[str, list[dict[str, Any]]] = {}
    for u in units:
        classes.setdefault(str(u.get("class") or "未分类"), []).append(u)
    if not classes:
        classes["未分类"] = []
    rank_cols = [
        ("名次", 7.0, "center"),
        ("单位代码", 12.0, "text"),
        ("单位", 28.0, "wrap"),
        ("总分", 10.0, "num"),
        ("加权得分", 10.0, "num"),
        ("加分", 8.0, "num"),
        ("减分", 8.0, "num"),
        ("等次", 9.0, "center"),
        ("否决", 7.0, "center"),
    ]
    keep = [i for i, (name, _, _) in enumerate(rank_cols) if graded or name != "等次"]
    rank_cols = [rank_cols[i] for i in keep]
    for cls, members in classes.items():
        _table(
            book,
            f"排名-{cls}",
            f"{prefix} 排名（{cls}）",
            rank_cols,
            (
                [
                    [
                        u.get("rank"),
                        u.get("unit"),
                        u.get("name") or u.get("unit"),
                        _num(u.get("score")),
                        _num(u.get("weighted")),
                        _num(u.get("bonus")),
                        _num(u.get("penalty")),
                        u.get("grade"),
                        "是" if u.get("vetoed") else "",
                    ][i]
                    for i in keep
                ]
                for u in _rank_order(members)
            ),
        )

    by_unit = sorted(enumerate(units), key=lambda p: (_natural(p[1].get("unit")), p[0]))
    _matrix(book, prefix, indicators, [u for _, u in by_unit])

    names = {str(i.get("code")): i.get("name") for i in indicators}
    position = {str(i.get("code")): n for n, i in enumerate(indicators)}

    def lost_rows() -> Iterator[list[Any]]:
        for _, u in by_unit:
            lost = sorted(
                enumerate(u.get("lost") or []),
                key=lambda p: (-(p[1].get("lost") or 0), position.get(str(p[1].get("indicator")), 0), p[0]),
            )
            for _, item in lost:
                code = str(item.get("indicator"))
                yield [
                    u.get("unit"),
                    u.get("name") or u.get("unit"),
                    code,
                    item.get("name") or names.get(code),
                    _num(item.get("lost")),
                    item.get("reason"),
                ]

    _table(
        book,
        "失分项",
        f"{prefix} 失分项",
        [
            ("单位代码", 12.0, "text"),
            ("单位", 22.0, "wrap"),
            ("指标编码", 10.0, "text"),
            ("指标名称", 26.0, "wrap"),
            ("失分", 8.0, "num"),
            ("原因", 60.0, "wrap"),
        ],
        lost_rows(),
    )

    def explanation_rows() -> Iterator[list[Any]]:
        codes = [str(i.get("code")) for i in indicators]
        for _, u in by_unit:
            per = u.get("indicators") or {}
            ordered = codes + [c for c in per if c not in position]
            for code in ordered:
                entry = per.get(code)
                if entry is None:
                    continue
                applicable = entry.get("applicable", True)
                yield [
                    u.get("unit"),
                    u.get("name") or u.get("unit"),
                    code,
                    names.get(code),
                    _num(entry.get("score")),
                    _num(entry.get("points")),
                    "是" if applicable else "否",
                    entry.get("explanation"),
                ]

    _table(
        book,
        "评分说明",
        f"{prefix} 评分说明",
        [
            ("单位代码", 12.0, "text"),
            ("单位", 20.0, "wrap"),
            ("指标编码", 10.0, "text"),
            ("指标名称", 24.0, "wrap"),
            ("得分", 8.0, "num"),
            ("满分", 8.0, "num"),
            ("适用", 6.0, "center"),
            ("说明", 60.0, "wrap"),
        ],
        explanation_rows(),
    )

    # Missing inputs and warnings, only when there are any: they decide whether results can be published.
    missing = [
        [u.get("unit"), u.get("name") or u.get("unit"), m.get("indicator"), m.get("label") or m.get("input")]
        for _, u in by_unit
        for m in u.get("missing") or []
    ]
    if missing:
        _table(
            book,
            "缺数",
            f"{prefix} 缺少的输入（按 0 分计）",
            [
                ("单位代码", 12.0, "text"),
                ("单位", 22.0, "wrap"),
                ("指标编码", 10.0, "text"),
                ("输入", 30.0, "wrap"),
            ],
            missing,
        )
    warnings = [[i, w] for i, w in enumerate(results.get("warnings") or [], start=1)]
    if warnings:
        _table(book, "提示", f"{prefix} 提示", [("序号", 6.0, "center"), ("内容", 100.0, "wrap")], warnings)
    _notices(book, prefix, results)

    book.save(path)


def _notices(book: _Book, prefix: str, results: dict[str, Any]) -> None:
    """Information (not problems): which units another system scores, that the system sets no grades …"""
    notices = [[i, n] for i, n in enumerate(results.get("notices") or [], start=1)]
    if notices:
        _table(book, "说明", f"{prefix} 说明", [("序号", 6.0, "center"), ("内容", 100.0, "wrap")], notices)


def _rank_order(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By rank (unranked last), then score, then as listed: ties keep the results' order."""
    order = sorted(
        enumerate(members),
        key=lambda p: (p[1].get("rank") is None, p[1].get("rank") or 0, -(p[1].get("score") or 0), p[0]),
    )
    return [u for _, u in order]


def _combined(
    book: _Book, prefix: str, results: dict[str, Any], rounds: list[Any], units: list[dict[str, Any]],
    graded: bool = True,
) -> None:
    """Combined rounds (``combine``'s JSON): the ranking with each round's score beside the result."""
    weights = list(results.get("weights") or [])
    labels = [
        f"{r}（{_pct(weights[i])}）" if i < len(weights) and isinstance(weights[i], int | float) else str(r)
        for i, r in enumerate(rounds)
    ]
    classes: dict[str, list[dict[str, Any]]] = {}
    for u in units:
        classes.setdefault(str(u.get("class") or "未分类"), []).append(u)
    if not classes:
        classes["未分类"] = []
    columns = (
        [
            ("名次", 7.0, "center"),
            ("单位代码", 12.0, "text"),
            ("单位", 28.0, "wrap"),
            ("合并得分", 10.0, "num"),
        ]
        + [(label, 12.0, "num") for label in labels]
        + ([("等次", 9.0, "center")] if graded else [])
        + [("缺少轮次", 16.0, "wrap")]
    )
    for cls, members in classes.items():
        _table(
            book,
            f"排名-{cls}",
            f"{prefix} 排名（{cls}）",
            columns,
            (
                [u.get("rank"), u.get("unit"), u.get("name") or u.get("unit"), _num(u.get("score"))]
                + [_num((u.get("rounds") or {}).get(str(r))) for r in rounds]
                + ([u.get("grade")] if graded else [])
                + ["、".join(str(m) for m in u.get("missing_rounds") or [])]
                for u in _rank_order(members)
            ),
        )
    warnings = [[i, w] for i, w in enumerate(results.get("warnings") or [], start=1)]
    if warnings:
        _table(book, "提示", f"{prefix} 提示", [("序号", 6.0, "center"), ("内容", 100.0, "wrap")], warnings)


def _pct(weight: float) -> str:
    return f"{round(weight * 100, 4):g}%"


def _matrix(book: _Book, prefix: str, indicators: list[dict[str, Any]], units: list[dict[str, Any]]) -> None:
    """Unit × indicator scores with grouped headers: one header row per level, then codes and full points."""
    fixed = [("单位代码", 12.0), ("单位", 22.0), ("类别", 10.0), ("总分", 9.0)]
    nf = len(fixed)
    # Header level from the parent chain of the listed nodes (results list coded nodes only, so a
    # leaf's "level" may count groups that have no column of their own).
    index = {str(i.get("code")): n for n, i in enumerate(indicators)}
    levels: list[int] = []
    for ind in indicators:
        parent = ind.get("parent")
        p = index.get(str(parent)) if parent is not None else None
        levels.append(levels[p] + 1 if p is not None and p < len(levels) else 1)
    depth = max(levels, default=1)
    head_top = 2
    code_row = head_top + depth
    points_row = code_row + 1
    ncols = nf + len(indicators)

    # Column span of every node: itself and, for a group, all its descendants (tree order).
    span_end = list(range(len(indicators)))
    for n, ind in reversed(list(enumerate(indicators))):
        parent = ind.get("parent")
        if parent is not None and str(parent) in index:
            p = index[str(parent)]
            span_end[p] = max(span_end[p], span_end[n])

    grid: list[list[Any]] = [[None] * ncols for _ in range(depth + 2)]
    merges: list[tuple[int, int, int, int]] = []
    for c, (name, _) in enumerate(fixed, start=1):
        grid[0][c - 1] = name
        merges.append((head_top, c, points_row, c))
    for n, ind in enumerate(indicators):
        col = nf + n + 1
        level = levels[n]
        label = str(ind.get("name") or ind.get("code"))
        kind = ind.get("kind")
        if kind == "bonus":
            label += "（加分）"
        elif kind == "penalty":
            label += "（减分）"
        grid[level - 1][col - 1] = label
        if ind.get("is_leaf", True):
            merges.append((head_top + level - 1, col, code_row - 1, col))
        else:
            merges.append((head_top + level - 1, col, head_top + level - 1, nf + span_end[n] + 1))
            if level < depth:
                grid[level][col - 1] = "小计"
                merges.append((head_top + level, col, code_row - 1, col))
        grid[depth][col - 1] = ind.get("code")
        grid[depth + 1][col - 1] = _num(ind.get("points"))

    ws = book.sheet("得分矩阵")
    _widths(ws, [w for _, w in fixed] + [11.0] * len(indicators))
    ws.freeze_panes = _cell_ref(points_row + 1, nf + 1)
    _setup_print(ws, title_rows=f"{head_top}:{points_row}", title_cols="A:B")
    ws.append([book.cell(ws, f"{prefix} 得分矩阵", "title")])
    _merge(ws, 1, 1, 1, min(ncols, 12))
    for r, values in enumerate(grid):
        kinds = ["head"] * ncols
        if r == depth + 1:
            kinds = ["head"] * nf + ["num"] * len(indicators)
        ws.append([book.cell(ws, v, k) for v, k in zip(values, kinds)])
    for m in merges:
        _merge(ws, *m)
    codes = [str(i.get("code")) for i in indicators]
    for u in units:
        per = u.get("indicators") or {}
        row = [
            book.cell(ws, u.get("unit")),
            book.cell(ws, u.get("name") or u.get("unit"), "wrap"),
            book.cell(ws, u.get("class")),
            book.cell(ws, _num(u.get("score")), "num"),
        ]
        for code in codes:
            entry = per.get(code)
            if entry is None:
                row.append(book.cell(ws, None))
            elif entry.get("applicable", True) is False:
                row.append(book.cell(ws, "不适用", "center"))
            else:
                row.append(book.cell(ws, _num(entry.get("score")), "num"))
        ws.append(row)


def _cell_ref(row: int, col: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"
