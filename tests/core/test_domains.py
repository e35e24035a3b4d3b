"""Issue 16: every input kind has a domain, enforced before scoring; out of it is a located refusal, never a
clamp. Each case the issue names is run through the CLI (exit 2, located Chinese message, no output file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from coretools import by_unit, make_system, run, units_of
from openpyxl import Workbook

from govassess.cli import main
from govassess.data import read_units
from govassess.errors import UserError
from govassess.indicators import system_from_yaml

SYSTEM = """\
id: dom
name: 取值范围
total: 20
scale: 100
indicators:
  - name: 全部
    code: G
    children:
      - {name: 网上受理, code: L1, points: 4, rule: {type: ratio, value: 网上受理率}}
      - {name: 目录挂接, code: L2, points: 4, rule: {type: ratio, num: 挂接目录数, den: 目录总数}}
      - {name: 运行时段, code: L3, points: 2, rule: {type: deduct, input: 运行时段, below: "99%", each: 0.25}}
      - {name: 创新, code: L4, points: 4, rule: {type: per_item, input: 创新项数, each: 2}}
      - {name: 人工, code: L5, points: 3, rule: {type: manual}}
      - {name: 制度, code: L6, points: 3, rule: {type: checklist, items: {制度健全: 3}}}
"""

GOOD = {("L1", "网上受理率"): "95%", ("L2", "挂接目录数"): "45", ("L2", "目录总数"): "50", ("L3", "运行时段"): "97%",
        ("L4", "创新项数"): "1", ("L5", "score"): "2", ("L6", "制度健全"): "是"}


@pytest.fixture
def case(tmp_path: Path):
    (tmp_path / "s.yaml").write_text(SYSTEM, encoding="utf-8")
    (tmp_path / "units.csv").write_text("unit,name,class\nA,市教育局,市级部门\n", encoding="utf-8")

    def score(capsys, replace: dict[tuple[str, str], str], *needles: str, system: str | None = None) -> dict:
        values = {**GOOD, **replace}
        lines = ["unit,indicator,input,value,note"] + [f"A,{c},{i},{v},{'理由' if c == 'L5' else ''}"
                                                        for (c, i), v in values.items()]
        (tmp_path / "inputs.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        if system:
            (tmp_path / "s.yaml").write_text(system, encoding="utf-8")
        out, xlsx = tmp_path / "r.json", tmp_path / "r.xlsx"
        out.unlink(missing_ok=True)  # left by an earlier successful call in the same test
        xlsx.unlink(missing_ok=True)
        code = main(["score", str(tmp_path / "s.yaml"), "--units", str(tmp_path / "units.csv"), "--inputs",
                     str(tmp_path / "inputs.csv"), "--out", str(out), "--xlsx", str(xlsx)])
        err = capsys.readouterr().err
        if needles:
            assert code == 2, err
            assert "Traceback" not in err and "内部错误" not in err
            for n in needles:
                assert n in err, err
            assert not out.exists() and not xlsx.exists()
            assert sorted(p.name for p in tmp_path.iterdir()) == ["inputs.csv", "s.yaml", "units.csv"]
            return {}
        assert code == 0, err
        return json.loads(out.read_text(encoding="utf-8"))["units"][0]["indicators"]

    return score


def test_good_inputs_score_as_worked_out(case, capsys):
    got = case(capsys, {})
    # L1 4 × 0.95 = 3.8; L2 45/50 × 4 = 3.6; L3 97% is 2 points below 99% → 2 − 2 × 0.25 = 1.5
    assert (got["L1"]["score"], got["L2"]["score"], got["L3"]["score"]) == (3.8, 3.6, 1.5)
    assert "网上受理率 95%" in got["L1"]["explanation"]


@pytest.mark.parametrize(
    ("key", "value", "needles"),
    [
        # 150 % of a percent that may be at most 100 %
        (("L1", "网上受理率"), "150%", ["第 2 行", "指标 L1", "「150%」超出范围", "网上受理率", "0% 到 100%"]),
        # 85 meant as 85 %: under the one reading (a bare number is a fraction) it would be 8500 %
        (("L1", "网上受理率"), "85", ["第 2 行", "指标 L1", "按小数读作 8500%", "百分比请填写 85% 或 0.85"]),
        (("L1", "网上受理率"), "1e308", ["指标 L1", "「1e308」超出可计算的范围"]),
        (("L1", "网上受理率"), "是", ["指标 L1", "「是」是文字", "输入项「网上受理率」应填数字"]),
        (("L1", "网上受理率"), "-5%", ["指标 L1", "「-5%」超出范围"]),
        (("L1", "网上受理率"), "nan", ["指标 L1", "「nan」不是有限的数字"]),
        (("L1", "网上受理率"), "inf", ["指标 L1", "「inf」不是有限的数字"]),
        # 120 of 10 catalogues
        (("L2", "挂接目录数"), "120", ["第 3 行", "指标 L2", "「120」大于「目录总数」的 50", "分子不能超过分母", "allow_above"]),
        (("L2", "目录总数"), "有", ["指标 L2", "「有」是文字", "目录总数"]),
        # below: '99%': 95 must not silently pass as 9500 %
        (("L3", "运行时段"), "95", ["指标 L3", "按小数读作 9500%", "95% 或 0.95"]),
        # counts are non-negative integers
        (("L4", "创新项数"), "-1", ["指标 L4", "「-1」超出范围", "不能小于 0"]),
        (("L4", "创新项数"), "1.5", ["指标 L4", "「1.5」应为整数"]),
        (("L4", "创新项数"), "是", ["指标 L4", "「是」是文字"]),
        # a manual score is within [0, points]
        (("L5", "score"), "4", ["指标 L5", "「4」超出范围", "0 到 3", "人工评分不能超过本指标分值"]),
        (("L5", "score"), "-1", ["指标 L5", "「-1」超出范围"]),
        # bool inputs take 是/否 or 1/0 only
        (("L6", "制度健全"), "2", ["指标 L6", "应填 是/否 或 1/0"]),
    ],
)
def test_out_of_domain_is_refused_located(case, capsys, key, value, needles):
    case(capsys, {key: value}, *needles)


def test_percent_reading_is_the_same_for_every_form(case, capsys):
    # "85%", "0.85" and "８５％" (full width, as typed on a Chinese IME) are one value: 4 × 0.85 = 3.4
    for text in ("85%", "0.85", "８５％"):
        assert case(capsys, {("L1", "网上受理率"): text})["L1"]["score"] == 3.4, text
    # 1 is 100 % (a fraction), not 1 %: 4 × 1 = 4
    assert case(capsys, {("L1", "网上受理率"): "1"})["L1"]["score"] == 4
    # the same "85" via the API / web form path (plain dicts) is refused exactly as in a CSV
    system = make_system([{"name": "网上受理", "code": "L1", "points": 4, "rule": {"type": "ratio", "value": "网上受理率"}}])
    with pytest.raises(UserError, match="按小数读作 8500%"):
        run(system, units_of(1), [("U1", "L1", "网上受理率", 85)])


def test_deduct_below_percent_compares_in_the_same_unit(case, capsys):
    # 95% is 4 points below 99% → 2 − 4 × 0.25 = 1; and 0.95 is the same value
    assert case(capsys, {("L3", "运行时段"): "95%"})["L3"]["score"] == 1.0
    assert case(capsys, {("L3", "运行时段"): "0.95"})["L3"]["score"] == 1.0


def test_allow_above_and_limits_widen_the_domain_with_a_reason(case, capsys):
    widened = SYSTEM.replace("rule: {type: ratio, num: 挂接目录数, den: 目录总数}",
                             "rule: {type: ratio, num: 挂接目录数, den: 目录总数, allow_above: true}").replace(
        "rule: {type: ratio, value: 网上受理率}",
        "rule: {type: ratio, value: 网上受理率, limits: {网上受理率: {max: 150%, reason: 超额受理按满分计}}}")
    got = case(capsys, {("L2", "挂接目录数"): "120", ("L1", "网上受理率"): "120%"}, system=widened)
    # 120/50 > 1 and 120 % > 100 %: the rule caps the ratio at 1 → full 4 points each
    assert got["L1"]["score"] == 4 and got["L2"]["score"] == 4
    # beyond the declared 150 %: refused, and the message gives the system's reason
    case(capsys, {("L1", "网上受理率"): "160%"}, "「160%」超出范围", "0% 到 150%", "超额受理按满分计", system=widened)


def test_zero_denominator_follows_on_zero():
    # default on_zero: zero → 0 points, said so; full → 4; 0 of 0 is not "numerator above denominator"
    for on_zero, expected, text in (("zero", 0, "分母为 0，按 0 分计"), ("full", 4, "分母为 0，按满分计")):
        system = make_system([{"name": "r", "code": "L", "points": 4,
                               "rule": {"type": "ratio", "num": "n", "den": "d", "on_zero": on_zero}}])
        got = by_unit(run(system, units_of(1), [("U1", "L", "n", 0), ("U1", "L", "d", 0)]))["U1"]["indicators"]["L"]
        assert got["score"] == expected and text in got["explanation"]
    # 5 of 0 is refused (above its denominator)
    with pytest.raises(UserError, match="「5」大于「d」的 0"):
        run(system, units_of(1), [("U1", "L", "n", 5), ("U1", "L", "d", 0)])


@pytest.mark.parametrize(
    ("rule_or_field", "needles"),
    [
        ('total: .inf', ["total 应为有限的正数"]),
        ('scale: .nan', ["scale 应为有限的正数"]),
        ('points: .nan', ["指标 L", "字段 points", "不能是 NaN 或无穷大"]),
        ('rule: {type: per_item, input: x, each: .inf}', ["指标 L", "rule.each", "不能是 NaN 或无穷大"]),
        ('rule: {type: bands, input: x, bands: [[.nan, 1], [5, 2]]}', ["指标 L", "rule.bands", "不能是 NaN"]),
        ('rule: {type: external, input: x, max: "nan"}', ["指标 L", "rule.max", "不能是 NaN"]),
        ('rule: {type: ratio, value: x, limits: {x: {max: 150%}}}', ["指标 L", "limits", "reason"]),
        ('rule: {type: ratio, value: x, limits: {y: {max: 1, reason: r}}}', ["指标 L", "「y」不是本规则的输入"]),
        ('rule: {type: ratio, value: x, limits: {x: {max: .inf, reason: r}}}', ["指标 L", "rule.limits", "不能是 NaN"]),
        ('rule: {type: ratio, value: x, allow_above: true}', ["指标 L", "rule.allow_above", "limits"]),
    ],
)
def test_non_finite_and_bad_parameters_refused_by_the_loader(tmp_path, capsys, rule_or_field, needles):
    leaf = "{name: 叶子, code: L, points: 2, rule: {type: ratio, value: x}}"
    text = "id: t\nname: 测试\ntotal: 2\nindicators:\n  - " + leaf + "\n"
    if rule_or_field.startswith(("total", "scale")):
        text = text.replace("total: 2\n", "total: 2\n" + rule_or_field + "\n") if "scale" in rule_or_field else \
            text.replace("total: 2", rule_or_field)
    elif rule_or_field.startswith("points"):
        text = text.replace("points: 2", rule_or_field)
    else:
        text = text.replace("rule: {type: ratio, value: x}", rule_or_field)
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["check-system", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for n in needles:
        assert n in err, err
    with pytest.raises(UserError):
        system_from_yaml(text)


def test_formula_overflow_is_not_full_marks():
    # 1e15 is the largest accepted magnitude; (1e15)^21 = 1e315 overflows to infinity: "cannot compute" → 0,
    # never infinity clamped to the full 2 points
    expr = "*".join(["x"] * 21)
    system = make_system([{"name": "f", "code": "L", "points": 2, "rule": {"type": "formula", "expr": expr}}])
    got = by_unit(run(system, units_of(1), [("U1", "L", "x", "1e15")]))["U1"]["indicators"]["L"]
    assert got["score"] == 0 and "无法计算" in got["explanation"]


def test_veto_inputs_accept_yes_no_words():
    # a veto is a yes/no question: 是 vetoes the leaf (its score becomes 0 although 95% would give 3.8)
    system = make_system([{"name": "网上受理", "code": "L", "points": 4, "veto": "虚假材料 = 1",
                           "rule": {"type": "ratio", "value": "网上受理率"}}])
    got = by_unit(run(system, units_of(2), [("U1", "L", "网上受理率", "95%"), ("U1", "L", "虚假材料", "是"),
                                            ("U2", "L", "网上受理率", "95%"), ("U2", "L", "虚假材料", "否")]))
    assert got["U1"]["indicators"]["L"]["score"] == 0 and got["U2"]["indicators"]["L"]["score"] == 3.8


# --- hidden sheets -------------------------------------------------------------------------------

def _units_book(path: Path, sheets: list[tuple[str, str, list[list[str]]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for title, state, rows in sheets:
        ws = wb.create_sheet(title)
        ws.sheet_state = state
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


HEADER = ["unit", "name", "class"]


def test_hidden_first_sheet_is_skipped_for_the_visible_one(tmp_path):
    path = _units_book(tmp_path / "u.xlsx", [("旧数据", "hidden", [HEADER, ["OLD", "旧单位", "市级部门"]]),
                                              ("单位", "visible", [HEADER, ["A", "市教育局", "市级部门"]])])
    assert read_units(path)["unit"].to_list() == ["A"]


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_header_only_on_a_hidden_sheet_is_refused_by_name(tmp_path, capsys, state):
    path = _units_book(tmp_path / "u.xlsx", [("说明", "visible", [["本工作簿用于报送单位"]]),
                                              ("单位名单", state, [HEADER, ["A", "市教育局", "市级部门"]])])
    with pytest.raises(UserError, match="隐藏的工作表「单位名单」"):
        read_units(path)
    # through the CLI: exit 2, no results
    (tmp_path / "i.csv").write_text("unit,indicator,input,value\n", encoding="utf-8")
    out = tmp_path / "r.json"
    assert main(["score", "heihe-2023", "--units", str(path), "--inputs", str(tmp_path / "i.csv"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "隐藏的工作表「单位名单」" in err and "u.xlsx" in err and not out.exists()


def test_filled_template_uses_the_same_percent_reading(case, capsys, tmp_path):
    from openpyxl import load_workbook

    case(capsys, {})  # writes s.yaml, units.csv and a complete inputs.csv
    tpl = tmp_path / "t.xlsx"
    assert main(["template", str(tmp_path / "s.yaml"), "--units", str(tmp_path / "units.csv"), "--inputs",
                 str(tmp_path / "inputs.csv"), "--out", str(tpl)]) == 0
    capsys.readouterr()

    def fill(value: object) -> int:
        wb = load_workbook(tpl)
        ws = wb["填报"]
        row = next(r for r in ws.iter_rows(min_row=2) if r[4].value == "网上受理率")
        assert "不带 % 按小数读" in row[7].value  # 填写要求 says the reading
        row[5].value = value
        filled = tmp_path / "filled.xlsx"
        wb.save(filled)
        return main(["score", str(tmp_path / "s.yaml"), "--units", str(tmp_path / "units.csv"), "--inputs", str(filled),
                     "--out", str(tmp_path / "t.json")])

    # a number cell 85 (meant as 85 %) is refused like the CSV text "85"; the text "85%" and 0.85 score 3.4
    assert fill(85) == 2
    assert "按小数读作 8500%" in capsys.readouterr().err and not (tmp_path / "t.json").exists()
    for value in ("85%", 0.85):
        assert fill(value) == 0, value
        got = json.loads((tmp_path / "t.json").read_text(encoding="utf-8"))["units"][0]["indicators"]["L1"]
        assert got["score"] == 3.4
        (tmp_path / "t.json").unlink()


def test_indicator_table_on_a_hidden_sheet_is_not_read_silently(tmp_path):
    from openpyxl import load_workbook

    from govassess.indicators.excel import read_system_table

    table = [["序号", "一级指标", "二级指标", "分值", "评分细则"], [1, "甲", "甲一", 2, "细则"]]
    old = [["序号", "一级指标", "二级指标", "分值", "评分细则"], [1, "旧", "旧一", 9, "旧细则"]]
    path = _units_book(tmp_path / "s.xlsx", [("旧版", "hidden", old), ("指标", "visible", table)])
    system, _ = read_system_table(path, system_id="s")
    # the visible table (甲, 2 points), not the hidden first sheet (旧, 9 points)
    assert system["indicators"][0]["name"] == "甲" and system["total"] == 2
    wb = load_workbook(path)
    wb["指标"].sheet_state = "veryHidden"
    wb["旧版"].sheet_state = "visible"
    wb["旧版"].delete_rows(1, 2)
    wb["旧版"].append(["说明"])
    wb.save(path)
    with pytest.raises(UserError, match="隐藏的工作表「指标」"):
        read_system_table(path, system_id="s")


def test_metrics_records_workbook_reads_the_visible_sheet(tmp_path):
    from govassess.metrics.engines import read_xlsx_rows

    path = _units_book(tmp_path / "cases.xlsx", [("旧", "hidden", [["case_id"], ["old"]]),
                                                  ("办件", "visible", [["case_id"], ["new"]])])
    header, body = read_xlsx_rows(path)
    assert header == ["case_id"] and [r for _, r in body] == [["new"]]
