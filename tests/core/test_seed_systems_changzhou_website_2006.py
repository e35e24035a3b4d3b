"""常州市政府网站绩效评估指标体系（2006年）(seed 000) — the 接受/供给 structure the text describes,
the one weight it gives, and one scored example worked by hand."""

from __future__ import annotations

import pytest
from seedsystems import assert_well_formed, by_code, leaves, raw, score

SID = "changzhou-website-2006"
OPEN = ["领导信息", "人事公开", "计划公开", "统计公开", "政策公开", "许可公开", "信息公开目录体系", "新闻动态", "特色栏目"]


def test_structure_and_weights_from_the_text():
    data = assert_well_formed(SID)
    nodes = by_code(data)
    # “由‘接受’和‘供给’两大部分组成。一级指标包括三个……用户评价……供给内容和供给保障”
    assert [p["name"] for p in data["indicators"]] == ["接受", "供给"]
    assert [nodes[c]["name"] for c in ("J1", "G1", "G2")] == ["用户评价", "供给内容", "供给保障"]
    # “(2)政务信息公开 … 主要包括领导信息、人事公开、…、特色栏目” — 9 items; “(6)部门协同状况 … 三个方面”.
    assert [c["name"] for c in nodes["G1.2"]["children"]] == OPEN
    assert [c["name"] for c in nodes["G2.6"]["children"]] == ["信息报送", "转办市长信箱来信", "门户网站链接"]
    # 12 of the 23 三级指标 are named in the text, plus 用户评价 as one leaf.
    assert len(leaves(data)) == 9 + 3 + 1
    # The one number in the text: “信息公开目录体系”设置了较高的权重(6分); 政策、许可 “较高的权重” → above the others.
    pts = {c["name"]: c["points"] for c in nodes["G1.2"]["children"]}
    assert pts["信息公开目录体系"] == 6
    others = [v for k, v in pts.items() if k not in ("信息公开目录体系", "政策公开", "许可公开")]
    assert min(pts["政策公开"], pts["许可公开"]) > max(others)
    # 用户评价 2 + 政务信息公开 (2+2+2+2+4+4+6+2+2 = 26) + 部门协同状况 (3 × 2 = 6) = 34
    assert nodes["G1.2"]["points"] == 26 and data["total"] == 2 + 26 + 6 == 34


def test_scored_example_by_hand():
    units = [{"unit": "fg", "name": "市发改委", "class": "市级部门"}, {"unit": "jy", "name": "市教育局", "class": "市级部门"}]
    manual_fg = dict(zip(OPEN, [2, 1.5, 2, 2, 4, 3, 6, 2, 1], strict=True))
    rows: list[tuple[str, ...]] = [("fg", "J1", "用户评价得分", "85")]
    codes = {c["name"]: c["code"] for c in by_code_children()}
    full = {c["name"]: c["points"] for c in by_code_children()}
    rows += [("fg", codes[k], "人工评分", str(v), "栏目有缺项" if v < full[k] else "齐全、及时") for k, v in manual_fg.items()]
    rows += [("fg", "G2.6.1", "信息报送积分", "30"),
             ("fg", "G2.6.2", "按时办理来信件数", "9"), ("fg", "G2.6.2", "转办来信件数", "10"),
             ("fg", "G2.6.3", "已与门户网站链接", "是")]
    rows += [("jy", "J1", "用户评价得分", "70")]
    rows += [("jy", codes[k], "人工评分", str(v), "齐全、及时") for k, v in full.items()]
    rows += [("jy", "G2.6.1", "信息报送积分", "20"),
             ("jy", "G2.6.2", "按时办理来信件数", "0"), ("jy", "G2.6.2", "转办来信件数", "0"),
             ("jy", "G2.6.3", "已与门户网站链接", "否")]
    got = score(SID, units, rows)
    # 发改委: 2 × 85/100 = 1.7; manual 2+1.5+2+2+4+3+6+2+1 = 23.5; 信息报送 30 is the best → 2;
    # 来信 9/10 × 2 = 1.8; 链接 是 → 2. Total 1.7 + 23.5 + 2 + 1.8 + 2 = 31 of 34.
    assert got["fg"]["indicators"]["G2.6.2"]["score"] == pytest.approx(1.8)
    assert got["fg"]["score"] == pytest.approx(31)
    # 教育局: 2 × 0.7 = 1.4; manual full 26; 信息报送 2 × 20/30 = 1.3333; no letters → 来信 not applicable (−2 points);
    # 链接 否 → 0. Earned 28.7333 of 32 applicable → 28.7333 / 32 × 34 = 30.529 → 30.53.
    assert got["jy"]["indicators"]["G2.6.2"]["applicable"] is False
    assert got["jy"]["indicators"]["G2.6.1"]["score"] == pytest.approx(4 / 3, abs=1e-2)
    assert got["jy"]["score"] == pytest.approx(30.53)


def by_code_children():
    return by_code(raw(SID))["G1.2"]["children"]
