"""Excel ↔ indicator-system tables (issue 2, section 3).

Expected dicts are written by hand from the seed tables the fixture workbooks copy (004 阳江,
001 2019 电子政务, 003 黑河); arithmetic for totals is in the comments.
"""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from govassess.errors import UserError
from govassess.indicators.excel import _guess_rule, read_system_table, write_system_table

_spec = importlib.util.spec_from_file_location(
    "excel_fixture_builders", Path(__file__).parent / "fixtures" / "excel" / "builders.py"
)
assert _spec and _spec.loader
builders = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(builders)


def _problem(exc: pytest.ExceptionInfo[UserError], i: int = 0) -> Any:
    return exc.value.problems[i]


# --------------------------------------------------------------------------- office tables


def test_yangjiang_table_merged_and_blank_below_levels_and_percent_weights(tmp_path: Path) -> None:
    path = builders.yangjiang_table(tmp_path / "yj.xlsx")
    system, notes = read_system_table(path, system_id="yangjiang-test")
    manual = {"type": "manual"}
    expected = {
        "id": "yangjiang-test",
        "name": "市级部门考核指标",  # the title row above the header
        "total": 8,  # 2 + 2 + 1 + 1 + 2; the 加分/减分 caps (10, 5, 5) are not in the weighted part
        "indicators": [
            {
                "code": "A",
                "name": "数字化支撑能力",
                "children": [
                    {
                        "code": "A1",
                        "name": "办件信息汇聚",
                        "children": [
                            {
                                "code": "1",
                                "name": "办件量",
                                "points": 2,
                                "rule": manual,
                                "criteria": "评估各单位通过市政务信息资源共享平台上报的办件过程数据的数量、质量和范围",
                                "lead": "数据资源科",
                            },
                            {
                                "code": "2",
                                "name": "办件信息与事项关联度",
                                "points": 2,
                                "rule": manual,  # 0.02 shown as 2%
                                "criteria": "评估各单位上报的办件过程数据中，覆盖本单位事项情况",
                                "lead": "数据资源科",
                            },
                        ],
                    },
                    {
                        "code": "A2",
                        "name": "数据支撑",
                        "children": [
                            {
                                "code": "3",
                                "name": "政务数据挂接情况",
                                "points": 1,
                                "rule": manual,
                                "criteria": "评估各单位在省政务大数据中心的数据挂接情况",
                                "lead": "数据资源科",
                            },
                            {
                                "code": "4",
                                "name": "共享需求满足情况",
                                "points": 1,
                                "rule": manual,
                                "criteria": "评估各单位的共享数据需求及时响应的情况",
                                "lead": "数据资源科",
                            },
                            {
                                "code": "5",
                                "name": "监管数据汇聚情况",
                                "points": 2,
                                "rule": manual,
                                "criteria": "评估各单位汇聚的监管数据的数量、质量、范围",
                                "lead": "数据资源科",
                            },
                        ],
                    },
                ],
            },
            {
                "code": "B",
                "name": "加减分",
                "children": [
                    {
                        "code": "B1",
                        "name": "加分项",
                        "kind": "bonus",
                        "children": [
                            {
                                "code": "42",
                                "name": "服务创新",
                                "points": 10,
                                "rule": manual,
                                "criteria": "评估各单位在数字政府改革建设中的服务创新、亮点",
                            },
                        ],
                    },
                    {
                        "code": "B2",
                        "name": "减分项",
                        "kind": "penalty",
                        "children": [
                            {
                                "code": "43",
                                "name": "安全事件",
                                "points": 5,
                                "rule": manual,
                                "criteria": "评估各单位网络安全工作落实情况",
                                "lead": "基础设施与安全科",
                            },
                            {
                                "code": "44",
                                "name": "虚假材料",
                                "points": 5,
                                "rule": manual,
                                "criteria": "评估各单位在本次评估中报送材料和数据的真实性和客观性",
                            },
                        ],
                    },
                ],
            },
        ],
    }
    assert system == expected
    assert any("加分项" in n and "加分项" in n.split("按名称")[0] for n in notes)
    assert any("8" in n and "total" in n for n in notes)


def test_egov_table_subtotals_two_row_header_and_derived_rules(tmp_path: Path) -> None:
    path = builders.egov_table(tmp_path / "egov.xlsx")
    system, notes = read_system_table(path, system_id="egov-test")
    assert system["name"] == "2019年电子政务工作绩效年终考评指标体系及目标责任分解表"
    assert system["total"] == 18  # 4 + 2 + 2 + 3 + 3 + 3 + 1
    expected_indicators = [
        {
            "code": "A",
            "name": "发展环境",
            "points": 14,
            "children": [
                {
                    "code": "A1",
                    "name": "工作统筹协调",
                    "points": 8,
                    "children": [
                        # Two per-item clauses in one cell: not one safe rule, so manual.
                        {
                            "code": "001",
                            "name": "支持配合协调力度",
                            "points": 4,
                            "rule": {"type": "manual"},
                            "criteria": "参加市电子政务管理部门组织的调研、座谈、会议情况，每项1分，最高得2分；"
                            "与市电子政务管理部门工作对接情况，每次1分，最高得2分。",
                            "lead": "政策法规科",
                            "support": "办公室",
                            "evidence": "参加市电子政务管理部门组织的调研、座谈、会议情况和文件反馈情况的佐证材料。",
                        },
                        # Two additive conditions (a checklist), not derived.
                        {
                            "code": "002",
                            "name": "工作计划与实施",
                            "points": 2,
                            "rule": {"type": "manual"},
                            "criteria": "有2019年本单位电子政务工作计划及完成情况的，得1分；有2020年本单位电子政务工作计划的，得1分。",
                            "lead": "信息中心",
                            "support": "政策法规科",
                            "evidence": "2019年本单位电子政务工作计划及完成情况。",
                        },
                        # 一次得1分，最高2分 → 1 point per time, capped at the leaf's 2.
                        {
                            "code": "003",
                            "name": "培训情况",
                            "points": 2,
                            "rule": {"type": "per_item", "input": "次数", "each": 1},
                            "criteria": "2019年参加全市网上政务服务、信息系统应用、基础设施网络和安全等有关业务培训，一次得1分，最高2分。",
                            "lead": "办公室",
                            "support": "政策法规科",
                            "evidence": "参加有关业务培训的文件通知等佐证材料。",
                        },
                    ],
                },
            ],
        },
        {
            "code": "B",
            "name": "基础设施",
            "points": 6,
            "children": [
                {
                    "code": "B1",
                    "name": "统一的电子政务外网",
                    "points": 6,
                    "children": [
                        # 是 3 / 否 1 / 未接入 0, the top option equal to the leaf's 3 points.
                        {
                            "code": "006",
                            "name": "网络覆盖",
                            "points": 3,
                            "rule": {
                                "type": "choice",
                                "input": "选项",
                                "options": {"是": 3, "否": 1, "未接入市电子政务外网": 0},
                            },
                            "criteria": "是否通过专线接入方式接入市电子政务外网的。\n是，得3分；否，得1分；未接入市电子政务外网的，不得分。",
                            "lead": "信息中心",
                            "evidence": "提供相关证明材料。",
                        },
                        {
                            "code": "007",
                            "name": "网络运行",
                            "points": 3,
                            "rule": {"type": "manual"},
                            "criteria": "接入市电子政务外网各部门全年无重大网络中断（超过4小时）和安全事故的，得3分。",
                            "lead": "信息中心",
                            "provider": "市大数据资源局",
                        },  # 备注 “市大数据资源局提供。”
                    ],
                },
            ],
        },
        {
            "code": "C",
            "name": "政务信息资源交换共享和开发利用",
            "points": 28,
            "children": [
                {
                    "code": "C1",
                    "name": "政务信息资源目录",
                    "points": 3,
                    "children": [
                        # 挂接具体数据资源的目录数/部门目录总数*3分, the multiplier equal to the leaf's 3.
                        {
                            "code": "021",
                            "name": "目录挂接",
                            "points": 3,
                            "rule": {
                                "type": "ratio",
                                "num": "挂接具体数据资源的目录数",
                                "den": "部门目录总数",
                            },
                            "criteria": "得分=挂接具体数据资源的目录数/部门目录总数*3分。",
                            "lead": "信息中心",
                        },
                    ],
                },
                {
                    "code": "C2",
                    "name": "电子证照应用",
                    "points": 1,
                    "children": [
                        # 每有一类…得0.5分，得满1分为止 → 0.5 per type, capped at 1.
                        {
                            "code": "029",
                            "name": "证照应用",
                            "points": 1,
                            "rule": {"type": "per_item", "input": "类数", "each": 0.5},
                            "criteria": "在事项办理中实现电子证照应用的，每有一类电子证照在事项办理过程中得到应用得0.5分，得满1分为止。",
                            "lead": "信息中心",
                        },
                    ],
                },
            ],
        },
    ]
    assert system["indicators"] == expected_indicators
    assert (
        "第6行 指标 003：由“一次得1分，最高2分”推断为按项计分（{type: per_item, input: 次数, each: 1}）"
        in notes
    )
    assert any(n.startswith("第7行 指标 006：") and "选项计分" in n for n in notes)
    assert any(n.startswith("第9行 指标 021：") and "比率计分" in n for n in notes)
    assert any("市大数据资源局" in n and "提供部门" in n for n in notes)
    assert any(n.startswith("3 条指标") and "manual" in n for n in notes)  # 001, 002 and 007
    manual = [
        leaf["code"]
        for g in system["indicators"]
        for s in g["children"]
        for leaf in s["children"]
        if leaf["rule"]["type"] == "manual"
    ]
    assert manual == ["001", "002", "007"]


def test_heihe_table_category_column_and_merged_leaf_cell(tmp_path: Path) -> None:
    path = builders.heihe_table(tmp_path / "heihe.xlsx")
    system, notes = read_system_table(path, system_id="heihe-test", name="黑河市数字政府建设评估指标体系")
    related = "关联单位：各县市区人民政府、市级各部门"  # a column with no field of its own → note
    manual = {"type": "manual"}
    assert system == {
        "id": "heihe-test",
        "name": "黑河市数字政府建设评估指标体系",
        "total": 13,  # 5 + 3 + 3 + 2
        "indicators": [
            {
                "code": "A",
                "name": "统筹管理",
                "children": [
                    {
                        "code": "A1",
                        "name": "规划设计",
                        "children": [
                            {
                                "code": "A1.1",
                                "name": "规划设计",
                                "children": [
                                    {
                                        "code": "1",
                                        "name": "规划设计-1",
                                        "points": 5,
                                        "rule": manual,
                                        "note": related,
                                        "criteria": "1.制定发布本地区、本部门数字政府建设任务规划情况；",
                                    },
                                    {
                                        "code": "2",
                                        "name": "规划设计-2",
                                        "points": 3,
                                        "rule": manual,
                                        "note": related,
                                        "criteria": "2.制定发布本地区、本部门数字政府建设相关年度计划情况。",
                                    },
                                ],
                            },
                        ],
                    },
                    {
                        "code": "A2",
                        "name": "组织保障",
                        "children": [
                            {
                                "code": "A2.1",
                                "name": "领导机制",
                                "children": [
                                    {
                                        "code": "3",
                                        "name": "领导机制-1",
                                        "points": 3,
                                        "rule": manual,
                                        "note": related,
                                        "criteria": "1、是否成立专门的数字政府建设领导小组；",
                                    },
                                    {
                                        "code": "4",
                                        "name": "领导机制-2",
                                        "points": 2,
                                        "rule": manual,
                                        "note": related,
                                        "criteria": "2、是否明确小组统筹领导本地数字政府建设具体工作机制等。",
                                    },
                                ],
                            },
                        ],
                    },
                ],
            },
        ],
    }
    assert any(n.startswith("第2–3行") and "规划设计-1、规划设计-2" in n for n in notes)
    assert any(n.startswith("分组编码按 A、B") for n in notes)


@pytest.mark.parametrize(
    ("cell", "fmt", "points"),
    [
        ("2%", None, 2),
        (0.02, "0%", 2),
        (0.025, "0.0%", 2.5),
        (2, None, 2),
        (2.0, None, 2),
        ("2.0", None, 2),
        ("10分", None, 10),
        ("（14）", None, 14),
        ("(2.5)", None, 2.5),
        (" 3 分 ", None, 3),
        ("２％", None, 2),  # full-width, as typed with a Chinese input method
        ("（１４）", None, 14),
    ],
)
def test_weight_spellings(tmp_path: Path, cell: Any, fmt: str | None, points: float) -> None:
    path = builders.plain_table(
        tmp_path / "w.xlsx", [[1, "甲", "乙", cell, "细则"]], formats={"D2": fmt} if fmt else None
    )
    system, _ = read_system_table(path, system_id="w")
    leaf = system["indicators"][0]["children"][0]
    assert leaf["points"] == points
    assert system["total"] == points


def test_group_codes_not_generated_when_they_would_clash(tmp_path: Path) -> None:
    rows = [["A", "甲", "甲一", 2, "x"], ["B", "乙", "乙一", 3, "y"]]  # 序号 already uses A and B
    path = builders.plain_table(tmp_path / "g.xlsx", rows)
    system, notes = read_system_table(path, system_id="g")
    assert [g.get("code") for g in system["indicators"]] == [None, None]
    assert any("分组未生成编码" in n and "A、B" in n for n in notes)


def test_generated_codes_when_no_serial_column(tmp_path: Path) -> None:
    rows = [["甲", "甲一", 2], [None, "甲二", 3], ["乙", "乙一", 5]]
    path = builders.plain_table(tmp_path / "c.xlsx", rows, header=["一级指标", "二级指标", "分值"])
    system, notes = read_system_table(path, system_id="c")
    codes = [(g["code"], [leaf["code"] for leaf in g["children"]]) for g in system["indicators"]]
    assert codes == [("1", ["1.1", "1.2"]), ("2", ["2.1"])]
    assert any("按层级生成" in n for n in notes)


def test_codes_kept_as_formatted_numbers_and_total_and_note_rows_skipped(tmp_path: Path) -> None:
    rows = [
        [1, "甲", "甲一", 2, "x"],
        [2, None, "甲二", 3, "y"],
        ["合计", None, None, 5, None],
        ["注：本表分值为百分制权重。", None, None, None, None],
    ]
    path = builders.plain_table(tmp_path / "n.xlsx", rows, formats={"A2": "000", "A3": "000"})
    system, notes = read_system_table(path, system_id="n")
    assert [leaf["code"] for leaf in system["indicators"][0]["children"]] == ["001", "002"]
    assert system["total"] == 5
    assert any("第4行" in n and "合计" in n for n in notes)
    assert any("第5行" in n and "表注" in n for n in notes)


def test_first_of_several_tables_is_read_and_said(tmp_path: Path) -> None:
    wb = Workbook()
    for title, leaf in (("市级部门", "办件量"), ("县(市、区)", "事项进驻率")):
        ws = wb.create_sheet(title)
        ws.append(["序号", "一级指标", "二级指标", "分值"])
        ws.append([1, "甲", leaf, 2])
    del wb["Sheet"]
    wb.save(tmp_path / "two.xlsx")
    system, notes = read_system_table(tmp_path / "two.xlsx", system_id="two")
    assert system["indicators"][0]["children"][0]["name"] == "办件量"
    assert any("县(市、区)" in n and "只读取了第一个「市级部门」" in n for n in notes)


def test_two_criteria_columns_are_both_kept(tmp_path: Path) -> None:
    header = ["序号", "一级指标", "二级指标", "分值", "评估内容", "评分标准"]
    rows = [[1, "甲", "乙", 2, "是否制定规划", "有，得2分"], [2, None, "丙", 3, None, "按比例得分"]]
    path = builders.plain_table(tmp_path / "two.xlsx", rows, header=header)
    system, notes = read_system_table(path, system_id="two")
    leaves = system["indicators"][0]["children"]
    assert leaves[0]["criteria"] == "评估内容：是否制定规划\n评分标准：有，得2分"
    assert leaves[1]["criteria"] == "按比例得分"
    assert any("「评估内容」、「评分标准」" in n for n in notes)


def test_two_row_header_with_level_names_below_a_title(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "指标名称", None, "分值"])
    ws.append([None, "一级指标", "二级指标", None])
    ws.merge_cells("B1:C1")
    ws.merge_cells("A1:A2")
    ws.merge_cells("D1:D2")
    ws.append([1, "甲", "乙", "3%"])
    wb.save(tmp_path / "t.xlsx")
    system, _ = read_system_table(tmp_path / "t.xlsx", system_id="t")
    assert system["indicators"] == [
        {
            "code": "A",
            "name": "甲",
            "children": [{"code": "1", "name": "乙", "points": 3, "rule": {"type": "manual"}}],
        }
    ]


def test_attachment_label_is_not_the_title(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["附件2"])
    ws.append(["市级部门考核指标"])
    ws.append(["序号", "一级指标", "二级指标", "分值"])
    ws.append([1, "甲", "乙", 2])
    wb.save(tmp_path / "t.xlsx")
    system, _ = read_system_table(tmp_path / "t.xlsx", system_id="t")
    assert system["name"] == "市级部门考核指标"


def test_hidden_rows_are_read_and_said(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "一级指标", "二级指标", "分值"])
    ws.append([1, "甲", "乙", 2])
    ws.append([2, None, "丙", 3])
    ws.row_dimensions[3].hidden = True
    wb.save(tmp_path / "h.xlsx")
    system, notes = read_system_table(tmp_path / "h.xlsx", system_id="h")
    assert [leaf["name"] for leaf in system["indicators"][0]["children"]] == ["乙", "丙"]
    assert any(n.startswith("第3行 是隐藏行") for n in notes)


def test_name_and_id_defaults(tmp_path: Path) -> None:
    path = builders.plain_table(tmp_path / "My Table 2021.xlsx", [[1, "甲", "乙", 2, "x"]], sheet="考核指标")
    system, notes = read_system_table(path)
    assert system["id"] == "my-table-2021"
    assert system["name"] == "考核指标"  # no title row: the sheet name
    assert any("my-table-2021" in n for n in notes)


# --------------------------------------------------------------------------- rule guessing


@pytest.mark.parametrize(
    ("text", "points", "rule"),
    [
        ("每项1分，最高得2分", 2, {"type": "per_item", "input": "项数", "each": 1}),
        ("挂接目录数/目录总数×3", 3, {"type": "ratio", "num": "挂接目录数", "den": "目录总数"}),
        (
            "是，得3分；否，得1分；未接入，不得分",
            3,
            {"type": "choice", "input": "选项", "options": {"是": 3, "否": 1, "未接入": 0}},
        ),
        # 031: 是 2 / 否但备案 1 / 未经过 0
        (
            "是,得2分;否,但经过安全设备访问并备案的得1分;未经过安全设备访问的不得分。",
            2,
            {
                "type": "choice",
                "input": "选项",
                "options": {"是": 2, "否,但经过安全设备访问并备案": 1, "未经过安全设备访问": 0},
            },
        ),
        # The cap or multiplier disagrees with the leaf's points: not safe.
        ("每项1分，最高得2分", 3, {"type": "manual"}),
        ("挂接目录数/目录总数×3", 2, {"type": "manual"}),
        ("是，得3分；否，得1分", 2, {"type": "manual"}),
        # 032: 备案+测评+整改 → 2, any one → 1: a rule a person must read.
        ("完成等级保护备案、安全测评和整改工作的,得2分,完成其中任何一项,得1分。", 2, {"type": "manual"}),
        # 011: a rate times 6 without a fraction.
        ("平台应用成效得分=2019年平台12个月总得分的得分率*6分。", 6, {"type": "manual"}),
        # 030: 2 points, then 0.5 per element capped at 2 — two clauses.
        ("建议书中专门分析信息共享需求的,2分;列出共享目录的,每个要素0.5分,满分2分。", 4, {"type": "manual"}),
        # Seed 000 ⑧: 99 % uptime, 0.5 per percentage point below.
        (
            "要求系统实际运行时间达到本系统应提供办公或对外服务时间的99%以上,低于99%的,每低一个百分点扣0.5分,扣至本指标分数为0止。",
            5,
            {"type": "deduct", "input": "实际值", "below": "99%", "each": 0.5},
        ),
        # Seed 002: 重大信息瞒报、迟报、漏报 每次扣20分.
        ("对重大信息瞒报、迟报、漏报的,每次扣20分", 20, {"type": "deduct", "input": "次数", "each": 20}),
        ("每发现一处错链扣1分，扣完为止", 5, {"type": "deduct", "input": "处数", "each": 1}),
        # Seed 000: 加2分 … 每件扣2分 — two scoring clauses.
        (
            "发布单份政策解读材料加2分,累计不超过10分;应发布未发布的,每件扣2分,累计不超过10分",
            10,
            {"type": "manual"},
        ),
        # Seed 002: 计25分 … 每少一篇扣5分 — a quota, not a plain count of faults.
        ("完成本季度报送任务的,计25分,未完成报送任务的,每少一篇,扣5分,扣完为止", 25, {"type": "manual"}),
        ("评估各单位的共享数据需求及时响应的情况", 2, {"type": "manual"}),
        (None, 2, {"type": "manual"}),
    ],
)
def test_rule_guessing(text: str | None, points: float, rule: dict[str, Any]) -> None:
    assert _guess_rule(text, points)[0] == rule


# --------------------------------------------------------------------------- bad input


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError) as exc:
        read_system_table(tmp_path / "nope.xlsx")
    assert _problem(exc).file.endswith("nope.xlsx")
    assert "不存在" in _problem(exc).message


def test_not_an_xlsx(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("序号,一级指标\n1,甲\n", encoding="utf-8")
    with pytest.raises(UserError) as exc:
        read_system_table(bad)
    assert ".xlsx" in _problem(exc).message and _problem(exc).file == str(bad)


def test_old_xls_is_refused_with_advice(tmp_path: Path) -> None:
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UserError) as exc:
        read_system_table(old)
    assert "另存为 .xlsx" in _problem(exc).message


def test_no_sheet_with_an_indicator_header(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.title = "单位"
    wb.active.append(["单位", "名称"])
    wb.save(tmp_path / "units.xlsx")
    with pytest.raises(UserError) as exc:
        read_system_table(tmp_path / "units.xlsx")
    p = _problem(exc)
    assert "一级指标" in p.message and "单位" in p.message and p.file.endswith("units.xlsx")


def test_weight_not_a_number_names_sheet_row_column(tmp_path: Path) -> None:
    path = builders.plain_table(tmp_path / "w.xlsx", [[1, "甲", "乙", 2, "x"], [2, None, "丙", "两分", "y"]])
    with pytest.raises(UserError) as exc:
        read_system_table(path)
    p = _problem(exc)
    assert (p.sheet, p.row, p.column) == ("指标", 3, "D")
    assert "两分" in p.message and "2%" in p.message


def test_duplicate_serial_and_every_problem_reported(tmp_path: Path) -> None:
    rows = [[1, "甲", "乙", "x", "a"], [2, None, "丙", 2, "b"], [2, None, "丁", 3, "c"]]
    path = builders.plain_table(tmp_path / "d.xlsx", rows)
    with pytest.raises(UserError) as exc:
        read_system_table(path)
    problems = exc.value.problems
    assert [(p.row, p.column) for p in problems] == [(2, "D"), (4, "A")]
    assert "第3行" in problems[1].message and "重复" in problems[1].message


def test_leaf_without_weight(tmp_path: Path) -> None:
    path = builders.plain_table(tmp_path / "e.xlsx", [[1, "甲", "乙", None, "x"]])
    with pytest.raises(UserError) as exc:
        read_system_table(path)
    assert (_problem(exc).row, _problem(exc).column) == (2, "D")


def test_blank_level_below_a_leaf_is_ambiguous(tmp_path: Path) -> None:
    header = ["序号", "一级指标", "二级指标", "三级指标", "分值"]
    rows = [[1, "甲", "乙", None, 2], [2, None, None, "丙", 2]]  # is 乙 a leaf or the group of 丙?
    path = builders.plain_table(tmp_path / "a.xlsx", rows, header=header)
    with pytest.raises(UserError) as exc:
        read_system_table(path)
    assert (_problem(exc).row, _problem(exc).column) == (3, "C")


def test_weight_merged_over_rows_is_refused(tmp_path: Path) -> None:
    path = builders.plain_table(
        tmp_path / "m.xlsx", [[1, "甲", "乙", 4, "x"], [2, None, "丙", None, "y"]], merges=["D2:D3"]
    )
    with pytest.raises(UserError) as exc:
        read_system_table(path)
    assert (_problem(exc).sheet, _problem(exc).row, _problem(exc).column) == ("指标", 3, "D")


def test_native_layout_bad_rule_and_kind_cells(tmp_path: Path) -> None:
    system = builders.full_system()
    path = write_system_table(system, tmp_path / "full.xlsx")
    wb = load_workbook(path)
    ws = wb["指标体系"]
    header = [c.value for c in ws[2]]
    rule_col, kind_col = header.index("规则") + 1, header.index("类型") + 1
    ws.cell(row=3, column=rule_col, value="{type: ratio, num: [")
    ws.cell(row=4, column=kind_col, value="奖励")
    wb.save(path)
    with pytest.raises(UserError) as exc:
        read_system_table(path)
    got = [(p.sheet, p.row, p.column) for p in exc.value.problems]
    letter, kind_letter = get_column_letter(rule_col), get_column_letter(kind_col)
    assert got == [("指标体系", 3, letter), ("指标体系", 4, kind_letter)]
    assert "加分项" in exc.value.problems[1].message


# --------------------------------------------------------------------------- round trip


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    system = builders.full_system()
    original = copy.deepcopy(system)
    path = write_system_table(system, tmp_path / "full.xlsx")
    assert system == original  # the writer does not touch its input
    back, notes = read_system_table(path)
    assert back == original
    assert notes == []
    # And once more: the re-read dict writes the same table.
    back2, _ = read_system_table(write_system_table(back, tmp_path / "again.xlsx"))
    assert back2 == original


def test_written_layout_is_the_office_layout(tmp_path: Path) -> None:
    path = write_system_table(builders.full_system(), tmp_path / "full.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["指标体系", "体系信息", "指标分组"]
    ws = wb["指标体系"]
    header = [c.value for c in ws[2]]
    assert header[:6] == [
        "序号",
        "一级指标",
        "二级指标",
        "三级指标",
        "四级指标",
        "分值",
    ]  # 数据>共享>目录>021
    assert header[6:] == [
        "评分细则",
        "数据来源",
        "提供部门",
        "牵头科室",
        "配合科室",
        "佐证材料",
        "备注",
        "规则",
        "类型",
        "适用条件",
        "适用类别",
        "否决",
        "人工评分理由",
        "其他字段",
    ]
    # Rows 3–7 are 001, 002, 003, 006, 004 under 发展环境: one merged cell with the subtotal.
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert "B3:B7" in merged and ws["B3"].value == "发展环境(14)"
    assert "C3:C5" in merged and ws["C3"].value == "工作统筹协调(8)"
    assert [ws.cell(row=r, column=1).value for r in range(3, 8)] == ["001", "002", "003", "006", "004"]
    assert ws["C7"].value == "项目备案(3)" and "C7:E7" in merged  # a level-2 leaf spans the deeper columns
    assert (
        ws["F3"].value == 4
        and ws["N3"].value == "{type: formula, expr: 'MIN(调研次数, 2) + MIN(对接次数, 2)'}"
    )
    assert ws.freeze_panes == "F3"
    assert ws.print_title_rows == "$2:$2"
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert ws["G3"].alignment.wrap_text
    info = {r[0]: r[2] for r in wb["体系信息"].iter_rows(min_row=2, values_only=True)}
    assert info["grades"] == "优秀≥90；良好≥80；合格≥60.5；不合格≥0"
    assert info["classes"] == "市级部门；县(市、区)"
    assert info["total"] == 42


def test_round_trip_of_an_imported_office_table(tmp_path: Path) -> None:
    imported, _ = read_system_table(builders.egov_table(tmp_path / "egov.xlsx"), system_id="egov")
    back, notes = read_system_table(write_system_table(imported, tmp_path / "out.xlsx"))
    assert back == imported
    assert notes == []


def test_total_left_blank_in_system_sheet_is_the_sum_of_normal_leaves(tmp_path: Path) -> None:
    path = write_system_table(builders.full_system(), tmp_path / "full.xlsx")
    wb = load_workbook(path)
    wb["体系信息"]["C5"] = None
    wb.save(path)
    back, notes = read_system_table(path)
    assert back["total"] == 42  # 4+2+2 + 3 + 3 + 3+5 + 5 + 2+3+5+5; 加分项 042 and 减分项 043/044 left out
    assert any("total" in n and "42" in n for n in notes)


def test_edited_group_name_in_exported_table_wins(tmp_path: Path) -> None:
    path = write_system_table(builders.full_system(), tmp_path / "full.xlsx")
    wb = load_workbook(path)
    wb["指标体系"]["B3"] = "发展环境与统筹(15)"
    wb.save(path)
    back, notes = read_system_table(path)
    group = back["indicators"][0]
    assert (group["name"], group["points"], group["code"], group["lead"]) == (
        "发展环境与统筹",
        15,
        "A",
        "办公室",
    )
    assert any("发展环境与统筹(15)" in n and "以指标表为准" in n for n in notes)


def test_writer_refuses_leaf_without_code(tmp_path: Path) -> None:
    system = {"id": "x", "name": "x", "total": 1, "indicators": [{"name": "甲", "points": 1}]}
    with pytest.raises(UserError) as exc:
        write_system_table(system, tmp_path / "x.xlsx")
    assert _problem(exc).indicator == "甲"
    assert not (tmp_path / "x.xlsx").exists()


# --------------------------------------------------------------------------- with the core


def test_full_system_fixture_is_a_valid_system() -> None:
    from govassess.indicators import check_system, system_from_dict

    system = system_from_dict(builders.full_system())
    assert check_system(system).problems == []


def _builtin_ids() -> list[str]:
    from govassess.indicators import builtin_ids

    return list(builtin_ids())


@pytest.mark.parametrize("system_id", _builtin_ids())
def test_builtin_systems_round_trip(tmp_path: Path, system_id: str) -> None:
    from govassess.indicators import load_system

    data = load_system(system_id).to_dict()
    back, notes = read_system_table(write_system_table(data, tmp_path / f"{system_id}.xlsx"))
    assert back == data
    assert notes == []


@pytest.mark.parametrize("build", [builders.yangjiang_table, builders.heihe_table])
def test_imported_tables_load_and_check_with_the_core(tmp_path: Path, build: Any) -> None:
    import yaml

    from govassess.indicators import check_system, load_system

    data, _ = read_system_table(build(tmp_path / "t.xlsx"), system_id="imported")
    path = tmp_path / "imported.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    system = load_system(str(path))
    assert check_system(system).problems == []
    assert system.to_dict()["indicators"] == data["indicators"]


def test_header_without_rows(tmp_path: Path) -> None:
    path = builders.plain_table(tmp_path / "e.xlsx", [])
    with pytest.raises(UserError) as exc:
        read_system_table(path)
    assert (_problem(exc).sheet, _problem(exc).row) == ("指标", 1)
    assert "没有数据行" in _problem(exc).message


def test_native_layout_bad_system_sheet_and_blank_serial(tmp_path: Path) -> None:
    path = write_system_table(builders.full_system(), tmp_path / "full.xlsx")
    wb = load_workbook(path)
    info = wb["体系信息"]
    assert info["A5"].value == "total"  # rows: header, id, name, description, total
    info["C5"] = "一百"
    wb["指标体系"]["A4"] = None  # 002 loses its 序号
    wb.save(path)
    with pytest.raises(UserError) as exc:
        read_system_table(path)
    got = sorted((p.sheet, p.row, p.column) for p in exc.value.problems)
    assert got == [("体系信息", 5, "C"), ("指标体系", 4, "A")]
    assert any("序号为空" in p.message for p in exc.value.problems)


def test_rules_guessed_from_the_egov_table_match_the_seed(tmp_path: Path) -> None:
    """Export egov-2019-annual, strip our extra columns and sheets (an office's plain table), import.

    From the seed's 评分细则: 003 一次得1分，最高2分; 006 是3/否1/未接入0; 021 挂接…目录数/…目录总数*3;
    027 制证种类/…种类*3; 029 每有一类…得0.5分，得满1分; 031 是2/否但备案1/未经过0. Everything else
    is manual. Input names are the importer's own; the numbers must be the seed's.
    """
    from govassess.indicators import load_system

    path = write_system_table(load_system("egov-2019-annual").to_dict(), tmp_path / "egov.xlsx")
    wb = load_workbook(path)
    del wb["体系信息"], wb["指标分组"]
    ws = wb["指标体系"]
    header = [c.value for c in ws[2]]
    first = header.index("规则") + 1
    ws.delete_cols(first, len(header) - first + 1)
    wb.save(path)
    system, _ = read_system_table(path, system_id="egov-plain")

    def leaves(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for n in nodes:
            out += leaves(n["children"]) if "children" in n else [n]
        return out

    guessed = {}
    for leaf in leaves(system["indicators"]):
        rule = leaf["rule"]
        if rule["type"] == "per_item":
            guessed[leaf["code"]] = ("per_item", rule["each"])
        elif rule["type"] == "choice":
            guessed[leaf["code"]] = ("choice", sorted(rule["options"].values(), reverse=True))
        elif rule["type"] != "manual":
            guessed[leaf["code"]] = (rule["type"],)
    assert guessed == {
        "003": ("per_item", 1),
        "006": ("choice", [3, 1, 0]),
        "021": ("ratio",),
        "027": ("ratio",),
        "029": ("per_item", 0.5),
        "031": ("choice", [2, 1, 0]),
    }
    assert len(leaves(system["indicators"])) == 35
    assert system["total"] == 100
