"""电子政务信息安全指标体系 (seed 000, “电子政务信息安全指标体系说明”) — structure re-derived from the text
and one scored example worked by hand."""

from __future__ import annotations

import pytest
from seedsystems import assert_well_formed, by_code, leaves, score

SID = "infosec-egov"


def test_structure_follows_section_2_of_the_text():
    data = assert_well_formed(SID)
    # 2.1–2.4: four categories, each lists exactly three indicators (“包括但不限于：a，b，c等”).
    assert [g["name"] for g in data["indicators"]] == ["网络安全", "数据安全", "应用安全", "人员安全"]
    assert [[c["name"] for c in g["children"]] for g in data["indicators"]] == [
        ["网络防火墙的配置", "网络流量监控", "入侵检测系统的使用"],
        ["数据备份与恢复的可靠性", "数据加密的使用情况", "数据访问权限控制"],
        ["应用程序漏洞扫描与修复情况", "应用程序的访问控制", "应用程序的合规性"],
        ["安全培训的覆盖率", "安全意识的评估", "人员权限的管理"],
    ]
    # The text gives no weights: equal points, 12 × 1 = 12, shown on a 100 scale.
    assert len(leaves(data)) == 12 and {leaf["points"] for leaf in leaves(data)} == {1}
    assert data["total"] == 12 and data["scale"] == 100
    assert "未给出任何权重" in data["description"]
    # “覆盖率” is the one quantity the text names outright: a ratio, not a judgement.
    assert by_code(data)["4.1"]["rule"] == {"type": "ratio", "num": "参加安全培训人数", "den": "应参加培训人数"}
    manual = [leaf["code"] for leaf in leaves(data) if leaf["rule"]["type"] == "manual"]
    assert manual == ["1.1", "2.3", "3.2", "3.3", "4.3"]


def test_scored_example_by_hand():
    units = [{"unit": "a", "name": "市网信办", "class": "市级部门"}, {"unit": "b", "name": "市统计局", "class": "市级部门"}]
    rows = [
        ("a", "1.1", "人工评分", "1", "配置符合策略"),
        ("a", "1.2", "已开展网络流量监控", "是"),
        ("a", "1.3", "已使用入侵检测系统", "否"),
        ("a", "2.1", "恢复演练成功次数", "3"), ("a", "2.1", "恢复演练次数", "4"),
        ("a", "2.2", "已加密的重要数据系统数", "1"), ("a", "2.2", "重要数据系统数", "2"),
        ("a", "2.3", "人工评分", "0.5", "部分账号未按最小授权"),
        ("a", "3.1", "已开展漏洞扫描", "是"), ("a", "3.1", "发现漏洞数", "8"), ("a", "3.1", "已修复漏洞数", "6"),
        ("a", "3.2", "人工评分", "1", "访问控制测试通过"),
        ("a", "3.3", "人工评分", "1", "已通过等保测评"),
        ("a", "4.1", "参加安全培训人数", "45"), ("a", "4.1", "应参加培训人数", "50"),
        ("a", "4.2", "安全意识评估成绩", "80"),
        ("a", "4.3", "人工评分", "1", "离岗账号已回收"),
        # b: no important-data systems (2.2 不适用), scanned and found nothing, everything else missing.
        ("b", "2.2", "已加密的重要数据系统数", "0"), ("b", "2.2", "重要数据系统数", "0"),
        ("b", "3.1", "已开展漏洞扫描", "是"), ("b", "3.1", "发现漏洞数", "0"), ("b", "3.1", "已修复漏洞数", "0"),
        ("b", "4.1", "参加安全培训人数", "10"), ("b", "4.1", "应参加培训人数", "10"),
    ]
    got = score(SID, units, rows)
    a = {c: got["a"]["indicators"][c]["score"] for c in got["a"]["indicators"] if "." in c}
    # a: 1 + 1 + 0 | 3/4 = 0.75 + 1/2 = 0.5 + 0.5 | 6/8 = 0.75 + 1 + 1 | 45/50 = 0.9 + 80/100 = 0.8 + 1
    assert a == pytest.approx({"1.1": 1, "1.2": 1, "1.3": 0, "2.1": 0.75, "2.2": 0.5, "2.3": 0.5,
                               "3.1": 0.75, "3.2": 1, "3.3": 1, "4.1": 0.9, "4.2": 0.8, "4.3": 1})
    # sum = 2 + 1.75 + 2.75 + 2.7 = 9.2 of 12 → 9.2 / 12 × 100 = 76.666… → 76.67
    assert got["a"]["score"] == pytest.approx(76.67)
    # b: 2.2 not applicable → 11 points count; 3.1 = 1 (nothing found), 4.1 = 10/10 = 1 → 2 / 11 × 100 = 18.18
    assert got["b"]["indicators"]["2.2"]["applicable"] is False
    assert got["b"]["indicators"]["3.1"]["score"] == pytest.approx(1)
    assert got["b"]["score"] == pytest.approx(18.18)
