"""海南 市县(区)政府政务公开暨政府网站评估指标 (seed 000) — the surviving rows, the “可得X%” shares as points,
and one scored example worked by hand."""

from __future__ import annotations

import pytest
from seedsystems import assert_well_formed, by_code, leaves, score

SID = "hainan-gov-open"


def test_rows_and_shares_from_the_seed():
    data = assert_well_formed(SID)
    nodes = by_code(data)
    # Six rows with a 分值 cell: 页面规范 1, 基础信息公开 5, 政务热线 1, 政府公报 1, 集约化 1, 展现友好性 1.
    assert [(nodes[c]["name"], nodes[c]["points"]) for c in ("H1", "H2.1", "H3", "H4", "H5", "H6")] == [
        ("网站页面规范", 1), ("基础信息公开", 5), ("政务热线电话", 1), ("政府公报", 1), ("集约化建设", 1), ("展现友好性", 1)]
    assert data["total"] == 1 + 5 + 1 + 1 + 1 + 1 == 10 and data["scale"] == 10
    assert "(40)" in nodes["H2"]["note"]
    # 基础信息公开 5 分: 10% → 0.5, 20% → 1, 10% → 0.5 (2 points); the truncated rest 60% → 3 points, manual.
    assert nodes["H2.1a"]["rule"]["items"] == {"设置地区概况类栏目": 0.5, "地区概况信息规范准确且更新及时": 1,
                                               "设置机构职能类栏目": 0.5}
    assert (nodes["H2.1b"]["points"], nodes["H2.1b"]["rule"]["type"]) == (3, "manual")
    # 政府公报 1 分: 50% + 50%; 展现友好性 1 分: 30% + 30% (+ the inferred 40% for 站点地图).
    assert sorted(nodes["H4"]["rule"]["items"].values()) == [0.5, 0.5]
    assert list(nodes["H6"]["rule"]["items"].values()) == [0.3, 0.3, 0.4]
    # 12345: “能够整合…到‘12345’统一热线平台的,可得满分”
    assert nodes["H3"]["rule"]["options"] == {"是": 1, "否": 0}
    assert [leaf["rule"]["type"] for leaf in leaves(data)].count("manual") == 1


def test_scored_example_by_hand():
    units = [{"unit": "hk", "name": "海口市", "class": "市县(区)政府"}, {"unit": "wc", "name": "文昌市", "class": "市县(区)政府"}]
    rows = [
        ("hk", "H1", "使用全省统一的网站首页面规范", "是"),
        ("hk", "H2.1a", "设置地区概况类栏目", "是"), ("hk", "H2.1a", "地区概况信息规范准确且更新及时", "是"),
        ("hk", "H2.1a", "设置机构职能类栏目", "是"),
        ("hk", "H2.1b", "人工评分", "2.5", "领导信息未更新"),
        ("hk", "H3", "已整合到12345统一热线平台", "是"),
        ("hk", "H4", "提供政府公报信息", "是"), ("hk", "H4", "提供历史政府公报信息查询", "否"),
        ("hk", "H5", "已完成集约化", "否"),
        ("hk", "H6", "具备向主要社交媒体分享功能", "是"), ("hk", "H6", "未使用飘窗或飘窗具备显著关闭功能", "否"),
        ("hk", "H6", "站点地图清晰准确", "是"),
        ("wc", "H1", "使用全省统一的网站首页面规范", "否"),
        ("wc", "H2.1a", "设置地区概况类栏目", "是"), ("wc", "H2.1a", "地区概况信息规范准确且更新及时", "否"),
        ("wc", "H2.1a", "设置机构职能类栏目", "是"),
        ("wc", "H2.1b", "人工评分", "3", "机构职能与领导信息齐全准确"),
        ("wc", "H3", "已整合到12345统一热线平台", "是"),
        ("wc", "H4", "提供政府公报信息", "是"), ("wc", "H4", "提供历史政府公报信息查询", "是"),
        ("wc", "H5", "已完成集约化", "是"),
        ("wc", "H6", "具备向主要社交媒体分享功能", "是"), ("wc", "H6", "未使用飘窗或飘窗具备显著关闭功能", "是"),
        ("wc", "H6", "站点地图清晰准确", "是"),
    ]
    got = score(SID, units, rows)
    hk = {c: got["hk"]["indicators"][c]["score"] for c in ("H1", "H2.1a", "H2.1b", "H3", "H4", "H5", "H6")}
    # 海口: 1 | 0.5 + 1 + 0.5 = 2 | 2.5 | 1 | 0.5 + 0 | 0 | 0.3 + 0 + 0.4 = 0.7 → total 7.7
    assert hk == pytest.approx({"H1": 1, "H2.1a": 2, "H2.1b": 2.5, "H3": 1, "H4": 0.5, "H5": 0, "H6": 0.7})
    assert got["hk"]["score"] == pytest.approx(7.7)
    # 文昌: 0 | 0.5 + 0 + 0.5 = 1 | 3 | 1 | 1 | 1 | 1 → total 8; 文昌 ranks above 海口.
    assert got["wc"]["indicators"]["H2.1a"]["score"] == pytest.approx(1)
    assert got["wc"]["score"] == pytest.approx(8)
    assert (got["wc"]["rank"], got["hk"]["rank"]) == (1, 2)
