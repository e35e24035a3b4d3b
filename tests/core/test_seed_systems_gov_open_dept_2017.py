"""2017年度政务公开工作考核指标及评价办法（部门）(seed 000) — the surviving rows, their points, the
加、扣分项 caps, and one scored example worked by hand."""

from __future__ import annotations

import pytest
from seedsystems import assert_well_formed, by_code, leaves, score

SID = "gov-open-dept-2017"


def test_rows_points_and_caps_from_the_seed():
    data = assert_well_formed(SID)
    # Rows with a 分值 cell in the seed: 10 (会议议题), 7 (基本目录), 10 (序号5 学习), 20 (序号6 交办任务).
    assert [(leaf["code"], leaf["points"]) for leaf in leaves(data)] == [("a", 10), ("b", 7), ("5", 10), ("6", 20)]
    assert data["total"] == 10 + 7 + 10 + 20 == 47 and data["scale"] == 47
    nodes = by_code(data)
    # “发布单份政策解读材料加2分,累计不超过10分；应发布未发布…每件扣2分,累计不超过10分”
    assert (nodes["10+"]["kind"], nodes["10+"]["points"], nodes["10+"]["rule"]["each"]) == ("bonus", 10, 2)
    assert (nodes["10-"]["kind"], nodes["10-"]["points"], nodes["10-"]["rule"]["each"]) == ("penalty", 10, 2)
    # “未达标扣10分” on a 10-point row: all or nothing.
    assert nodes["5"]["rule"]["options"] == {"达标": 10, "未达标": 0}
    assert "序号7" in data["description"] and "序号11" in data["description"]


def test_scored_example_by_hand():
    units = [{"unit": "p", "name": "旗财政局", "class": "旗直部门"}, {"unit": "q", "name": "旗民政局", "class": "旗直部门"}]
    rows = [
        ("p", "a", "人工评分", "8", "两次会议未附意见采纳说明"),
        ("p", "b", "人工评分", "7", "目录已制定并按目录公开"),
        ("p", "5", "学习情况", "达标"),
        ("p", "6", "日常监控得分", "18"),
        ("p", "10+", "发布政策解读材料份数", "7"),
        ("p", "10-", "应发布未发布件数", "1"),
        ("q", "a", "人工评分", "10", "均按要求办理"),
        ("q", "b", "人工评分", "5", "目录未及时更新"),
        ("q", "5", "学习情况", "未达标"),
        ("q", "6", "日常监控得分", "20"),
        ("q", "10+", "发布政策解读材料份数", "2"),
        ("q", "10-", "应发布未发布件数", "6"),
    ]
    got = score(SID, units, rows)
    # p: 8 + 7 + 10 + 18 = 43 of 47; bonus 7 × 2 = 14 → capped 10; penalty 1 × 2 = 2; total 43 + 10 − 2 = 51.
    assert got["p"]["weighted"] == pytest.approx(43)
    assert (got["p"]["bonus"], got["p"]["penalty"]) == pytest.approx((10, 2))
    assert got["p"]["score"] == pytest.approx(51)
    # q: 10 + 5 + 0 + 20 = 35; bonus 2 × 2 = 4; penalty 6 × 2 = 12 → capped 10; total 35 + 4 − 10 = 29.
    assert got["q"]["weighted"] == pytest.approx(35)
    assert (got["q"]["bonus"], got["q"]["penalty"]) == pytest.approx((4, 10))
    assert got["q"]["score"] == pytest.approx(29)
    assert got["p"]["rank"] == 1 and got["q"]["rank"] == 2
