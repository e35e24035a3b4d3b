"""The four built-in indicator systems, checked against the seeds they were transcribed from.

Every expected number below was counted by hand from the seed tables (seeds/004 阳江 附件2/附件3,
seeds/003 黑河 附表, seeds/001 2019年电子政务考评表); the arithmetic is in the comments.
The YAML files are read with PyYAML directly (what a user sees) and again through
``govassess.indicators.load_system`` / ``check_system`` (what the engine sees).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from seedsystems import raw, walk

from govassess import expr as ex
from govassess.indicators import check_system, load_system

SYSTEM_IDS = ["yangjiang-2021-dept", "yangjiang-2021-county", "heihe-2023", "egov-2019-annual"]




def leaves(data: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    return [n for n, k, _ in walk(data["indicators"]) if "children" not in n and (kind is None or k == kind)]


def by_code(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(n["code"]): n for n, _, _ in walk(data["indicators"]) if "code" in n}


def subtotal(node: dict[str, Any]) -> float:
    if "children" not in node:
        return float(node["points"])
    return sum(subtotal(c) for c in node["children"])


def formula(node: dict[str, Any], **env: float) -> float:
    """Evaluate a leaf's formula by hand-given inputs, clamped to [0, points] as the engine does."""
    value = ex.evaluate(ex.parse(node["rule"]["expr"]), env)
    return max(0.0, min(float(node["points"]), float(value)))


# --- properties shared by all four ---------------------------------------------------------------


@pytest.mark.parametrize("system_id", SYSTEM_IDS)
def test_codes_unique_and_every_leaf_has_code_rule_criteria(system_id):
    data = raw(system_id)
    assert data["id"] == system_id
    codes = [str(n["code"]) for n, _, _ in walk(data["indicators"]) if "code" in n]
    assert len(codes) == len(set(codes)), [c for c, k in Counter(codes).items() if k > 1]
    for leaf in leaves(data):
        assert isinstance(leaf["code"], str)  # quoted in YAML: "001" must not become 1
        assert leaf["rule"]["type"]
        assert leaf["criteria"].strip()
        assert leaf["points"] > 0


@pytest.mark.parametrize("system_id", SYSTEM_IDS)
def test_declared_group_points_equal_sum_of_children(system_id):
    data = raw(system_id)
    checked = 0
    for node, kind, _ in walk(data["indicators"]):
        if "children" in node and "points" in node and kind == "normal":
            assert subtotal(node) == pytest.approx(node["points"]), node.get("code")
            checked += 1
    assert checked > 0


SEEDS = {
    "yangjiang-2021-dept": "seeds/004_f7a5438dae4cbef6.txt",
    "yangjiang-2021-county": "seeds/004_f7a5438dae4cbef6.txt",
    "heihe-2023": "seeds/003_c1d3a052319f85cf.txt",
    "egov-2019-annual": "seeds/001_7a44bafcfd1e5c27.txt",
}


@pytest.mark.parametrize("system_id", SYSTEM_IDS)
def test_description_names_the_source_and_inconsistencies(system_id):
    description = raw(system_id)["description"]
    assert SEEDS[system_id] in description
    assert "不一致之处" in description


# Counts per system: (weighted leaves, bonus {code: cap}, penalty {code: cap}).
EXPECTED = {
    # 阳江 附件2: 序号 1–41 carry a % weight, 42 服务创新 10分, 43 安全事件 5分, 44 虚假材料 5分.
    "yangjiang-2021-dept": (41, {"42": 10}, {"43": 5, "44": 5}),
    # 阳江 附件3: 序号 1–38 weighted, 39 服务创新 10分, 40 安全事件 5分, 41 虚假材料 5分.
    "yangjiang-2021-county": (38, {"39": 10}, {"40": 5, "41": 5}),
    # 黑河 附表: 54 rows, all weighted, no bonus/penalty.
    "heihe-2023": (54, {}, {}),
    # 2019 电子政务: 编号 001–035, all weighted.
    "egov-2019-annual": (35, {}, {}),
}


@pytest.mark.parametrize("system_id", SYSTEM_IDS)
def test_weighted_leaves_sum_to_100_and_caps(system_id):
    data = raw(system_id)
    n_leaves, bonus, penalty = EXPECTED[system_id]
    normal = leaves(data, "normal")
    assert len(normal) == n_leaves
    assert sum(n["points"] for n in normal) == pytest.approx(100)
    assert data["total"] == 100 and data["scale"] == 100
    assert {n["code"]: n["points"] for n in leaves(data, "bonus")} == bonus
    assert {n["code"]: n["points"] for n in leaves(data, "penalty")} == penalty
    assert "grades" not in data  # none of the seeds states grades


@pytest.mark.parametrize("system_id", SYSTEM_IDS)
def test_loads_and_checks_clean_through_the_loader(system_id):
    system = load_system(system_id)
    report = check_system(system)
    assert report.ok, report.problems
    n_leaves, bonus, penalty = EXPECTED[system_id]
    assert report.summary["leaves"] == n_leaves
    assert report.summary["weighted_points"] == pytest.approx(100)
    assert {b["code"]: b["cap"] for b in report.summary["bonus"]} == bonus
    assert {b["code"]: b["cap"] for b in report.summary["penalty"]} == penalty
    # Every input a leaf takes is named; a manual leaf takes the reviewer's score.
    assert all(spec.input for spec in system.inputs())


# --- 阳江 2021 ----------------------------------------------------------------------------------


def test_yangjiang_dept_structure_and_weights():
    data = raw("yangjiang-2021-dept")
    assert data["classes"] == ["市级部门"]
    first = {n["name"]: subtotal(n) for n in data["indicators"] if n.get("points")}
    # 数字化支撑能力: 2+2 (办件信息汇聚) + 1+1+2 (数据支撑) + 3+2 (证照印章) + 2+4+2+2+2 (应用支撑) = 25
    # 数字化服务能力: 3+2+2+2+2+5 (服务事项管理) + 3+3+3+2+2+2 (服务供给方式) = 16 + 15 = 31
    # 数字化服务成效: 2+2 (用户使用度) + 9×2+4+4+4 (服务满意度) + 2+5+3 (服务监督) = 4 + 30 + 10 = 44
    assert first == {"数字化支撑能力": 25, "数字化服务能力": 31, "数字化服务成效": 44}
    codes = by_code(data)
    assert [n["code"] for n in leaves(data)] == [str(i) for i in range(1, 45)]  # 序号 1–44
    # 11 二级指标: 4 + 2 + 3 weighted + 加分项 + 减分项 (附件1: “4项一级指标，11项二级指标”)
    assert sum(1 for _, _, level in walk(data["indicators"]) if level == 2) == 11
    assert codes["18"]["name"] == "主题式服务" and codes["18"]["points"] == 5
    assert codes["40"]["name"] == "评价数据汇聚" and codes["40"]["points"] == 5
    assert [codes[c]["points"] for c in ("36", "37", "38")] == [4, 4, 4]  # 减时间 减跑动 即办程度
    assert codes["9"]["points"] == 4  # “四免”专项优化 4%
    assert codes["18"]["lead"] == "审批协调服务科、规划统筹科"  # two 工作联系科室 in the table
    assert codes["39"]["lead"] == "市政府热线服务中心"
    # Prose says 42 三级指标, the table has 44 rows: the description must say which was followed.
    assert "42项三级指标" in data["description"] and "44行" in data["description"]


def test_yangjiang_dept_applicability_attributes():
    data = raw("yangjiang-2021-dept")
    applies = {n["code"]: n["applies"] for n in leaves(data) if "applies" in n}
    # 33 事项进驻率 is the only 要点 about 行政许可事项; 13, 16, 28–31 are about 依申请 items.
    assert applies == {
        "13": "has_application_items",
        "16": "has_application_items",
        "28": "has_application_items",
        "29": "has_application_items",
        "30": "has_application_items",
        "31": "has_application_items",
        "33": "has_license_items",
    }
    system = load_system("yangjiang-2021-dept")
    assert system.node("33").applies == "has_license_items"


def test_yangjiang_bonus_penalty_under_group_with_kind():
    for system_id, bonus_code in (("yangjiang-2021-dept", "42"), ("yangjiang-2021-county", "39")):
        data = raw(system_id)
        group = data["indicators"][-1]
        assert group["name"] == "加减分" and "points" not in group
        kinds = {c["name"]: c["kind"] for c in group["children"]}
        assert kinds == {"加分项": "bonus", "减分项": "penalty"}
        assert by_code(data)[bonus_code]["name"] == "服务创新"


def test_yangjiang_county_structure_and_weights():
    data = raw("yangjiang-2021-county")
    assert data["classes"] == ["县(市、区)"]
    first = {n["name"]: subtotal(n) for n in data["indicators"] if n.get("points")}
    # 数字化支撑能力: 2+2 + 2 + 3+2 + 4 = 15
    # 数字化服务能力: 3+2+2+2+2+4 + 2+3+3+2+2+2 = 15 + 14 = 29
    # 数字化服务成效: 2+2+2+1+2 + 9×2+6+6+6 + 2+7+2 = 9 + 36 + 11 = 56
    assert first == {"数字化支撑能力": 15, "数字化服务能力": 29, "数字化服务成效": 56}
    codes = by_code(data)
    assert [n["code"] for n in leaves(data)] == [str(i) for i in range(1, 42)]  # 序号 1–41
    assert codes["22"]["name"] == "粤政易用户数" and codes["22"]["points"] == 1
    assert codes["37"]["name"] == "评价数据汇聚" and codes["37"]["points"] == 7
    assert [codes[c]["points"] for c in ("33", "34", "35")] == [6, 6, 6]
    # The 行政许可/依申请 exemption in 附件1 is for 市级部门 only.
    assert not any("applies" in n for n in leaves(data))
    assert "40项三级指标" in data["description"] and "41行" in data["description"]


def test_yangjiang_rate_indicators_are_ratios_of_the_rate():
    data = raw("yangjiang-2021-dept")
    codes = by_code(data)
    assert codes["30"]["rule"] == {"type": "ratio", "value": "网上受理率"}
    rates = {n["name"] for n in leaves(data) if n["rule"]["type"] == "ratio"}
    assert rates == {
        "预约率",
        "一窗受理率",
        "网上可办率",
        "网上受理率",
        "全程网办率",
        "按时办结率",
        "事项进驻率",
        "综合受理率",
        "就近办率",
        "统一咨询投诉",  # 12345 工单按时办结 (issue 13: data the metrics module computes)
    }
    assert codes["39"]["rule"] == {"type": "ratio", "num": "按时办结工单数", "den": "应办结工单数", "on_zero": "full"}
    # 减时间 / 减跑动 / 即办程度: relative to the best unit of the class, on values computed from raw records
    relative = {n["name"]: n["rule"] for n in leaves(data) if n["rule"]["type"] == "relative"}
    assert relative == {
        "办件量": {"type": "relative", "input": "办件量", "method": "best"},
        "减时间": {"type": "relative", "input": "承诺时限压缩比例", "method": "best"},
        "减跑动": {"type": "relative", "input": "事项平均跑动次数", "method": "best", "order": "asc"},
        "即办程度": {"type": "relative", "input": "即办事项占比", "method": "best"},
    }
    # 评价数据汇聚 (5) and 好差评情况 (3): the two quantities each criteria names, half the points each
    formulas = {n["name"]: n["rule"]["expr"] for n in leaves(data) if n["rule"]["type"] == "formula"}
    assert formulas == {"评价数据汇聚": "5 * (主动评价率 + (1 - 办件数据超时率)) / 2",
                        "好差评情况": "3 * (IF(差评数 = 0, 1, MIN(已整改差评数 / 差评数, 1)) + 好评率) / 2"}
    assert all(n["rule"] == {"type": "manual"} for n in leaves(data)
               if n["name"] not in rates | set(relative) | set(formulas))


# --- 黑河 2023 ----------------------------------------------------------------------------------


def test_heihe_categories_and_counts():
    data = raw("heihe-2023")
    first = {n["name"]: subtotal(n) for n in data["indicators"]}
    # 统筹管理: 5+3 + 3+2+1+2+2 + 3+1 + 3+3 = 28 (rows 1–11)
    # 项目建设: 1+1+1 + 1+1+1+1 + 2+2+2+3+3+1 = 20 (rows 12–24)
    # 数据共享开放: 3+2+2+2+2+2 + 1+1+2 = 17 (rows 25–33)
    # 安全保障: 1+1+1+1+1 = 5 (rows 34–38)
    # 应用成效: 1+1+2+2+2+2+1+1+1 + 1+1+3+3+5 + 2+2 = 13 + 13 + 4 = 30 (rows 39–54)
    assert first == {"统筹管理": 28, "项目建设": 20, "数据共享开放": 17, "安全保障": 5, "应用成效": 30}
    assert [n["code"] for n in leaves(data)] == [str(i) for i in range(1, 55)]
    levels = Counter(level for _, _, level in walk(data["indicators"]))
    # 一级指标 4+3+2+1+3 = 13; 二级指标 7+13+9+5+10 = 44 (the prose's “44项具体指标”).
    assert levels[2] == 13
    assert levels[3] == 44
    codes = by_code(data)
    assert codes["8"]["classes"] == ["县(市、区)"]  # 关联单位: 各县市区人民政府 only
    assert codes["52"]["name"] == "移动政务服务" and codes["52"]["points"] == 5
    assert codes["1"]["points"] == 5 and codes["2"]["points"] == 3


def test_heihe_rules():
    codes = by_code(raw("heihe-2023"))
    assert codes["3"]["rule"] == {"type": "choice", "input": "成立领导小组", "options": {"是": 3, "否": 0}}
    assert codes["25"]["rule"] == {"type": "ratio", "value": "领域覆盖率"}
    assert codes["43"]["rule"] == {"type": "ratio", "num": "指南覆盖部门数", "den": "对外服务部门数"}
    # Row 42 lists 4 levels (市级、县级、乡镇级、村级) for 2 points: 3 levels → 3/4×2 = 1.5.
    assert formula(codes["42"], 覆盖层级数=3) == pytest.approx(1.5)
    # Row 44 lists 7 清单 for 2 points: all 7 → 2; 5 → 5/7×2 ≈ 1.4286.
    assert formula(codes["44"], 已发布清单数=7) == pytest.approx(2)
    assert formula(codes["44"], 已发布清单数=5) == pytest.approx(10 / 7)
    # Choice leaves score their full weight for 是.
    for node in codes.values():
        rule = node.get("rule", {})
        if rule.get("type") == "choice":
            assert rule["options"] == {"是": node["points"], "否": 0}, node["code"]


# --- 2019 电子政务 ----------------------------------------------------------------------------------


def test_egov_groups_and_items():
    data = raw("egov-2019-annual")
    assert [(n["name"], n["points"]) for n in data["indicators"]] == [
        ("发展环境", 14),
        ("基础设施", 6),
        ("重点系统应用", 42),
        ("政务信息资源交换共享和开发利用", 28),
        ("安全保障", 10),
    ]
    # 14 = 4+2+2 (工作统筹协调 8) + 3+3 (项目管理 6); 6 = 3+3; 42 = 10+6+6+10+8+2;
    # 28 = 18+6+4; 10 = 2+2+2+4.
    assert [subtotal(n) for n in data["indicators"]] == [14, 6, 42, 28, 10]
    assert [n["code"] for n in leaves(data)] == [f"{i:03d}" for i in range(1, 36)]
    codes = by_code(data)
    second = {n["name"]: n["points"] for n, _, level in walk(data["indicators"]) if level == 2}
    assert second["公共信用信息共享服务平台"] == 10 and second["投资项目在线审批监管平台"] == 8
    assert second["政务信息资源整合共享"] == 18 and second["管理安全"] == 4
    # Multi-item 三级指标 are groups: 平台应用 009+010 = 3+3; 数据共享情况 012–015 = 4×2;
    # 系统整合情况 025+026 = 2+2; 制证情况 027+028 = 3+2.
    groups = {
        n["name"]: [c["code"] for c in n["children"]]
        for n, _, level in walk(data["indicators"])
        if level == 3 and "children" in n
    }
    assert groups == {
        "平台应用": ["009", "010"],
        "数据共享情况": ["012", "013", "014", "015"],
        "系统整合情况": ["025", "026"],
        "制证情况": ["027", "028"],
    }
    assert codes["C4.1"]["points"] == 8 and codes["D2.1"]["points"] == 5


def test_egov_rules_from_the_scoring_details():
    codes = by_code(raw("egov-2019-annual"))

    def rule(code: str) -> dict[str, Any]:
        return codes[code]["rule"]

    assert rule("006") == {"type": "choice", "input": "接入方式", "options": {"是": 3, "否": 1, "未接入": 0}}
    assert rule("031")["options"] == {"是": 2, "否但经安全设备访问并备案": 1, "未经安全设备访问": 0}
    assert rule("021") == {"type": "ratio", "num": "挂接目录数", "den": "目录总数"}
    assert rule("027") == {"type": "ratio", "num": "制证种类", "den": "认领种类"}
    assert rule("011") == {"type": "ratio", "value": "平台得分率"}
    assert rule("028") == {"type": "rank", "input": "全省排名", "given": True, "bands": [[5, 2], [10, 1]]}
    assert rule("029") == {"type": "per_item", "input": "应用证照类数", "each": 0.5}
    assert codes["029"]["points"] == 1
    assert rule("003") == {"type": "per_item", "input": "参加培训次数", "each": 1}
    assert rule("008") == {"type": "external", "input": "平台考核结果", "max": 100}
    assert sum(rule("002")["items"].values()) == 2  # 得1分 + 得1分
    assert sum(rule("020")["items"].values()) == 4  # 得2分 + 得2分
    assert sum(rule("025")["items"].values()) == 2  # 得1分 + 得1分
    for code in ("007", "009", "010"):  # 'X的，得3分' yes/no items
        assert rule(code)["type"] == "choice" and rule(code)["options"] == {"是": 3, "否": 0}
    types = Counter(n["rule"]["type"] for n in codes.values() if "rule" in n)
    # manual: 004 005 012 013 014 015 016 017 018 022 023 024 033 034 = 14
    assert types["manual"] == 14


def test_egov_formulas_by_hand():
    codes = by_code(raw("egov-2019-annual"))
    # 001: 每项1分最高2分 + 每次1分最高2分. 3 meetings, 1 contact → 2 + 1 = 3; 5 and 4 → 2 + 2 = 4.
    assert formula(codes["001"], 参会项数=3, 对接次数=1) == 3
    assert formula(codes["001"], 参会项数=5, 对接次数=4) == 4
    assert formula(codes["001"], 参会项数=0, 对接次数=0) == 0
    # 032: 备案+测评+整改 all done → 2; any one (or two) → 1; none → 0.
    assert formula(codes["032"], 等保备案=1, 安全测评=1, 整改=1) == 2
    assert formula(codes["032"], 等保备案=1, 安全测评=1, 整改=0) == 1
    assert formula(codes["032"], 等保备案=0, 安全测评=0, 整改=1) == 1
    assert formula(codes["032"], 等保备案=0, 安全测评=0, 整改=0) == 0
    # 019: ≤0.8 + ≤0.8 + ≤0.4; given 1.0, 0.5, 0.4 → 0.8 + 0.5 + 0.4 = 1.7.
    assert formula(codes["019"], 办理及时性得分=1.0, 办理质量得分=0.5, 互动反馈得分=0.4) == pytest.approx(1.7)
    # 026: 清理率 90% (1分×0.9) + 整合率 50% (1分×0.5) = 1.4.
    assert formula(codes["026"], 系统清理率=0.9, 系统整合率=0.5) == pytest.approx(1.4)
    # 030: 专门分析 → 2; 3 要素 × 0.5 = 1.5 → 3.5; 6 要素 capped at 2 → 4.
    assert formula(codes["030"], 专门分析共享需求=1, 明确要素数=3) == pytest.approx(3.5)
    assert formula(codes["030"], 专门分析共享需求=1, 明确要素数=6) == 4
    assert formula(codes["030"], 专门分析共享需求=0, 明确要素数=2) == 1
    # 035: two sub-items of at most 1 each.
    assert formula(codes["035"], 应急预案得分=1, 应急演练得分=0.5) == pytest.approx(1.5)
    assert formula(codes["035"], 应急预案得分=2, 应急演练得分=2) == 2


def test_egov_descriptive_fields_kept():
    codes = by_code(raw("egov-2019-annual"))
    assert codes["008"]["provider"] == "市政务服务中心"
    assert codes["011"]["lead"] == "装备科" and codes["011"]["support"] == "计财科"
    assert codes["001"]["lead"] == "政策法规科" and codes["001"]["support"] == "办公室、信息中心"
    assert codes["012"]["provider"] == "市发改委" and codes["012"]["lead"] == "诚信办"
    assert codes["021"]["evidence"] == "平台检查"
    assert codes["006"]["criteria"].endswith("是,得3分;否,得1分;未接入市电子政务外网的,不得分。")
    assert codes["028"]["criteria"].startswith(
        "制证量情况,按照各类证照制证量与人口总数的比例在全省16个地市的排名取分"
    )
    with_provider = sorted(c for c, n in codes.items() if "provider" in n)
    # 备注 naming a provider: 007 020 027 028 031 (市大数据资源局) 5 + 008 1 + 009 010 2 + 011 1
    # + 012–018 (市发改委) 7 + 019 1 = 17
    assert len(with_provider) == 17


def test_egov_inputs_through_loader():
    system = load_system("egov-2019-annual")
    specs = {(s.indicator, s.input): s for s in system.inputs()}
    assert specs[("006", "接入方式")].choices == ("是", "否", "未接入")
    assert specs[("028", "全省排名")].kind == "count"
    assert specs[("004", "score")].needs_note  # manual leaves take a reviewer's score with a reason


# --- end to end through the scoring engine: the encodings score as the seeds say ------------------


def _score(system_id: str, units: list[dict[str, Any]], rows: list[dict[str, Any]]) -> dict[str, Any]:
    from govassess.data import inputs_from_rows, units_from_rows
    from govassess.scoring import score_round

    system = load_system(system_id)
    unit_frame = units_from_rows(units)
    result: dict[str, Any] = score_round(
        system, unit_frame, inputs_from_rows(system, unit_frame, rows)
    ).to_dict()
    return {u["unit"]: u for u in result["units"]}


def _full_marks(system_id: str, unit: str) -> list[dict[str, Any]]:
    """Input rows that earn every weighted leaf its full points (values chosen by reading each rule)."""
    rows = []
    formulas = {"42": {"覆盖层级数": 4}, "44": {"已发布清单数": 7}}  # 黑河: 4 of 4 levels, 7 of 7 清单
    if system_id.startswith("yangjiang"):  # 评价数据汇聚: all rated actively, none late; 好差评: every bad one fixed
        evaluation, ratings = ("40", "41") if system_id.endswith("dept") else ("37", "38")
        formulas = {evaluation: {"主动评价率": "100%", "办件数据超时率": "0"},
                    ratings: {"已整改差评数": 2, "差评数": 2, "好评率": "100%"}}
    for leaf, kind, _ in walk(raw(system_id)["indicators"]):
        if "children" in leaf or kind != "normal":
            continue
        rule, code = leaf["rule"], leaf["code"]
        values: dict[str, str] = {}
        if rule["type"] == "manual":
            rows.append(
                {
                    "unit": unit,
                    "indicator": code,
                    "input": "score",
                    "value": str(leaf["points"]),
                    "note": "满分",
                }
            )
        elif rule["type"] == "ratio" and "value" in rule:
            values = {rule["value"]: "100%"}
        elif rule["type"] == "ratio":
            values = {rule["num"]: "5", rule["den"]: "5"}
        elif rule["type"] == "choice":
            values = {rule["input"]: "是"}
        elif rule["type"] == "formula":
            values = {k: str(v) for k, v in formulas[code].items()}
        elif rule["type"] == "relative":
            values = {rule["input"]: "1"}  # every unit equal → each is the class's best → full points
        else:
            raise AssertionError(f"no full-mark input written for {code} {rule['type']}")
        rows += [{"unit": unit, "indicator": code, "input": k, "value": v} for k, v in values.items()]
    return rows


def test_yangjiang_dept_not_applicable_items_are_rescaled():
    units = [
        {
            "unit": "d1",
            "name": "市民政局",
            "class": "市级部门",
            "has_license_items": 0,
            "has_application_items": 1,
        },
        {
            "unit": "d2",
            "name": "市统计局",
            "class": "市级部门",
            "has_license_items": 1,
            "has_application_items": 0,
        },
    ]
    rows = [r for r in _full_marks("yangjiang-2021-dept", "d1") if r["indicator"] != "30"]
    rows.append({"unit": "d1", "indicator": "30", "input": "网上受理率", "value": "50%"})
    rows += _full_marks("yangjiang-2021-dept", "d2")
    rows += [
        {"unit": "d1", "indicator": "42", "input": "score", "value": "3", "note": "秒批"},
        {"unit": "d1", "indicator": "43", "input": "score", "value": "1", "note": "安全事件一起"},
    ]
    got = _score("yangjiang-2021-dept", units, rows)
    # d1 has no 行政许可 items: 33 (2) drops out, 98 applicable points; 网上受理率 50% × 2 = 1, so 97 earned.
    # weighted = 97 / 98 × 100 = 98.9796 → 98.98; 98.98 + 3 (服务创新) − 1 (安全事件) = 100.98, above the
    # 百分制 the seed ends on ("最后分值折算为百分制", cap: 100) → total 100.
    assert got["d1"]["indicators"]["33"]["applicable"] is False
    assert got["d1"]["indicators"]["30"]["score"] == pytest.approx(1)
    assert got["d1"]["weighted"] == pytest.approx(98.98)
    assert got["d1"]["score"] == pytest.approx(100)
    # d2 has no 依申请 items: 13 (3) + 16 (2) + 28–31 (4 × 2) = 13 points drop out; the rest full → 100.
    assert [got["d2"]["indicators"][c]["applicable"] for c in ("13", "16", "28", "29", "30", "31", "33")] == [
        False,
        False,
        False,
        False,
        False,
        False,
        True,
    ]
    assert got["d2"]["weighted"] == pytest.approx(100)


def test_heihe_row_8_only_for_counties():
    units = [
        {"unit": "x1", "name": "爱辉区", "class": "县(市、区)"},
        {"unit": "b1", "name": "市某局", "class": "市级部门"},
    ]
    rows = _full_marks("heihe-2023", "x1") + [
        r for r in _full_marks("heihe-2023", "b1") if r["indicator"] not in ("3", "8")
    ]
    rows.append({"unit": "b1", "indicator": "3", "input": "成立领导小组", "value": "否"})
    got = _score("heihe-2023", units, rows)
    assert got["x1"]["weighted"] == pytest.approx(100)
    # b1: row 8 (3 points) not applicable → 97 applicable; row 3 否 loses 3 → 94 / 97 × 100 = 96.907 → 96.91.
    assert got["b1"]["indicators"]["8"]["applicable"] is False
    assert got["b1"]["indicators"]["3"]["score"] == 0
    assert got["b1"]["weighted"] == pytest.approx(96.91)


def test_egov_rules_score_as_the_scoring_details_say():
    units = [
        {"unit": "u1", "name": "甲局", "class": "市直单位"},
        {"unit": "u2", "name": "乙局", "class": "市直单位"},
    ]
    given = {
        "001": {"参会项数": "3", "对接次数": "1"},  # MIN(3,2) + MIN(1,2) = 3
        "002": {"本年度工作计划及完成情况": "是", "下年度工作计划": "否"},  # 1 + 0 = 1
        "006": {"接入方式": "否"},  # 否 → 1
        "008": {"平台考核结果": "90"},  # 90 / 100 × 10 = 9
        "011": {"平台得分率": "85%"},  # 0.85 × 6 = 5.1
        "021": {"挂接目录数": "30", "目录总数": "40"},  # 30 / 40 × 3 = 2.25
        "028": {"全省排名": "7"},  # 5–10名 → 1
        "029": {"应用证照类数": "3"},  # 3 × 0.5 = 1.5, capped at 1
        "030": {"专门分析共享需求": "1", "明确要素数": "3"},  # 2 + 3 × 0.5 = 3.5
        "032": {"等保备案": "1", "安全测评": "0", "整改": "0"},  # any one → 1
    }
    rows = [
        {"unit": "u1", "indicator": code, "input": k, "value": v}
        for code, values in given.items()
        for k, v in values.items()
    ]
    rows += [
        {"unit": "u2", "indicator": "006", "input": "接入方式", "value": "未接入"},  # 0
        {"unit": "u2", "indicator": "028", "input": "全省排名", "value": "5"},  # 前5名 → 2
    ]
    got = _score("egov-2019-annual", units, rows)
    expected = {
        "001": 3,
        "002": 1,
        "006": 1,
        "008": 9,
        "011": 5.1,
        "021": 2.25,
        "028": 1,
        "029": 1,
        "030": 3.5,
        "032": 1,
    }
    assert {c: got["u1"]["indicators"][c]["score"] for c in expected} == pytest.approx(expected)
    # Everything else is missing and scores 0: 3+1+1+9+5.1+2.25+1+1+3.5+1 = 27.85 of 100.
    assert got["u1"]["score"] == pytest.approx(27.85)
    assert got["u2"]["indicators"]["006"]["score"] == 0 and got["u2"]["indicators"]["028"]["score"] == 2
    assert got["u2"]["score"] == pytest.approx(2)


def test_every_identifier_in_builtin_systems_has_a_chinese_label():
    # inputs and unit attributes that are ASCII identifiers (score, has_license_items, population …) must have
    # a label, so explanations and templates never show them
    import re

    from govassess.indicators.loader import builtin_ids

    ascii_name = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
    unlabelled = []
    for sid in builtin_ids():
        system = load_system(sid)
        names = {s.input for s in system.inputs()}
        for n in system.nodes():
            for ast in (n.applies_ast, n.veto_ast):
                names |= set(ex.names(ast)) if ast is not None else set()
            per = getattr(n.rule, "per", None)
            names |= {per} if per else set()
        unlabelled += [(sid, name) for name in sorted(names) if ascii_name.match(name) and ascii_name.match(system.label(name))]
    assert unlabelled == []


def test_missing_manual_score_is_named_by_its_label():
    from govassess.data import inputs_from_rows, units_from_rows
    from govassess.indicators import system_from_dict
    from govassess.scoring import score_round

    system = system_from_dict({"id": "t", "name": "t", "total": 2, "indicators": [
        {"name": "机制", "code": "1", "points": 2, "rule": {"type": "manual"}}]})
    u = units_from_rows([{"unit": "A", "name": "甲", "class": "市级部门"}])
    res = score_round(system, u, inputs_from_rows(system, u, [])).to_dict()
    assert res["units"][0]["indicators"]["1"]["explanation"] == "缺少输入：评分，按 0 分计"
    assert res["units"][0]["missing"] == [{"indicator": "1", "input": "score", "label": "评分"}]


def test_every_manual_leaf_says_why_and_check_system_lists_the_manual_share(capsys):
    from govassess.cli import main
    from govassess.indicators.loader import builtin_ids

    for sid in ("yangjiang-2021-dept", "yangjiang-2021-county", "heihe-2023", "egov-2019-annual"):
        assert any(n.rule.type == "manual" for n in load_system(sid).leaves()), sid
    # Every built-in system: a manual leaf always says why it is manual (check-system prints it).
    for sid in builtin_ids():
        missing = [n.code for n in load_system(sid).leaves() if n.rule.type == "manual" and not n.manual_reason]
        assert not missing, (sid, missing)
    # 阳江 市级部门: 41 weighted leaves; computed now: 27–38 (12) + 1, 39, 40, 41 (4) = 16 → 25 manual,
    # points 100 − (2×9 + 4×3 + 2 + 2 + 5 + 3) = 100 − 42 = 58
    summary = check_system(load_system("yangjiang-2021-dept")).summary["manual"]
    assert (summary["weighted_leaves"], summary["weighted_points"], summary["leaves"]) == (25, 58, 28)
    assert summary["share_of_points"] == 0.58
    assert main(["check-system", "yangjiang-2021-dept"]) == 0
    out = capsys.readouterr().out
    assert "人工评分：常规叶子 25/41 个（61%），分值 58/100（58%）" in out and "24 统一领导机制" in out


def test_heihe_as_needed_rows_are_not_applicable_without_the_need():
    # 黑河 rows 19–24 "(按需)": row 8 (3 points) is for 县(市、区) only, so a 市级部门 has 97 applicable points.
    # h1 has no need for 统一身份认证 (row 19, 2 points) → dropped: 95 of 95 → 100;
    # h2 needs it and has not connected (否) → 95 of 97 → 97.938 → 97.94; everything else full marks.
    units = [{"unit": "h1", "name": "市民政局", "class": "市级部门"}, {"unit": "h2", "name": "市教育局", "class": "市级部门"}]
    rows = []
    for unit, answer in (("h1", "无此需求"), ("h2", "否")):
        rows += [r for r in _full_marks("heihe-2023", unit) if r["indicator"] != "19"]
        rows.append({"unit": unit, "indicator": "19", "input": "接入统一身份认证及个人企业档案", "value": answer})
    got = _score("heihe-2023", units, rows)
    assert got["h1"]["indicators"]["19"]["applicable"] is False and got["h2"]["indicators"]["19"]["applicable"] is True
    assert "无此需求" in got["h1"]["indicators"]["19"]["explanation"] and "不适用" in got["h1"]["indicators"]["19"]["explanation"]
    assert got["h1"]["score"] == pytest.approx(100) and got["h2"]["score"] == pytest.approx(97.94)
    codes = {n.code: n for n in load_system("heihe-2023").leaves()}
    assert all("无此需求" in codes[c].rule.na for c in ("19", "20", "21", "22", "23", "24"))


def test_egov_yes_no_formula_inputs_take_words_like_a_clerk_types_them():
    # 030 and 032 ask yes/no questions (专门分析共享需求, 等保备案 …); declared bool, so 是/否 read as 1/0:
    # 030 = 2 + MIN(3 × 0.5, 2) = 3.5; 032: one of three done → 1.
    units = [{"unit": "u1", "name": "甲局", "class": "市直"}]
    rows = [
        {"unit": "u1", "indicator": "030", "input": "专门分析共享需求", "value": "是"},
        {"unit": "u1", "indicator": "030", "input": "明确要素数", "value": "3"},
        {"unit": "u1", "indicator": "032", "input": "等保备案", "value": "是"},
        {"unit": "u1", "indicator": "032", "input": "安全测评", "value": "否"},
        {"unit": "u1", "indicator": "032", "input": "整改", "value": "否"},
    ]
    got = _score("egov-2019-annual", units, rows)["u1"]["indicators"]
    assert (got["030"]["score"], got["032"]["score"]) == pytest.approx((3.5, 1))
