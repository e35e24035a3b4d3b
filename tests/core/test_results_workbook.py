"""The results workbook (issue 2, section 5), read back cell by cell with openpyxl.

The results dict is written by hand: four 市级部门 with a tie for second place (ranks 1, 2, 2, 4 —
competition ranking), one vetoed unit, one 县 in a class whose name holds a character Excel forbids
in sheet names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from govassess.reports.workbook import sheet_title, write_results_workbook


def _ind(score: float, points: float, explanation: str, applicable: bool = True) -> dict[str, Any]:
    return {"score": score, "points": points, "applicable": applicable, "explanation": explanation}


def _unit(
    code: str, name: str, cls: str, score: float, rank: int, grade: str, **extra: Any
) -> dict[str, Any]:
    unit = {
        "unit": code,
        "name": name,
        "class": cls,
        "score": score,
        "weighted": score,
        "bonus": 0,
        "penalty": 0,
        "rank": rank,
        "grade": grade,
        "vetoed": False,
        "missing": [],
        "indicators": {},
        "lost": [],
    }
    unit.update(extra)
    return unit


COUNTY = "县(市、区)/新区"

RESULTS: dict[str, Any] = {
    "system": {"id": "yj-test", "name": "阳江测试体系", "total": 6, "scale": 100},
    "round": "2021年上半年",
    "indicators": [
        {
            "code": "1",
            "name": "数字化支撑能力",
            "level": 1,
            "parent": None,
            "points": 6,
            "kind": "normal",
            "is_leaf": False,
        },
        {
            "code": "1.1",
            "name": "办件量",
            "level": 2,
            "parent": "1",
            "points": 2,
            "kind": "normal",
            "is_leaf": True,
        },
        {
            "code": "1.2",
            "name": "证照制发",
            "level": 2,
            "parent": "1",
            "points": 4,
            "kind": "normal",
            "is_leaf": True,
        },
        {
            "code": "2",
            "name": "服务创新",
            "level": 1,
            "parent": None,
            "points": 10,
            "kind": "bonus",
            "is_leaf": True,
        },
    ],
    "units": [
        # Listed out of rank order on purpose.
        _unit(
            "U3",
            "市教育局",
            "市级部门",
            85.456,
            2,
            "良好",
            indicators={
                "1": _ind(3.0, 6, "小计 3.00 / 6"),
                "1.1": _ind(1.5, 2, "办件量 75%，得 1.5 分"),
                "1.2": _ind(1.5, 4, "证照 37.5%，得 1.5 分"),
                "2": _ind(0, 10, "无创新"),
            },
            lost=[
                {"indicator": "1.1", "name": "办件量", "lost": 0.5, "reason": "办件量未达标"},
                {"indicator": "1.2", "name": "证照制发", "lost": 2.5, "reason": "证照种类不足"},
            ],
        ),
        _unit(
            "U1",
            "市财政局",
            "市级部门",
            90,
            1,
            "优秀",
            bonus=2,
            weighted=88,
            indicators={
                "1": _ind(6, 6, "满分"),
                "1.1": _ind(2, 2, "满分"),
                "1.2": _ind(4, 4, "满分"),
                "2": _ind(2, 10, "创新 1 项"),
            },
        ),
        _unit(
            "U2",
            "市公安局",
            "市级部门",
            85.456,
            2,
            "良好",
            indicators={
                "1": _ind(2, 2, "小计"),
                "1.1": _ind(2, 2, "满分"),
                "1.2": _ind(0, 0, "无行政许可事项，不适用", applicable=False),
                "2": _ind(0, 10, "无创新"),
            },
        ),
        _unit(
            "U10",
            "市卫健委",
            "市级部门",
            0,
            4,
            "不合格",
            vetoed=True,
            weighted=70.004,
            penalty=5,
            missing=[{"indicator": "1.1", "input": "办件量"}],
            lost=[{"indicator": "1.2", "name": "证照制发", "lost": 4, "reason": "否决"}],
        ),
        _unit("C1", "阳春市", COUNTY, 77.777, 1, "合格"),
    ],
    "warnings": ["市卫健委 缺少 1 项输入，按 0 分计"],
}


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("wb") / "results.xlsx"
    write_results_workbook(RESULTS, path)
    return load_workbook(path)


def _rows(ws: Any, first: int) -> list[tuple[Any, ...]]:
    return [r for r in ws.iter_rows(min_row=first, values_only=True)]


def test_sheets_one_ranking_per_class_and_sanitised_names(book: Any) -> None:
    # "/" is not allowed in a sheet name.
    assert book.sheetnames == [
        "排名-市级部门",
        "排名-县(市、区)_新区",
        "得分矩阵",
        "失分项",
        "评分说明",
        "缺数",
        "提示",
    ]


def test_ranking_order_tie_and_values(book: Any) -> None:
    ws = book["排名-市级部门"]
    assert ws["A1"].value == "阳江测试体系 2021年上半年 排名（市级部门）"
    assert [c.value for c in ws[2]] == [
        "名次",
        "单位代码",
        "单位",
        "总分",
        "加权得分",
        "加分",
        "减分",
        "等次",
        "否决",
    ]
    # Rank 1, then the two units tied at 2 in the order the results list them, then rank 4.
    assert _rows(ws, 3) == [
        (1, "U1", "市财政局", 90, 88, 2, 0, "优秀", None),
        (2, "U3", "市教育局", 85.456, 85.456, 0, 0, "良好", None),
        (2, "U2", "市公安局", 85.456, 85.456, 0, 0, "良好", None),
        (4, "U10", "市卫健委", 0, 70.004, 0, 5, "不合格", "是"),
    ]
    for col in "DEFG":
        assert ws[f"{col}4"].number_format == "0.00"  # 85.456 shows as 85.46
    assert ws["A3"].number_format == "General"
    county = book["排名-县(市、区)_新区"]
    assert county["A1"].value == f"阳江测试体系 2021年上半年 排名（{COUNTY}）"
    assert _rows(county, 3) == [(1, "C1", "阳春市", 77.777, 77.777, 0, 0, "合格", None)]


def test_print_setup_on_every_sheet(book: Any) -> None:
    for ws in book.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.print_title_rows, ws.title
        assert ws.oddFooter.center.text == "第 &P 页，共 &N 页", ws.title  # page numbers when printed
    ranking = book["排名-市级部门"]
    assert ranking.freeze_panes == "A3"
    assert ranking.print_title_rows == "$2:$2"
    assert ranking.column_dimensions["C"].width == 28
    assert ranking["B3"].border.left.style == "thin"


def test_matrix_grouped_headers_and_scores(book: Any) -> None:
    ws = book["得分矩阵"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    # Header rows 2-3 are the two levels, row 4 the codes, row 5 full points; units from row 6.
    assert ws["E2"].value == "数字化支撑能力" and "E2:G2" in merged
    assert (ws["E3"].value, ws["F3"].value, ws["G3"].value) == ("小计", "办件量", "证照制发")
    assert ws["H2"].value == "服务创新（加分）" and "H2:H3" in merged
    assert {"A2:A5", "B2:B5", "C2:C5", "D2:D5"} <= merged
    assert [c.value for c in ws[4]][4:] == ["1", "1.1", "1.2", "2"]
    assert [c.value for c in ws[5]][4:] == [6, 2, 4, 10]
    # Units in code order, numbers sorted as numbers: C1, U1, U2, U3, U10.
    assert [r[0] for r in _rows(ws, 6)] == ["C1", "U1", "U2", "U3", "U10"]
    assert _rows(ws, 7)[0] == ("U1", "市财政局", "市级部门", 90, 6, 2, 4, 2)
    assert _rows(ws, 8)[0] == ("U2", "市公安局", "市级部门", 85.456, 2, 2, "不适用", 0)
    assert _rows(ws, 6)[0] == ("C1", "阳春市", COUNTY, 77.777, None, None, None, None)  # no indicator detail
    assert ws["F7"].number_format == "0.00"
    assert ws.freeze_panes == "E6"
    assert ws.print_title_rows == "$2:$5"


def test_lost_points_sorted_by_unit_then_points_lost(book: Any) -> None:
    ws = book["失分项"]
    assert [c.value for c in ws[2]] == ["单位代码", "单位", "指标编码", "指标名称", "失分", "原因"]
    assert _rows(ws, 3) == [
        ("U3", "市教育局", "1.2", "证照制发", 2.5, "证照种类不足"),  # 2.5 before 0.5
        ("U3", "市教育局", "1.1", "办件量", 0.5, "办件量未达标"),
        ("U10", "市卫健委", "1.2", "证照制发", 4, "否决"),
    ]
    assert ws["E3"].number_format == "0.00"
    assert ws["F3"].alignment.wrap_text


def test_explanations_per_unit_in_tree_order(book: Any) -> None:
    ws = book["评分说明"]
    assert [c.value for c in ws[2]] == [
        "单位代码",
        "单位",
        "指标编码",
        "指标名称",
        "得分",
        "满分",
        "适用",
        "说明",
    ]
    rows = _rows(ws, 3)
    assert [r[0] for r in rows] == ["U1"] * 4 + ["U2"] * 4 + ["U3"] * 4
    assert rows[4:8] == [
        ("U2", "市公安局", "1", "数字化支撑能力", 2, 2, "是", "小计"),
        ("U2", "市公安局", "1.1", "办件量", 2, 2, "是", "满分"),
        ("U2", "市公安局", "1.2", "证照制发", 0, 0, "否", "无行政许可事项，不适用"),
        ("U2", "市公安局", "2", "服务创新", 0, 10, "是", "无创新"),
    ]


def test_missing_and_warnings_sheets(book: Any) -> None:
    assert _rows(book["缺数"], 3) == [("U10", "市卫健委", "1.1", "办件量")]
    assert _rows(book["提示"], 3) == [(1, "市卫健委 缺少 1 项输入，按 0 分计")]


def test_no_units_still_gives_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    write_results_workbook(
        {"system": {"id": "x", "name": "空"}, "round": None, "indicators": [], "units": []}, path
    )
    wb = load_workbook(path)
    assert wb.sheetnames == ["排名-未分类", "得分矩阵", "失分项", "评分说明"]
    assert wb["排名-未分类"]["A1"].value == "空 排名（未分类）"


@pytest.mark.parametrize(
    ("text", "taken", "expected"),
    [
        ("排名-市级部门", [], "排名-市级部门"),
        ("排名-a[b]:c*d?e/f\\g", [], "排名-a_b__c_d_e_f_g"),
        ("排名-" + "很长的类别名称" * 6, [], ("排名-" + "很长的类别名称" * 6)[:31]),
        ("排名-A", ["排名-a"], "排名-A(2)"),  # Excel compares sheet names without case
        ("x" * 40, ["x" * 31], "x" * 28 + "(2)"),
        ("'引号'", [], "引号"),
    ],
)
def test_sheet_title(text: str, taken: list[str], expected: str) -> None:
    got = sheet_title(text, taken)
    assert got == expected
    assert len(got) <= 31


def test_levels_follow_listed_parents(tmp_path: Path) -> None:
    # Results list coded nodes only: a leaf on level 3 whose groups have no code is a top header.
    results = {
        "system": {"id": "x", "name": "x"},
        "round": None,
        "indicators": [
            {
                "code": "7",
                "name": "孤立叶子",
                "level": 3,
                "parent": None,
                "points": 2,
                "kind": "normal",
                "is_leaf": True,
            },
            {
                "code": "G",
                "name": "组",
                "level": 1,
                "parent": None,
                "points": 1,
                "kind": "normal",
                "is_leaf": False,
            },
            {
                "code": "8",
                "name": "组内",
                "level": 2,
                "parent": "G",
                "points": 1,
                "kind": "normal",
                "is_leaf": True,
            },
        ],
        "units": [_unit("U1", "甲", "市级部门", 50, 1, "合格")],
    }
    path = tmp_path / "lv.xlsx"
    write_results_workbook(results, path)
    ws = load_workbook(path)["得分矩阵"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert ws["E2"].value == "孤立叶子" and "E2:E3" in merged
    assert ws["F2"].value == "组" and "F2:G2" in merged and ws["G3"].value == "组内"


def test_workbook_from_a_real_scoring_run(tmp_path: Path) -> None:
    from govassess.data import inputs_from_rows, units_from_rows
    from govassess.indicators import load_system
    from govassess.scoring import score_round

    system = load_system("yangjiang-2021-dept")
    units = units_from_rows(
        [
            {
                "unit": "D01",
                "name": "市发展改革局",
                "class": "市级部门",
                "has_license_items": 1,
                "has_application_items": 1,
            },
            {
                "unit": "D02",
                "name": "市教育局",
                "class": "市级部门",
                "has_license_items": 0,
                "has_application_items": 1,
            },
        ]
    )
    results = score_round(
        system, units, inputs_from_rows(system, units, []), round_name="2021年上半年"
    ).to_dict()
    path = tmp_path / "real.xlsx"
    write_results_workbook(results, path)
    wb = load_workbook(path)
    assert wb.sheetnames[:5] == ["排名-市级部门", "得分矩阵", "失分项", "评分说明", "缺数"]
    matrix = wb["得分矩阵"]
    # One column per listed node after the four unit columns.
    assert matrix.max_column == 4 + len(results["indicators"])
    explained = wb["评分说明"]
    assert explained.max_row == 2 + 2 * len(results["indicators"])
    # 33 事项进驻率 does not apply to a unit without 行政许可 items.
    row = next(r for r in explained.iter_rows(min_row=3, values_only=True) if r[0] == "D02" and r[2] == "33")
    assert row[6] == "否"


def test_combined_rounds_ranking(tmp_path: Path) -> None:
    # combine's JSON: 40 % 上半年 + 60 % 下半年; C2 misses 下半年 and is reported, not ranked.
    combined = {
        "system": {"id": "yj", "name": "阳江测试体系"},
        "rounds": ["2021年上半年", "2021年下半年"],
        "weights": [0.4, 0.6],
        "units": [
            {
                "unit": "C1",
                "name": "江城区",
                "class": "县(市、区)",
                "rounds": {"2021年上半年": 80, "2021年下半年": 90},
                "missing_rounds": [],
                "score": 86,
                "rank": 2,
                "grade": "良好",
            },  # 0.4*80 + 0.6*90 = 86
            {
                "unit": "C2",
                "name": "阳东区",
                "class": "县(市、区)",
                "rounds": {"2021年上半年": 95, "2021年下半年": None},
                "missing_rounds": ["2021年下半年"],
                "score": None,
                "rank": None,
                "grade": None,
            },
            {
                "unit": "C3",
                "name": "阳春市",
                "class": "县(市、区)",
                "rounds": {"2021年上半年": 90, "2021年下半年": 88.5},
                "missing_rounds": [],
                "score": 89.1,
                "rank": 1,
                "grade": "良好",
            },  # 36 + 53.1 = 89.1
        ],
        "warnings": ["单位 C2（阳东区）缺少 2021年下半年 的结果，未计算合并得分"],
    }
    path = tmp_path / "annual.xlsx"
    write_results_workbook(combined, path)
    wb = load_workbook(path)
    assert wb.sheetnames == ["排名-县(市、区)", "提示"]
    ws = wb["排名-县(市、区)"]
    assert ws["A1"].value == "阳江测试体系 合并（2021年上半年、2021年下半年） 排名（县(市、区)）"
    assert [c.value for c in ws[2]] == [
        "名次",
        "单位代码",
        "单位",
        "合并得分",
        "2021年上半年（40%）",
        "2021年下半年（60%）",
        "等次",
        "缺少轮次",
    ]
    assert _rows(ws, 3) == [
        (1, "C3", "阳春市", 89.1, 90, 88.5, "良好", None),
        (2, "C1", "江城区", 86, 80, 90, "良好", None),
        (None, "C2", "阳东区", None, 95, None, None, "2021年下半年"),
    ]
    assert ws["D3"].number_format == "0.00"
