"""AHP against published and hand-worked values.

References:
- RI table: Saaty, T. L. (1980) The Analytic Hierarchy Process, as reproduced in Bernardus et al.
  (2012) p. 268 (BINUS thesis 2011200217, table 2.6): 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
  1.51, 1.48, 1.56, 1.57, 1.59.
- 3×3 "Location" matrix [[1,1/2,1/3],[2,1,1/2],[3,2,1]] with geometric-mean priorities 0.1634, 0.2970,
  0.5396 (the job-choice exercise, "SEC 1.2", scribd document 837305994).
"""

import json
import math

import numpy as np
import pytest

from govassess.cli import main
from govassess.errors import UserError
from govassess.methods import ahp
from govassess.methods.tables import Sheet


def J(matrix, names=None):
    n = len(matrix)
    return ahp.Judgements(names or [f"C{i + 1}" for i in range(n)], np.array(matrix, dtype=float))


def consistent(w):
    w = np.asarray(w, dtype=float)
    return w[:, None] / w[None, :]


def test_saaty_ri_table():
    assert ahp.RI_TABLES["saaty"] == (0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56,
                                      1.57, 1.59)
    assert ahp.random_index(3) == 0.58
    with pytest.raises(UserError, match="只到 n = 15"):
        ahp.random_index(16)


@pytest.mark.parametrize("weighting", ["eigenvector", "geometric"])
def test_location_matrix_published(weighting):
    # Published GM priorities 0.1634, 0.2970, 0.5396: row products 1/6, 1, 6 → cube roots 0.5503, 1, 1.8171,
    # sum 3.3674. For n = 3 the geometric mean is also the principal eigenvector, so both methods agree.
    # λmax of a 3×3 reciprocal matrix = 1 + c^(1/3) + c^(-1/3), c = a12·a23/a13 = (1/2·1/2)/(1/3) = 0.75:
    # 1 + 0.908560 + 1.100642 = 3.009202; CI = 0.009202/2 = 0.004601; CR = 0.004601/0.58 = 0.007933.
    r = ahp.analyse(J([[1, 1 / 2, 1 / 3], [2, 1, 1 / 2], [3, 2, 1]]), weighting=weighting)
    assert r.weights == pytest.approx([0.1634, 0.2970, 0.5396], abs=5e-5)
    assert r.lambda_max == pytest.approx(3.009202, abs=2e-5)
    assert r.ci == pytest.approx(0.004601, abs=1e-5)
    assert r.cr == pytest.approx(0.007933, abs=2e-5)
    assert r.consistent and r.warning() is None


def test_cyclic_matrix_is_inconsistent():
    # A ≻ B (3), B ≻ C (3), C ≻ A (3): c = a12·a23/a13 = 3·3/(1/3) = 27, λmax = 1 + 3 + 1/3 = 4.3333;
    # symmetric, so the weights are 1/3 each; CI = 1.3333/2 = 0.6667; CR = 0.6667/0.58 = 1.1494.
    r = ahp.analyse(J([[1, 3, 1 / 3], [1 / 3, 1, 3], [3, 1 / 3, 1]], ["甲", "乙", "丙"]))
    assert r.weights == pytest.approx([1 / 3] * 3)
    assert r.lambda_max == pytest.approx(13 / 3)
    assert r.cr == pytest.approx((2 / 3) / 0.58)
    assert not r.consistent
    assert "未通过一致性检验" in r.warning() and "「甲」对「乙」" in r.warning()


def test_consistent_4_and_7():
    # A matrix built as a_ij = w_i/w_j is perfectly consistent: λmax = n, CI = CR = 0, weights = w.
    w4 = np.array([8, 4, 2, 1]) / 15
    r = ahp.analyse(J(consistent(w4)))
    assert r.weights == pytest.approx(w4)
    assert r.lambda_max == pytest.approx(4) and r.cr == 0.0
    w7 = np.arange(7, 0, -1) / 28
    for weighting in ("eigenvector", "geometric"):
        r = ahp.analyse(J(consistent(w7)), weighting=weighting)
        assert r.weights == pytest.approx(w7)
        assert r.cr == 0.0 and r.ri == 1.32


def test_one_reversed_judgement_is_named():
    # Consistent w = (8,4,2,1) except C1 vs C4 written 1/8 instead of 8: that pair is the one to revisit.
    a = consistent([8, 4, 2, 1])
    a[0, 3], a[3, 0] = 1 / 8, 8
    r = ahp.analyse(J(a))
    assert not r.consistent
    assert (r.worst_pairs[0][0], r.worst_pairs[0][1]) == ("C1", "C4")
    assert r.worst_pairs[0][2] == pytest.approx(1 / 8)
    assert "「C1」对「C4」填写 1/8" in r.warning()


def test_permuting_criteria_permutes_weights():
    a = np.array([[1, 3, 5, 2], [1 / 3, 1, 2, 1 / 2], [1 / 5, 1 / 2, 1, 1 / 3], [1 / 2, 2, 3, 1]])
    perm = [2, 0, 3, 1]
    r1 = ahp.analyse(J(a))
    r2 = ahp.analyse(J(a[np.ix_(perm, perm)]))
    assert r2.weights == pytest.approx(r1.weights[perm])
    assert r2.cr == pytest.approx(r1.cr)
    assert all(x >= 0 for x in r1.weights) and sum(r1.weights) == pytest.approx(1)


def test_aij_and_aip():
    # Expert 1 consistent with w ∝ (4,2,1); expert 2 finds all equal. AIJ: element-wise geometric mean
    # a12 = √2, a13 = 2, a23 = √2 — consistent with w ∝ (2, √2, 1) = (0.45308, 0.32037, 0.22654), CR = 0.
    # AIP: mean of (4/7, 2/7, 1/7) and (1/3, 1/3, 1/3) = (0.45238, 0.30952, 0.23810).
    e1 = ahp.Judgements(["A", "B", "C"], consistent([4, 2, 1]), "专家一")
    e2 = ahp.Judgements(["A", "B", "C"], np.ones((3, 3)), "专家二")
    g = ahp.group([e1, e2], aggregation="aij")
    s = 2 + math.sqrt(2) + 1
    assert g.combined.weights == pytest.approx([2 / s, math.sqrt(2) / s, 1 / s])
    assert g.combined.cr == 0.0
    assert [e.cr for e in g.experts] == [0.0, 0.0]
    g = ahp.group([e1, e2], aggregation="aip")
    assert g.combined.weights == pytest.approx([(4 / 7 + 1 / 3) / 2, (2 / 7 + 1 / 3) / 2, (1 / 7 + 1 / 3) / 2])
    d = g.to_dict()
    assert d["cr"] is None and d["aggregation"] == "aip" and len(d["experts"]) == 2


def test_different_criteria_between_experts():
    e1 = ahp.Judgements(["A", "B"], np.ones((2, 2)), "一")
    e2 = ahp.Judgements(["A", "C"], np.ones((2, 2)), "二")
    with pytest.raises(UserError, match="应比较同一组元素"):
        ahp.group([e1, e2])


# --- reading matrices ------------------------------------------------------------------------------

def sheet(rows):
    return Sheet("m.csv", None, [[None if c == "" else c for c in r] for r in rows])


def test_upper_triangle_and_fractions():
    j = ahp.judgements_from_sheet(sheet([["", "甲", "乙", "丙"], ["甲", "1", "1/2", "1/3"], ["乙", "", "1", "０.５"],
                                         ["丙", "", "", "1"]]))
    assert j.matrix[1, 0] == 2 and j.matrix[2, 0] == 3 and j.matrix[2, 1] == 2


@pytest.mark.parametrize("rows, message, row, column", [
    ([["", "A", "B"], ["A", "1", "3"]], "应为方阵", None, None),
    ([["", "A", "B"], ["A", "2", "3"], ["B", "1/3", "1"]], "对角线", 2, "A"),
    ([["", "A", "B"], ["A", "1", "3"], ["B", "1/2", "1"]], "互为倒数", 2, "B"),
    ([["", "A", "B"], ["A", "1", "0"], ["B", "", "1"]], "正数", 2, "B"),
    ([["", "A", "B"], ["A", "1", "-3"], ["B", "", "1"]], "正数", 2, "B"),
    ([["", "A", "B"], ["A", "1", "12"], ["B", "", "1"]], "1–9", 2, "B"),
    ([["", "A", "B"], ["A", "1", "很重要"], ["B", "", "1"]], "1–9 或其倒数", 2, "B"),
    ([["", "A", "B"], ["A", "1", ""], ["B", "", "1"]], "缺少「A」与「B」的比较", 2, "B"),
    ([["", "A", "B"], ["B", "1", "3"], ["A", "", "1"]], "同一顺序", 2, "A"),
])
def test_bad_matrices_are_located(rows, message, row, column):
    with pytest.raises(UserError, match=message) as e:
        ahp.judgements_from_sheet(sheet(rows))
    p = e.value.problems[0]
    assert p.file == "m.csv" and p.row == row and p.column == column


# --- CLI ---------------------------------------------------------------------------------------------

def test_cli_contract_csv(write_csv, tmp_path, capsys):
    m = write_csv("m.csv", [["", "位置", "薪酬", "前景"], ["位置", 1, "1/2", "1/3"], ["薪酬", 2, 1, "1/2"],
                            ["前景", 3, 2, 1]])
    out = tmp_path / "w.json"
    assert main(["weights", "ahp", str(m), "--out", str(out)]) == 0
    d = json.loads(out.read_text(encoding="utf-8"))
    assert d["method"] == "ahp" and d["criteria"] == ["位置", "薪酬", "前景"]
    assert d["weights"] == pytest.approx([0.1634, 0.2970, 0.5396], abs=5e-5)
    assert d["lambda_max"] == pytest.approx(3.009202, abs=2e-5)
    assert d["cr"] == pytest.approx(0.007933, abs=2e-5) and d["consistent"] is True
    assert "ci" in d


def test_cli_xlsx_experts_and_inconsistency_flag(write_xlsx, tmp_path, capsys):
    m = write_xlsx("m.xlsx", {
        "专家一": [[None, "A", "B", "C"], ["A", 1, 3, "1/3"], ["B", None, 1, 3], ["C", None, None, 1]],
        "专家二": [[None, "A", "B", "C"], ["A", 1, 1, 1], ["B", 1, 1, 1], ["C", 1, 1, 1]],
    })
    out = tmp_path / "w.xlsx"
    assert main(["weights", "ahp", str(m), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "专家「专家一」的判断矩阵未通过一致性检验" in err
    from openpyxl import load_workbook

    wb = load_workbook(out)
    ws = wb["层次分析法"]
    assert [c.value for c in ws[1]] == ["元素", "权重", "专家「专家一」权重", "专家「专家二」权重"]
    facts = {r[0]: r[1] for r in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert facts["方法"] == "层次分析法" and facts["专家意见汇总方式"] == "判断矩阵几何平均（AIJ）"
    assert facts["通过一致性检验"] == "否"
    # strict: the same input refused, nothing written
    out2 = tmp_path / "w2.json"
    assert main(["weights", "ahp", str(m), "--out", str(out2), "--strict"]) == 2
    assert not out2.exists()


def test_cli_bad_matrix_exit_2_no_file(write_csv, tmp_path, capsys):
    m = write_csv("m.csv", [["", "A", "B"], ["A", 1, 3], ["B", "1/2", 1]])
    out = tmp_path / "w.json"
    assert main(["weights", "ahp", str(m), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "第 2 行" in err and "互为倒数" in err and "Traceback" not in err
    assert not out.exists()


def test_yaml_matrix(tmp_path):
    y = tmp_path / "m.yaml"
    y.write_text("criteria: [甲, 乙]\nexperts:\n  - name: 王\n    matrix: [[1, 3], [1/3, 1]]\n"
                 "  - name: 李\n    matrix: [[1, '1/3'], [3, 1]]\n", encoding="utf-8")
    js = ahp.read_judgements(y)
    assert [j.expert for j in js] == ["王", "李"]
    g = ahp.group(js)
    assert g.combined.weights == pytest.approx([0.5, 0.5])  # √(3·1/3) = 1


def test_yaml_errors_name_the_matrix_row(tmp_path):
    y = tmp_path / "m.yaml"
    y.write_text("criteria: [甲, 乙]\nmatrix: [[1, 3], [1/2, 1]]\n", encoding="utf-8")
    with pytest.raises(UserError) as e:
        ahp.read_judgements(y)
    p = e.value.problems[0]
    assert p.field == "matrix" and p.row is None and p.message.startswith("第 1 行「乙」列：") and "互为倒数" in p.message


def test_missing_output_folder_refused_before_reading(tmp_path, capsys):
    out = tmp_path / "没有这个目录" / "w.json"
    assert main(["weights", "ahp", str(tmp_path / "不存在.csv"), "--out", str(out)]) == 2
    assert "不存在，请先创建该目录" in capsys.readouterr().err  # the target is checked first


def test_yaml_syntax_error_located(tmp_path):
    y = tmp_path / "m.yaml"
    y.write_text("criteria: [甲, 乙\nmatrix: [[1, 3]]\n", encoding="utf-8")
    with pytest.raises(UserError) as e:
        ahp.read_judgements(y)
    assert e.value.problems[0].file == str(y) and e.value.problems[0].row is not None


def test_formula_like_names_stay_text_in_workbook(write_csv, tmp_path):
    from openpyxl import load_workbook

    name = '=HYPERLINK("http://x","点我")'
    m = write_csv("m.csv", [["", name, "+1"], [name, 1, 3], ["+1", "", 1]])
    out = tmp_path / "w.xlsx"
    assert main(["weights", "ahp", str(m), "--out", str(out)]) == 0
    ws = load_workbook(out)["层次分析法"]
    cells = [ws.cell(row=r, column=1) for r in (2, 3)]
    assert [c.value for c in cells] == [name, "+1"] and all(c.data_type == "s" for c in cells)
