"""Delphi rounds and Kendall's W against published worked examples.

- ProofWiki, "Kendall's Coefficient of Concordance/Examples/Arbitrary Example 1": 3 competitors ranked by
  4 judges, rank sums 7, 9, 8 → S = 2, W = 12·2/(4²·3·(3² − 1)) = 1/16.
- "The Kendall's Coefficient of Concordance W" (scribd 659863121), example 1: 10 projects ranked by 4 judges,
  Σ D² = 1048 → W = 12·1048/(4²·10·(10² − 1)) = 12576/15840 = 0.793939; χ² = m(n − 1)W = 4·9·0.793939 =
  28.5818 with 9 degrees of freedom, above the 0.1 % critical value 27.877, so p < 0.001.
"""

import json

import numpy as np
import pytest

from govassess.cli import main
from govassess.errors import UserError
from govassess.methods import delphi


def test_proofwiki_example():
    # judges A–D (rows) ranking X, Y, Z (columns)
    c = delphi.kendall_w(np.array([[1, 3, 2], [1, 2, 3], [2, 3, 1], [3, 1, 2]]))
    assert c.w == pytest.approx(1 / 16)
    assert c.chi2 == pytest.approx(4 * 2 / 16) and c.df == 2


def test_ten_projects_four_judges():
    ranks = np.array([
        [1, 3, 4, 5, 2, 8, 6, 7, 10, 9],   # judge A
        [2, 1, 4, 5, 6, 3, 8, 7, 10, 9],   # judge B
        [3, 2, 1, 5, 7, 4, 6, 8, 9, 10],   # judge C
        [4, 2, 3, 1, 6, 7, 5, 9, 8, 10],   # judge D
    ])
    c = delphi.kendall_w(ranks)
    assert c.w == pytest.approx(12576 / 15840)
    assert c.chi2 == pytest.approx(36 * 12576 / 15840)
    assert c.df == 9 and c.p_value < 0.001


def test_ties_corrected():
    # E1 scores 5,5,3 → ranks 2.5, 2.5, 1 (one tie of 2: T = 2³ − 2 = 6); E2 5,4,3 → 3, 2, 1.
    # R = 5.5, 4.5, 2; mean m(n+1)/2 = 4; S = 2.25 + 0.25 + 4 = 6.5.
    # W = 12·6.5/(2²·(27 − 3) − 2·6) = 78/84 = 0.928571; χ² = 2·2·W = 3.714286.
    c = delphi.kendall_w(np.array([[5, 5, 3], [5, 4, 3]]))
    assert c.w == pytest.approx(78 / 84)
    assert c.chi2 == pytest.approx(4 * 78 / 84)


def test_round_statistics_and_stop_rule():
    # 4 experts score 3 indicators (1–5). Indicator 1: 5,5,4,5 → mean 4.75, s = 0.5, CV = 0.105263.
    # Indicator 3: 1,2,1,1 → mean 1.25, s = 0.5, CV = 0.4 > 0.25, so the round does not stop.
    s1 = np.array([[5, 3, 1], [5, 3, 2], [4, 3, 1], [5, 2, 1]], dtype=float)
    s2 = np.array([[5, 3, 2], [5, 3, 2], [4, 3, 2], [5, 3, 2]], dtype=float)
    res = delphi.analyse(["甲", "乙", "丙"], [("第1轮", list("ABCD"), s1), ("第2轮", list("ABCD"), s2)])
    r1, r2 = res.rounds
    assert r1.mean == pytest.approx([4.75, 2.75, 1.25])
    assert r1.cv[0] == pytest.approx(0.5 / 4.75) and r1.cv[2] == pytest.approx(0.4)
    assert not r1.stop
    # round 2: every expert orders 甲 > 乙 > 丙 (C gives 4,3,2: the same order), so W = 1; max CV is 甲's 0.105.
    assert r2.concordance.w == pytest.approx(1.0) and r2.stop
    assert res.stop_round == "第2轮"
    # weights: last round's means 4.75, 3, 2 over 9.75
    assert res.weights == pytest.approx([4.75 / 9.75, 3 / 9.75, 2 / 9.75])


def test_cli_rounds_from_one_file(write_csv, tmp_path):
    p = write_csv("s.csv", [["专家", "轮次", "甲", "乙", "丙"],
                            ["A", 1, 5, 3, 1], ["B", 1, 5, 3, 2], ["C", 1, 4, 3, 1], ["D", 1, 5, 2, 1],
                            ["A", 2, 5, 3, 2], ["B", 2, 5, 3, 2], ["C", 2, 4, 3, 2], ["D", 2, 5, 3, 2]])
    out = tmp_path / "d.json"
    assert main(["weights", "delphi", str(p), "--out", str(out)]) == 0
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["method"] == "delphi" and [r["round"] for r in d["rounds"]] == ["第1轮", "第2轮"]
    assert d["stop_round"] == "第2轮"
    assert d["weights"] == pytest.approx([4.75 / 9.75, 3 / 9.75, 2 / 9.75])


def test_cli_bad_scores_located(write_csv, tmp_path, capsys):
    p = write_csv("s.csv", [["专家", "甲", "乙"], ["A", 5, ""], ["B", "高", 3], ["A", 4, 4]])
    out = tmp_path / "d.json"
    assert main(["weights", "delphi", str(p), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "第 2 行，列「乙」：缺少评分" in err and "第 3 行，列「甲」" in err and "重复" in err
    assert not out.exists()


def test_one_expert_refused(write_csv):
    p = write_csv("s.csv", [["专家", "甲", "乙"], ["A", 5, 3]])
    with pytest.raises(UserError, match="至少需要 2 位"):
        delphi.read_rounds([p])
