"""Entropy, CRITIC and CV weights on small tables worked by hand (working in the comments)."""

import json

import numpy as np
import pytest

from govassess.cli import main
from govassess.errors import UserError
from govassess.methods import objective
from govassess.methods.tables import DataTable, read_data_table


def table(cols, names=None):
    x = np.array(cols, dtype=float).T
    return DataTable("d.csv", None, [f"U{i}" for i in range(x.shape[0])], names or [f"X{j + 1}" for j in range(x.shape[1])], x)


def test_entropy_raw():
    # X1 = 1,2,3: p = 1/6, 1/3, 1/2; Σ p·ln(1/p) = 1.791759/6 + 1.098612/3 + 0.693147/2 = 1.011404;
    #   e1 = 1.011404/ln 3 = 1.011404/1.098612 = 0.920620, d1 = 0.079380.
    # X2 = 2,2,4: p = 1/4, 1/4, 1/2; Σ = 2·0.25·1.386294 + 0.5·0.693147 = 1.039721; e2 = 0.946395, d2 = 0.053605.
    # w = d/Σd = 0.079380/0.132985, 0.053605/0.132985 = 0.596910, 0.403090.
    r = objective.entropy(table([[1, 2, 3], [2, 2, 4]]))
    assert r.detail["entropy"] == pytest.approx([0.920620, 0.946395], abs=2e-6)
    assert r.weights == pytest.approx([0.596910, 0.403090], abs=5e-6)


def test_entropy_minmax_with_direction_and_zero_log_zero():
    # X1 more-better 1,2,3 → 0, .5, 1 → p = 0, 1/3, 2/3 (0·ln0 = 0): Σ = (1/3)ln3 + (2/3)ln1.5
    #   = 0.366204 + 0.270310 = 0.636514; e1 = 0.579380, d1 = 0.420620.
    # X2 less-better 2,2,4 → (4 − x)/2 = 1, 1, 0 → p = 1/2, 1/2, 0: Σ = ln 2; e2 = 0.630930, d2 = 0.369070.
    # w = 0.420620/0.789690, 0.369070/0.789690 = 0.532640, 0.467360.
    r = objective.entropy(table([[1, 2, 3], [2, 2, 4]]), normalise="minmax", less_better=["X2"])
    assert r.weights == pytest.approx([0.532640, 0.467360], abs=5e-6)


def test_critic():
    # A = 10,20,30 → r = 0, .5, 1;  B (less-better) = 1,5,3 → (5 − x)/4 = 1, 0, .5;  C = 2,4,4 → 0, 1, 1.
    # σ (n−1): A .5, B .5, C √(1/3) = 0.577350.
    # ρ_AB = −0.25/0.5 = −0.5; ρ_AC = 0.5/√(1/3) = 0.866025; ρ_BC = −0.5/√(1/3) = −0.866025.
    # C_A = .5·(0 + 1.5 + 0.133975) = 0.816987; C_B = .5·(1.5 + 0 + 1.866025) = 1.683013;
    # C_C = 0.577350·(0.133975 + 1.866025 + 0) = 1.154701; Σ = 3.654701.
    # w = 0.223544, 0.460506, 0.315950.
    r = objective.critic(table([[10, 20, 30], [1, 5, 3], [2, 4, 4]], ["A", "B", "C"]), less_better=["B"])
    assert r.weights == pytest.approx([0.223544, 0.460506, 0.315950], abs=5e-6)


def test_cv():
    # A = 10,20,30: mean 20, σ = 10, v = 0.5.  C = 2,4,4: mean 10/3, σ = √(4/3) = 1.154701, v = 0.346410.
    # w = 0.5/0.846410, 0.346410/0.846410 = 0.590735, 0.409265.
    r = objective.coefficient_of_variation(table([[10, 20, 30], [2, 4, 4]]))
    assert r.weights == pytest.approx([0.590735, 0.409265], abs=5e-6)


def test_combine():
    a, b = [0.5, 0.3, 0.2], [0.2, 0.3, 0.5]
    # multiplicative: 0.10, 0.09, 0.10 / 0.29
    assert objective.combine(a, b) == pytest.approx([0.10 / 0.29, 0.09 / 0.29, 0.10 / 0.29])
    # linear α = 0.6: 0.6·a + 0.4·b = 0.38, 0.30, 0.32
    assert objective.combine(a, b, how="linear", alpha=0.6) == pytest.approx([0.38, 0.30, 0.32])
    with pytest.raises(UserError, match="0 到 1"):
        objective.combine(a, b, how="linear", alpha=1.5)


@pytest.mark.parametrize("method", ["entropy", "critic", "cv"])
def test_weights_properties(method):
    rng = np.random.default_rng(3)
    t = table(rng.uniform(1, 10, size=(4, 12)))
    r = objective.compute(method, t)
    assert np.all(r.weights >= 0) and r.weights.sum() == pytest.approx(1)
    perm = [2, 0, 3, 1]
    t2 = DataTable("d.csv", None, t.units, [t.criteria[i] for i in perm], t.values[:, perm])
    assert objective.compute(method, t2).weights == pytest.approx(r.weights[perm])


@pytest.mark.parametrize("cols, message, column", [
    ([[1, 2, 3], [5, 5, 5]], "值都相同", "X2"),
    ([[1, 2, 3], [0, 0, 0]], "全部为 0", "X2"),
    ([[1, -2, 3], [1, 2, 4]], "负值", "X1"),
])
def test_bad_columns(cols, message, column):
    with pytest.raises(UserError, match=message) as e:
        objective.entropy(table(cols))
    assert e.value.problems[0].column == column


def test_direction_needs_minmax():
    with pytest.raises(UserError, match="--normalise minmax"):
        objective.entropy(table([[1, 2, 3], [1, 2, 4]]), less_better=["X2"])
    with pytest.raises(UserError, match="不在数据表中"):
        objective.entropy(table([[1, 2, 3], [1, 2, 4]]), normalise="minmax", less_better=["X9"])


def test_read_data_table_problems_located(write_csv):
    p = write_csv("d.csv", [["单位", "办件量", "满意度"], ["A", "10", ""], ["B", "x", "0.9"], ["A", "3", "0.8"]])
    with pytest.raises(UserError) as e:
        read_data_table(p)
    got = {(q.row, q.column, q.message[:4]) for q in e.value.problems}
    assert (2, "满意度", "缺少数值") in got
    assert (3, "办件量", "应为数字") in got
    assert any(q.row == 4 and "重复" in q.message for q in e.value.problems)


def test_cli_entropy_contract(write_xlsx, tmp_path):
    p = write_xlsx("d.xlsx", {"数据": [["单位", "X1", "X2"], ["U0", 1, 2], ["U1", 2, 2], ["U2", 3, 4]]})
    out = tmp_path / "w.json"
    assert main(["weights", "entropy", str(p), "--out", str(out)]) == 0
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["method"] == "entropy" and d["criteria"] == ["X1", "X2"]
    assert d["weights"] == pytest.approx([0.596910, 0.403090], abs=5e-6)
    out2 = tmp_path / "c.json"
    assert main(["weights", "critic", str(p), "--less-better", "X2", "--out", str(out2)]) == 0
    assert json.loads(out2.read_text(encoding="utf-8"))["method"] == "critic"


def test_cli_bad_data_exit_2_no_file(write_csv, tmp_path, capsys):
    p = write_csv("d.csv", [["单位", "X1", "X2"], ["U0", 1, 5], ["U1", 2, 5]])
    out = tmp_path / "w.json"
    assert main(["weights", "cv", str(p), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "列「X2」" in err and "值都相同" in err
    assert not out.exists()


def test_cli_combine(tmp_path):
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    a.write_text(json.dumps({"method": "ahp", "criteria": ["甲", "乙", "丙"], "weights": [0.5, 0.3, 0.2]}), encoding="utf-8")
    b.write_text(json.dumps({"method": "entropy", "criteria": ["丙", "甲", "乙"], "weights": [0.5, 0.2, 0.3]}),
                 encoding="utf-8")
    out = tmp_path / "w.json"
    assert main(["weights", "combine", "--subjective", str(a), "--objective", str(b), "--out", str(out)]) == 0
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["criteria"] == ["甲", "乙", "丙"]
    assert d["weights"] == pytest.approx([0.10 / 0.29, 0.09 / 0.29, 0.10 / 0.29])


def test_hostile_workbook_refused_before_reading(tmp_path, capsys):
    # one cell at XFD1000000: a used area of 16 billion cells, refused by the project's workbook guard
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["单位", "X1"])
    ws.append(["U1", 1])
    ws["XFD1000000"] = 1
    p = tmp_path / "d.xlsx"
    wb.save(p)
    out = tmp_path / "w.json"
    assert main(["weights", "entropy", str(p), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "已用区域" in err and "Traceback" not in err and not out.exists()
