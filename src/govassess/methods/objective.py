"""Objective weights from a unit × criterion table: 熵权法 (entropy), CRITIC, 变异系数法 (CV); and
combining subjective with objective weights.

Directions: a less-is-better criterion only means something once values are transformed, so it needs the
min–max normalisation (x − min)/(max − min) for more-is-better and (max − x)/(max − min) for less-is-better.
CRITIC always normalises that way (Diakoulaki et al. 1995); entropy and CV take the raw values by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from govassess.errors import ProblemCollector, UserError

from .tables import DataTable

NORMALISATIONS = ("none", "minmax")
METHOD_NAMES = {"entropy": "熵权法", "critic": "CRITIC 法", "cv": "变异系数法", "topsis": "TOPSIS 法",
                "gra": "灰色关联分析", "wsum": "加权求和"}


@dataclass
class ObjectiveResult:
    method: str
    criteria: list[str]
    weights: np.ndarray
    normalise: str
    less_better: list[str]
    detail: dict[str, list[float]]  # per-criterion intermediate values (entropy e_j, σ_j …)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "criteria": list(self.criteria), "weights": [float(w) for w in self.weights],
                "normalise": self.normalise, "less_better": list(self.less_better),
                **{k: [float(x) for x in v] for k, v in self.detail.items()}}


def _directions(table: DataTable, less_better: Sequence[str]) -> np.ndarray:
    unknown = [c for c in less_better if c not in table.criteria]
    if unknown:
        raise UserError(f"--less-better 中的指标 {'、'.join(unknown)} 不在数据表中；表中的指标为："
                        f"{'、'.join(table.criteria)}", file=table.file, sheet=table.sheet)
    return np.array([c in less_better for c in table.criteria])


def _check_columns(table: DataTable, method: str, *, nonnegative: bool) -> None:
    """A constant column carries no information and an all-zero one has no distribution: both refused."""
    problems = ProblemCollector()
    x = table.values
    if x.shape[0] < 2:
        raise UserError(f"{METHOD_NAMES[method]}至少需要 2 个单位的数据", file=table.file, sheet=table.sheet)
    lo, hi = x.min(axis=0), x.max(axis=0)  # two passes over the table, not three per column
    for j in np.flatnonzero((lo == hi) | (nonnegative & (lo < 0))):
        c = table.criteria[j]
        col = x[:, j]
        if lo[j] == hi[j] == 0:
            problems.add(f"该列全部为 0，{METHOD_NAMES[method]}无法计算：请删去该指标或核对数据",
                         file=table.file, sheet=table.sheet, column=c)
        elif lo[j] == hi[j]:
            problems.add(f"该列所有单位的值都相同（{col[0]:g}），不能区分单位，{METHOD_NAMES[method]}无法使用该指标："
                         "请删去该指标或核对数据", file=table.file, sheet=table.sheet, column=c)
        else:
            i = int(np.argmax(col < 0))
            problems.add(f"有负值（{table.units[i]}：{col[i]:g}）：p = x/Σx 要求非负数据，请使用 --normalise minmax",
                         file=table.file, sheet=table.sheet, column=c)
    problems.raise_if_any()


def minmax(x: np.ndarray, less: np.ndarray) -> np.ndarray:
    lo, hi = x.min(axis=0), x.max(axis=0)
    span = hi - lo
    r = (x - lo) / span
    return np.where(less[None, :], 1 - r, r)


def _prepare(table: DataTable, method: str, normalise: str, less_better: Sequence[str],
             *, nonnegative: bool) -> np.ndarray:
    if normalise not in NORMALISATIONS:
        raise UserError(f"未知的标准化方式「{normalise}」，可选：none（不标准化）、minmax（极差标准化）")
    less = _directions(table, less_better)
    _check_columns(table, method, nonnegative=nonnegative and normalise == "none")
    if normalise == "none":
        if less.any():
            raise UserError(f"{METHOD_NAMES[method]}按原值计算（--normalise none）时不区分方向："
                            "标注了 --less-better 的指标请同时使用 --normalise minmax")
        return table.values
    return minmax(table.values, less)


def entropy(table: DataTable, *, normalise: str = "none", less_better: Sequence[str] = ()) -> ObjectiveResult:
    """p_ij = x_ij/Σ_i x_ij; e_j = −(1/ln m) Σ_i p_ij ln p_ij with 0·ln 0 = 0; d_j = 1 − e_j; w_j = d_j/Σ d."""
    x = _prepare(table, "entropy", normalise, less_better, nonnegative=True)
    p = x / x.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = p * np.log(p)
    if not np.all(x.min(axis=0) > 0):  # the 0·ln 0 = 0 convention (only min–max or raw zeros give p = 0)
        plogp[p == 0] = 0.0
    e = -plogp.sum(axis=0) / np.log(x.shape[0])
    d = 1 - e
    return ObjectiveResult("entropy", list(table.criteria), d / d.sum(), normalise, list(less_better),
                           {"entropy": list(e), "divergence": list(d)})


def critic(table: DataTable, *, less_better: Sequence[str] = ()) -> ObjectiveResult:
    """r = min–max normalised (direction-aware); C_j = σ_j Σ_k (1 − ρ_jk) with Pearson ρ; w_j = C_j/Σ C.
    The σ's ddof cancels in the ratio."""
    r = _prepare(table, "critic", "minmax", less_better, nonnegative=False)
    sigma = r.std(axis=0, ddof=1)
    rho = np.corrcoef(r, rowvar=False) if r.shape[1] > 1 else np.ones((1, 1))
    c = sigma * (1 - rho).sum(axis=0)
    if c.sum() <= 0:
        raise UserError("CRITIC 法：各指标完全正相关，冲突性为 0，无法给出权重", file=table.file, sheet=table.sheet)
    return ObjectiveResult("critic", list(table.criteria), c / c.sum(), "minmax", list(less_better),
                           {"std": list(sigma), "information": list(c)})


def coefficient_of_variation(table: DataTable, *, normalise: str = "none",
                             less_better: Sequence[str] = ()) -> ObjectiveResult:
    """v_j = σ_j/|x̄_j|; w_j = v_j/Σ v (sample σ; the ddof cancels in the ratio)."""
    x = _prepare(table, "cv", normalise, less_better, nonnegative=False)
    mean = x.mean(axis=0)
    zero = [c for c, m in zip(table.criteria, mean) if abs(m) < 1e-12]
    if zero:
        raise UserError(f"变异系数法：指标 {'、'.join(zero)} 的平均值为 0，变异系数无定义", file=table.file,
                        sheet=table.sheet)
    v = x.std(axis=0, ddof=1) / np.abs(mean)
    return ObjectiveResult("cv", list(table.criteria), v / v.sum(), normalise, list(less_better),
                           {"mean": list(mean), "cv": list(v)})


def compute(method: str, table: DataTable, *, normalise: str = "none",
            less_better: Sequence[str] = ()) -> ObjectiveResult:
    if method == "entropy":
        return entropy(table, normalise=normalise, less_better=less_better)
    if method == "critic":
        if normalise not in ("minmax", "none"):
            raise UserError(f"未知的标准化方式「{normalise}」")
        return critic(table, less_better=less_better)
    if method == "cv":
        return coefficient_of_variation(table, normalise=normalise, less_better=less_better)
    raise UserError(f"未知的客观赋权方法「{method}」")


def combine(subjective: Any, objective: Any, *, how: str = "multiplicative",
            alpha: float = 0.5) -> np.ndarray:
    """Multiplicative: w_j = a_j b_j / Σ a b. Linear: w_j = α a_j + (1 − α) b_j (α is the subjective share)."""
    a = np.asarray(subjective, dtype=float)
    b = np.asarray(objective, dtype=float)
    if a.shape != b.shape:
        raise UserError("主观权重与客观权重的指标个数不同")
    if how == "multiplicative":
        w = a * b
        if w.sum() <= 0:
            raise UserError("乘法合成：主客观权重没有同时为正的指标")
        return w / w.sum()
    if how == "linear":
        if not 0 <= alpha <= 1:
            raise UserError(f"线性组合系数 α 应在 0 到 1 之间，实际为 {alpha:g}")
        w = alpha * a + (1 - alpha) * b
        return w / w.sum()
    raise UserError(f"未知的组合方式「{how}」，可选：multiplicative（乘法合成）、linear（线性加权）")


@dataclass
class Weights:
    """A weights file as written by `govassess weights …`: criteria with weights summing to 1."""

    method: str
    criteria: list[str]
    weights: np.ndarray
    file: str = ""


def read_weights(path: Any) -> Weights:
    import json
    from pathlib import Path

    p = Path(path)
    file = str(path)
    if not p.is_file():
        raise UserError("权重文件不存在", file=file)
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"权重文件不是有效的 JSON：{e}", file=file) from None
    if not isinstance(d, dict) or not isinstance(d.get("criteria"), list) or not isinstance(d.get("weights"), list):
        raise UserError("权重文件应包含 criteria 与 weights 两个列表（govassess weights … 的输出）", file=file)
    crit, w = [str(c) for c in d["criteria"]], d["weights"]
    if len(crit) != len(w) or not crit:
        raise UserError(f"权重文件中 criteria 有 {len(crit)} 项而 weights 有 {len(w)} 项", file=file)
    if len(set(crit)) != len(crit):
        raise UserError("权重文件中指标重复", file=file, field="criteria")
    try:
        arr = np.array([float(x) for x in w])
    except (TypeError, ValueError):
        raise UserError("weights 应全部为数字", file=file, field="weights") from None
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or arr.sum() <= 0:
        raise UserError("weights 应为非负数且合计大于 0", file=file, field="weights")
    return Weights(str(d.get("method") or ""), crit, arr / arr.sum(), file)
