"""宁德市政府系统信息工作考评办法 (seed 002, 宁政办〔2018〕202号) — 百分制, the four 考评内容, 东侨 scored on its
own 细则, 市直 1/2 类 ranked apart; one scored example worked by hand."""

from __future__ import annotations

import pytest
from seedsystems import assert_well_formed, by_code, leaves, score

SID = "ningde-info-2018"
OTHERS = ["县(市、区)", "市直1类单位", "市直2类单位"]


def test_contents_classes_and_scale():
    data = assert_well_formed(SID)
    nodes = by_code(data)
    # 二、考评内容 1–4, each for every unit except 东侨; 东侨 “单独设置考评细则”.
    assert [nodes[c]["classes"] for c in "1234"] == [OTHERS] * 4
    assert nodes["DQ"]["classes"] == ["东侨经济技术开发区"] and nodes["DQ"]["rule"]["type"] == "manual"
    assert data["classes"] == ["县(市、区)", "东侨经济技术开发区", "市直1类单位", "市直2类单位"]
    # 百分制: every unit's applicable leaves add up to 100 — 25 × 4 for the others, 100 for 东侨.
    assert sum(nodes[c]["points"] for c in "1234") == 100 and nodes["DQ"]["points"] == 100
    assert data["scale"] == 100 and data["total"] == 200
    # 第1项 lists five 要件 (机构、分管领导、报送人员、报送机制、传输网络设备).
    assert len(nodes["1"]["rule"]["items"]) == 5 and sum(nodes["1"]["rule"]["items"].values()) == 25
    assert len(leaves(data)) == 5


def test_scored_example_by_hand():
    units = [
        {"unit": "jc", "name": "蕉城区人民政府", "class": "县(市、区)", "绩效分值": 4},
        {"unit": "fa", "name": "福安市人民政府", "class": "县(市、区)", "绩效分值": 4},
        {"unit": "dq", "name": "东侨经济技术开发区管委会", "class": "东侨经济技术开发区", "绩效分值": 4},
    ]
    items = ["建立信息工作机构", "明确分管领导", "按规定配备信息报送人员", "建立及时报送信息的工作机制", "配备报送信息的传输网络设备"]
    rows = [("jc", "1", i, "是") for i in items]
    rows += [("jc", "2", "人工评分", "20", "分管领导未参加重大信息调研"),
             ("jc", "3", "组织参加信息专题培训", "是"), ("jc", "3", "组织参加跟班轮训", "否"),
             ("jc", "4", "信息报送采用积分", "120")]
    rows += [("fa", "1", i, "否" if i == "配备报送信息的传输网络设备" else "是") for i in items]
    rows += [("fa", "2", "人工评分", "25", "领导经常指导并批阅通报"),
             ("fa", "3", "组织参加信息专题培训", "是"), ("fa", "3", "组织参加跟班轮训", "是"),
             ("fa", "4", "信息报送采用积分", "80")]
    rows += [("dq", "DQ", "人工评分", "90", "按东侨细则扣10分：两月未按时报送")]
    got = score(SID, units, rows)
    # 蕉城: 5 × 5 = 25 | 20 | 12.5 | 120 is the class best → 25 ⇒ 82.5
    assert got["jc"]["score"] == pytest.approx(82.5)
    # 福安: 4 × 5 = 20 | 25 | 12.5 + 12.5 = 25 | 80 / 120 × 25 = 16.667 ⇒ 86.667 → 86.67, first in its class.
    assert got["fa"]["indicators"]["4"]["score"] == pytest.approx(16.67, abs=1e-2)
    assert got["fa"]["score"] == pytest.approx(86.67)
    assert (got["fa"]["rank"], got["jc"]["rank"]) == (1, 2)
    # 东侨: only its 细则 applies: 90 of 100 → 90; the four general items are not applicable to it.
    assert got["dq"]["score"] == pytest.approx(90)
    assert all(got["dq"]["indicators"][c]["applicable"] is False for c in "1234")
    assert got["jc"]["indicators"]["DQ"]["applicable"] is False
