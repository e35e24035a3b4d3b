"""层次分析法 (AHP): pairwise comparison matrices → weights, λmax, CI, CR; several experts by AIJ or AIP.

Saaty's scale runs 1–9 with reciprocals 1/2 … 1/9. Weights are the normalised principal eigenvector (the
default, Saaty 1980) or the normalised row geometric means. CI = (λmax − n)/(n − 1), CR = CI/RI(n); a matrix
with CR ≥ 0.10 is flagged, naming the judgements that deviate most from the weights they imply
(ε_ij = a_ij·w_j/w_i, the pairs with the largest |ln ε_ij|).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from govassess.errors import Problem, ProblemCollector, UserError

from .tables import Sheet, column_letter, parse_number, read_sheets

# Random consistency index RI(n), n = 1 … 15.
RI_TABLES: dict[str, tuple[float, ...]] = {
    # Saaty, T. L. (1980) The Analytic Hierarchy Process, McGraw-Hill (as reproduced by Bernardus et al. 2012, p. 268).
    "saaty": (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59),
    # Alonso, J. A. & Lamata, M. T. (2006) Consistency in the analytic hierarchy process: a new approach.
    # Int. J. Uncertainty, Fuzziness and Knowledge-Based Systems 14(4), 445–459, table 1 (100,000 matrices).
    "alonso-lamata": (0.0, 0.0, 0.5245, 0.8815, 1.1086, 1.2479, 1.3417, 1.4056, 1.4499, 1.4854, 1.5141,
                      1.5365, 1.5551, 1.5713, 1.5838),
}
RI_NAMES = {"saaty": "Saaty (1980)", "alonso-lamata": "Alonso & Lamata (2006)"}
CR_LIMIT = 0.10
WEIGHTINGS = ("eigenvector", "geometric")
AGGREGATIONS = ("aij", "aip")
_RECIPROCAL_TOLERANCE = 0.02  # 3 and 0.33 are reciprocal as a person writes them; 3 and 0.5 are not


@dataclass
class Judgements:
    """One expert's complete comparison matrix."""

    criteria: list[str]
    matrix: np.ndarray
    expert: str = ""


@dataclass
class AHPResult:
    criteria: list[str]
    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float
    ri: float
    consistent: bool
    expert: str = ""
    worst_pairs: list[tuple[str, str, float, float]] = field(default_factory=list)  # (i, j, a_ij, w_i/w_j)

    def warning(self) -> str | None:
        """The Chinese flag for an inconsistent matrix (CR ≥ 0.10), or None."""
        if self.consistent:
            return None
        who = f"专家「{self.expert}」的" if self.expert else ""
        pairs = "；".join(
            f"「{a}」对「{b}」填写 {_fmt_judgement(v)}，按权重推算约为 {_fmt_judgement(implied)}"
            for a, b, v, implied in self.worst_pairs
        )
        return (f"{who}判断矩阵未通过一致性检验（CR = {self.cr:.4f} ≥ {CR_LIMIT:.2f}），"
                f"请重新斟酌以下偏离最大的判断：{pairs}")

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "criteria": list(self.criteria),
            "weights": [float(x) for x in self.weights],
            "lambda_max": self.lambda_max,
            "ci": self.ci,
            "cr": self.cr,
            "ri": self.ri,
            "consistent": self.consistent,
        }
        if self.expert:
            d = {"expert": self.expert, **d}
        if self.worst_pairs:
            d["worst_pairs"] = [{"row": a, "column": b, "judgement": v, "implied": implied}
                                for a, b, v, implied in self.worst_pairs]
        return d


def _fmt_judgement(x: float) -> str:
    if x >= 1:
        return f"{x:.3g}"
    return f"1/{1 / x:.3g}"


def random_index(n: int, table: str = "saaty") -> float:
    if table not in RI_TABLES:
        raise UserError(f"未知的随机一致性指标表「{table}」，可选：{'、'.join(RI_TABLES)}")
    values = RI_TABLES[table]
    if n > len(values):
        raise UserError(f"判断矩阵有 {n} 个元素，{RI_NAMES[table]} 的 RI 表只到 n = {len(values)}；"
                        f"请把同一层的元素分组后再两两比较")
    return values[n - 1]


def priorities(matrix: np.ndarray, weighting: str = "eigenvector") -> tuple[np.ndarray, float]:
    """Weights (summing to 1) and λmax of a positive reciprocal matrix."""
    a = np.asarray(matrix, dtype=float)
    n = a.shape[0]
    if weighting == "eigenvector":
        values, vectors = np.linalg.eig(a)
        k = int(np.argmax(values.real))  # Perron root: real, simple, largest for a positive matrix
        w = np.abs(vectors[:, k].real)
        w = w / w.sum()
        lam = float(values[k].real)
    elif weighting == "geometric":
        g = np.exp(np.log(a).mean(axis=1))
        w = g / g.sum()
        lam = float(np.mean((a @ w) / w))  # the usual estimate of λmax from a priority vector
    else:
        raise UserError(f"未知的权重计算方法「{weighting}」，可选：eigenvector（特征向量法）、geometric（几何平均法）")
    return w, max(lam, float(n))  # rounding can put a consistent matrix a hair below n


def analyse(j: Judgements, *, weighting: str = "eigenvector", ri_table: str = "saaty", top: int = 3) -> AHPResult:
    n = len(j.criteria)
    w, lam = priorities(j.matrix, weighting)
    ri = random_index(n, ri_table)
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    if ci < 1e-12:
        ci = 0.0
    cr = ci / ri if ri > 0 else 0.0
    consistent = cr < CR_LIMIT
    worst: list[tuple[str, str, float, float]] = []
    if not consistent:
        eps = np.abs(np.log(j.matrix * w[None, :] / w[:, None]))
        iu = np.triu_indices(n, 1)
        order = np.argsort(-eps[iu], kind="stable")[:top]
        for k in order:
            r, c = int(iu[0][k]), int(iu[1][k])
            worst.append((j.criteria[r], j.criteria[c], float(j.matrix[r, c]), float(w[r] / w[c])))
    return AHPResult(list(j.criteria), w, lam, ci, cr, ri, consistent, j.expert, worst)


def aggregate_judgements(experts: list[Judgements], expert_weights: list[float] | None = None) -> Judgements:
    """AIJ: the element-wise (weighted) geometric mean of the experts' matrices (Aczél & Saaty 1983);
    it is again a reciprocal matrix."""
    _same_criteria(experts)
    lam = _expert_weights(experts, expert_weights)
    logs = np.stack([np.log(e.matrix) for e in experts])
    return Judgements(list(experts[0].criteria), np.exp(np.tensordot(lam, logs, axes=1)), "")


def _expert_weights(experts: list[Judgements], expert_weights: list[float] | None) -> np.ndarray:
    if expert_weights is None:
        return np.full(len(experts), 1 / len(experts))
    if len(expert_weights) != len(experts) or any(x <= 0 for x in expert_weights):
        raise UserError(f"专家权重应为 {len(experts)} 个正数")
    lam = np.asarray(expert_weights, dtype=float)
    return lam / lam.sum()


def _same_criteria(experts: list[Judgements]) -> None:
    if not experts:
        raise UserError("没有任何判断矩阵")
    first = experts[0].criteria
    for e in experts[1:]:
        if e.criteria != first:
            raise UserError(f"专家「{e.expert}」的判断矩阵元素（{'、'.join(e.criteria)}）与专家「{experts[0].expert}」"
                            f"的（{'、'.join(first)}）不同：各专家应比较同一组元素，且顺序相同")


@dataclass
class GroupResult:
    method: str  # "single", "aij", "aip"
    combined: AHPResult
    experts: list[AHPResult]
    weighting: str
    ri_table: str

    def to_dict(self) -> dict[str, Any]:
        c = self.combined
        d: dict[str, Any] = {
            "method": "ahp",
            "criteria": list(c.criteria),
            "weights": [float(x) for x in c.weights],
            "lambda_max": None if self.method == "aip" else c.lambda_max,
            "ci": None if self.method == "aip" else c.ci,
            "cr": None if self.method == "aip" else c.cr,
            "consistent": c.consistent,
            "weighting": self.weighting,
            "ri_table": self.ri_table,
            "ri": c.ri,
        }
        if self.method != "single":
            d["aggregation"] = self.method
            d["experts"] = [e.to_dict() for e in self.experts]
        elif c.worst_pairs:
            d["worst_pairs"] = c.to_dict()["worst_pairs"]
        return d

    def warnings(self) -> list[str]:
        out = [w for e in self.experts if (w := e.warning())]
        if self.method == "aij" and (w := self.combined.warning()):
            out.append("汇总（AIJ）后的" + w)
        if self.method == "single" and (w := self.combined.warning()):
            out = [w]
        return out


def group(experts: list[Judgements], *, aggregation: str = "aij", weighting: str = "eigenvector",
          ri_table: str = "saaty", expert_weights: list[float] | None = None) -> GroupResult:
    """One expert: that matrix. Several: each expert's CR, combined by AIJ (geometric mean of judgements,
    then the method on the combined matrix) or AIP (weighted arithmetic mean of the experts' priorities,
    Forman & Peniwati 1998)."""
    if aggregation not in AGGREGATIONS:
        raise UserError(f"未知的专家意见汇总方式「{aggregation}」，可选：aij（判断矩阵几何平均）、aip（权重平均）")
    _same_criteria(experts)
    results = [analyse(e, weighting=weighting, ri_table=ri_table) for e in experts]
    if len(experts) == 1:
        return GroupResult("single", results[0], results, weighting, ri_table)
    if aggregation == "aij":
        combined = analyse(aggregate_judgements(experts, expert_weights), weighting=weighting, ri_table=ri_table)
    else:
        lam = _expert_weights(experts, expert_weights)
        w = np.tensordot(lam, np.stack([r.weights for r in results]), axes=1)
        w = w / w.sum()
        combined = AHPResult(list(experts[0].criteria), w, float("nan"), float("nan"), float("nan"),
                             results[0].ri, all(r.consistent for r in results))
    return GroupResult(aggregation, combined, results, weighting, ri_table)


# --- reading matrices ----------------------------------------------------------------------------

def judgements_from_sheet(sh: Sheet, expert: str | None = None) -> Judgements:
    """A square table: header row and first column hold the criteria names (same order), judgements
    inside. Cells below the diagonal may be left empty (filled with reciprocals); where both are given
    they must be reciprocal."""
    where: dict[str, Any] = {"file": sh.file, "sheet": sh.name}
    problems = ProblemCollector()
    header = sh.rows[0]
    names = [h for h in header[1:]]
    body = sh.rows[1:]
    row_names = [r[0] for r in body]
    n = len(names)
    if n == 0 or any(h is None for h in names):
        if n == 0:
            raise UserError("判断矩阵没有表头：第一行应为各元素名称（首格可空）", row=sh.first_row, **where)
        blanks = [column_letter(i + 1) for i, h in enumerate(names) if h is None]
        raise UserError(f"表头第 {'、'.join(blanks)} 列为空：每一列都应写上元素名称", row=sh.first_row, **where)
    if len(body) != n:
        raise UserError(f"判断矩阵应为方阵：表头有 {n} 个元素，下面却有 {len(body)} 行", **where)
    for i, (rn, cn) in enumerate(zip(row_names, names)):
        if rn != cn:
            problems.add(f"第一列第 {i + 1} 个元素「{rn or ''}」与表头第 {i + 1} 个元素「{cn}」不同："
                         "行与列应按同一顺序列出同一组元素", row=sh.first_row + 1 + i, column="A", **where)
    dup = sorted({c for c in names if names.count(c) > 1})
    if dup:
        problems.add(f"元素名称重复：{'、'.join(dup)}", row=sh.first_row, **where)
    problems.raise_if_any()
    a = np.full((n, n), np.nan)
    for i in range(n):
        for k in range(n):
            cell = body[i][k + 1]
            r, col = sh.first_row + 1 + i, f"{names[k]}"
            if cell is None:
                if i == k:
                    a[i, k] = 1.0
                continue
            x = parse_number(cell)
            if x is None or not math.isfinite(x):
                problems.add(f"判断值应为 1–9 或其倒数（如 3、1/3），实际为「{cell}」", row=r, column=col, **where)
                continue
            if x <= 0:
                problems.add(f"判断值应为正数（1–9 或其倒数），实际为「{cell}」", row=r, column=col, **where)
                continue
            if i == k and abs(x - 1) > 1e-9:
                problems.add(f"对角线上的判断值应为 1（元素与自身同等重要），实际为「{cell}」", row=r, column=col, **where)
                continue
            if x > 9 * (1 + 1e-6) or x < (1 / 9) * (1 - _RECIPROCAL_TOLERANCE):
                problems.add(f"判断值超出 Saaty 1–9 标度（应在 1/9 到 9 之间），实际为「{cell}」",
                             row=r, column=col, **where)
                continue
            a[i, k] = x
    problems.raise_if_any()
    for i in range(n):
        for k in range(i + 1, n):
            up, low = a[i, k], a[k, i]
            up_at = {"row": sh.first_row + 1 + i, "column": names[k]}
            low_at = {"row": sh.first_row + 1 + k, "column": names[i]}
            if math.isnan(up) and math.isnan(low):
                problems.add(f"缺少「{names[i]}」与「{names[k]}」的比较（上三角或下三角至少填一处）", **up_at, **where)
            elif math.isnan(low):
                a[k, i] = 1 / up
            elif math.isnan(up):
                a[i, k] = 1 / low
            elif abs(up * low - 1) > _RECIPROCAL_TOLERANCE:
                problems.add(f"「{names[i]}」对「{names[k]}」为 {body[i][k + 1]}，而「{names[k]}」对「{names[i]}」"
                             f"（第 {low_at['row']} 行）为 {body[k][i + 1]}，两者应互为倒数", **up_at, **where)
            else:
                a[k, i] = 1 / up  # the upper triangle is what the expert chose; its exact reciprocal below
    problems.raise_if_any()
    return Judgements(list(names), a, expert if expert is not None else (sh.name or Path(sh.file).stem))


def read_judgements(path: str | Path) -> list[Judgements]:
    """CSV: one expert. XLSX: each sheet one expert (named by the sheet). YAML: ``criteria`` and
    ``matrix``, or ``experts: [{name, matrix}]`` with a shared ``criteria``."""
    p = Path(path)
    if p.suffix.lower() in (".yaml", ".yml"):
        return _judgements_from_yaml(p)
    sheets = read_sheets(p)
    return [judgements_from_sheet(sh, sh.name if len(sheets) > 1 or sh.name else p.stem) for sh in sheets]


def _judgements_from_yaml(p: Path) -> list[Judgements]:
    from govassess.safe_yaml import read_yaml

    file = str(p)
    data = read_yaml(p)  # the project's one YAML reader: alias bombs, encodings, located syntax errors
    if not isinstance(data, dict) or not isinstance(data.get("criteria"), list):
        raise UserError("判断矩阵 YAML 应包含 criteria（元素名称列表）以及 matrix 或 experts", file=file)
    criteria = [str(c) for c in data["criteria"]]
    if "experts" in data:
        raw = data["experts"]
        if not isinstance(raw, list) or not raw:
            raise UserError("experts 应为列表，每项含 name 与 matrix", file=file, field="experts")
        entries = [(str(e.get("name") or f"专家{i}"), e.get("matrix"), f"experts[{i - 1}].matrix")
                   for i, e in enumerate(raw, 1) if isinstance(e, dict)]
    else:
        entries = [(p.stem, data.get("matrix"), "matrix")]
    out = []
    for name, matrix, field_name in entries:
        if not isinstance(matrix, list) or not all(isinstance(r, list) for r in matrix):
            raise UserError("matrix 应为按行书写的方阵（列表的列表）", file=file, field=field_name)
        rows: list[list[Any]] = [[None, *criteria]]
        for i, r in enumerate(matrix):
            label = criteria[i] if i < len(criteria) else None
            rows.append([label, *[None if v is None else str(v) for v in r]])
        width = len(criteria) + 1
        if any(len(r) != width for r in rows[1:]):
            raise UserError(f"matrix 每行应有 {len(criteria)} 个判断值（与 criteria 一致）", file=file, field=field_name)
        try:
            out.append(judgements_from_sheet(Sheet(file, None, rows), name))
        except UserError as e:  # the table's rows are the matrix's rows: say so, not a line of the file
            raise UserError(problems=[Problem(f"{f'第 {p.row - 1} 行' if p.row else ''}"
                                              f"{f'「{p.column}」列' if p.column else ''}{'：' if p.row or p.column else ''}"
                                              f"{p.message}", file=file, field=field_name) for p in e.problems]) from None
    return out
