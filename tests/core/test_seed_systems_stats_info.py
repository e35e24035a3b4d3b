"""统计条线政务信息考核办法 (seed 002) — four 考核内容, four 等级, the 虚假 veto on 可信度, and one scored
example worked by hand."""

from __future__ import annotations

import pytest
from seedsystems import assert_well_formed, leaves, score

SID = "stats-info"


def test_contents_and_grades_from_the_seed():
    data = assert_well_formed(SID)
    # 二、考核内容 1–4; 四、“分为优秀、良好、合格和不合格四个等级”.
    assert [leaf["name"] for leaf in leaves(data)] == ["准确性", "及时性", "完整性", "可信度"]
    assert [g["name"] for g in data["grades"]] == ["优秀", "良好", "合格", "不合格"]
    assert "不是原文数字" in data["description"]  # the cut-offs are the office's, said so
    assert data["total"] == 4 * 25 == 100
    assert all(leaf["rule"]["type"] == "ratio" for leaf in leaves(data))
    assert "虚假" in leaves(data)[3]["veto"]


def test_scored_example_by_hand():
    units = [{"unit": f"s{i}", "name": n, "class": "统计部门"} for i, n in enumerate(["甲县统计局", "乙县统计局", "丙县统计局"], 1)]
    given = {
        # (核实无误, 抽样) (按时, 审查) (完整, 抽样) (明确来源, 审查) 虚假
        "s1": ((48, 50), (45, 50), (40, 50), (50, 50), 0),
        "s2": ((40, 50), (30, 40), (35, 50), (45, 50), 1),
        "s3": ((45, 50), (40, 50), (40, 50), (40, 50), 0),
    }
    rows = []
    for u, (acc, tim, com, cred, fake) in given.items():
        rows += [(u, "1", "核实无误条数", str(acc[0])), (u, "1", "抽样核实条数", str(acc[1])),
                 (u, "2", "按时发布条数", str(tim[0])), (u, "2", "审查发布条数", str(tim[1])),
                 (u, "3", "内容完整条数", str(com[0])), (u, "3", "抽样核实条数", str(com[1])),
                 (u, "4", "明确来源和采集方法条数", str(cred[0])), (u, "4", "审查发布条数", str(cred[1])),
                 (u, "4", "发现虚假信息条数", str(fake))]
    got = score(SID, units, rows)
    # 甲: 48/50 × 25 = 24; 45/50 × 25 = 22.5; 40/50 × 25 = 20; 50/50 × 25 = 25 → 91.5 → 优秀 (≥ 90)
    assert got["s1"]["score"] == pytest.approx(91.5) and got["s1"]["grade"] == "优秀"
    # 乙: 20 + 30/40 × 25 = 18.75 + 17.5 + (45/50 × 25 = 22.5, but one false report → 0) = 56.25 → 不合格
    assert got["s2"]["indicators"]["4"]["score"] == 0
    assert got["s2"]["score"] == pytest.approx(56.25) and got["s2"]["grade"] == "不合格"
    # 丙: 22.5 + 20 + 20 + 20 = 82.5 → 良好
    assert got["s3"]["score"] == pytest.approx(82.5) and got["s3"]["grade"] == "良好"
