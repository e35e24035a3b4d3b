"""Responses checked against a form, and the indices computed by hand from them."""

from __future__ import annotations

import math

import pytest
from qhelpers import SMALL_SETTINGS, write_form, write_responses

from govassess.errors import UserError
from govassess.questionnaire import load_form
from govassess.questionnaire.indices import UnitInfo, compute_indices, sample_size, t_interval
from govassess.questionnaire.responses import Response, check_answers, read_responses

HEADER = ["单位编码", "一次办成", "服务态度", "指南", "等候", "总体", "意见"]  # 服务态度 = the label of 态度
# Unit A, five responses, and unit B, two. Scores per response (every likert item counts, 1..5 → 0,25,50,75,100):
#   A1 (态度5, 指南4, 总体5) = (100+75+100)/3 = 91.6667   A2 (4, –, 4) = (75+75)/2 = 75
#   A3 (2, 2, 2) = 25     A4 (5, 5, 5) = 100     A5 (3, 4, 3) = (50+75+50)/3 = 58.3333
#   B1 (4, 4, 4) = 75     B2 (1, –, 1) = 0
ROWS = [
    ["A", "是", 5, 4, 10, 5, None],
    ["A", "是", "满意", None, 20, 4, None],   # 满意 = 4 on the five-point scale
    ["A", "否", 2, 2, 45, 2, "等了很久"],
    ["A", "是", 5, 5, None, "非常满意", None],
    ["A", "是", 3, 4, None, 3, None],
    ["B", "是", 4, 4, None, 4, None],
    ["B", "否", 1, None, None, 1, "态度差"],
]
T4 = 2.7764451051977987   # t(0.975, 4), from tables
T2 = 4.302652729911275    # t(0.975, 2)


@pytest.fixture
def form(tmp_path):
    return load_form(write_form(tmp_path / "form.xlsx"))


@pytest.fixture
def responses(tmp_path, form):
    return read_responses(form, write_responses(tmp_path / "r.xlsx", HEADER, ROWS)).responses


def test_responses_read_by_label_headers_and_likert_words(responses):
    assert [r.unit for r in responses] == ["A"] * 5 + ["B"] * 2
    assert responses[1].answers == {"一次办成": "是", "态度": 4, "等候": 20, "总体": 4}
    assert responses[3].answers["总体"] == 5 and responses[2].answers["意见"] == "等了很久"
    assert [r.row for r in responses][:2] == [2, 3]


def test_unit_indices_match_hand_computation(form, responses):
    ind = compute_indices(form, responses, [UnitInfo("A", "甲", "市直", 1000), UnitInfo("B", "乙", "市直"),
                                            UnitInfo("C", "丙", "县区")])
    a, b, c = ind.units
    # A: scores 91.6667, 75, 25, 100, 58.3333 → sum 350, mean 70; squared deviations
    # 469.444 + 25 + 2025 + 900 + 136.111 = 3555.556, s² = 888.889, s/√5 = √177.778 = 13.3333
    assert a.n == 5 and a.index == pytest.approx(70.0)
    assert a.index_low == pytest.approx(70 - T4 * 13.333333, abs=1e-4)
    assert a.index_high == pytest.approx(70 + T4 * 13.333333, abs=1e-4)
    # 总体 5, 4, 2, 5, 3: satisfied (≥ 4) 3 of 5; 差评 (≤ 2) one, with its comment
    assert (a.satisfied, a.satisfied_count, a.overall_n, a.dissatisfied) == (0.6, 3, 5, 1)
    assert [(x.unit, x.row, x.overall, x.text) for x in a.comments] == [("A", 4, 2, "等了很久")]
    # n₀ = 1.959964² × 0.25 / 0.05² = 384.146; N = 1000: 384.146 / (1 + 383.146/1000) = 277.7 → 278
    assert a.needed == 278 and a.warning is None
    q = {s.name: s for s in a.questions}
    # 态度 5, 4, 2, 5, 3: mean 3.8, s² = (1.44+0.04+3.24+1.44+0.64)/4 = 1.7, half width = t × √(1.7/5)
    assert q["态度"].mean == pytest.approx(3.8) and q["态度"].sd == pytest.approx(math.sqrt(1.7))
    assert q["态度"].low == pytest.approx(3.8 - T4 * math.sqrt(0.34)) and q["态度"].score == pytest.approx(70.0)
    # 等候 10, 20, 45: mean 25, s² = (225+25+400)/2 = 325
    assert q["等候"].n == 3 and q["等候"].high == pytest.approx(25 + T2 * math.sqrt(325 / 3))
    assert q["一次办成"].shares == (("是", "是", 0.8), ("否", "否", pytest.approx(0.2)))
    # B: scores 75 and 0 → 37.5; two responses < 最低样本量 3 → warning; no population: 385
    assert b.index == pytest.approx(37.5) and b.satisfied == 0.5 and b.dissatisfied == 1
    assert b.warning == "样本量 2 少于最低样本量 3" and b.needed == 385
    assert [x.text for x in b.comments] == ["态度差"]
    assert c.n == 0 and c.index is None and c.warning == "样本量 0 少于最低样本量 3"
    # class 市直 pools A and B: (350 + 75 + 0) / 7 = 60.714; satisfied 4 of 7
    by_cls = {g.key: g for g in ind.classes}
    assert by_cls["市直"].n == 7 and by_cls["市直"].index == pytest.approx(425 / 7)
    assert by_cls["市直"].satisfied == pytest.approx(4 / 7) and by_cls["市直"].population is None
    assert by_cls["县区"].n == 0


def test_score_mapping_from_settings_changes_the_index(tmp_path):
    settings = [*SMALL_SETTINGS, ["五级量表分值", "0,40,60,80,100"]]
    form = load_form(write_form(tmp_path / "f.xlsx", settings=settings))
    rs = read_responses(form, write_responses(tmp_path / "r.csv", HEADER, [r for r in ROWS if r[0] == "B"]))
    (b,) = compute_indices(form, rs.responses).units
    # B1 (4,4,4) → 80; B2 (1,–,1) → 0; mean 40
    assert b.index == pytest.approx(40.0)


def test_sample_size_formula():
    # z = 1.959964 (95 %): 1.959964² × 0.25 / 0.05² = 384.15 → 385; e = 0.1 → 96.04 → 97
    assert sample_size(0.05) == 385 and sample_size(0.1) == 97
    # 99 %: z = 2.575829, 2.575829² × 0.25 / 0.0025 = 663.49 → 664
    assert sample_size(0.05, 0.99) == 664
    # N = 200: 384.146 / (1 + 383.146/200) = 131.75 → 132
    assert sample_size(0.05, population=200) == 132
    iv = t_interval([1.0], 0.95)
    assert iv.mean == 1.0 and iv.low is None


def test_check_answers_skip_logic_required_and_constraint(form):
    answers, problems, ignored = check_answers(form, {"一次办成": "是", "态度": 4, "总体": 5, "意见": "很好"})
    assert problems == [("意见", "本题不应作答：显示条件「总体 <= 2」不成立，该题应被跳过")]
    answers, problems, _ = check_answers(form, {"一次办成": "也许", "态度": 6, "等候": 700})
    assert problems == [("一次办成", "「也许」不是本题的选项，应为：是、否"),
                        ("态度", "「6」无效：本题应填 1 到 5 的整数或 非常不满意、不满意、一般、满意、非常满意"),
                        ("等候", "等候分钟数应在 0 到 600 之间"), ("总体", "必答题未作答")]


def test_file_problems_are_located_and_nothing_is_returned(tmp_path, form):
    rows = [["A", "是", 5, 4, 10, 5, "不该填"], ["A", "", 4, None, -1, 4, None], ["Z", "是", 4, 4, None, 4, None]]
    path = write_responses(tmp_path / "r.xlsx", HEADER, rows)
    with pytest.raises(UserError) as e:
        read_responses(form, path, units=["A", "B"])
    got = [(p.sheet, p.row, p.column, p.message) for p in e.value.problems]
    assert got == [("回答", 2, "意见", "本题不应作答：显示条件「总体 <= 2」不成立，该题应被跳过"),
                   ("回答", 3, "一次办成", "必答题未作答"),
                   ("回答", 3, "等候", "等候分钟数应在 0 到 600 之间"),
                   ("回答", 4, "单位编码", "未知单位「Z」（不在单位文件中）")]


def test_skipped_answers_ignored_when_the_settings_say_so(tmp_path):
    form = load_form(write_form(tmp_path / "f.xlsx", settings=[*SMALL_SETTINGS, ["跳过题的回答", "忽略"]]))
    rs = read_responses(form, write_responses(tmp_path / "r.csv", HEADER, [["A", "是", 5, 4, 10, 5, "不该填"]]))
    assert rs.ignored_answers == 1 and "意见" not in rs.responses[0].answers


def test_missing_required_column_and_unknown_columns(tmp_path, form):
    path = write_responses(tmp_path / "r.csv", ["单位编码", "一次办成", "总体", "提交时间"], [["A", "是", 5, "x"]])
    with pytest.raises(UserError) as e:
        read_responses(form, path)
    assert e.value.problems[0].message.startswith("缺少必答题的列：态度")
    path = write_responses(tmp_path / "s.csv", ["单位编码", "一次办成", "态度", "总体", "提交时间"], [["A", "是", 4, 5, "x"]])
    assert read_responses(form, path).ignored_columns == ("提交时间",)


def test_multiple_choice_answers_and_references(tmp_path):
    survey = [["多选 原因", "原因", "原因", "是", "", "", ""],
              ["文本", "其他说明", "其他原因说明", "是", "[原因.其他]", "", ""]]
    choices = [["原因", "材料", "材料不齐"], ["原因", "系统", "系统故障"], ["原因", "其他", "其他原因"]]
    form = load_form(write_form(tmp_path / "f.xlsx", survey, choices, [["设置项", "值"]]))
    answers, problems, _ = check_answers(form, {"原因": "系统故障、材料", "其他说明": ""})
    assert answers == {"原因": ("材料", "系统")} and problems == []
    answers, problems, _ = check_answers(form, {"原因": "其他", "其他说明": ""})
    assert problems == [("其他说明", "必答题未作答")]
    (u,) = compute_indices(form, [Response("A", {"原因": ("材料", "系统")}), Response("A", {"原因": ("材料",)})]).units
    shares = {name: share for name, _l, share in u.questions[0].shares}
    assert shares == {"材料": 1.0, "系统": 0.5, "其他": 0.0}


def test_a_constraint_that_cannot_be_computed_is_a_message_not_a_crash(tmp_path):
    survey = [["文本", "说明", "说明", "", "", ". + 1 > 2", ""], ["文本", "补充", "补充", "", "说明 * 2 > 1", "", ""]]
    form = load_form(write_form(tmp_path / "f.xlsx", survey, [], [["设置项", "值"]]))
    answers, problems, _ = check_answers(form, {"说明": "abc", "补充": "x"})
    assert problems[0] == ("说明", "约束「. + 1 > 2」无法对「abc」计算（文字不能参与算术运算），请检查问卷定义中的约束")
    # 补充's condition cannot be computed either, so it is not asked and its answer is refused as skipped
    assert problems[1][0] == "补充" and problems[1][1].startswith("本题不应作答")


def test_relevant_may_not_name_a_group(tmp_path):
    survey = [["分组开始", "g", "组", "", "", "", ""], ["文本", "t", "文字", "", "", "", ""],
              ["分组结束", "", "", "", "", "", ""], ["文本", "u", "文字", "", "g = 1", "", ""]]
    with pytest.raises(UserError) as e:
        load_form(write_form(tmp_path / "f.xlsx", survey, [], [["设置项", "值"]]))
    assert [(p.row, p.message) for p in e.value.problems] == [(5, "表达式「g = 1」引用了问卷中没有的题目：g")]
