"""Every rule type, with expectations computed by hand from the seeds' wording.

Seed references: 001_* is the 2019 电子政务工作绩效年终考评 table (items 001–035), 000_* holds the
系统绩效自评价 formulas (业务数据增长, 系统运行时段, 数据共享情况).
"""

from __future__ import annotations

import pytest
from coretools import by_unit, make_system, run, units_of

from govassess.errors import UserError


# --- ratio ----------------------------------------------------------------------------------------
def test_ratio_num_den_seed_021(leaf_score):
    # 001 item 021: 挂接目录数/目录总数×3.  45/50 = 0.9 → 0.9 × 3 = 2.7;  50/50 → 3
    # (60 of 50 is refused unless the rule says allow_above: tests/core/test_domains.py)
    leaf = {"points": 3, "rule": {"type": "ratio", "num": "挂接目录数", "den": "目录总数"}}
    got = leaf_score(leaf, {"A": {"挂接目录数": 45, "目录总数": 50}, "B": {"挂接目录数": 50, "目录总数": 50},
                            "D": {"挂接目录数": 0, "目录总数": 50}})
    assert got == {"A": 2.7, "B": 3.0, "D": 0.0}
    # allow_above: true: 60/50 clamps to 1 → 3
    leaf = {"points": 3, "rule": {"type": "ratio", "num": "挂接目录数", "den": "目录总数", "allow_above": True}}
    assert leaf_score(leaf, {"C": {"挂接目录数": 60, "目录总数": 50}}) == {"C": 3.0}


def test_ratio_value_with_target(leaf_score):
    # score = points × min(value / target, 1): 2 × 0.72/0.9 = 1.6; 95% ≥ 90% → 2
    leaf = {"points": 2, "rule": {"type": "ratio", "value": "网上受理率", "target": "90%"}}
    assert leaf_score(leaf, {"A": {"网上受理率": "72%"}, "B": {"网上受理率": 0.95}}) == {"A": 1.6, "B": 2.0}


def test_ratio_seed_011_score_rate_times_6(leaf_score):
    # 001 item 011: 平台应用成效得分 = 12个月总得分的得分率 × 6分.  得分率 87.5% → 5.25
    leaf = {"points": 6, "rule": {"type": "ratio", "value": "得分率"}}
    assert leaf_score(leaf, {"A": {"得分率": "87.5%"}}) == {"A": 5.25}


def test_ratio_zero_denominator_policies(leaf_score):
    base = {"points": 4, "rule": {"type": "ratio", "num": "n", "den": "d"}}
    assert leaf_score(base, {"A": {"n": 0, "d": 0}}) == {"A": 0.0}
    full = {"points": 4, "rule": {"type": "ratio", "num": "n", "den": "d", "on_zero": "full"}}
    assert leaf_score(full, {"A": {"n": 0, "d": 0}}) == {"A": 4.0}


def test_ratio_zero_denominator_na_rescales():
    # on_zero: na drops the leaf for that unit: unit A has L1 = 3/3, L2 n/a → 3/3 × 100 = 100
    system = make_system([
        {"name": "甲", "code": "L1", "points": 3, "rule": {"type": "ratio", "value": "r"}},
        {"name": "乙", "code": "L2", "points": 7, "rule": {"type": "ratio", "num": "n", "den": "d", "on_zero": "na"}},
    ])
    res = by_unit(run(system, units_of(1), [("U1", "L1", "r", 1), ("U1", "L2", "n", 0), ("U1", "L2", "d", 0)]))
    assert res["U1"]["indicators"]["L2"]["applicable"] is False
    assert res["U1"]["score"] == 100.0


# --- bands ----------------------------------------------------------------------------------------
def test_bands_seed_business_data_growth(leaf_score):
    # 000 ③ 业务数据增长: 小于0不得分；大于0小于0.5得2.5分；大于等于0.5得满分，满分5分.
    # Exactly 0 is neither "大于0" nor "小于0": it earns nothing (not 大于0).
    leaf = {"points": 5, "rule": {"type": "bands", "input": "增长率", "bands": [[0.000001, 2.5], [0.5, 5]]}}
    got = leaf_score(leaf, {"A": {"增长率": -0.1}, "B": {"增长率": 0}, "C": {"增长率": 0.3}, "D": {"增长率": 0.5},
                            "E": {"增长率": "80%"}})
    assert got == {"A": 0.0, "B": 0.0, "C": 2.5, "D": 5.0, "E": 5.0}


# --- per_item -------------------------------------------------------------------------------------
def test_per_item_seed_003_training(leaf_score):
    # 001 item 003: 参加…培训，一次得1分，最高2分.  0 → 0, 1 → 1, 3 → min(3, 2) = 2
    leaf = {"points": 2, "rule": {"type": "per_item", "input": "培训次数", "each": 1}}
    assert leaf_score(leaf, {"A": {"培训次数": 0}, "B": {"培训次数": 1}, "C": {"培训次数": 3}}) == {"A": 0, "B": 1, "C": 2}


def test_per_item_seed_029_half_point_each(leaf_score):
    # 001 item 029: 每有一类电子证照…得到应用得0.5分，得满1分为止.  1 → 0.5, 2 → 1, 5 → 1
    leaf = {"points": 1, "rule": {"type": "per_item", "input": "证照类数", "each": 0.5}}
    assert leaf_score(leaf, {"A": {"证照类数": 1}, "B": {"证照类数": 2}, "C": {"证照类数": 5}}) == {"A": 0.5, "B": 1, "C": 1}


def test_per_item_seed_000_data_sharing(leaf_score):
    # 000 ⑦ 数据共享情况: 每有1次得1分，满分5分，未被申请共享不得分.  0 → 0, 3 → 3, 8 → 5
    leaf = {"points": 5, "rule": {"type": "per_item", "input": "申请部门数", "each": 1}}
    assert leaf_score(leaf, {"A": {"申请部门数": 0}, "B": {"申请部门数": 3}, "C": {"申请部门数": 8}}) == {"A": 0, "B": 3, "C": 5}


# --- deduct ---------------------------------------------------------------------------------------
def test_deduct_below_seed_uptime(leaf_score):
    # 000 ⑧ 系统运行时段: 达到99%以上；低于99%的，每低一个百分点扣0.5分，扣至本指标分数为0止 (满分5分).
    # 99.5% → 5; 99% → 5; 97.5% is 1.5 points below → 1 whole point → 4.5; 97% is exactly 2 below → 4.0;
    # 96.9% is 2.1 below → 2 → 4.0; 80% is 19 below → 9.5 deducted, floored at 0.
    leaf = {"points": 5, "rule": {"type": "deduct", "input": "运行时段", "below": "99%", "each": 0.5}}
    got = leaf_score(leaf, {"A": {"运行时段": "99.5%"}, "B": {"运行时段": "99%"}, "C": {"运行时段": "97.5%"},
                            "D": {"运行时段": 0.97}, "E": {"运行时段": "96.9%"}, "F": {"运行时段": "80%"}})
    assert got == {"A": 5.0, "B": 5.0, "C": 4.5, "D": 4.0, "E": 4.0, "F": 0.0}


def test_deduct_count_of_faults(leaf_score):
    # without below: each fault costs `each`; 3 faults × 1 from 4 → 1; 6 faults → floored at 0
    leaf = {"points": 4, "rule": {"type": "deduct", "input": "问题数", "each": 1}}
    assert leaf_score(leaf, {"A": {"问题数": 3}, "B": {"问题数": 6}, "C": {"问题数": 0}}) == {"A": 1, "B": 0, "C": 4}


# --- choice ---------------------------------------------------------------------------------------
def test_choice_seed_006(leaf_score):
    # 001 item 006: 是，得3分；否，得1分；未接入市电子政务外网的，不得分.
    leaf = {"points": 3, "rule": {"type": "choice", "input": "专线接入", "options": {"是": 3, "否": 1, "未接入": 0}}}
    assert leaf_score(leaf, {"A": {"专线接入": "是"}, "B": {"专线接入": "否"}, "C": {"专线接入": "未接入"}}) == {
        "A": 3, "B": 1, "C": 0}


def test_choice_unknown_label_lists_allowed(leaf_score):
    leaf = {"points": 3, "rule": {"type": "choice", "input": "专线接入", "options": {"是": 3, "否": 1, "未接入": 0}}}
    with pytest.raises(UserError) as err:
        leaf_score(leaf, {"A": {"专线接入": "部分接入"}})
    msg = str(err.value)
    assert "部分接入" in msg and "是、否、未接入" in msg and "指标 L" in msg


# --- checklist ------------------------------------------------------------------------------------
def test_checklist_seed_035_two_items(leaf_score):
    # two sub-items of 1 point each (是/否 or 1/0): both → 2, one → 1, none → 0
    leaf = {"points": 2, "rule": {"type": "checklist", "items": {"制度健全": 1, "演练开展": 1}}}
    got = leaf_score(leaf, {"A": {"制度健全": "是", "演练开展": 1}, "B": {"制度健全": "否", "演练开展": "是"},
                            "C": {"制度健全": 0, "演练开展": "否"}})
    assert got == {"A": 2, "B": 1, "C": 0}


def test_checklist_capped(leaf_score):
    leaf = {"points": 2, "rule": {"type": "checklist", "items": {"a": 1.5, "b": 1.5}}}
    assert leaf_score(leaf, {"A": {"a": 1, "b": 1}}) == {"A": 2}


# --- rank -----------------------------------------------------------------------------------------
def test_rank_given_seed_028(leaf_score):
    # 001 item 028: 在全省16个地市的排名取分，前5名的得2分，5-10名的得1分，10名以后不得分.
    leaf = {"points": 2, "rule": {"type": "rank", "input": "全省排名", "given": True, "bands": [[5, 2], [10, 1]]}}
    got = leaf_score(leaf, {"A": {"全省排名": 1}, "B": {"全省排名": 5}, "C": {"全省排名": 6}, "D": {"全省排名": 10},
                            "E": {"全省排名": 11}, "F": {"全省排名": 16}})
    assert got == {"A": 2, "B": 2, "C": 1, "D": 1, "E": 0, "F": 0}


def test_rank_computed_with_ties_competition_ranking(leaf_score):
    # values 90, 80, 80, 70, 60 (desc) → ranks 1, 2, 2, 4, 5; bands 前2名 2分, 前4名 1分
    leaf = {"points": 2, "rule": {"type": "rank", "input": "x", "order": "desc", "bands": [[2, 2], [4, 1]]}}
    got = leaf_score(leaf, {"A": {"x": 90}, "B": {"x": 80}, "C": {"x": 80}, "D": {"x": 70}, "E": {"x": 60}})
    assert got == {"A": 2, "B": 2, "C": 2, "D": 1, "E": 0}


def test_rank_peers_are_same_class_only():
    # two classes: the county's 50 is first among counties although departments have bigger values
    system = make_system([{"name": "排", "code": "L", "points": 2, "rule": {"type": "rank", "input": "x", "bands": [[1, 2]]}}])
    units = units_of(2, "市级部门") + [{"unit": "C1", "name": "县1", "class": "县(市、区)"}]
    res = by_unit(run(system, units, [("U1", "L", "x", 100), ("U2", "L", "x", 90), ("C1", "L", "x", 50)]))
    assert [res[u]["indicators"]["L"]["score"] for u in ("U1", "U2", "C1")] == [2, 0, 2]


# --- relative -------------------------------------------------------------------------------------
def test_relative_best(leaf_score):
    # points × value / best: 4 × 80/100 = 3.2, 4 × 50/100 = 2
    leaf = {"points": 4, "rule": {"type": "relative", "input": "x", "method": "best"}}
    assert leaf_score(leaf, {"A": {"x": 80}, "B": {"x": 100}, "C": {"x": 50}}) == {"A": 3.2, "B": 4, "C": 2}


def test_relative_minmax_and_all_equal(leaf_score):
    # (v − min)/(max − min): (80−50)/50 × 4 = 2.4; all equal → full points
    leaf = {"points": 4, "rule": {"type": "relative", "input": "x", "method": "minmax"}}
    assert leaf_score(leaf, {"A": {"x": 80}, "B": {"x": 100}, "C": {"x": 50}}) == {"A": 2.4, "B": 4, "C": 0}
    assert leaf_score(leaf, {"A": {"x": 7}, "B": {"x": 7}}) == {"A": 4, "B": 4}


def test_relative_best_fewer_is_better_with_zero_best_uses_range(leaf_score):
    # 减跑动 (fewer is better), best = 0: a ratio 0/x would give every other unit 0 points.
    # Documented reading: range method, 4 × (1 − (x − best)/(worst − best)), best 0, worst 2:
    # A 0 → 4;  B 1 → 4 × (1 − 1/2) = 2;  C 2 → 0;  D 0.5 → 4 × (1 − 0.25) = 3
    leaf = {"points": 4, "rule": {"type": "relative", "input": "次数", "method": "best", "order": "asc"}}
    got = leaf_score(leaf, {"A": {"次数": 0}, "B": {"次数": 1}, "C": {"次数": 2}, "D": {"次数": 0.5}})
    assert got == {"A": 4, "B": 2, "C": 0, "D": 3}


def test_relative_best_fewer_is_better_positive_keeps_ratio(leaf_score):
    # all values > 0: 4 × best / x — A 1 → 4;  B 2 → 4 × 1/2 = 2;  C 4 → 1
    leaf = {"points": 4, "rule": {"type": "relative", "input": "次数", "method": "best", "order": "asc"}}
    assert leaf_score(leaf, {"A": {"次数": 1}, "B": {"次数": 2}, "C": {"次数": 4}}) == {"A": 4, "B": 2, "C": 1}


def test_relative_best_edges_all_equal_one_unit_negatives(leaf_score):
    leaf = {"points": 4, "rule": {"type": "relative", "input": "x", "method": "best"}}
    # all zero (all equal): no unit did worse than another → full points for all
    assert leaf_score(leaf, {"A": {"x": 0}, "B": {"x": 0}}) == {"A": 4, "B": 4}
    # all equal and positive: 4 × 5/5 = 4
    assert leaf_score(leaf, {"A": {"x": 5}, "B": {"x": 5}}) == {"A": 4, "B": 4}
    # one unit only: it is the best of its class
    assert leaf_score(leaf, {"A": {"x": 0.3}}) == {"A": 4}
    # a zero among positives keeps the ratio (0/100 = 0 is meaningful): 0, 4 × 50/100 = 2, 4
    assert leaf_score(leaf, {"A": {"x": 0}, "B": {"x": 50}, "C": {"x": 100}}) == {"A": 0, "B": 2, "C": 4}
    # a negative value (e.g. a growth rate): ratio meaningless → range, min −1, max 3:
    # A −1 → 0;  B 1 → 4 × 2/4 = 2;  C 3 → 4
    assert leaf_score(leaf, {"A": {"x": -1}, "B": {"x": 1}, "C": {"x": 3}}) == {"A": 0, "B": 2, "C": 4}


def test_relative_all_not_applicable_scores_nobody():
    # every unit lacks the attribute the leaf applies to: the leaf is dropped, no error, no score
    system = make_system([
        {"name": "甲", "code": "L1", "points": 6, "rule": {"type": "ratio", "value": "r"}},
        {"name": "乙", "code": "L2", "points": 4, "applies": "has_x", "rule": {"type": "relative", "input": "x"}},
    ])
    units = units_of(2, has_x=[0, 0])
    res = by_unit(run(system, units, [("U1", "L1", "r", 0.5), ("U2", "L1", "r", 1)]))
    assert [res[u]["indicators"]["L2"]["applicable"] for u in ("U1", "U2")] == [False, False]
    assert [res[u]["indicators"]["L2"]["score"] for u in ("U1", "U2")] == [None, None]
    # rescaled on L1 alone: 6 × 0.5 / 6 × 100 = 50; 100
    assert [res[u]["score"] for u in ("U1", "U2")] == [50, 100]


def test_relative_zero_best_explanation_says_why():
    system = make_system([{"name": "减跑动", "code": "L", "points": 4,
                           "rule": {"type": "relative", "input": "次数", "order": "asc"}}])
    res = by_unit(run(system, units_of(2), [("U1", "L", "次数", 0), ("U2", "L", "次数", 1)]))
    text = res["U2"]["indicators"]["L"]["explanation"]
    assert "最好值为 0" in text and "极差法" in text and "得分 0 分" in text


def test_relative_per_population():
    # 制证量 ÷ 人口: A 300/100 = 3, B 200/40 = 5 (best) → A = 5 × 3/5 = 3, B = 5
    system = make_system([{"name": "r", "code": "L", "points": 5,
                           "rule": {"type": "relative", "input": "制证量", "method": "best", "per": "population"}}])
    units = units_of(2, population=[100, 40])
    res = by_unit(run(system, units, [("U1", "L", "制证量", 300), ("U2", "L", "制证量", 200)]))
    assert res["U1"]["indicators"]["L"]["score"] == 3.0
    assert res["U2"]["indicators"]["L"]["score"] == 5.0


# --- formula --------------------------------------------------------------------------------------
def test_formula_seed_032_filing_testing_rectification(leaf_score):
    # 001 item 032: 完成等级保护备案、安全测评和整改工作的，得2分，完成其中任何一项，得1分.
    expr = "IF(AND(备案=1, 测评=1, 整改=1), 2, IF(OR(备案=1, 测评=1, 整改=1), 1, 0))"
    # 是/否 are accepted only by inputs declared bool (a word in a number input is refused)
    leaf = {"points": 2, "rule": {"type": "formula", "expr": expr, "inputs": {"备案": "bool", "测评": "bool", "整改": "bool"}}}
    got = leaf_score(leaf, {"A": {"备案": "是", "测评": "是", "整改": "是"}, "B": {"备案": "是", "测评": "否", "整改": "否"},
                            "C": {"备案": 0, "测评": 0, "整改": 0}, "D": {"备案": 1, "测评": 1, "整改": 0}})
    assert got == {"A": 2, "B": 1, "C": 0, "D": 1}


def test_formula_arithmetic_min_round_and_clamp(leaf_score):
    # 001 item 001: 调研座谈会议每项1分最高2分 + 工作对接每次1分最高2分 = MIN(a,2) + MIN(b,2)
    leaf = {"points": 4, "rule": {"type": "formula", "expr": "MIN(会议, 2) + MIN(对接, 2)"}}
    assert leaf_score(leaf, {"A": {"会议": 1, "对接": 5}, "B": {"会议": 3, "对接": 3}}) == {"A": 3, "B": 4}
    # ROUND half away from zero (Excel): ROUND(2.345, 2) = 2.35; result clamped to [0, points]
    leaf2 = {"points": 3, "rule": {"type": "formula", "expr": "ROUND(x, 2) ^ 1 - 0"}}
    assert leaf_score(leaf2, {"A": {"x": 2.345}, "B": {"x": 9}, "C": {"x": -1}}) == {"A": 2.35, "B": 3, "C": 0}


def test_formula_monthly_active_rate_with_attribute(leaf_score):
    # 000 ② 平均月活率 M = (D1+…+D30)/30 with D = Y/X (X = registered users): sum of daily actives 2,700 over 30 days
    # by 300 registered users → M = 2700 / 30 / 300 = 0.3; score = M × 5 = 1.5
    system = make_system([{"name": "月活", "code": "L", "points": 5,
                           "rule": {"type": "formula", "expr": "日活合计 / 30 / 注册用户数 * 5", "inputs": ["日活合计"]}}])
    res = by_unit(run(system, units_of(1, 注册用户数=[300]), [("U1", "L", "日活合计", 2700)]))
    assert res["U1"]["indicators"]["L"]["score"] == 1.5


def test_formula_division_by_zero_scores_zero(leaf_score):
    leaf = {"points": 2, "rule": {"type": "formula", "expr": "a / b"}}
    assert leaf_score(leaf, {"A": {"a": 1, "b": 0}}) == {"A": 0}


def test_formula_that_does_not_parse_names_indicator():
    with pytest.raises(UserError) as err:
        make_system([{"name": "坏", "code": "L9", "points": 2, "rule": {"type": "formula", "expr": "IF(a > 1, 2"}}])
    p = err.value.problems[0]
    assert p.indicator == "L9" and p.field == "rule.expr" and "公式无法解析" in p.message


def test_formula_unknown_name_is_reported():
    system = make_system([{"name": "f", "code": "L", "points": 2,
                           "rule": {"type": "formula", "expr": "a * 人口", "inputs": ["a"]}}])
    with pytest.raises(UserError) as err:
        run(system, units_of(1), [("U1", "L", "a", 1)])
    assert "人口" in str(err.value) and err.value.problems[0].indicator == "L"


# --- manual ---------------------------------------------------------------------------------------
def test_manual_score_with_reason(leaf_score):
    leaf = {"points": 3, "rule": {"type": "manual"}}
    got = leaf_score(leaf, {"A": {"score": 2.5}}, notes={"A": "清单管理机制已建立，但未覆盖下属单位"})
    assert got == {"A": 2.5}


def test_manual_out_of_range_and_missing_reason(leaf_score):
    leaf = {"points": 3, "rule": {"type": "manual"}}
    with pytest.raises(UserError) as err:
        leaf_score(leaf, {"A": {"score": 3.5}}, notes={"A": "好"})
    assert "0 到 3" in str(err.value)
    with pytest.raises(UserError) as err:
        leaf_score(leaf, {"A": {"score": 2}})
    assert "理由" in str(err.value) and err.value.problems[0].column == "note"


# --- external -------------------------------------------------------------------------------------
def test_external_seed_008(leaf_score):
    # 001 item 008: 取…“互联网+政务服务”平台考核结果 (10分). 85 of 100 → 8.5
    leaf = {"points": 10, "rule": {"type": "external", "input": "考核结果", "max": 100}}
    assert leaf_score(leaf, {"A": {"考核结果": 85}, "B": {"考核结果": 100}}) == {"A": 8.5, "B": 10}


# --- parameters are validated on load -------------------------------------------------------------
@pytest.mark.parametrize("rule, field", [
    ({"type": "ratio", "num": "a"}, "rule.den"),
    ({"type": "ratio", "num": "a", "den": "b", "value": "c"}, "rule"),
    ({"type": "bands", "input": "x", "bands": [[0.5, 1], [0.2, 2]]}, "rule.bands"),
    ({"type": "per_item", "input": "x", "each": 0}, "rule.each"),
    ({"type": "choice", "input": "x", "options": []}, "rule.options"),
    ({"type": "rank", "input": "x", "order": "up", "bands": [[1, 1]]}, "rule.order"),
    ({"type": "nope"}, "rule.type"),
    ({"type": "ratio", "value": "x", "targte": 0.9}, "rule.targte"),
])
def test_bad_rule_parameters_are_located(rule, field):
    with pytest.raises(UserError) as err:
        make_system([{"name": "x", "code": "L7", "points": 2, "rule": rule}])
    p = err.value.problems[0]
    assert p.indicator == "L7" and p.field == field


def test_rule_cannot_award_more_than_points():
    with pytest.raises(UserError) as err:
        make_system([{"name": "x", "code": "L", "points": 2, "rule": {"type": "choice", "input": "c", "options": {"是": 3}}}])
    assert "超过本指标分值" in str(err.value)


def test_formula_typed_inputs_declare_bool(leaf_score):
    leaf = {"points": 2, "rule": {"type": "formula", "expr": "备案 * 2", "inputs": {"备案": "bool"}}}
    assert leaf_score(leaf, {"A": {"备案": "是"}, "B": {"备案": "否"}}) == {"A": 2, "B": 0}
    with pytest.raises(UserError) as err:
        leaf_score(leaf, {"A": {"备案": 3}})
    assert "是/否" in str(err.value)
