"""Rank sensitivity of a scored round: how far would ranks move if the weights moved a little?

The model is the scoring engine's own total: weighted = Σ s_uj m_j / Σ p_uj m_j × scale, score =
max(weighted + bonus − penalty, 0) (a vetoed unit stays 0), ranked within its class by competition rank on
the score rounded to the system's precision. s_uj and p_uj are the unit's leaf score and (applicable) points
from the results file, so not-applicable rescaling is kept; m_j multiplies leaf j's weight (m = 1 gives the
published totals). Samples: m_j ~ U(1 − x, 1 + x) (uniform ±x), or Dirichlet weights w' ~ Dir(κ w) around the
system's weights (m = w'/w). Perturbing at level 1 moves each first-level group as one (all its leaves by the
same factor). Seeded, so a run can be repeated.

For each pair of units adjacent in the published ranking the smallest single change that makes them tie is
solved exactly: with leaf j's weight scaled by (1 + δ), a tie is the root of the quadratic
scale·(a·d − c·b) + E·b·d = 0 in δ (a, b the upper unit's Σs, Σp after the change; c, d the lower's;
E the difference of their bonus − penalty).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from govassess.errors import UserError
from govassess.indicators import IndicatorSystem

MODES = ("uniform", "dirichlet")


@dataclass
class RoundData:
    units: list[str]
    names: list[str]
    classes: list[str]
    leaves: list[str]
    leaf_names: list[str]
    s: np.ndarray  # units × leaves: score
    p: np.ndarray  # units × leaves: points if applicable else 0
    extra: np.ndarray  # bonus − penalty
    vetoed: np.ndarray
    ranked: np.ndarray  # has a score and a rank
    rank: np.ndarray  # published ranks (0 where none)
    scale: float
    precision: int
    groups: list[str]  # first-level code of each leaf
    offset: np.ndarray | None = None  # published total − model total at m = 1 (leaf scores are stored rounded)


def read_round(data: Any, system: IndicatorSystem, *, file: str = "") -> RoundData:
    if not isinstance(data, dict) or "units" not in data or "system" not in data:
        raise UserError("不是 govassess score 输出的结果 JSON（缺少 system / units）", file=file)
    sid = (data.get("system") or {}).get("id")
    if sid != system.id:
        raise UserError(f"结果文件来自指标体系「{sid}」，而 --system 为「{system.id}」", file=file)
    leaves = [n for n in system.leaves() if n.kind == "normal"]
    codes = [n.code or "" for n in leaves]
    groups = []
    for n in leaves:
        top = n
        for a in n.ancestors():
            top = a
        groups.append(top.code or top.name)
    units = data["units"]
    if not units:
        raise UserError("结果文件中没有任何单位", file=file)
    nu, nl = len(units), len(codes)
    s = np.zeros((nu, nl))
    p = np.zeros((nu, nl))
    extra = np.zeros(nu)
    vetoed = np.zeros(nu, dtype=bool)
    ranked = np.zeros(nu, dtype=bool)
    rank = np.zeros(nu, dtype=int)
    for i, u in enumerate(units):
        per = u.get("indicators") or {}
        for j, c in enumerate(codes):
            cell = per.get(c)
            if cell is None:
                raise UserError(f"结果文件中单位「{u.get('unit')}」缺少指标 {c} 的得分：结果文件与指标体系不一致",
                                file=file, indicator=c)
            if cell.get("applicable"):
                s[i, j] = float(cell.get("score") or 0.0)
                p[i, j] = float(cell.get("points") or 0.0)
        extra[i] = float(u.get("bonus") or 0.0) - float(u.get("penalty") or 0.0)
        vetoed[i] = bool(u.get("vetoed"))
        ranked[i] = u.get("rank") is not None and u.get("score") is not None
        rank[i] = int(u.get("rank") or 0)
    if ranked.sum() < 2:
        raise UserError("结果文件中有名次的单位不足 2 个，无法分析名次变化", file=file)
    rd = RoundData([str(u["unit"]) for u in units], [str(u.get("name") or "") for u in units],
                   [str(u.get("class") or "") for u in units], codes, [n.name for n in leaves], s, p, extra,
                   vetoed, ranked, rank, float(system.scale), int(system.precision), groups)
    # The results file keeps leaf scores rounded to the system's precision, so their sum can miss the
    # published total by a few hundredths; that difference is carried as a per-unit offset, so m = 1 gives
    # exactly the published totals and ranks (and a near tie is not broken by rounding).
    published = np.array([float(u.get("score") or 0.0) for u in units])
    model = scores(rd, np.ones((1, nl)), rounded=False)[:, 0]
    rd.offset = np.where(ranked & ~vetoed, published - model, 0.0)
    return rd


def scores(rd: RoundData, m: np.ndarray, *, rounded: bool = True) -> np.ndarray:
    """Totals under leaf multipliers ``m`` (samples × leaves) → units × samples."""
    got = rd.s @ m.T
    full = rd.p @ m.T
    with np.errstate(divide="ignore", invalid="ignore"):
        weighted = np.where(full > 0, got / full * rd.scale, 0.0)
    total = weighted + rd.extra[:, None]
    if rd.offset is not None:
        total += rd.offset[:, None]
    total = np.clip(total, 0.0, None)
    total[rd.vetoed] = 0.0
    return np.round(total, rd.precision) if rounded else total


def ranks_by_class(rd: RoundData, total: np.ndarray) -> np.ndarray:
    from scipy import stats

    out = np.zeros(total.shape, dtype=np.int32)
    classes = np.array(rd.classes)
    for c in dict.fromkeys(rd.classes):
        idx = np.flatnonzero((classes == c) & rd.ranked)
        if idx.size:
            out[idx] = stats.rankdata(-total[idx], method="min", axis=0)
    return out


def multipliers(rd: RoundData, *, mode: str, perturb: float, samples: int, seed: int, level: str,
                concentration: float, base_points: np.ndarray) -> np.ndarray:
    if mode not in MODES:
        raise UserError(f"未知的扰动方式「{mode}」，可选：uniform（均匀 ±x%）、dirichlet（狄利克雷抽样）")
    if samples < 1 or samples > 1_000_000:
        raise UserError(f"抽样次数应在 1 到 1000000 之间，实际为 {samples}")
    rng = np.random.default_rng(seed)
    if level == "1":
        keys = list(dict.fromkeys(rd.groups))
        member = np.array([[g == k for g in rd.groups] for k in keys], dtype=float)  # groups × leaves
        w = member @ base_points
    elif level == "leaf":
        member = None
        w = base_points
    else:
        raise UserError(f"未知的扰动层级「{level}」，可选：leaf（叶子指标）、1（一级指标）")
    k = w.size
    if mode == "uniform":
        if not 0 < perturb < 1:
            raise UserError(f"扰动幅度应在 0 与 100% 之间（不含），实际为 {perturb:.4g}")
        g = rng.uniform(1 - perturb, 1 + perturb, size=(samples, k))
    else:
        if concentration <= 0:
            raise UserError("狄利克雷集中度 κ 应大于 0")
        share = w / w.sum()
        g = rng.dirichlet(concentration * share, size=samples) / share
    return g @ member if member is not None else g


@dataclass
class Sensitivity:
    rd: RoundData
    base_rank: np.ndarray
    rank_min: np.ndarray
    rank_max: np.ndarray
    kept: np.ndarray
    swaps: list[dict[str, Any]]
    params: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        rd = self.rd
        units = []
        for i, u in enumerate(rd.units):
            if not rd.ranked[i]:
                continue
            units.append({"unit": u, "name": rd.names[i], "class": rd.classes[i], "rank": int(self.base_rank[i]),
                          "rank_min": int(self.rank_min[i]), "rank_max": int(self.rank_max[i]),
                          "rank_kept_share": float(self.kept[i])})
        return {"method": "sensitivity", **self.params, "units": units, "swaps": self.swaps}


def analyse(rd: RoundData, system: IndicatorSystem, *, perturb: float = 0.1, samples: int = 2000, seed: int = 1,
            mode: str = "uniform", level: str = "leaf", concentration: float = 200.0,
            chunk: int = 250) -> Sensitivity:
    base_points = np.array([float(system.node(c).points or 0) for c in rd.leaves])
    base_rank = ranks_by_class(rd, scores(rd, np.ones((1, len(rd.leaves)))))[:, 0]
    m = multipliers(rd, mode=mode, perturb=perturb, samples=samples, seed=seed, level=level,
                    concentration=concentration, base_points=base_points)
    n = len(rd.units)
    rmin = np.full(n, np.iinfo(np.int32).max)
    rmax = np.zeros(n, dtype=np.int64)
    kept = np.zeros(n)
    rho = np.empty(samples)
    # Spearman ρ between the published ranking and each sample's (Pearson on the ranks, all classes together)
    b = base_rank[rd.ranked].astype(float)
    bc = b - b.mean()
    bn = np.sqrt((bc * bc).sum())
    for start in range(0, samples, chunk):  # bounded memory: units × chunk at a time
        r = ranks_by_class(rd, scores(rd, m[start:start + chunk]))
        rmin = np.minimum(rmin, r.min(axis=1))
        rmax = np.maximum(rmax, r.max(axis=1))
        kept += (r == base_rank[:, None]).sum(axis=1)
        rc = r[rd.ranked].astype(float)
        rc -= rc.mean(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            rho[start:start + chunk] = (bc @ rc) / (bn * np.sqrt((rc * rc).sum(axis=0)))
    params = {"perturb": perturb, "mode": mode, "level": level, "samples": samples, "seed": seed,
              "spearman_mean": float(np.nanmean(rho)) if np.isfinite(rho).any() else 1.0,
              "spearman_min": float(np.nanmin(rho)) if np.isfinite(rho).any() else 1.0}
    if mode == "dirichlet":
        params["concentration"] = concentration
    return Sensitivity(rd, base_rank, rmin, rmax, kept / samples, adjacent_swaps(rd, base_rank, base_points), params)


def adjacent_swaps(rd: RoundData, base_rank: np.ndarray, base_points: np.ndarray) -> list[dict[str, Any]]:
    """For each unit and the one just below it in its class: the single leaf whose weight change ties
    them soonest (smallest |δ|), the factor 1 + δ and that leaf's new share of the points."""
    out: list[dict[str, Any]] = []
    classes = np.array(rd.classes)
    total_p = np.array([rd.p[i].sum() for i in range(len(rd.units))])
    base_share = base_points / base_points.sum()
    for c in dict.fromkeys(rd.classes):
        idx = np.flatnonzero((classes == c) & rd.ranked & ~rd.vetoed)
        order = idx[np.lexsort((idx, base_rank[idx]))]
        if order.size < 2:
            continue
        u, v = order[:-1], order[1:]
        au, bu = rd.s[u].sum(axis=1)[:, None], total_p[u][:, None]
        av, bv = rd.s[v].sum(axis=1)[:, None], total_p[v][:, None]
        su, pu, sv, pv = rd.s[u], rd.p[u], rd.s[v], rd.p[v]
        e = (rd.extra[u] - rd.extra[v])[:, None]
        k = rd.scale
        c0 = k * (au * bv - av * bu) + e * bu * bv
        c1 = k * (au * pv + su * bv - av * pu - sv * bu) + e * (bu * pv + pu * bv)
        c2 = k * (su * pv - sv * pu) + e * pu * pv
        delta = _smallest_root(c2, c1, c0)  # pairs × leaves, inf where no tie is reachable
        best = np.argmin(np.abs(delta), axis=1)
        for row, (a, b) in enumerate(zip(u, v)):
            j = int(best[row])
            d = float(delta[row, j])
            entry: dict[str, Any] = {"class": c, "upper": rd.units[a], "lower": rd.units[b],
                                     "upper_rank": int(base_rank[a]), "lower_rank": int(base_rank[b])}
            if not np.isfinite(d):
                entry.update({"indicator": None})
            else:
                w0 = float(base_share[j])
                entry.update({"indicator": rd.leaves[j], "indicator_name": rd.leaf_names[j], "factor": 1 + d,
                              "weight_from": w0, "weight_to": w0 * (1 + d) / (1 + w0 * d)})
            out.append(entry)
    return out


def _smallest_root(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The root of a δ² + b δ + c = 0 with δ > −1 (the weight stays positive) closest to 0; inf if none."""
    a, b, c = np.broadcast_arrays(a, b, c)
    with np.errstate(divide="ignore", invalid="ignore"):
        lin = np.where(b != 0, -c / b, np.inf)
        disc = b * b - 4 * a * c
        sq = np.sqrt(np.where(disc >= 0, disc, np.nan))
        r1 = (-b + sq) / (2 * a)
        r2 = (-b - sq) / (2 * a)
    quad = np.abs(a) > 1e-12 * (np.abs(b) + np.abs(c) + 1e-300)
    r1 = np.where(quad, r1, lin)
    r2 = np.where(quad, r2, lin)
    ok1 = np.isfinite(r1) & (r1 > -1)
    ok2 = np.isfinite(r2) & (r2 > -1)
    r1 = np.where(ok1, r1, np.inf)
    r2 = np.where(ok2, r2, np.inf)
    return np.where(np.abs(r1) <= np.abs(r2), r1, r2)
