"""Totals, not-applicable rescaling, bonus/penalty caps, vetoes, grades, ranks, missing inputs, rounds."""

from __future__ import annotations

import pytest
from coretools import by_unit, make_system, run, units_of

from govassess.errors import UserError
from govassess.indicators import system_from_dict
from govassess.scoring import combine_results

# A 阳江-shaped system: weights in % written as points, one 行政许可 indicator, 加减分 group
# (服务创新 bonus ≤ 10; 安全事件 and 虚假材料 penalties ≤ 5 each), grades.
YJ = {
    "id": "yj-mini", "name": "迷你阳江", "total": 10, "scale": 100,
    "grades": [{"name": "优秀", "min": 90}, {"name": "良好", "min": 80}, {"name": "合格", "min": 60}, {"name": "不合格", "min": 0}],
    "indicators": [
        {"name": "数字化服务能力", "code": "2", "children": [
            {"name": "网上受理率", "code": "2.1", "points": 4, "rule": {"type": "ratio", "value": "网上受理率"}},
            {"name": "行政许可事项即办程度", "code": "2.2", "points": 6, "applies": "has_license_items",
             "rule": {"type": "ratio", "value": "即办程度"}},
        ]},
        {"name": "加减分", "code": "4", "children": [
            {"name": "服务创新", "code": "4.1", "kind": "bonus", "points": 10, "rule": {"type": "per_item", "input": "创新项数", "each": 3}},
            {"name": "安全事件", "code": "4.2", "kind": "penalty", "points": 5, "rule": {"type": "per_item", "input": "事件数", "each": 2}},
            {"name": "虚假材料", "code": "4.3", "kind": "penalty", "points": 5, "rule": {"type": "per_item", "input": "次数", "each": 5}},
        ]},
    ],
}


def yj(**changes):
    return system_from_dict({**YJ, **changes})


def test_weighted_total_bonus_penalty_and_grade():
    # A: 2.1 = 4 × 0.9 = 3.6; 2.2 = 6 × 0.5 = 3 → 6.6/10 × 100 = 66; bonus 2 × 3 = 6; penalty 1 × 2 = 2 → 70 → 合格
    rows = [("U1", "2.1", "网上受理率", "90%"), ("U1", "2.2", "即办程度", "50%"), ("U1", "4.1", "创新项数", 2),
            ("U1", "4.2", "事件数", 1)]
    u = by_unit(run(yj(), units_of(1, has_license_items=[1]), rows))["U1"]
    assert (u["weighted"], u["bonus"], u["penalty"], u["score"], u["grade"]) == (66.0, 6.0, 2.0, 70.0, "合格")


def test_not_applicable_is_rescaled_to_100():
    # no 行政许可 items: only 2.1 counts: 4 × 0.9 = 3.6 of 4 → 90 (最后分值折算为百分制)
    u = by_unit(run(yj(), units_of(1, has_license_items=[0]), [("U1", "2.1", "网上受理率", "90%")]))["U1"]
    assert u["indicators"]["2.2"]["applicable"] is False
    assert u["weighted"] == 90.0 and u["score"] == 90.0 and u["grade"] == "优秀"
    assert u["indicators"]["2.2"]["explanation"].startswith("不适用")
    assert u["missing"] == []


def test_bonus_and_penalty_caps():
    # 5 innovations × 3 = 15 → capped 10; 4 incidents × 2 = 8 → capped 5; 虚假材料 1 × 5 = 5 → total penalty 10
    rows = [("U1", "2.1", "网上受理率", 1), ("U1", "2.2", "即办程度", 1), ("U1", "4.1", "创新项数", 5),
            ("U1", "4.2", "事件数", 4), ("U1", "4.3", "次数", 1)]
    u = by_unit(run(yj(), units_of(1, has_license_items=[1]), rows))["U1"]
    assert (u["weighted"], u["bonus"], u["penalty"], u["score"]) == (100.0, 10.0, 10.0, 100.0)


def test_bonus_group_cap():
    # a bonus group capped at 4 holding two items of 3 each → 4, not 6
    system = system_from_dict({
        "id": "g", "name": "g", "total": 2, "indicators": [
            {"name": "n", "code": "N", "points": 2, "rule": {"type": "ratio", "value": "r"}},
            {"name": "加分", "code": "B", "kind": "bonus", "points": 4, "children": [
                {"name": "b1", "code": "B1", "points": 3, "rule": {"type": "per_item", "input": "n", "each": 3}},
                {"name": "b2", "code": "B2", "points": 3, "rule": {"type": "per_item", "input": "n", "each": 3}}]}]})
    u = by_unit(run(system, units_of(1), [("U1", "N", "r", 1), ("U1", "B1", "n", 1), ("U1", "B2", "n", 1)]))["U1"]
    assert u["bonus"] == 4.0 and u["score"] == 2 / 2 * 2 + 4  # scale defaults to total = 2 → 2 + 4 = 6


def test_total_floored_at_zero():
    rows = [("U1", "2.1", "网上受理率", 0), ("U1", "2.2", "即办程度", 0.01), ("U1", "4.2", "事件数", 3)]
    u = by_unit(run(yj(), units_of(1, has_license_items=[1]), rows))["U1"]
    assert u["weighted"] == 0.6 and u["penalty"] == 5.0 and u["score"] == 0.0


def test_root_veto_zeroes_total_and_node_veto_zeroes_node():
    system = yj(veto="虚假材料认定 = 1")
    rows = [("U1", "2.1", "网上受理率", 1), ("U1", "2.2", "即办程度", 1), ("U1", "yj-mini", "虚假材料认定", "是"),
            ("U2", "2.1", "网上受理率", 1), ("U2", "2.2", "即办程度", 1)]
    res = by_unit(run(system, units_of(2, has_license_items=[1, 1]), rows))
    assert res["U1"]["vetoed"] is True and res["U1"]["score"] == 0.0
    assert res["U2"]["vetoed"] is False and res["U2"]["score"] == 100.0
    # node veto: 2.2 vetoed when 即办 data were falsified → 0 of 6, 2.1 keeps 4 → 40
    data = {**YJ, "indicators": [dict(YJ["indicators"][0], children=[
        YJ["indicators"][0]["children"][0], {**YJ["indicators"][0]["children"][1], "veto": "造假 = 1"}])]}
    system = system_from_dict(data)
    rows = [("U1", "2.1", "网上受理率", 1), ("U1", "2.2", "即办程度", 1), ("U1", "2.2", "造假", 1)]
    u = by_unit(run(system, units_of(1, has_license_items=[1]), rows))["U1"]
    assert u["indicators"]["2.2"]["score"] == 0.0 and u["score"] == 40.0
    assert "否决" in u["indicators"]["2.2"]["explanation"]


def test_a_veto_left_unknown_by_a_blank_input_is_said_not_passed_silently():
    # Veto "虚假材料认定 = 1 OR 事故数 >= 1". U1: both blank → unknown → counted as not vetoed, and said so.
    # U2: 虚假 是, 事故 blank → vetoed (one met clause decides). U3: 否 and 0 → decided, not vetoed.
    system = yj(veto="虚假材料认定 = 1 OR 事故数 >= 1")
    full = [("2.1", "网上受理率", 1), ("2.2", "即办程度", 1)]
    rows = [(u, *r) for u in ("U1", "U2", "U3") for r in full]
    rows += [("U2", "yj-mini", "虚假材料认定", "是"), ("U3", "yj-mini", "虚假材料认定", "否"), ("U3", "yj-mini", "事故数", 0)]
    result = run(system, units_of(3, has_license_items=[1, 1, 1]), rows)
    res = by_unit(result)
    assert [res[u]["vetoed"] for u in ("U1", "U2", "U3")] == [False, True, False]
    assert res["U1"]["score"] == 100.0 and res["U2"]["score"] == 0.0
    (warning,) = [w for w in result["warnings"] if "否决条件" in w]
    assert "无法判定是否否决，本次按未否决计：1 个单位（单位1）" in warning
    assert "缺少输入（事故数、虚假材料认定）" in warning
    assert {(m["indicator"], m["input"]) for m in res["U1"]["missing"]} == {
        ("yj-mini", "虚假材料认定"), ("yj-mini", "事故数")}
    assert res["U2"]["missing"] == [] and res["U3"]["missing"] == []


def test_ranks_competition_within_class_on_shown_precision():
    # totals 90, 80, 80, 70 → ranks 1, 2, 2, 4; a county is ranked separately (1)
    vals = {"U1": 0.9, "U2": 0.8, "U3": 0.8, "U4": 0.7}
    units = units_of(4, has_license_items=[0] * 4) + [{"unit": "C1", "name": "县", "class": "县(市、区)", "has_license_items": 0}]
    rows = [(u, "2.1", "网上受理率", v) for u, v in vals.items()] + [("C1", "2.1", "网上受理率", 0.5)]
    res = by_unit(run(yj(), units, rows))
    assert [res[u]["rank"] for u in ("U1", "U2", "U3", "U4", "C1")] == [1, 2, 2, 4, 1]
    # 80.001 and 80.004 both show as 80.00: they tie
    rows = [("U1", "2.1", "网上受理率", 0.80001), ("U2", "2.1", "网上受理率", 0.80004)]
    res = by_unit(run(yj(), units_of(2, has_license_items=[0, 0]), rows))
    assert res["U1"]["rank"] == res["U2"]["rank"] == 1


def test_missing_zero_is_flagged_and_missing_error_refuses():
    rows = [("U1", "2.1", "网上受理率", 1)]
    u = by_unit(run(yj(), units_of(1, has_license_items=[1]), rows))["U1"]
    assert u["missing"] == [{"indicator": "2.2", "input": "即办程度"}]
    assert u["weighted"] == 40.0  # 4 of 10
    assert "缺少输入：即办程度" in u["indicators"]["2.2"]["explanation"]
    with pytest.raises(UserError) as err:
        run(yj(missing="error"), units_of(1, has_license_items=[1]), rows)
    assert any(p.indicator == "2.2" and p.field == "即办程度" for p in err.value.problems)


def test_lost_points_sorted_with_reasons():
    # 2.1 loses 4 × 0.25 = 1; 2.2 loses 6 × 0.5 = 3; penalty 2 → lost order 2.2 (3), 4.2 (2), 2.1 (1)
    rows = [("U1", "2.1", "网上受理率", 0.75), ("U1", "2.2", "即办程度", 0.5), ("U1", "4.2", "事件数", 1)]
    u = by_unit(run(yj(), units_of(1, has_license_items=[1]), rows))["U1"]
    assert [(x["indicator"], x["lost"]) for x in u["lost"]] == [("2.2", 3.0), ("4.2", 2.0), ("2.1", 1.0)]
    assert "即办程度 50%" in u["lost"][0]["reason"]
    assert u["indicators"]["2"] == {"score": 6.0, "points": 10.0, "applicable": True, "explanation": "下级指标合计 6 / 10 分"}


def test_unknown_unit_indicator_input_duplicate_and_text_are_located():
    rows = [("U9", "2.1", "网上受理率", 1), ("U1", "9.9", "x", 1), ("U1", "2.1", "受理率", 1),
            ("U1", "2.2", "即办程度", "很高"), ("U1", "2.1", "网上受理率", 1), ("U1", "2.1", "网上受理率", 0.5)]
    with pytest.raises(UserError) as err:
        run(yj(), units_of(1, has_license_items=[1]), rows)
    found = {(p.row, p.column) for p in err.value.problems}
    # row numbers are 1-based positions of the rows given
    assert {(1, "unit"), (2, "indicator"), (3, "input"), (4, "value"), (6, "value")} <= found
    text = str(err.value)
    assert "未知单位「U9」" in text and "9.9" in text and "应为：网上受理率" in text and "很高" in text and "重复" in text


def test_applies_with_unknown_attribute_names_the_indicator():
    with pytest.raises(UserError) as err:
        run(yj(), units_of(1), [("U1", "2.1", "网上受理率", 1)])
    p = err.value.problems[0]
    assert p.indicator == "2.2" and p.field == "applies" and "has_license_items" in p.message


def test_combine_rounds_40_60_and_missing_unit_reported():
    def result(round_name, scores):
        return {"system": {"id": "s", "name": "s", "precision": 2, "grades": [{"name": "优秀", "min": 85}, {"name": "合格", "min": 0}]},
                "round": round_name,
                "units": [{"unit": u, "name": u, "class": "市级部门", "score": s} for u, s in scores.items()]}

    h1 = result("上半年", {"A": 80.0, "B": 90.0, "C": 70.0})
    h2 = result("下半年", {"A": 90.0, "B": 80.0})
    annual = combine_results([h1, h2], [0.4, 0.6])
    got = {u["unit"]: u for u in annual["units"]}
    # A: 0.4 × 80 + 0.6 × 90 = 86 → 优秀, rank 1; B: 0.4 × 90 + 0.6 × 80 = 84 → 合格, rank 2
    assert (got["A"]["score"], got["A"]["rank"], got["A"]["grade"]) == (86.0, 1, "优秀")
    assert (got["B"]["score"], got["B"]["rank"], got["B"]["grade"]) == (84.0, 2, "合格")
    assert got["C"]["score"] is None and got["C"]["missing_rounds"] == ["下半年"]
    assert any("C" in w and "下半年" in w for w in annual["warnings"])
    reweighted = {u["unit"]: u for u in combine_results([h1, h2], [0.4, 0.6], partial="reweight")["units"]}
    assert reweighted["C"]["score"] == 70.0
    with pytest.raises(UserError):
        combine_results([h1, h2], [0.5, 0.6])


def test_structural_problems_become_warnings():
    # declared group subtotal 12 but children sum to 10: scoring proceeds and the results say so
    data = {**YJ, "indicators": [dict(YJ["indicators"][0], points=12), YJ["indicators"][1]]}
    res = run(system_from_dict(data), units_of(1, has_license_items=[1]), [("U1", "2.1", "网上受理率", 1)])
    assert any("小计 12" in w for w in res["warnings"])


def test_input_notes_are_part_of_the_explanation():
    # an inspection finding: the note carries the pages behind the figure, so the unit sees why it lost points
    rows = [("U1", "2.1", "网上受理率", 0.5, "抽查页面 http://x.gov.cn/a.html 未注明来源")]
    u = by_unit(run(yj(), units_of(1, has_license_items=[0]), rows))["U1"]
    assert "依据：抽查页面 http://x.gov.cn/a.html 未注明来源" in u["indicators"]["2.1"]["explanation"]
    assert "依据" in u["lost"][0]["reason"]


def test_full_manual_score_with_lost_point_reason_is_flagged():
    # U1: 3/3 with "部分佐证材料缺失" contradicts itself → one warning; U2: 3/3 "无缺失，不扣分" is coherent;
    # U3: 2/3 "缺失一项，扣 1 分" is coherent (the points were lost).
    system = make_system([{"name": "领导机制", "code": "L", "points": 3, "rule": {"type": "manual"}}])
    res = run(system, units_of(3), [("U1", "L", "score", 3, "部分佐证材料缺失"), ("U2", "L", "score", 3, "材料齐全，无缺失，不扣分"),
                                    ("U3", "L", "score", 2, "缺失一项，扣 1 分")])
    flagged = [w for w in res["warnings"] if "人工评分为满分" in w]
    assert len(flagged) == 1 and "U1" in flagged[0] and "部分佐证材料缺失" in flagged[0] and "L" in flagged[0]


def test_cap_keeps_a_total_with_bonus_within_100():
    # weighted part: L 8 of 10 points → 80, or 10 of 10 → 100; bonus B up to 10.
    # U1: 80 + 6 = 86 (under the cap); U2: 100 + 5 = 105 → capped at 100; U3: 80 + 6 − 3 = 83
    system = make_system([
        {"name": "常规", "code": "L", "points": 10, "rule": {"type": "manual"}},
        {"name": "创新", "code": "B", "points": 10, "kind": "bonus", "rule": {"type": "manual"}},
        {"name": "安全", "code": "P", "points": 5, "kind": "penalty", "rule": {"type": "manual"}},
    ], cap=100)
    rows = [("U1", "L", "score", 8, "扣 2 分"), ("U1", "B", "score", 6, "创新"),
            ("U2", "L", "score", 10, "齐全"), ("U2", "B", "score", 5, "创新"),
            ("U3", "L", "score", 8, "扣 2 分"), ("U3", "B", "score", 6, "创新"), ("U3", "P", "score", 3, "事件")]
    res = run(system, units_of(3), rows)
    assert {u["unit"]: u["score"] for u in res["units"]} == {"U1": 86, "U2": 100, "U3": 83}
    assert any("总分上限 100 分：1 个单位（单位2）" in n for n in res["notices"])


def test_yangjiang_systems_cap_at_100_as_the_seed_says():
    # seed 004 附件1: "最后分值折算为百分制"
    from govassess.indicators import load_system

    for sid in ("yangjiang-2021-dept", "yangjiang-2021-county"):
        system = load_system(sid)
        assert system.cap == 100 and "最后分值折算为百分制" in (system.description or "")
