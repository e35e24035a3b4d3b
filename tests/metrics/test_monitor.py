"""总量分析, 评价分析 and 差评提醒 on the hand-built records (conftest.py)."""

from __future__ import annotations

import csv
import datetime as dt

from govassess.cli import main
from govassess.metrics.definitions import parse_period
from govassess.metrics.monitor import add_working_days, bad_rating_alerts, rating_analysis, volume_trend

H1 = parse_period("2021-01-01", "2021-06-30")


def test_alerts(records_dir):
    report = bad_rating_alerts(records_dir=records_dir, as_of=dt.date(2021, 6, 30))
    # Unrectified, not-invalid 差评: r8 (deadline 2021-01-20 given) and r6 (rated Fri 6/25, 15 working days
    # later = Fri 7/16). r7 was ruled invalid (verified=否); r11 is an invalid record.
    assert [(r["评价编号"], r["整改期限"], r["剩余天数"], r["状态"]) for r in report.rows] == [
        ("r8", "2021-01-20", -(11 + 28 + 31 + 30 + 31 + 30), "已超期"),  # Jan 20 -> Jun 30 = 161 days
        ("r6", "2021-07-16", 16, "未到期"),
    ]
    assert report.excluded == {"ratings": 2}  # r10, r11
    assert bad_rating_alerts(records_dir=records_dir, as_of=dt.date(2021, 6, 30), unit="B").rows == []


def test_add_working_days():
    assert add_working_days(dt.date(2021, 6, 25), 15) == dt.date(2021, 7, 16)  # Fri + 3 weeks
    assert add_working_days(dt.date(2021, 3, 5), 1) == dt.date(2021, 3, 8)  # Fri -> Mon
    # 春节 2021 (2/11-2/17 off): the first working day after Wed 2/10 is Thu 2/18
    assert add_working_days(dt.date(2021, 2, 10), 1) == dt.date(2021, 2, 18)
    # 国庆 2021: Thu 9/30 -> Fri 10/8 (1), Sat 10/9 (调休, 2)
    assert add_working_days(dt.date(2021, 9, 30), 2) == dt.date(2021, 10, 9)
    # outside the calendar (2019, no 国庆 known): Mon–Fri, so Mon 9/30 -> Tue 10/1
    assert add_working_days(dt.date(2019, 9, 30), 1) == dt.date(2019, 10, 1)


def test_volume(records_dir):
    rows = volume_trend(records_dir=records_dir, period=H1, unit="A").rows
    # valid A cases in H1: a1 3月 网上, a2 3月 窗口, a3 4月 窗口, a5 5月 自助终端, a4 6月 移动端, a6 6月 窗口
    assert [(r["月份"], r["事项类型"], r["受理渠道"], r["办件数"], r["占当月比例"]) for r in rows] == [
        ("2021-03", "行政许可", "窗口", 1, 0.5),
        ("2021-03", "行政许可", "网上", 1, 0.5),
        ("2021-04", "行政许可", "窗口", 1, 1.0),
        ("2021-05", "公共服务", "自助终端", 1, 1.0),
        ("2021-06", "其他依申请", "移动端", 1, 0.5),
        ("2021-06", "行政许可", "窗口", 1, 0.5),
    ]


def test_rating_analysis(records_dir):
    rows = rating_analysis(records_dir=records_dir, period=H1).rows
    a = next(r for r in rows if r["层级"] == "单位" and r["单位或区域"] == "A")
    # r1..r8: 非常满意 5, 满意 4, 基本满意 3, 不满意 2, 非常不满意 1, 不满意 2, 不满意 2, 非常不满意 1 -> 20 / 8
    assert (a["评价数"], a["主动评价数"], a["好评数"], a["中评数"], a["差评数"]) == (8, 6, 2, 1, 4)
    assert a["平均满意度"] == 2.5 and a["差评整改率"] == 0.5 and a["区域"] == "江城"
    region = next(r for r in rows if r["层级"] == "区域" and r["单位或区域"] == "阳东")
    assert (region["评价数"], region["好评率"]) == (1, 1.0)  # B's one 满意


def test_monitor_cli_writes_csv(records_dir, tmp_path):
    out = tmp_path / "alerts.csv"
    args = ["metrics", "monitor", "alerts", "--records", str(records_dir), "--as-of", "2021-06-30"]
    assert main([*args, "--out", str(out)]) == 0
    with out.open(encoding="utf-8-sig") as fh:
        assert [r["评价编号"] for r in csv.DictReader(fh)] == ["r8", "r6"]
    xlsx = tmp_path / "volume.xlsx"
    args = [
        "metrics",
        "monitor",
        "volume",
        "--records",
        str(records_dir),
        "--from",
        "2021-01-01",
        "--to",
        "2021-06-30",
    ]
    assert main([*args, "--out", str(xlsx)]) == 0
    from openpyxl import load_workbook

    ws = load_workbook(xlsx).active
    assert ws.title == "总量分析" and ws.max_row == 1 + 7  # header + 6 A rows + B's 2月 row
