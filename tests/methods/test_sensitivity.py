"""Rank sensitivity on a round scored by `govassess score`, with the swap points solved by hand."""

import json

import numpy as np
import pytest

from govassess.cli import main
from govassess.indicators import load_system
from govassess.methods import sensitivity

SYSTEM = """
id: sens
name: 敏感性示例
total: 20
scale: 100
indicators:
  - {code: L1, name: 覆盖率, points: 10, rule: {type: ratio, value: 覆盖率}}
  - {code: L2, name: 办结率, points: 10, rule: {type: ratio, value: 办结率}}
"""


@pytest.fixture
def scored(tmp_path, write_csv):
    (tmp_path / "s.yaml").write_text(SYSTEM, encoding="utf-8")
    write_csv("units.csv", [["unit", "name", "class"], ["X", "甲县", "县"], ["Y", "乙县", "县"]])
    write_csv("inputs.csv", [["unit", "indicator", "input", "value"],
                             ["X", "L1", "覆盖率", "100%"], ["X", "L2", "办结率", "0%"],
                             ["Y", "L1", "覆盖率", "40%"], ["Y", "L2", "办结率", "80%"]])
    out = tmp_path / "r.json"
    assert main(["score", str(tmp_path / "s.yaml"), "--units", str(tmp_path / "units.csv"),
                 "--inputs", str(tmp_path / "inputs.csv"), "--out", str(out)]) == 0
    return tmp_path


def test_published_totals_reproduced(scored):
    # X: (10 + 0)/20·100 = 50; Y: (4 + 8)/20·100 = 60 → Y first.
    system = load_system(scored / "s.yaml")
    rd = sensitivity.read_round(json.loads((scored / "r.json").read_text(encoding="utf-8")), system)
    total = dict(zip(rd.units, sensitivity.scores(rd, np.ones((1, 2)))[:, 0]))
    assert total == {"X": 50, "Y": 60}  # the results file lists units in ranking order


def test_small_perturbation_cannot_swap(scored):
    # X overtakes Y when m1/m2 > 4/3 (10·m1 > 4·m1 + 8·m2); with ±10% the largest ratio is 1.1/0.9 = 1.22.
    system = load_system(scored / "s.yaml")
    rd = sensitivity.read_round(json.loads((scored / "r.json").read_text(encoding="utf-8")), system)
    res = sensitivity.analyse(rd, system, perturb=0.10, samples=2000, seed=1)
    d = {u["unit"]: u for u in res.to_dict()["units"]}
    assert d["Y"]["rank_min"] == d["Y"]["rank_max"] == 1 and d["Y"]["rank_kept_share"] == 1.0
    assert d["X"]["rank_min"] == d["X"]["rank_max"] == 2


def test_thirty_percent_swap_share(scored):
    # With m1, m2 ~ U(0.7, 1.3): P(m1 > 4/3·m2) = ∫_{0.7}^{0.975} (1.3 − 4m2/3) dm2 / 0.36
    #   = [(1.2675 − 0.63375) − (0.91 − 0.326667)] / 0.36 = 0.050417/0.36 = 0.140046.
    # 20,000 samples: standard error √(0.14·0.86/20000) = 0.0025.
    system = load_system(scored / "s.yaml")
    rd = sensitivity.read_round(json.loads((scored / "r.json").read_text(encoding="utf-8")), system)
    res = sensitivity.analyse(rd, system, perturb=0.30, samples=20000, seed=7)
    d = {u["unit"]: u for u in res.to_dict()["units"]}
    assert d["Y"]["rank_kept_share"] == pytest.approx(1 - 0.140046, abs=0.01)
    assert d["X"]["rank_min"] == 1 and d["Y"]["rank_max"] == 2


def test_swap_point_solved(scored):
    # Raising L1 by t: X = 10t/(10t + 10), Y = (4t + 8)/(10t + 10) → tie at t = 4/3 (δ = +1/3).
    # Lowering L2 by t: X = 10/(10 + 10t), Y = (4 + 8t)/(10 + 10t) → tie at t = 3/4 (δ = −1/4), the smaller
    # change. L2's share of the weights goes from 0.5 to 0.5·0.75/(1 − 0.5·0.25) = 0.375/0.875 = 3/7.
    system = load_system(scored / "s.yaml")
    rd = sensitivity.read_round(json.loads((scored / "r.json").read_text(encoding="utf-8")), system)
    (swap,) = sensitivity.analyse(rd, system, samples=10).swaps
    assert (swap["upper"], swap["lower"], swap["indicator"]) == ("Y", "X", "L2")
    assert swap["factor"] == pytest.approx(0.75)
    assert swap["weight_to"] == pytest.approx(3 / 7)


def test_seeded_and_repeatable(scored):
    system = load_system(scored / "s.yaml")
    rd = sensitivity.read_round(json.loads((scored / "r.json").read_text(encoding="utf-8")), system)
    a = sensitivity.analyse(rd, system, perturb=0.3, samples=500, seed=3, mode="dirichlet", concentration=20)
    b = sensitivity.analyse(rd, system, perturb=0.3, samples=500, seed=3, mode="dirichlet", concentration=20)
    assert a.to_dict() == b.to_dict()


def test_cli_contract(scored):
    out = scored / "s.json"
    assert main(["sensitivity", str(scored / "r.json"), "--system", str(scored / "s.yaml"), "--perturb", "10%",
                 "--samples", "2000", "--seed", "1", "--out", str(out)]) == 0
    d = json.loads(out.read_text(encoding="utf-8"))
    for u in d["units"]:
        assert {"unit", "rank_min", "rank_max", "rank_kept_share"} <= set(u)


def test_cli_wrong_system_exit_2(scored, capsys):
    out = scored / "s.json"
    assert main(["sensitivity", str(scored / "r.json"), "--system", "heihe-2023", "--out", str(out)]) == 2
    assert "结果文件来自指标体系「sens」" in capsys.readouterr().err and not out.exists()
    assert main(["sensitivity", str(scored / "r.json"), "--system", str(scored / "s.yaml"), "--perturb", "150%",
                 "--out", str(out)]) == 2
    assert not out.exists()


def test_rank_a_scored_round_by_topsis(scored):
    # Score rates: X (1, 0), Y (0.4, 0.8); equal weights, vector normalisation:
    # col 1: (1, .4)/√1.16, col 2: (0, .8)/.8 → v = .5·r: X (.464238, 0), Y (.185695, .5).
    # X: D+ = .5, D− = .278543 → C = .357776; Y: D+ = .278543, D− = .5 → C = .642224. Y first, as scored.
    w = scored / "w.json"
    w.write_text(json.dumps({"method": "ahp", "criteria": ["L1", "L2"], "weights": [0.5, 0.5]}), encoding="utf-8")
    out = scored / "t.json"
    assert main(["rank", "topsis", str(scored / "r.json"), "--weights", str(w), "--out", str(out)]) == 0
    r = {u["unit"]: u for u in json.loads(out.read_text(encoding="utf-8"))["units"]}
    assert r["Y"]["rank"] == 1 and r["X"]["closeness"] == pytest.approx(0.278543 / 0.778543, abs=1e-5)


def test_spearman_against_published_ranking(scored):
    # ±10 % never swaps the two units (see above): every sample's ranking equals the published one, ρ = 1.
    system = load_system(scored / "s.yaml")
    rd = sensitivity.read_round(json.loads((scored / "r.json").read_text(encoding="utf-8")), system)
    d = sensitivity.analyse(rd, system, perturb=0.10, samples=500, seed=1).to_dict()
    assert d["spearman_mean"] == pytest.approx(1.0) and d["spearman_min"] == pytest.approx(1.0)
    # ±30 %: with two units a swapped sample has ρ = −1; 14.0 % swapped → mean 1 − 2·0.140 = 0.720.
    d = sensitivity.analyse(rd, system, perturb=0.30, samples=20000, seed=7).to_dict()
    assert d["spearman_min"] == pytest.approx(-1.0)
    assert d["spearman_mean"] == pytest.approx(1 - 2 * 0.140046, abs=0.02)


def test_xlsx_has_swaps_sheet(scored):
    from openpyxl import load_workbook

    out = scored / "s.xlsx"
    assert main(["sensitivity", str(scored / "r.json"), "--system", str(scored / "s.yaml"), "--out", str(out)]) == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["名次敏感性", "相邻名次互换", "说明"]
    row = [c.value for c in wb["相邻名次互换"][2]]
    assert row[1:3] == ["Y", "X"] and row[5] == "办结率" and row[7] == pytest.approx(0.75)


@pytest.fixture(scope="module")
def demo_results(tmp_path_factory):
    from govassess.demo import run_demo

    out = tmp_path_factory.mktemp("demo") / "out"
    run_demo(out)
    return out


@pytest.mark.parametrize("name", ["county-h1", "county-h2", "dept-h1", "dept-h2"])
def test_model_reproduces_the_engine_on_the_demo(demo_results, name):
    # With every weight unchanged the sensitivity model must give the engine's own totals and ranks on the
    # 阳江 demo rounds (not-applicable rescaling, bonus and penalty items included) — otherwise its
    # intervals would describe some other ranking.
    system = load_system(f"yangjiang-2021-{name.split('-')[0]}")
    data = json.loads((demo_results / f"yangjiang-2021-{name}.json").read_text(encoding="utf-8"))
    rd = sensitivity.read_round(data, system)
    total = sensitivity.scores(rd, np.ones((1, len(rd.leaves))))[:, 0]
    ranks = sensitivity.ranks_by_class(rd, total[:, None])[:, 0]
    published = {u["unit"]: u for u in data["units"]}
    for unit, t, r in zip(rd.units, total, ranks):
        assert t == pytest.approx(published[unit]["score"], abs=1e-9)
        assert r == published[unit]["rank"]
