"""The three 政务信息 regimes of seed 002 as named presets (``--info-rules yingdong|gansu|xinwen``), each run
on the same hand-built reports. Every expected number is worked from the seed's wording in the comments."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from govassess.cli import main
from govassess.errors import UserError
from govassess.metrics.compute import compute
from govassess.metrics.definitions import parse_period
from govassess.metrics.engines import DuckDBEngine
from govassess.metrics.infowork import load_info_rules

UNITS = """unit,name,class
Y1,区发改委,区直单位
Y2,某镇,乡镇办事处
Y3,办公室科室,科室
Y4,甲县局,县区
Y5,乙县局,县区
"""

HEADER = "unit,submitted_at,title,adopted,category,instructed,media_level,violation\n"


def reports(unit: str, month: str, n: int, specials: list[str] | None = None) -> str:
    """n reports on days 1..n of the month; specials[i] (``adopted,category,instructed,media,violation``)
    replaces the default ``否,,否,,`` of report i."""
    lines = []
    for i in range(n):
        tail = (specials or [])[i] if i < len(specials or []) else "否,,否,,"
        lines.append(f"{unit},{month}-{i + 1:02d},{unit}{month}第{i + 1}条,{tail}")
    return "\n".join(lines) + "\n"


INFO = HEADER + (
    # Y1 区直单位
    reports("Y1", "2021-01", 3, ["是,专刊,否,,", "是,动态,否,,"])  # 3 reports, 2 adopted
    + reports("Y1", "2021-02", 1, ["是,综合,是,,"])  # 1 report, adopted, 领导批示
    + reports("Y1", "2021-03", 2)  # 2 reports, none adopted
    + reports("Y1", "2021-04", 2, ["是,情况,否,,迟报", "是,专报,否,,"])  # 2 adopted, one late
    + reports("Y1", "2021-05", 4, ["是,专报,否,,", "是,专报,否,,", "是,动态,否,,"])  # 4 reports, 3 adopted
    + reports("Y1", "2021-06", 2, ["是,情况,否,省级,", "是,,否,,"])  # 2 adopted, one in a 省级 medium
    # Y2 乡镇办事处: January only, then nothing February–June
    + reports("Y2", "2021-01", 2, ["是,专刊,否,,", "是,,否,,"])
    # Y3 科室 (3 a month): Q1 3+3+3 = 9, Q2 3+2+5 = 10; media 市级 ×2, 国家级 ×1
    + reports("Y3", "2021-01", 3, ["否,,否,市级,"]) + reports("Y3", "2021-02", 3, ["否,,否,市级,"])
    + reports("Y3", "2021-03", 3) + reports("Y3", "2021-04", 3, ["否,,否,国家级,"])
    + reports("Y3", "2021-05", 2) + reports("Y3", "2021-06", 5)
    # Y4 县区 (5 a month): 5,5,5 | 5,5,4 — one short of the half year's 30
    + "".join(reports("Y4", f"2021-0{m}", 5) for m in range(1, 6)) + reports("Y4", "2021-06", 4)
    # Y5 县区: 5 every month, and one 瞒报 incident (an incident row, not a report)
    + "".join(reports("Y5", f"2021-0{m}", 5) for m in range(1, 7))
    + "Y5,2021-03-20,,否,,否,,瞒报\n"
)


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("info")
    (d / "units.csv").write_text(UNITS, encoding="utf-8")
    (d / "info_reports.csv").write_text(INFO, encoding="utf-8")
    return d


def run(records: Path, preset: str) -> dict:
    result = compute(DuckDBEngine(), records, parse_period("2021-01-01", "2021-06-30"), info_rules=load_info_rules(preset))
    return {s.unit: s for s in result.info}


def test_yingdong_points_and_remuneration(records):
    got = run(records, "yingdong")
    y1 = got["Y1"]
    # 满2条积5分: Jan 3, Mar 2, Apr 2, May 4, Jun 2 → 5 months × 5 = 25 (Feb had 1).
    # 采用2条积15分: Jan 2, Apr 2, May 3, Jun 2 → 4 × 15 = 60. 迟报 once → −20. Total 25 + 60 − 20 = 65.
    assert (y1.monthly_points, y1.adopted_points, y1.deduction, y1.total) == (25, 60, 20, 65)
    # 稿酬, 区直单位 from 15 (inclusive), 1 元 per point of the month:
    # Jan 5 + 15 = 20 → 20 元; Feb 0; Mar 5 < 15; Apr 20 − 20 (迟报) = 0; May 20 → 20 元; Jun 20 → 20 元 ⇒ 60 元.
    assert y1.pay == 60
    # 每采用一篇另给50元: 2 + 1 + 0 + 2 + 3 + 2 = 10 adopted → 500 元.
    assert y1.adopted_pay == 500
    # Y2 乡镇办事处: Jan 5 + 15 = 20 < 30 → no 稿酬; Feb–Jun zero reports → 连续三个月0报送 → 0分.
    y2 = got["Y2"]
    assert y2.pay == 0 and y2.adopted_pay == 100
    assert y2.zeroed and y2.total == 0 and "连续 5 个月0报送" in y2.zero_reason
    rows = {name: value for name, value, _ in y1.inputs()}
    assert (rows["稿酬"], rows["刊物采用奖励"]) == (60, 500)
    # Y3's class (科室) is neither 乡镇办事处 nor 区直单位: no 稿酬, and the note says why.
    assert got["Y3"].pay == 0 and "不在稿酬规则的类别中" in got["Y3"].pay_notes[-1]


def test_gansu_quality_points_only(records):
    got = run(records, "gansu")
    y1 = got["Y1"]
    # 专刊10 + 动态2 | 综合15 + 反馈10 | 情况5 + 专报3 | 专报3 + 专报3 + 动态2 | 情况5 = 58; no monthly, quarterly or
    # deduction clause in the 甘肃 办法, so the 迟报 costs nothing here.
    assert (y1.category_points, y1.instructed_points) == (48, 10)
    assert (y1.monthly_points, y1.adopted_points, y1.quarter_points, y1.deduction) == (0, 0, 0, 0)
    assert y1.total == 58
    # No zero-month rule either: Y2's one 专刊 keeps its 10 points.
    assert not got["Y2"].zeroed and got["Y2"].total == 10
    assert got["Y2"].quarter_notes == []


def test_xinwen_quarterly_media_and_annual_zero(records):
    got = run(records, "xinwen")
    # Y3 科室, 3 a month: Q1 9 of 9 → 25; Q2 10 of 9 → 25; media 3 + 3 + 15 = 21; basic task 18, sent 19 → 71.
    y3 = got["Y3"]
    assert (y3.quarter_points, y3.media_points, y3.basic_task) == (50, 21, 18)
    assert not y3.zeroed and y3.total == 71
    # Y4 县区, 5 a month: Q1 15 of 15 → 25; Q2 14 of 15 → 25 − 5 = 20 (the quarterly 通报 shows 45) —
    # but the half year's basic task is 30 and it sent 29: “没有完成基本报送任务的，年终考核政务信息计零分”.
    y4 = got["Y4"]
    assert y4.quarter_points == 45
    assert y4.zeroed and y4.total == 0 and "任务 30 篇，报送 29 篇" in y4.zero_reason
    # Y5: 30 of 30, quarterly 50, but one 瞒报 → “年度政务信息工作计零分”.
    y5 = got["Y5"]
    assert y5.quarter_points == 50 and y5.violations == 1
    assert y5.zeroed and y5.total == 0 and "瞒报" in y5.zero_reason
    # Y1: 14 reports of 30 and one 迟报 — both reasons are given; no per-violation deduction under this regime.
    y1 = got["Y1"]
    assert y1.deduction == 0 and y1.total == 0
    assert "未完成基本报送任务" in y1.zero_reason and "迟报" in y1.zero_reason
    rows = {name: value for name, value, _ in y3.inputs()}
    assert rows["完成基本报送任务"] == 1 and "稿酬" not in rows


def test_cli_takes_a_preset_name(records, tmp_path):
    out = tmp_path / "inputs.csv"
    args = ["metrics", "compute", "--records", str(records), "--from", "2021-01-01", "--to", "2021-06-30",
            "--out", str(out), "--info-rules", "yingdong"]
    assert main(args) == 0
    with out.open(encoding="utf-8-sig") as fh:
        rows = {(r["unit"], r["input"]): r for r in csv.DictReader(fh) if r["indicator"] == "info_work"}
    assert rows[("Y1", "稿酬")]["value"] == "60"
    assert "2021-01 积分 20，达到 15 分，20 元" in rows[("Y1", "稿酬")]["note"]
    assert rows[("Y1", "信息工作得分")]["value"] == "65"


def test_unknown_preset_names_the_presets(tmp_path):
    with pytest.raises(UserError) as e:
        load_info_rules("yingdon")
    assert "yingdong" in str(e.value) and "甘肃" in str(e.value)


@pytest.mark.parametrize("system", ["ningde-info-2018", "changzhou-website-2006"])
def test_builtin_maps_of_the_seed_systems_match_their_inputs(system):
    from govassess.indicators import load_system
    from govassess.metrics.definitions import load_definitions
    from govassess.metrics.output import check_map_against_system, load_map

    assert check_map_against_system(load_map(system, load_definitions()), load_system(system)) == []


def test_ningde_item_4_scores_from_the_reports(tmp_path):
    """宁德 第4项 from records, not typed: 甘肃 points → the map → relative to the class best."""
    from govassess.data import read_inputs, read_units
    from govassess.indicators import load_system
    from govassess.scoring import score_round

    records = tmp_path / "r"
    records.mkdir()
    (records / "units.csv").write_text("unit,name,class\nN1,蕉城区,县(市、区)\nN2,福安市,县(市、区)\n", encoding="utf-8")
    (records / "info_reports.csv").write_text(
        HEADER
        + reports("N1", "2021-01", 3, ["是,专刊,否,,", "是,专刊,否,,", "是,综合,否,,"])  # 10 + 10 + 15 = 35
        + reports("N2", "2021-02", 6, ["是,动态,否,,"] * 5 + ["是,情况,否,,"]),  # 5 × 2 + 5 = 15
        encoding="utf-8",
    )
    out = tmp_path / "inputs.csv"
    assert main(["metrics", "compute", "--records", str(records), "--from", "2021-01-01", "--to", "2021-06-30",
                 "--info-rules", "gansu", "--map", "ningde-info-2018", "--out", str(out)]) == 0
    system = load_system("ningde-info-2018")
    units = read_units(records / "units.csv")
    result = score_round(system, units, read_inputs(out, system, units)).to_dict()
    got = {u["unit"]: u["indicators"]["4"]["score"] for u in result["units"]}
    # N1 35 is the best → 25; N2 15 / 35 × 25 = 10.714 → 10.71
    assert got == pytest.approx({"N1": 25, "N2": 10.71}, abs=1e-2)
