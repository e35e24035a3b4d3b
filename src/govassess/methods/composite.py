"""Composite index against targets (综合指数, 黑河 2023 style: "对照目标值，计算数字政府建设综合指数").

Achievement of unit u on indicator j: a_uj = min(x_uj / T_j, cap) when more is better, min(T_j / x_uj, cap)
when less is better (x = 0 then counts as cap: nothing left to reduce). The index is scale · Σ_j w_j a_uj with
weights summing to 1, so a unit meeting every target exactly scores ``scale`` (100). A target is met when
x ≥ T (more is better) or x ≤ T (less is better).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from govassess.errors import ProblemCollector, UserError

from .ranking import competition_ranks
from .tables import DataTable, parse_number, read_sheets

HEADERS = {"indicator": ("指标", "指标编码", "指标名称", "indicator"), "target": ("目标值", "目标", "target"),
           "direction": ("方向", "指标方向", "direction"), "weight": ("权重", "weight"),
           "period": ("期间", "年度", "周期", "period")}
MORE = {"越大越好", "正向", "more", "+", "高优"}
LESS = {"越小越好", "负向", "逆向", "less", "-", "低优"}


@dataclass
class Target:
    indicator: str
    target: float
    less: bool
    weight: float | None
    row: int


def read_targets(path: str | Path, *, period: str | None = None) -> list[Target]:
    sh = read_sheets(path)[0]
    where: dict[str, Any] = {"file": sh.file, "sheet": sh.name}
    header = [(h or "").strip() for h in sh.rows[0]]
    col: dict[str, int] = {}
    for key, names in HEADERS.items():
        for i, h in enumerate(header):
            if h in names or h.lower() in names:
                col[key] = i
                break
    missing = [HEADERS[k][0] for k in ("indicator", "target") if k not in col]
    if missing:
        raise UserError(f"目标值表缺少列 {'、'.join(missing)}（表头应包含 指标、目标值，可选 方向、权重、期间）",
                        row=sh.first_row, **where)
    problems = ProblemCollector()
    rows = []
    for k, row in enumerate(sh.rows[1:]):
        r = sh.first_row + 1 + k
        if "period" in col and period is not None and (row[col["period"]] or "") != period:
            continue
        rows.append((r, row))
    if "period" in col and period is None:
        periods = sorted({row[col["period"]] or "" for _, row in rows})
        if len(periods) > 1:
            raise UserError(f"目标值表含多个期间（{'、'.join(periods)}），请用 --period 指定其一", **where)
    if not rows:
        raise UserError("目标值表中没有" + (f"期间「{period}」的" if period else "") + "目标值", **where)
    out: list[Target] = []
    seen: dict[str, int] = {}
    for r, row in rows:
        name = row[col["indicator"]]
        if name is None:
            problems.add("指标为空", row=r, column=header[col["indicator"]], **where)
            continue
        if name in seen:
            problems.add(f"指标「{name}」重复（第 {seen[name]} 行已有目标值）", row=r, column=header[col["indicator"]],
                         **where)
            continue
        seen[name] = r
        t = parse_number(row[col["target"]])
        if t is None or not math.isfinite(t) or t <= 0:
            problems.add(f"目标值应为正数，实际为「{row[col['target']] or ''}」", row=r, column=header[col["target"]],
                         **where)
            continue
        less = False
        if "direction" in col and row[col["direction"]] is not None:
            d = row[col["direction"]].strip()
            if d in LESS or d.lower() in LESS:
                less = True
            elif not (d in MORE or d.lower() in MORE):
                problems.add(f"方向应为「越大越好」或「越小越好」，实际为「{d}」", row=r, column=header[col["direction"]],
                             **where)
        w = None
        if "weight" in col and row[col["weight"]] is not None:
            w = parse_number(row[col["weight"]])
            if w is None or w < 0:
                problems.add(f"权重应为非负数，实际为「{row[col['weight']]}」", row=r, column=header[col["weight"]], **where)
                continue
        out.append(Target(name, t, less, w, r))
    problems.raise_if_any()
    return out


def targets_from_system(system: Any, *, period: str | None = None) -> list[Target]:
    """Targets a system declares on its leaves with the custom fields the format keeps (x-*):
    ``x-target: 95`` or per period ``x-target: {2023: 90, 2024: 95}``, and ``x-direction: 越小越好``.
    The leaf's points are its weight."""
    problems = ProblemCollector()
    out: list[Target] = []
    for n in system.leaves():
        if n.kind != "normal" or "x-target" not in n.extra:
            continue
        raw = n.extra["x-target"]
        where = {"file": system.path, "indicator": n.code, "field": "x-target"}
        if isinstance(raw, dict):
            by_period = {str(k): v for k, v in raw.items()}
            if period is None:
                problems.add(f"该指标按期间设定目标值（{'、'.join(by_period)}），请用 --period 指定其一", **where)
                continue
            if period not in by_period:
                problems.add(f"该指标没有期间「{period}」的目标值（有：{'、'.join(by_period)}）", **where)
                continue
            raw = by_period[period]
        t = parse_number(str(raw))
        if t is None or not math.isfinite(t) or t <= 0:
            problems.add(f"目标值应为正数，实际为「{raw}」", **where)
            continue
        d = str(n.extra.get("x-direction", "越大越好")).strip()
        if d not in MORE | LESS:
            problems.add(f"方向应为「越大越好」或「越小越好」，实际为「{d}」", file=system.path, indicator=n.code,
                         field="x-direction")
            continue
        out.append(Target(n.code or n.name, t, d in LESS, float(n.points or 0), 0))
    problems.raise_if_any()
    if not out:
        raise UserError("该指标体系没有为任何叶子指标设定目标值（x-target），请用 --targets 给出目标值表",
                        file=system.path)
    return out


@dataclass
class CompositeResult:
    units: list[str]
    indicators: list[str]
    targets: list[Target]
    weights: np.ndarray
    achievement: np.ndarray  # units × indicators
    met: np.ndarray  # bool, units × indicators
    index: np.ndarray
    rank: np.ndarray
    cap: float
    scale: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "composite", "cap": self.cap, "scale": self.scale,
            "indicators": [{"indicator": t.indicator, "target": t.target,
                            "direction": "越小越好" if t.less else "越大越好", "weight": float(w),
                            "met_units": int(self.met[:, j].sum())}
                           for j, (t, w) in enumerate(zip(self.targets, self.weights))],
            "units": [{"unit": u, "index": float(self.index[i]), "rank": int(self.rank[i]),
                       "met": int(self.met[i].sum()), "all_met": bool(self.met[i].all()),
                       "achievement": {c: float(self.achievement[i, j]) for j, c in enumerate(self.indicators)}}
                      for i, u in enumerate(self.units)],
            "all_met_units": [u for i, u in enumerate(self.units) if self.met[i].all()],
        }


def composite(table: DataTable, targets: list[Target], weights: dict[str, float] | None = None, *,
              cap: float = 1.0, scale: float = 100.0) -> CompositeResult:
    if cap < 1:
        raise UserError(f"达成率上限 cap 应不小于 1（1 表示超额不加分），实际为 {cap:g}")
    by_name = {t.indicator: t for t in targets}
    no_target = [c for c in table.criteria if c not in by_name]
    if no_target:
        raise UserError(f"数据表中的指标 {'、'.join(no_target)} 没有目标值", file=table.file, sheet=table.sheet)
    ts = [by_name[c] for c in table.criteria]
    if weights is not None:
        lacking = [c for c in table.criteria if c not in weights]
        if lacking:
            raise UserError(f"指标 {'、'.join(lacking)} 没有权重")
        w = np.array([weights[c] for c in table.criteria], dtype=float)
    elif all(t.weight is not None for t in ts):
        w = np.array([t.weight for t in ts], dtype=float)
    else:
        raise UserError("没有权重：请在目标值表中填写“权重”列，或给出 --weights / --system")
    if w.sum() <= 0:
        raise UserError("权重合计应大于 0")
    w = w / w.sum()
    x = table.values
    neg = np.argwhere(x < 0)
    if neg.size:
        i, j = neg[0]
        raise UserError(f"实际值不能为负数（{x[i, j]:g}）：达成率按 实际值 ÷ 目标值 计算", file=table.file,
                        sheet=table.sheet, row=int(i) + 2, column=table.criteria[j])
    t = np.array([tt.target for tt in ts])
    less = np.array([tt.less for tt in ts])
    with np.errstate(divide="ignore"):
        ratio = np.where(less[None, :], np.where(x > 0, t / np.where(x > 0, x, 1.0), np.inf), x / t)
    a = np.minimum(ratio, cap)
    met = np.where(less[None, :], x <= t, x >= t)
    index = scale * (a @ w)
    return CompositeResult(list(table.units), list(table.criteria), ts, w, a, met, index,
                           competition_ranks(np.round(index, 6)), cap, scale)
