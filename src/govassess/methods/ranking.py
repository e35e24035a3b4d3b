"""Alternative rankings of units from a unit × criterion table: TOPSIS, grey relational analysis (灰色关联
分析) and the plain weighted sum; rank correlations (Spearman ρ, Kendall τ) between rankings.

Ranks are competition ranks (1, 2, 2, 4), the way the scoring engine ranks totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from govassess.errors import UserError

from .objective import _check_columns, _directions, minmax
from .tables import DataTable

METHOD_NAMES = {"topsis": "TOPSIS 法", "gra": "灰色关联分析", "wsum": "加权求和"}
SCORE_KEYS = {"topsis": "closeness", "gra": "grade", "wsum": "score"}


def competition_ranks(score: np.ndarray) -> np.ndarray:
    """1 for the highest; ties share the best rank (1, 2, 2, 4). Works along axis 0."""
    return stats.rankdata(-np.asarray(score), method="min", axis=0).astype(int)


@dataclass
class Ranking:
    method: str
    units: list[str]
    score: np.ndarray
    rank: np.ndarray
    params: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        key = SCORE_KEYS[self.method]
        return {"method": self.method, **self.params,
                "units": [{"unit": u, key: float(s), "rank": int(r)} for u, s, r in zip(self.units, self.score, self.rank)]}


def _weights_for(table: DataTable, criteria: Sequence[str], weights: np.ndarray) -> np.ndarray:
    missing = [c for c in table.criteria if c not in criteria]
    extra = [c for c in criteria if c not in table.criteria]
    if missing or extra:
        raise UserError(f"权重文件与数据表的指标不一致：数据表中没有权重的有 {'、'.join(missing) or '无'}，"
                        f"有权重而数据表中没有的有 {'、'.join(extra) or '无'}", file=table.file, sheet=table.sheet)
    w = np.array([weights[list(criteria).index(c)] for c in table.criteria], dtype=float)
    return w / w.sum()


def topsis(table: DataTable, weights: np.ndarray, *, normalise: str = "vector",
           less_better: Sequence[str] = ()) -> Ranking:
    """Vector: r = x/√Σx², ideal = best per direction. Min–max: r direction-aware in [0, 1], ideal 1, anti-ideal 0.
    closeness C = D⁻/(D⁺ + D⁻) with Euclidean distances of w·r."""
    less = _directions(table, less_better)
    _check_columns(table, "topsis", nonnegative=False)
    x = table.values
    if normalise == "vector":
        norm = np.sqrt(np.einsum("ij,ij->j", x, x))
        v = x * (weights / norm)
        best = np.where(less, v.min(axis=0), v.max(axis=0))
        worst = np.where(less, v.max(axis=0), v.min(axis=0))
    elif normalise == "minmax":
        v = weights * minmax(x, less)
        best, worst = weights, np.zeros_like(weights)
    else:
        raise UserError(f"未知的标准化方式「{normalise}」，TOPSIS 可选：vector（向量标准化）、minmax（极差标准化）")
    d = v - best
    d_plus = np.sqrt(np.einsum("ij,ij->i", d, d))
    np.subtract(v, worst, out=d)
    d_minus = np.sqrt(np.einsum("ij,ij->i", d, d))
    c = d_minus / (d_plus + d_minus)
    return Ranking("topsis", list(table.units), c, competition_ranks(c), {"normalise": normalise})


def grey_relational(table: DataTable, weights: np.ndarray, *, rho: float = 0.5,
                    less_better: Sequence[str] = ()) -> Ranking:
    """Min–max (direction-aware) values against the ideal series 1; Δ = |1 − r|;
    ξ = (Δmin + ρΔmax)/(Δ + ρΔmax) with the two-level minimum and maximum; grade = Σ w ξ."""
    if not 0 < rho <= 1:
        raise UserError(f"分辨系数 ρ 应在 0 与 1 之间（常用 0.5），实际为 {rho:g}")
    less = _directions(table, less_better)
    _check_columns(table, "gra", nonnegative=False)
    delta = np.abs(1 - minmax(table.values, less))
    lo, hi = delta.min(), delta.max()
    xi = (lo + rho * hi) / (delta + rho * hi)
    g = xi @ weights
    return Ranking("gra", list(table.units), g, competition_ranks(g), {"rho": rho})


def weighted_sum(table: DataTable, weights: np.ndarray, *, less_better: Sequence[str] = ()) -> Ranking:
    less = _directions(table, less_better)
    _check_columns(table, "wsum", nonnegative=False)
    s = minmax(table.values, less) @ weights
    return Ranking("wsum", list(table.units), s, competition_ranks(s), {"normalise": "minmax"})


def correlations(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    rho = stats.spearmanr(a, b).statistic
    tau = stats.kendalltau(a, b).statistic
    return {"spearman": float(rho), "kendall": float(tau)}


def compare(rankings: list[Ranking]) -> dict[str, Any]:
    """Side-by-side ranks and the rank correlation of every pair of methods."""
    names = [r.method if r.method != "topsis" else f"topsis-{r.params['normalise']}" for r in rankings]
    pairs = []
    for i in range(len(rankings)):
        for j in range(i + 1, len(rankings)):
            pairs.append({"a": names[i], "b": names[j], **correlations(rankings[i].rank, rankings[j].rank)})
    units = [{"unit": u, "ranks": {n: int(r.rank[k]) for n, r in zip(names, rankings)}}
             for k, u in enumerate(rankings[0].units)]
    return {"method": "compare", "methods": names, "units": units, "correlations": pairs}


def table_from_results(data: Any, *, file: str) -> DataTable:
    """A round's leaf scores as a unit × leaf table of score rates (score ÷ points), for ranking the same
    round by other methods. Every unit must have every normal leaf applicable."""
    from govassess.errors import ProblemCollector

    if not isinstance(data, dict) or "units" not in data or "indicators" not in data:
        raise UserError("不是 govassess score 输出的结果 JSON（缺少 indicators / units）", file=file)
    leaves = [i["code"] for i in data["indicators"] if i.get("is_leaf") and i.get("kind") == "normal"]
    problems = ProblemCollector()
    units, rows = [], []
    for u in data["units"]:
        per = u.get("indicators") or {}
        row = []
        for c in leaves:
            cell = per.get(c) or {}
            if not cell.get("applicable") or not cell.get("points"):
                problems.add(f"单位「{u.get('unit')}」的该指标不适用：多方法排名要求每个单位都有全部指标，"
                             "请改用数据表并删去该指标", file=file, indicator=c)
                row.append(0.0)
            else:
                row.append(float(cell.get("score") or 0.0) / float(cell["points"]))
        units.append(str(u.get("unit")))
        rows.append(row)
    problems.raise_if_any()
    return DataTable(file, None, units, leaves, np.array(rows, dtype=float))
