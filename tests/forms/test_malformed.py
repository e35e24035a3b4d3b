"""Property-based tests: malformed workbooks never produce a traceback, and every problem is located."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from survey_helpers import system_row, unit_row

from govassess.errors import UserError
from govassess.forms.model import load_form
from govassess.forms.survey import survey_validate

FORM = load_form()
SYSTEMS = FORM.sheet("systems")
CHOICE = [f.name for f in SYSTEMS.fields if f.type == "choice"]
NUMBER = [f.name for f in SYSTEMS.fields if f.type in ("number", "integer")]
DATE = [f.name for f in SYSTEMS.fields if f.type == "date"]
REQUIRED_TEXT = [f.name for f in SYSTEMS.fields if f.type == "text" and f.required and f.name != "部门全称"]
FULL = str.maketrans("0123456789.-", "０１２３４５６７８９．－")

# Mutations that must be reported at their own row and column.
bad_cell = st.one_of(
    st.tuples(
        st.just("choice"),
        st.sampled_from(CHOICE),
        st.text(alphabet="甲乙丙abcXYZ12 ", min_size=1, max_size=6).map(lambda t: "无此项" + t),
    ),
    st.tuples(
        st.just("number"), st.sampled_from(NUMBER), st.sampled_from(["abc", "12万元", "1,2,3", "--1", True])
    ),
    st.tuples(
        st.just("date"),
        st.sampled_from(DATE),
        st.sampled_from(["2015年13月45日", "15-10-2015", "明年", 42000.5]),
    ),
    st.tuples(st.just("formula"), st.sampled_from(REQUIRED_TEXT), st.sampled_from(["=A1&B1", "=1/0", '=""'])),
)
# Mutations a filler makes that must be accepted: same value, written differently.
benign_cell = st.one_of(
    st.tuples(st.just("spaces"), st.sampled_from(CHOICE), st.sampled_from([" ", "\u3000", "\t", "  "])),
    st.tuples(st.just("fullwidth"), st.sampled_from(["数据存储量大小", "系统使用频率"]), st.none()),
    st.tuples(
        st.just("datetext"),
        st.sampled_from(["项目立项审批日期", "系统开始使用日期"]),
        st.sampled_from(["{:%Y-%m-%d}", "{:%Y/%m/%d}", "{:%Y年%m月%d日}", " {:%Y-%m-%d} "]),
    ),
)


def _write(path: Path, rows: list[dict], mutations, *, merge: bool, hide: bool, extra_hidden: bool) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in FORM.sheets:
        ws = wb.create_sheet(sheet.name)
        ws.append([f.header for f in sheet.fields])
        data = rows if sheet.id == "systems" else [unit_row()] if sheet.id == "units" else []
        for row in data:
            ws.append([row.get(f.name) for f in sheet.fields])
        if hide and sheet.id == "networks":
            ws.sheet_state = "hidden"
    ws = wb["政务信息系统基本情况表"]
    names = [f.name for f in SYSTEMS.fields]
    for kind, r, field, value in mutations:
        cell = ws.cell(row=r + 2, column=names.index(field) + 1)
        if kind == "spaces":
            cell.value = f"{value}{cell.value}{value}"
        elif kind == "fullwidth":
            cell.value = str(cell.value).translate(FULL)
        elif kind == "datetext":
            cell.value = value.format(dt.date.fromisoformat(str(cell.value)))
        else:
            cell.value = value
    if merge and len(rows) >= 2:
        ws.merge_cells(start_row=2, start_column=3, end_row=3, end_column=3)
    if extra_hidden:
        junk = wb.create_sheet("旧数据")
        junk.append(["不相关", 1, "=SUM(B1:B1)"])
        junk.sheet_state = "hidden"
    wb.save(path)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(min_value=1, max_value=4),
    bad=st.lists(st.tuples(st.integers(0, 3), bad_cell), max_size=3),
    benign=st.lists(st.tuples(st.integers(0, 3), benign_cell), max_size=3),
    merge=st.booleans(),
    hide=st.booleans(),
    extra_hidden=st.booleans(),
)
def test_malformed_workbooks_are_reported_never_crash(
    tmp_path_factory, n, bad, benign, merge, hide, extra_hidden
):
    path = tmp_path_factory.mktemp("wb") / "s.xlsx"
    rows = [system_row(name=f"系统{i}") for i in range(n)]
    bad = [(r % n, m) for r, m in bad]
    bad_cells = {(r, m[1]) for r, m in bad}
    seen: set[tuple[int, str]] = set(bad_cells)
    benign = [(r % n, m) for r, m in benign if (r % n, m[1]) not in seen and not seen.add((r % n, m[1]))]
    mutations = [(m[0], r, m[1], m[2]) for r, m in benign + bad]
    _write(path, rows, mutations, merge=merge, hide=hide, extra_hidden=extra_hidden)
    try:
        data = survey_validate(path, form=FORM)
    except UserError as err:
        problems = err.value.problems if hasattr(err, "value") else err.problems
        for p in problems:
            assert p.file == "s.xlsx"
            assert p.sheet == "政务信息系统基本情况表" and p.row is not None and p.column, p
        located = {(p.row, p.column) for p in problems}
        for r, field in bad_cells:
            assert (r + 2, field) in located, (r, field, problems)
        if merge and n >= 2:
            assert any("合并单元格" in p.message for p in problems)
        # Benign rewrites never produce a problem of their own.
        for r, m in benign:
            assert not any(p.row == r + 2 and p.column == m[1] for p in problems), (m, problems)
        return
    assert not bad_cells and not (merge and n >= 2)
    assert len(data.rows("systems")) == n


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04broken zip", "名称,金额\n甲,1\n".encode("gbk")])
def test_garbage_files(tmp_path, content):
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    with pytest.raises(UserError) as err:
        survey_validate(path, form=FORM)
    assert err.value.problems[0].file == "x.xlsx"


@pytest.mark.slow
def test_ten_thousand_rows_with_scattered_errors(tmp_path):
    rows = [system_row(name=f"系统{i}") for i in range(10_000)]
    for i in range(0, 10_000, 1000):
        rows[i]["系统类型"] = "未知类型"  # 10 bad rows: 2, 1002, 2002, … in Excel numbering
    wb = Workbook(write_only=True)
    for sheet in FORM.sheets:
        ws = wb.create_sheet(sheet.name)
        ws.append([f.header for f in sheet.fields])
        data = rows if sheet.id == "systems" else [unit_row()] if sheet.id == "units" else []
        for row in data:
            ws.append([row.get(f.name) for f in sheet.fields])
    path = tmp_path / "big.xlsx"
    wb.save(path)
    with pytest.raises(UserError) as err:
        survey_validate(path, form=FORM)
    assert [(p.row, p.column) for p in err.value.problems] == [
        (i + 2, "系统类型") for i in range(0, 10_000, 1000)
    ]
