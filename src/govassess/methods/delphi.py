"""德尔菲法 (Delphi): rounds of expert importance scores per indicator.

Per round and indicator: mean, sample standard deviation and coefficient of variation (CV = s/x̄, the
spread of opinion); over all indicators: Kendall's coefficient of concordance W with the tie correction,
W = 12 S / (m²(n³ − n) − m Σ T), T = Σ (t³ − t) over each expert's tied groups, and its chi-square test
χ² = m (n − 1) W with n − 1 degrees of freedom (m experts, n indicators). The office's stop rule: every
indicator's CV ≤ max_cv, p < alpha and (optionally) W ≥ min_w. Weights are the last round's mean scores
normalised to sum to 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from govassess.errors import ProblemCollector, UserError

from .tables import parse_number, read_sheets

ROUND_HEADERS = ("轮次", "round", "轮")


@dataclass
class StopRule:
    max_cv: float = 0.25
    alpha: float = 0.05
    min_w: float | None = None

    def describe(self) -> str:
        s = f"各指标变异系数 ≤ {self.max_cv:g}，且肯德尔 W 检验 P < {self.alpha:g}"
        if self.min_w is not None:
            s += f"，且 W ≥ {self.min_w:g}"
        return s


@dataclass
class Concordance:
    w: float
    chi2: float
    df: int
    p_value: float


def kendall_w(scores: np.ndarray) -> Concordance:
    """``scores``: experts × items. Each expert's scores are ranked (ties get the average rank)."""
    m, n = scores.shape
    if m < 2 or n < 2:
        raise UserError("肯德尔协调系数至少需要 2 位专家、2 个指标")
    ranks = np.apply_along_axis(stats.rankdata, 1, scores)
    r = ranks.sum(axis=0)
    s = float(((r - m * (n + 1) / 2) ** 2).sum())
    ties = 0.0
    for row in scores:
        _, counts = np.unique(row, return_counts=True)
        ties += float((counts ** 3 - counts).sum())
    denom = m * m * (n ** 3 - n) - m * ties
    if denom <= 0:  # every expert gave every indicator the same score: no ranking to agree on
        return Concordance(float("nan"), float("nan"), n - 1, float("nan"))
    w = 12 * s / denom
    chi2 = m * (n - 1) * w
    return Concordance(w, chi2, n - 1, float(stats.chi2.sf(chi2, n - 1)))


@dataclass
class Round:
    name: str
    experts: list[str]
    scores: np.ndarray  # experts × indicators
    mean: np.ndarray
    sd: np.ndarray
    cv: np.ndarray
    concordance: Concordance
    stop: bool

    def to_dict(self) -> dict[str, Any]:
        c = self.concordance
        return {"round": self.name, "experts": len(self.experts), "mean": [float(x) for x in self.mean],
                "sd": [float(x) for x in self.sd], "cv": [float(x) for x in self.cv],
                "kendall_w": c.w, "chi2": c.chi2, "df": c.df, "p_value": c.p_value, "stop": self.stop}


@dataclass
class DelphiResult:
    criteria: list[str]
    rounds: list[Round]
    rule: StopRule

    @property
    def weights(self) -> np.ndarray:
        m = self.rounds[-1].mean
        return m / m.sum()

    @property
    def stop_round(self) -> str | None:
        return next((r.name for r in self.rounds if r.stop), None)

    def to_dict(self) -> dict[str, Any]:
        return {"method": "delphi", "criteria": list(self.criteria), "weights": [float(x) for x in self.weights],
                "stop_rule": {"max_cv": self.rule.max_cv, "alpha": self.rule.alpha, "min_w": self.rule.min_w,
                              "text": self.rule.describe()},
                "stop_round": self.stop_round, "rounds": [r.to_dict() for r in self.rounds]}


def analyse_round(name: str, experts: list[str], scores: np.ndarray, rule: StopRule) -> Round:
    mean = scores.mean(axis=0)
    sd = scores.std(axis=0, ddof=1) if scores.shape[0] > 1 else np.zeros(scores.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(mean != 0, sd / np.abs(mean), np.nan)
    c = kendall_w(scores)
    stop = bool(np.all(cv <= rule.max_cv) and math.isfinite(c.p_value) and c.p_value < rule.alpha
                and (rule.min_w is None or c.w >= rule.min_w))
    return Round(name, experts, scores, mean, sd, cv, c, stop)


def analyse(criteria: list[str], rounds: list[tuple[str, list[str], np.ndarray]],
            rule: StopRule | None = None) -> DelphiResult:
    rule = rule or StopRule()
    if not rounds:
        raise UserError("没有任何一轮专家评分")
    done = [analyse_round(name, experts, scores, rule) for name, experts, scores in rounds]
    if np.any(done[-1].mean <= 0):
        raise UserError("最后一轮有指标的平均分不大于 0，无法换算权重：重要性评分应为正数")
    return DelphiResult(list(criteria), done, rule)


def read_rounds(paths: list[Path]) -> tuple[list[str], list[tuple[str, list[str], np.ndarray]]]:
    """Each file (or XLSX sheet) a round in order, unless a 轮次 column (second column) says which round a
    row belongs to. First column: the expert; then one column per indicator; each cell a score."""
    criteria: list[str] | None = None
    rounds: dict[str, tuple[list[str], list[list[float]]]] = {}
    problems = ProblemCollector()
    for path in paths:
        for sh in read_sheets(path):
            where: dict[str, Any] = {"file": sh.file, "sheet": sh.name}
            header = sh.rows[0]
            has_round = len(header) > 1 and (header[1] or "").strip().lower() in ROUND_HEADERS
            start = 2 if has_round else 1
            names = [h or "" for h in header[start:]]
            if not names or any(not h for h in names):
                raise UserError("表头应为：专家、（可选）轮次，其后每列一个指标名称，不能为空", row=sh.first_row, **where)
            if criteria is None:
                criteria = names
            elif names != criteria:
                raise UserError(f"指标列（{'、'.join(names)}）与前面的评分表（{'、'.join(criteria)}）不同",
                                row=sh.first_row, **where)
            default_round = f"第{len(rounds) + 1}轮"
            for i, row in enumerate(sh.rows[1:]):
                r = sh.first_row + 1 + i
                expert = row[0]
                rname = default_round
                if has_round:
                    if row[1] is None:
                        problems.add("轮次为空", row=r, column=header[1], **where)
                        continue
                    rname = row[1] if not row[1].isdigit() else f"第{row[1]}轮"
                if expert is None:
                    problems.add("专家为空", row=r, column=header[0] or "A", **where)
                    continue
                experts, table = rounds.setdefault(rname, ([], []))
                if expert in experts:
                    problems.add(f"专家「{expert}」在{rname}中重复", row=r, column=header[0] or "A", **where)
                    continue
                vals = []
                for j, c in enumerate(names):
                    cell = row[start + j]
                    x = parse_number(cell)
                    if cell is None:
                        problems.add("缺少评分", row=r, column=c, **where)
                    elif x is None or not math.isfinite(x):
                        problems.add(f"评分应为数字，实际为「{cell}」", row=r, column=c, **where)
                    elif x < 0:
                        problems.add(f"评分不能为负数，实际为「{cell}」", row=r, column=c, **where)
                    vals.append(x if x is not None else math.nan)
                experts.append(expert)
                table.append(vals)
    problems.raise_if_any()
    assert criteria is not None
    out = []
    for name, (experts, table) in rounds.items():
        if len(experts) < 2:
            raise UserError(f"{name}只有 {len(experts)} 位专家的评分，至少需要 2 位")
        out.append((name, experts, np.array(table, dtype=float)))
    return criteria, out
