"""Helpers for report tests: a small hand-made system and two rounds whose totals, ranks and losses are worked out by hand.

System (total 100): A 支撑能力 60 = leaf 1 证照签发率 (ratio, 40, 牵头 数据资源科) + leaf 2 印章使用 (manual, 20,
牵头 审批科); B 服务成效 40 = leaf 3 好评率 (ratio, 40, no 牵头科室). Grades 优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60.

Round 2021年下半年 (签发率, 印章, 好评率 → leaf scores → total):
  U1 单位甲 100%, 20, 90%  → 40 + 20 + 36 = 96  rank 1 优秀
  U2 单位乙  80%, 15, 100% → 32 + 15 + 40 = 87  rank 2 (tie) 良好
  U3 单位丙 100%, 15, 80%  → 40 + 15 + 32 = 87  rank 2 (tie) 良好
  U4 单位丁  50%, 10, 75%  → 20 + 10 + 30 = 60  rank 4 合格
Round 2021年上半年 (previous):
  U1 100%, 20, 75% → 90 (1); U2 80%, 10, 95% → 80 (3); U3 100%, 18, 75% → 88 (2); U4 50%, 12, 72.5% → 61 (4)
"""

from __future__ import annotations

from typing import Any

from govassess.data import inputs_from_rows, units_from_rows
from govassess.indicators import system_from_dict
from govassess.scoring import score_round

SYSTEM = {
    "id": "report-test", "name": "测试评估体系", "total": 100, "scale": 100,
    "grades": [{"name": "优秀", "min": 90}, {"name": "良好", "min": 80}, {"name": "合格", "min": 60},
               {"name": "不合格", "min": 0}],
    "indicators": [
        {"code": "A", "name": "支撑能力", "points": 60, "children": [
            {"code": "A1", "name": "数据支撑", "points": 60, "children": [
                {"code": "1", "name": "证照签发率", "points": 40, "rule": {"type": "ratio", "value": "签发率"},
                 "lead": "数据资源科", "criteria": "评估电子证照签发情况", "source": "系统统计"},
                {"code": "2", "name": "印章使用", "points": 20, "rule": {"type": "manual"}, "lead": "审批科"},
            ]},
        ]},
        {"code": "B", "name": "服务成效", "points": 40, "children": [
            {"code": "B1", "name": "用户评价", "points": 40, "children": [
                {"code": "3", "name": "好评率", "points": 40, "rule": {"type": "ratio", "value": "好评率"},
                 "source": "网上抓取"},
            ]},
        ]},
    ],
}
UNITS = [{"unit": "U1", "name": "单位甲", "class": "市级部门"}, {"unit": "U2", "name": "单位乙", "class": "市级部门"},
         {"unit": "U3", "name": "单位丙", "class": "市级部门"}, {"unit": "U4", "name": "单位丁", "class": "市级部门"}]
NOTES = {20: "材料齐全", 18: "材料基本齐全", 15: "部分佐证材料缺失", 12: "材料不全", 10: "未提供材料"}
H2 = {"U1": ("100%", 20, "90%"), "U2": ("80%", 15, "100%"), "U3": ("100%", 15, "80%"), "U4": ("50%", 10, "75%")}
H1 = {"U1": ("100%", 20, "75%"), "U2": ("80%", 10, "95%"), "U3": ("100%", 18, "75%"), "U4": ("50%", 12, "72.5%")}


def system() -> Any:
    return system_from_dict(SYSTEM)


def score(values: dict[str, tuple[str, int, str]], round_name: str) -> dict[str, Any]:
    s = system()
    units = units_from_rows(UNITS)
    rows = []
    for unit, (issued, seal, good) in values.items():
        rows += [{"unit": unit, "indicator": "1", "input": "签发率", "value": issued},
                 {"unit": unit, "indicator": "2", "input": "score", "value": seal, "note": NOTES[seal]},
                 {"unit": unit, "indicator": "3", "input": "好评率", "value": good}]
    return score_round(s, units, inputs_from_rows(s, units, rows), round_name=round_name).to_dict()


