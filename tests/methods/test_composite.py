"""Composite index against targets, worked by hand."""

import json

import numpy as np
import pytest

from govassess.cli import main
from govassess.errors import UserError
from govassess.methods import composite
from govassess.methods.tables import DataTable

# 网办率 target 90 (more is better, weight 0.6); 办理时长 target 5 days (less is better, weight 0.4).
T = [composite.Target("网办率", 90, False, 0.6, 2), composite.Target("办理时长", 5, True, 0.4, 3)]
D = DataTable("d.csv", None, ["A", "B", "C"], ["网办率", "办理时长"],
              np.array([[99, 4], [72, 10], [90, 0]], dtype=float))


def test_index_cap_one():
    # A: 99/90 = 1.1 → 1 (cap); 5/4 = 1.25 → 1; index 100·(.6 + .4) = 100, both met.
    # B: 72/90 = 0.8; 5/10 = 0.5; index 100·(.48 + .2) = 68, none met.
    # C: 90/90 = 1; x = 0 days → cap 1; index 100, both met.
    r = composite.composite(D, T)
    assert r.index == pytest.approx([100, 68, 100])
    assert r.met.tolist() == [[True, True], [False, False], [True, True]]
    assert list(r.rank) == [1, 3, 1]
    d = r.to_dict()
    assert d["all_met_units"] == ["A", "C"] and d["indicators"][0]["met_units"] == 2


def test_index_cap_above_one():
    # cap 1.2: A: min(1.1, 1.2) = 1.1, min(1.25, 1.2) = 1.2 → 100·(.66 + .48) = 114; B unchanged 68;
    # C: 1 and cap 1.2 → 100·(.6 + .48) = 108.
    r = composite.composite(D, T, cap=1.2)
    assert r.index == pytest.approx([114, 68, 108])
    assert list(r.rank) == [1, 3, 2]


def test_targets_file_located_errors(write_csv):
    p = write_csv("t.csv", [["指标", "目标值", "方向"], ["网办率", "90%", "越大越好"], ["办理时长", "0", "越小"],
                            ["网办率", "80", ""]])
    with pytest.raises(UserError) as e:
        composite.read_targets(p)
    msgs = {(q.row, q.column): q.message for q in e.value.problems}
    assert "正数" in msgs[(3, "目标值")] and "重复" in msgs[(4, "指标")]


def test_period_selection(write_csv):
    p = write_csv("t.csv", [["期间", "指标", "目标值"], ["2023", "网办率", 85], ["2024", "网办率", 90]])
    with pytest.raises(UserError, match="--period"):
        composite.read_targets(p)
    (t,) = composite.read_targets(p, period="2024")
    assert t.target == 90


def test_cli_composite(write_csv, tmp_path):
    d = write_csv("d.csv", [["单位", "网办率", "办理时长"], ["A", 99, 4], ["B", 72, 10], ["C", 90, 0]])
    t = write_csv("t.csv", [["指标", "目标值", "方向", "权重"], ["网办率", 90, "越大越好", 60],
                            ["办理时长", 5, "越小越好", 40]])
    out = tmp_path / "c.json"
    assert main(["composite", str(d), "--targets", str(t), "--out", str(out)]) == 0
    r = json.loads(out.read_text(encoding="utf-8"))
    assert [u["index"] for u in r["units"]] == pytest.approx([100, 68, 100])
    assert r["units"][1]["achievement"] == pytest.approx({"网办率": 0.8, "办理时长": 0.5})


def test_cli_missing_target_exit_2(write_csv, tmp_path, capsys):
    d = write_csv("d.csv", [["单位", "网办率", "好评率"], ["A", 99, 4], ["B", 72, 10]])
    t = write_csv("t.csv", [["指标", "目标值", "权重"], ["网办率", 90, 1]])
    out = tmp_path / "c.json"
    assert main(["composite", str(d), "--targets", str(t), "--out", str(out)]) == 2
    assert "好评率 没有目标值" in capsys.readouterr().err and not out.exists()


SYSTEM = """
id: tgt
name: 目标值示例
total: 100
scale: 100
indicators:
  - {code: W1, name: 网办率, points: 60, rule: {type: ratio, value: 网办率}, x-target: {2023: 90, 2024: 95}}
  - {code: W2, name: 办理时长, points: 40, rule: {type: manual}, x-target: 5, x-direction: 越小越好}
"""


def test_targets_declared_in_system(write_csv, tmp_path):
    # 2023: same as test_index_cap_one (targets 90 and 5, weights 60:40) → 100, 68, 100.
    # 2024: W1 target 95: A 99/95 → 1 (cap); B 72/95 = .757895; C 90/95 = .947368:
    #   A 100; B 100·(.6·.757895 + .4·.5) = 65.4737; C 100·(.6·.947368 + .4) = 96.8421.
    (tmp_path / "s.yaml").write_text(SYSTEM, encoding="utf-8")
    d = write_csv("d.csv", [["单位", "W1", "W2"], ["A", 99, 4], ["B", 72, 10], ["C", 90, 0]])
    for period, expected in (("2023", [100, 68, 100]), ("2024", [100, 100 * (0.6 * 72 / 95 + 0.2), 100 * (0.6 * 90 / 95 + 0.4)])):
        out = tmp_path / f"c{period}.json"
        assert main(["composite", str(d), "--system", str(tmp_path / "s.yaml"), "--period", period, "--out", str(out)]) == 0
        assert [u["index"] for u in json.loads(out.read_text(encoding="utf-8"))["units"]] == pytest.approx(expected)


def test_system_targets_need_period(write_csv, tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(SYSTEM, encoding="utf-8")
    d = write_csv("d.csv", [["单位", "W1", "W2"], ["A", 99, 4], ["B", 72, 10]])
    out = tmp_path / "c.json"
    assert main(["composite", str(d), "--system", str(tmp_path / "s.yaml"), "--out", str(out)]) == 2
    assert "指标 W1" in capsys.readouterr().err and not out.exists()
