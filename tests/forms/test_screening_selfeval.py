"""僵尸系统 screening, duplicate-spending hints, and the project self-evaluation computed from survey + usage."""

from __future__ import annotations

import csv

import pytest
from survey_helpers import run, system_row, unit_row, write_book

from govassess.errors import UserError
from govassess.forms.screening import (
    duplicate_hints,
    load_screening_config,
    parse_threshold_options,
    read_usage,
    threshold_rows,
    zombie_candidates,
)
from govassess.forms.selfeval import average_monthly_activity, requesting_departments, selfeval_inputs
from govassess.forms.survey import survey_validate

UNITS = [unit_row("白山市审计局"), unit_row("白山市财政局"), unit_row("白山市人社局")]


def _data(form, tmp_path, systems):
    return survey_validate(
        write_book(form, tmp_path / "s.xlsx", {"units": UNITS, "systems": systems}), form=form
    )


def _usage(tmp_path, rows, name="usage.csv"):
    path = tmp_path / name
    keys = sorted({k for r in rows for k in r}, key=lambda k: (k not in ("部门全称", "信息系统名称"), k))
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    return read_usage(path)


def _by_name(rows):
    return {r["信息系统名称"]: r for r in rows}


def test_zombie_criteria_from_survey_fields(form, tmp_path):
    data = _data(
        form,
        tmp_path,
        [
            system_row(name="健康系统"),
            system_row(name="少用系统", 系统使用频率=50),  # 50 < 100 visits: criterion 3
            # the unit's own plan to clean it up is not the seed's criterion 2 (功能可被完全替代): no candidate
            system_row(name="待清理系统", **{"信息系统拟清理、整合情况": "拟清理"}),
            # 运行维护费 0 and last budget 2014 ≤ 2017 − 3: criterion 1 (proxy); 40 + 50.25 + 0 = 90.25
            system_row(
                name="停维系统",
                运行维护费投入=0,
                信息系统实际已投入总金额=90.25,
                预算涉及的年度起=2012,
                预算涉及的年度止=2014,
            ),
            system_row(
                name="近年预算系统", 运行维护费投入=0, 信息系统实际已投入总金额=90.25, 预算涉及的年度止=2015
            ),
        ],
    )
    got = _by_name(zombie_candidates([data]))
    assert set(got) == {"少用系统", "停维系统"}
    assert got["少用系统"]["符合条件"] == [3] and "不足100次" in got["少用系统"]["原因"][0]
    assert got["停维系统"]["符合条件"] == [1]


def test_zombie_criteria_from_usage_and_exemption(form, tmp_path):
    data = _data(form, tmp_path, [system_row(name=n) for n in ("甲", "乙", "丙", "丁")])
    usage = _usage(
        tmp_path,
        [
            {"部门全称": "白山市审计局", "信息系统名称": "甲", "业务事项已取消": "是"},
            # 150 / 1000 = 0.15 < 0.2 fires; 数据更新 250 / 1000 = 0.25 does not
            {
                "部门全称": "白山市审计局",
                "信息系统名称": "乙",
                "实际用户访问量": "150",
                "设计用户访问量": "1000",
                "实际数据更新量": "250",
                "设计数据更新量": "1000",
            },
            # exempt from 2 and 3 (有特殊规定), but criterion 1 still applies
            {
                "部门全称": "白山市审计局",
                "信息系统名称": "丙",
                "实际用户访问量": "1",
                "设计用户访问量": "1000",
                "有特殊规定": "是",
                "与现行流程不符": "是",
                "最近更新年度": "2015",
            },
            {"部门全称": "白山市审计局", "信息系统名称": "丁", "功能可被替代": "是", "改造成本较大": "否"},
        ],
    )
    got = _by_name(zombie_candidates([data], usage=usage))
    assert set(got) == {"甲", "乙", "丙"}
    assert got["甲"]["符合条件"] == [1]
    assert got["乙"]["原因"] == ["（3）用户访问量不足设计指标的20%"]
    assert got["丙"]["符合条件"] == [1]  # 2015 ≤ 2017 − 2


def test_zombie_thresholds_are_the_offices_and_say_where_they_come_from(form, tmp_path, capsys):
    """The seed gives no numbers (“长期”“相差较远”): each is a named threshold, reported with its source."""
    data = _data(form, tmp_path, [system_row(name="乙")])
    usage = _usage(
        tmp_path,
        [{"部门全称": "白山市审计局", "信息系统名称": "乙", "实际用户访问量": "250", "设计用户访问量": "1000"}],
    )
    # 250 / 1000 = 0.25: not below the default 0.2, below an office's 0.3
    assert zombie_candidates([data], usage=usage) == []
    config = load_screening_config(thresholds={"设计指标比例下限": 0.3})
    got = _by_name(zombie_candidates([data], usage=usage, config=config))
    assert got["乙"]["原因"] == ["（3）用户访问量不足设计指标的30%"]
    rows = {r["阈值"]: r for r in threshold_rows(config)}
    assert rows["设计指标比例下限"]["取值"] == "30%" and "评估办设定" in rows["设计指标比例下限"]["来源"]
    assert "本平台默认值" in rows["年访问次数下限"]["来源"] and rows["年访问次数下限"]["取值"] == "100"
    for bad, fragment in (
        ({"访问比例": 0.3}, "没有名为“访问比例”"),
        ({"设计指标比例下限": 30}, "须在 0 到 1 之间"),
        ({"无更新年数": 1.5}, "须为整数"),
        ({"年访问次数下限": -1}, "须为非负数"),
    ):
        with pytest.raises(UserError) as err:
            load_screening_config(thresholds=bad)
        assert fragment in str(err.value)
    assert parse_threshold_options(["设计指标比例下限=25%"]) == {"设计指标比例下限": 0.25}
    with pytest.raises(UserError, match="名称=数值"):
        parse_threshold_options(["设计指标比例下限"])
    with pytest.raises(UserError, match="名称=数值"):
        parse_threshold_options(["设计指标比例下限=nan"])


def test_screening_config_is_checked(tmp_path):
    bad = tmp_path / "c.yaml"
    bad.write_text(
        "criteria:\n  - id: 1\n    checks:\n      - reason: x\n        all: [{field: a, op: like}]\n",
        encoding="utf-8",
    )
    with pytest.raises(UserError) as err:
        load_screening_config(bad)
    assert "like" in str(err.value)


def test_duplicate_hints_between_units(form, tmp_path):
    data = _data(
        form,
        tmp_path,
        [
            system_row("白山市审计局", "审计业务管理系统", 主要功能="审计项目计划、现场作业、审计报告"),
            system_row("白山市财政局", "审计业务管理平台", 主要功能="预算编制与执行监控"),
            system_row("白山市财政局", "财政门户网站", 主要功能="政务公开、政策发布"),
            system_row("白山市人社局", "人社门户网站", 主要功能="政务公开、政策发布"),
            system_row("白山市人社局", "人社门户网站二期", 主要功能="政务公开、政策发布"),
        ],
    )
    pairs = {(r["系统甲"], r["系统乙"]) for r in duplicate_hints([data], threshold=0.6)}
    # 审计业务管理系统 / 审计业务管理平台: generic words dropped → 审计业务 vs 审计业务, Jaccard 1.0.
    # The portals share 主要功能 word for word (Jaccard 1.0) across units; 人社门户网站 / 二期 are the same unit.
    assert pairs == {
        ("审计业务管理系统", "审计业务管理平台"),
        ("财政门户网站", "人社门户网站"),
        ("财政门户网站", "人社门户网站二期"),
    }


def test_monthly_activity_and_requesting_departments():
    # X = 100 registered; 15 days with 30 users (D = 0.3) and 15 days with 10 (D = 0.1):
    # M = (15 × 0.3 + 15 × 0.1) / 30 = 6 / 30 = 0.2
    assert average_monthly_activity(100, [30] * 15 + [10] * 15) == pytest.approx(0.2)
    assert requesting_departments("财政局、审计局、财政局，人社局") == 3  # 同一部门算1次
    assert requesting_departments(None) == 0


def _usage_row(name, **over):
    row = {
        "部门全称": "白山市审计局",
        "信息系统名称": name,
        "设计用户数": 200,
        "有使用记录的用户数": 150,
        "注册用户数": 100,
        "前1年核心业务数据条数": 1300,
        "上线后年平均核心业务数据条数": 1000,
        "实际投入使用的业务功能点数": 16,
        "设计业务功能点数": 20,
        "实际完成多跨协同部门数": 3,
        "设计多跨协同部门数": 4,
        "实际完成纵向贯通数": 2,
        "设计纵向贯通数": 2,
        "申请共享部门": "财政局、审计局、财政局、人社局",
        "实际运行时间": 9650,
        "应提供服务时间": 10000,
    }
    row.update({f"日使用用户数{i}": 30 if i <= 15 else 10 for i in range(1, 31)})
    row.update(over)
    return row


def test_self_evaluation_scores(form, tmp_path):
    from govassess.data import units_from_rows
    from govassess.forms.selfeval import selfeval_units
    from govassess.indicators import load_system
    from govassess.scoring import score_round

    data = _data(
        form,
        tmp_path,
        [
            system_row(name="甲"),
            system_row(name="乙"),
            system_row(name="在建", 系统状态="建设中", 系统开始使用日期=None),
        ],
    )
    usage = _usage(
        tmp_path,
        [
            _usage_row("甲"),
            _usage_row("乙", 前1年核心业务数据条数=800, 申请共享部门="", 实际运行时间=10000),
            _usage_row("在建"),
        ],
    )
    rows = selfeval_inputs([data], usage)
    assert {r["unit"] for r in rows} == {"白山市审计局｜甲", "白山市审计局｜乙"}  # 建设中 is not a 已建项目
    system = load_system("project-self-evaluation")
    units = units_from_rows(selfeval_units([data], usage))
    result = score_round(system, units, inputs_from(system, units, rows)).to_dict()
    scores = {u["unit"]: u for u in result["units"]}
    a = scores["白山市审计局｜甲"]["indicators"]
    # 用户覆盖率 150/200 × 5 = 3.75; 月活率 0.2 × 5 = 1; 增长 1300/1000 − 1 = 0.3 ∈ (0, 0.5) → 2.5;
    # 业务覆盖率 16/20 × 5 = 4; 多跨协同 3/4 × 5 = 3.75; 纵向贯通 2/2 × 5 = 5; 共享 3 departments → 3;
    # 运行时段 9650/10000 = 96.5 %: 2 whole points below 99 % → 5 − 2 × 0.5 = 4.
    expected = {"XT1": 3.75, "XT2": 1, "XT3": 2.5, "XT4": 4, "XT5": 3.75, "XT6": 5, "XT7": 3, "XT8": 4}
    assert {k: a[k]["score"] for k in expected} == pytest.approx(expected)
    # 27 of 40 → 27 / 40 × 100 = 67.5
    assert scores["白山市审计局｜甲"]["score"] == pytest.approx(67.5)
    b = scores["白山市审计局｜乙"]["indicators"]
    # 800/1000 − 1 = −0.2 < 0 → 0; no requesting department → 0; 10000/10000 = 100 % ≥ 99 % → 5
    assert (b["XT3"]["score"], b["XT7"]["score"], b["XT8"]["score"]) == pytest.approx((0, 0, 5))


def inputs_from(system, units, rows):
    from govassess.data import inputs_from_rows

    return inputs_from_rows(system, units, rows, source="测试")


def test_growth_band_edges(form, tmp_path):
    from govassess.data import units_from_rows
    from govassess.forms.selfeval import selfeval_units
    from govassess.indicators import load_system
    from govassess.scoring import score_round

    data = _data(form, tmp_path, [system_row(name=n) for n in ("零", "半", "大")])
    usage = _usage(
        tmp_path,
        [
            _usage_row("零", 前1年核心业务数据条数=1000),
            _usage_row("半", 前1年核心业务数据条数=1500),
            _usage_row("大", 前1年核心业务数据条数=1499),
        ],
    )
    system = load_system("project-self-evaluation")
    units = units_from_rows(selfeval_units([data], usage))
    result = score_round(system, units, inputs_from(system, units, selfeval_inputs([data], usage))).to_dict()
    got = {u["unit"].split("｜")[1]: u["indicators"]["XT3"]["score"] for u in result["units"]}
    # growth 0 → not “大于0” → 0; 1500/1000 − 1 = 0.5 ≥ 0.5 → 5; 1499/1000 − 1 = 0.499 → 2.5
    assert got == pytest.approx({"零": 0, "半": 5, "大": 2.5})


def test_cli_zombies_and_selfeval(form, tmp_path, capsys):
    path = write_book(
        form, tmp_path / "s.xlsx", {"units": UNITS, "systems": [system_row(name="少用", 系统使用频率=5)]}
    )
    assert run(["survey", "zombies", str(path), "--out", str(tmp_path / "z.xlsx")]) == 0
    printed = capsys.readouterr().out
    assert "少用" in printed and (tmp_path / "z.xlsx").exists()
    assert "筛查阈值 年访问次数下限 = 100" in printed and "本平台默认值" in printed
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "z.xlsx")
    assert book.sheetnames == ["僵尸系统候选", "筛查阈值"]
    assert [c.value for c in book["筛查阈值"][1]] == ["阈值", "取值", "含义", "来源"]
    # an office's threshold: 5 visits are not below 5 → no candidate; a bad name changes nothing
    z2 = tmp_path / "z2.xlsx"
    assert run(["survey", "zombies", str(path), "--threshold", "年访问次数下限=5", "--out", str(z2)]) == 0
    assert "共 0 个候选系统" in capsys.readouterr().out
    z3 = tmp_path / "z3.xlsx"
    assert run(["survey", "zombies", str(path), "--threshold", "访问下限=5", "--out", str(z3)]) == 2
    assert "没有名为“访问下限”的筛查阈值" in capsys.readouterr().out and not z3.exists()
    usage = tmp_path / "u.csv"
    _usage(tmp_path, [_usage_row("少用")], name="u.csv")
    out = tmp_path / "inputs.csv"
    assert run(["survey", "selfeval-inputs", str(path), "--usage", str(usage), "--out", str(out)]) == 0
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "unit,indicator,input,value"
    assert "白山市审计局｜少用,XT7,申请共享部门数,3" in lines
