"""政务诚信评价 (seed 002, 《政务诚信评价办法》第七条) — four aspects, twelve indicators, every score from
the third-party 评价机构; one scored example worked by hand."""

from __future__ import annotations

import pytest
from seedsystems import assert_well_formed, by_code, leaves, score

SID = "credit-gov"


def test_four_aspects_twelve_indicators():
    data = assert_well_formed(SID)
    # 第七条：“依照下列四个方面12项指标”；(一) 3 项、(二) 2 项、(三) 3 项 → (四) 12 − 8 = 4 项.
    assert len(data["indicators"]) == 4 and len(leaves(data)) == 12
    assert [len(a["children"]) for a in data["indicators"]] == [3, 2, 3, 4]
    nodes = by_code(data)
    assert [nodes[c]["name"] for c in ("1.1", "1.2", "1.3", "2.1", "2.2", "3.1", "3.2", "3.3")] == [
        "科学民主决策", "政务信息公开", "依法履职尽责", "创新管理方式", "提升服务效能",
        "目标责任落实", "政策承诺兑现", "合同协议履行"]
    # 第四条: 第三方评价机构具体实施 → every leaf takes the 评价机构's result, none is typed by the office.
    for leaf in leaves(data):
        assert leaf["rule"] == {"type": "external", "input": "评价机构评价结果", "max": 100}
        assert (leaf["source"], leaf["provider"]) == ("第三方评价", "评价机构")
    # 第三条: 本级政府工作部门、直属机构和下级人民政府.
    assert data["classes"] == ["政府工作部门", "直属机构", "下级人民政府"]


def test_scored_example_by_hand():
    units = [{"unit": "fz", "name": "市发展改革委", "class": "政府工作部门"},
             {"unit": "xq", "name": "某县人民政府", "class": "下级人民政府"}]
    codes = [leaf["code"] for leaf in leaves(assert_well_formed(SID))]
    rows = [("fz", c, "评价机构评价结果", "60" if c == "3.2" else "80") for c in codes]
    rows += [("xq", c, "评价机构评价结果", "90") for c in codes]
    got = score(SID, units, rows)
    # 发展改革委: 11 × 0.8 + 0.6 (政策承诺兑现 60/100) = 9.4 of 12 → 9.4 / 12 × 100 = 78.333 → 78.33
    assert got["fz"]["indicators"]["3.2"]["score"] == pytest.approx(0.6)
    assert got["fz"]["score"] == pytest.approx(78.33)
    # 县政府: 12 × 0.9 = 10.8 → 90 (ranked within its own class).
    assert got["xq"]["score"] == pytest.approx(90)
