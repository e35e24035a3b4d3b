"""TOPSIS (both normalisations), grey relational grades, weighted sum and rank correlations, by hand."""

import json
import math

import numpy as np
import pytest

from govassess.cli import main
from govassess.methods import ranking
from govassess.methods.tables import DataTable

# U1 = (1, 4), U2 = (2, 2), U3 = (3, 1); both more-is-better.
T = DataTable("d.csv", None, ["U1", "U2", "U3"], ["X1", "X2"], np.array([[1, 4], [2, 2], [3, 1]], dtype=float))


def test_topsis_vector():
    # r1 = (1,2,3)/√14, r2 = (4,2,1)/√21; v = 0.5·r. Ideal (3/(2√14), 4/(2√21)), anti-ideal (1/(2√14), 1/(2√21)).
    # U1: D+ = √(1/14) (col 1: (3−1)/(2√14)), D− = √(9/84) ((4−1)/(2√21)); C = .327327/(.267261 + .327327) = .550510
    # U2: D+ = √(1/56 + 1/21), D− = √(1/56 + 1/84); C = .172516/(.255883 + .172516) = .402700
    # U3: D+ = √(9/84), D− = √(1/14); C = .267261/.594588 = .449490
    r = ranking.topsis(T, np.array([0.5, 0.5]))
    c2 = math.sqrt(1 / 56 + 1 / 84) / (math.sqrt(1 / 56 + 1 / 21) + math.sqrt(1 / 56 + 1 / 84))
    assert r.score == pytest.approx([0.550510, c2, 0.449490], abs=1e-6)
    assert list(r.rank) == [1, 3, 2]


def test_topsis_minmax_ties_share_rank():
    # r1 = 0, .5, 1; r2 = 1, 1/3, 0; v = .5·r; ideal (.5, .5), anti-ideal (0, 0).
    # U1: D+ = .5, D− = .5 → .5.  U3 likewise .5.  U2: D+ = √(.25² + (1/3)²) = .416667, D− = √(.25² + (1/6)²)
    #   = .300463 → .300463/.717130 = .418979.  Ranks 1, 3, 1.
    r = ranking.topsis(T, np.array([0.5, 0.5]), normalise="minmax")
    assert r.score == pytest.approx([0.5, 0.300463 / 0.717130, 0.5], abs=1e-6)
    assert list(r.rank) == [1, 3, 1]


def test_grey_relational():
    # min–max: r1 = 0, .5, 1; r2 = 1, 1/3, 0; Δ = |1 − r|: U1 (1, 0), U2 (.5, 2/3), U3 (0, 1); Δmin 0, Δmax 1.
    # ξ = .5/(Δ + .5): U1 (1/3, 1), U2 (.5, 3/7), U3 (1, 1/3). w = (.6, .4):
    # U1 .2 + .4 = .6; U2 .3 + .171429 = .471429; U3 .6 + .133333 = .733333 → ranks 2, 3, 1.
    r = ranking.grey_relational(T, np.array([0.6, 0.4]))
    assert r.score == pytest.approx([0.6, 0.3 + 0.4 * 3 / 7, 0.6 + 0.4 / 3])
    assert list(r.rank) == [2, 3, 1]


def test_weighted_sum_and_correlations():
    # w = (.6, .4) on min–max values: U1 .4, U2 .3 + .4/3 = .433333, U3 .6 → ranks 3, 2, 1.
    ws = ranking.weighted_sum(T, np.array([0.6, 0.4]))
    assert list(ws.rank) == [3, 2, 1]
    g = ranking.grey_relational(T, np.array([0.6, 0.4]))
    # ranks (2,3,1) vs (3,2,1): Σd² = 2 → ρ = 1 − 6·2/(3·8) = .5; pairs: (U1,U2) discordant, the other two
    # concordant → τ = (2 − 1)/3.
    c = ranking.correlations(g.rank, ws.rank)
    assert c["spearman"] == pytest.approx(0.5) and c["kendall"] == pytest.approx(1 / 3)


def test_less_better_reverses_topsis():
    r = ranking.topsis(T, np.array([1.0, 0.0]), less_better=["X1"])  # only X1 counts, smaller first
    assert list(r.rank) == [1, 2, 3]


def test_cli_rank_contract(write_csv, tmp_path):
    d = write_csv("d.csv", [["单位", "X1", "X2"], ["U1", 1, 4], ["U2", 2, 2], ["U3", 3, 1]])
    w = tmp_path / "w.json"
    w.write_text(json.dumps({"method": "ahp", "criteria": ["X2", "X1"], "weights": [0.5, 0.5]}), encoding="utf-8")
    out = tmp_path / "r.json"
    assert main(["rank", "topsis", str(d), "--weights", str(w), "--out", str(out)]) == 0
    r = json.loads(out.read_text(encoding="utf-8"))
    assert r["method"] == "topsis" and [u["unit"] for u in r["units"]] == ["U1", "U2", "U3"]
    assert [u["rank"] for u in r["units"]] == [1, 3, 2]
    assert r["units"][0]["closeness"] == pytest.approx(0.550510, abs=1e-6)
    out = tmp_path / "g.json"
    assert main(["rank", "gra", str(d), "--weights", str(w), "--out", str(out)]) == 0
    assert "grade" in json.loads(out.read_text(encoding="utf-8"))["units"][0]
    out = tmp_path / "c.json"
    assert main(["rank", "compare", str(d), "--weights", str(w), "--out", str(out)]) == 0
    c = json.loads(out.read_text(encoding="utf-8"))
    assert c["methods"] == ["topsis-vector", "topsis-minmax", "gra", "wsum"] and len(c["correlations"]) == 6


def test_cli_rank_mismatched_weights(write_csv, tmp_path, capsys):
    d = write_csv("d.csv", [["单位", "X1", "X2"], ["U1", 1, 4], ["U2", 2, 2]])
    w = tmp_path / "w.json"
    w.write_text(json.dumps({"criteria": ["X1", "X3"], "weights": [0.5, 0.5]}), encoding="utf-8")
    out = tmp_path / "r.json"
    assert main(["rank", "topsis", str(d), "--weights", str(w), "--out", str(out)]) == 2
    assert "X3" in capsys.readouterr().err and not out.exists()
