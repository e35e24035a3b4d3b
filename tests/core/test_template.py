"""The fill-in template: every input cell carries a data validation matching its kind and range."""

from __future__ import annotations

from openpyxl import load_workbook

from govassess.data import units_from_rows
from govassess.data.template import write_template
from govassess.indicators import load_system, system_from_dict

SYSTEM = {
    "id": "t", "name": "模板测试", "total": 14,
    "indicators": [{"name": "全部", "code": "G", "children": [
        {"name": "受理", "code": "1", "points": 2, "rule": {"type": "ratio", "value": "网上受理率"}},
        {"name": "培训", "code": "2", "points": 3, "rule": {"type": "per_item", "input": "培训次数", "each": 1}},
        {"name": "接入", "code": "3", "points": 3, "rule": {"type": "choice", "input": "接入方式", "options": {"专线": 3, "互联网": 1}}},
        {"name": "计划", "code": "4", "points": 2, "rule": {"type": "checklist", "items": {"年度计划": 2}}},
        {"name": "机制", "code": "5", "points": 2.5, "rule": {"type": "manual"}},
        {"name": "外部", "code": "6", "points": 2, "rule": {"type": "external", "input": "省考核得分", "max": 50}},
    ]}],
}


def _validations(path):
    ws = load_workbook(path)["填报"]
    by_cell = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for row in range(rng.min_row, rng.max_row + 1):
                by_cell[row] = dv
    rows = {ws.cell(r, 3).value: r for r in range(2, ws.max_row + 1)}  # one unit: indicator code → row
    return ws, rows, by_cell


def test_every_input_cell_has_a_validation_for_its_kind(tmp_path):
    system = system_from_dict(SYSTEM)
    units = units_from_rows([{"unit": "A", "name": "甲", "class": "市级部门"}])
    path = tmp_path / "t.xlsx"
    assert write_template(system, units, path) == 6
    ws, rows, dv = _validations(path)
    assert set(rows) == {"1", "2", "3", "4", "5", "6"} and all(rows[c] in dv for c in rows)
    # percent: a fraction from 0 to 1 (0%–100%, the percent domain of issue 16; Excel itself refuses 85)
    assert (dv[rows["1"]].type, dv[rows["1"]].operator, dv[rows["1"]].formula1, dv[rows["1"]].formula2) == \
        ("decimal", "between", "0", "1")
    assert "0%–100%" in ws.cell(rows["1"], 8).value
    # count: a whole number not below 0
    assert (dv[rows["2"]].type, dv[rows["2"]].operator, dv[rows["2"]].formula1) == ("whole", "greaterThanOrEqual", "0")
    # choice and 是/否: drop-down lists
    assert (dv[rows["3"]].type, dv[rows["3"]].formula1) == ("list", '"专线,互联网"')
    assert (dv[rows["4"]].type, dv[rows["4"]].formula1) == ("list", '"是,否"')
    # manual score: 0 to the leaf's 2.5 points
    assert (dv[rows["5"]].type, dv[rows["5"]].operator, dv[rows["5"]].formula1, dv[rows["5"]].formula2) == \
        ("decimal", "between", "0", "2.5")
    # external score on its own scale: 0 to 50
    assert (dv[rows["6"]].formula1, dv[rows["6"]].formula2) == ("0", "50")
    # the error and the prompt say what is allowed, in Chinese, and so does the 填写要求 column
    assert dv[rows["5"]].showErrorMessage and "0–2.5" in dv[rows["5"]].error and dv[rows["5"]].prompt
    assert ws.cell(rows["5"], 8).value == "0–2.5 分，须在备注写明理由"
    assert ws.cell(rows["2"], 8).value == "整数，不小于 0"
    assert ws.cell(rows["6"], 8).value == "数字，0–50"


def test_builtin_template_validates_every_row(tmp_path):
    from govassess.demo import demo_units

    system = load_system("yangjiang-2021-dept")
    path = tmp_path / "yj.xlsx"
    n = write_template(system, demo_units(), path)
    ws = load_workbook(path)["填报"]
    covered = {r for dv in ws.data_validations.dataValidation for rng in dv.sqref.ranges
               for r in range(rng.min_row, rng.max_row + 1)}
    assert covered == set(range(2, n + 2))
