"""Weights → points: largest remainder keeps the total exact; rules with absolute points are scaled."""

import datetime as dt
import json

import numpy as np
import pytest

from govassess.cli import main
from govassess.errors import UserError
from govassess.indicators import load_system, system_from_yaml
from govassess.methods.apply import apply_weights, largest_remainder
from govassess.methods.objective import Weights

SYSTEM = """
id: demo
name: 示例体系
description: 示例
total: 100
scale: 100
indicators:
  - code: A
    name: 建设
    points: 60
    children:
      - {code: A1, name: 领导机制, points: 30, rule: {type: choice, input: 成立, options: {是: 30, 否: 0}}}
      - {code: A2, name: 规划, points: 30, rule: {type: manual}}
  - code: B
    name: 成效
    points: 40
    children:
      - {code: B1, name: 覆盖率, points: 25, rule: {type: ratio, value: 覆盖率}}
      - {code: B2, name: 清单, points: 15, rule: {type: formula, expr: "已发布清单数 / 7 * 15"}}
  - code: C
    name: 加分
    kind: bonus
    points: 5
    children:
      - {code: C1, name: 创新, points: 5, rule: {type: manual}}
"""


def test_largest_remainder():
    # 100 × (1/3, 1/3, 1/3) = 33.33 each: floors 33+33+33 = 99, the one left goes to the first (stable tie).
    assert list(largest_remainder(np.ones(3), 100, 1)) == [34, 33, 33]
    # quotas 100 × (0.456, 0.321, 0.223) = 45.6, 32.1, 22.3 → floors 45, 32, 22 (99); largest remainder .6 → 46.
    assert list(largest_remainder(np.array([0.456, 0.321, 0.223]), 100, 1)) == [46, 32, 22]
    # step 0.5: 200 units × same = 91.2, 64.2, 44.6 → 91, 64, 44 (199), +1 to .6 → 45 → 45.5, 32, 22.5
    assert list(largest_remainder(np.array([0.456, 0.321, 0.223]), 100, 0.5)) == [45.5, 32, 22.5]
    with pytest.raises(UserError, match="不能整除"):
        largest_remainder(np.ones(3), 100, 0.3)


def test_apply_group_weights(tmp_path):
    system = system_from_yaml(SYSTEM, file="demo.yaml")
    top = Weights("ahp", ["A", "B"], np.array([0.7, 0.3]), "top.json")
    inner = Weights("entropy", ["领导机制", "规划"], np.array([0.25, 0.75]), "a.json")
    res = apply_weights(system, [top, inner], step=1, version="2024", today=dt.date(2024, 3, 1))
    s = res.system
    # Top: A = 100·0.7 = 70, B = 30. In A: 70·0.25 = 17.5, 70·0.75 = 52.5 → floors 17 + 52 = 69, the one
    # left goes to the first of the tied remainders (A1): 18, 52. B keeps its split 25:15: 30·25/40 = 18.75,
    # 11.25 → 18 + 11 = 29, the one left to B1 (.75): 19, 11. Total 18 + 52 + 19 + 11 = 100.
    pts = {n.code: n.points for n in s.nodes()}
    assert (pts["A1"], pts["A2"], pts["B1"], pts["B2"]) == (18, 52, 19, 11)
    assert (pts["A"], pts["B"]) == (70, 30) and pts["C1"] == 5  # bonus untouched
    # the choice rule scaled 30 → 18: 是 = 30·18/30 = 18; the formula scaled by 11/15
    assert dict(s.node("A1").rule.options)["是"] == 18
    assert s.node("B2").rule.expr == "(已发布清单数 / 7 * 15) * " + str(round(11 / 15, 10))
    assert s.version == "2024"
    assert "2024-03-01" in s.description and "层次分析法、熵权法" in s.description and "top.json" in s.description


def test_apply_global_leaf_weights():
    system = system_from_yaml(SYSTEM, file="demo.yaml")
    w = Weights("critic", ["A1", "A2", "B1", "B2"], np.array([0.1, 0.2, 0.3, 0.4]), "g.json")
    s = apply_weights(system, [w]).system
    assert [n.points for n in s.leaves() if n.kind == "normal"] == [10, 20, 30, 40]
    assert s.node("A").points == 30 and s.node("B").points == 70


def test_apply_refusals():
    system = system_from_yaml(SYSTEM, file="demo.yaml")
    with pytest.raises(UserError, match="同一组的全部下级指标"):
        apply_weights(system, [Weights("ahp", ["A1", "B1"], np.array([0.5, 0.5]), "x.json")])
    with pytest.raises(UserError, match="不是该体系中的指标"):
        apply_weights(system, [Weights("ahp", ["A", "Z"], np.array([0.5, 0.5]), "x.json")])
    with pytest.raises(UserError, match="分值为 0"):
        apply_weights(system, [Weights("ahp", ["A", "B"], np.array([0.999, 0.001]), "x.json")])


def test_cli_apply_builtin_heihe(tmp_path, capsys):
    # 黑河: the five 类别 A–E (28, 20, 17, 5, 30). Equal weights, 100/5 = 20 each; inside each 类别 the
    # current shares are kept, and the leaves still add up to exactly 100.
    w = tmp_path / "w.json"
    w.write_text(json.dumps({"method": "ahp", "criteria": list("ABCDE"), "weights": [0.2] * 5}), encoding="utf-8")
    out = tmp_path / "heihe-new.yaml"
    assert main(["weights", "apply", "--system", "heihe-2023", "--weights", str(w), "--out", str(out)]) == 0
    s = load_system(out)
    assert [r.points for r in s.indicators] == [20, 20, 20, 20, 20]
    assert sum(n.points for n in s.leaves()) == 100
    assert "govassess weights apply" in s.description


def test_cli_apply_bad_weights_no_file(tmp_path, capsys):
    w = tmp_path / "w.json"
    w.write_text("{not json", encoding="utf-8")
    out = tmp_path / "n.yaml"
    assert main(["weights", "apply", "--system", "heihe-2023", "--weights", str(w), "--out", str(out)]) == 2
    assert "不是有效的 JSON" in capsys.readouterr().err
    assert not out.exists()


def test_a_group_of_only_bonus_and_penalty_items_takes_no_weight():
    # 阳江 county: A 15, B 29, C 56 base points and 「D 加减分」 (a normal group holding only 加分项/减分项).
    # First-level weights 0.3 / 0.3 / 0.4 give A 30, B 30, C 40 — the total stays 100 — and D keeps its items.
    system = load_system("yangjiang-2021-county")
    res = apply_weights(system, [Weights("ahp", ["A", "B", "C"], np.array([0.3, 0.3, 0.4]), "top.json")])
    top = {n.code: n.points for n in res.system.indicators}
    assert (top["A"], top["B"], top["C"]) == (30, 30, 40)
    assert sum(new for _, _, _, new in res.changes) == 100
    kinds = [(c.code, c.kind) for c in res.system.indicators[3].children]
    assert kinds == [("D1", "bonus"), ("D2", "penalty")]
    # Giving D a weight used to hand it points no leaf carries (total 90, silently); now it is refused.
    with pytest.raises(UserError, match="D 只含加分项或减分项"):
        apply_weights(system, [Weights("ahp", ["A", "B", "C", "D"], np.array([0.3, 0.3, 0.3, 0.1]), "top.json")])
