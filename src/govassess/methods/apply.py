"""Turning weights into a system's points (百分制), so the choice of weights lands in a traceable version.

Weights come as files of sibling weights (the children of one group, or the first-level indicators), or as
one file covering every normal leaf (global weights). Siblings without a file keep their current shares.
Points are apportioned top down: the total among the first-level indicators, then each group's (rounded)
points among its children, each time rounded to the office's step (1, 0.5, 0.1 …) by the largest-remainder
method (Hamilton), so every group and the whole still add up exactly. Rules that award absolute points (choice
options, bands, per-item and deduction points, checklists, formulas) are scaled by new/old points, so a leaf
scores the same share of its points as before. Bonus and penalty items are left as they are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from govassess.errors import UserError
from govassess.indicators import IndicatorNode, IndicatorSystem, dump_yaml, system_from_dict

from .objective import Weights

METHOD_LABELS = {"ahp": "层次分析法", "entropy": "熵权法", "critic": "CRITIC 法", "cv": "变异系数法",
                 "delphi": "德尔菲法", "combine": "主客观组合赋权"}
SCALE_FREE = {"ratio", "relative", "manual", "external"}


def largest_remainder(weights: np.ndarray, total: float, step: float) -> np.ndarray:
    """Multiples of ``step`` proportional to ``weights`` that add up to ``total`` exactly."""
    units_f = total / step
    units = round(units_f)
    if step <= 0 or abs(units_f - units) > 1e-9:
        raise UserError(f"取整步长 {step:g} 不能整除总分 {total:g}：请选用 1、0.5、0.1 这类能整除总分的步长")
    w = np.asarray(weights, dtype=float)
    quota = units * w / w.sum()
    base = np.floor(quota + 1e-12)
    short = int(units - base.sum())
    order = np.argsort(-(quota - base), kind="stable")  # ties: earlier in the tree first
    base[order[:short]] += 1
    return np.round(base * step, 10)


@dataclass
class Applied:
    system: IndicatorSystem
    yaml: str
    changes: list[tuple[str, str, float, float]]  # (code, name, old points, new points)


def has_base_points(node: IndicatorNode) -> bool:
    """Whether weights can apply to the node: a normal leaf, or a normal group with a normal leaf below."""
    if node.kind != "normal":
        return False
    return node.is_leaf or any(has_base_points(c) for c in node.children)


def _normal_children(node: IndicatorNode | None, system: IndicatorSystem) -> list[IndicatorNode]:
    # A group that holds only bonus/penalty items (阳江 county "D 加减分") has no base points to share:
    # weighting it would hand it points that no leaf can carry, and the total would silently shrink.
    kids = system.indicators if node is None else node.children
    return [c for c in kids if has_base_points(c)]


def _subtotal(node: IndicatorNode) -> float:
    if node.is_leaf:
        return float(node.points or 0.0)
    return sum(_subtotal(c) for c in node.children if c.kind == "normal")


def _match(system: IndicatorSystem, w: Weights) -> list[IndicatorNode]:
    nodes = [n for n in system.nodes() if n.kind == "normal"]
    out = []
    for c in w.criteria:
        hit = [n for n in nodes if n.code == c] or [n for n in nodes if n.name == c]
        if not hit:
            raise UserError(f"权重文件中的「{c}」不是该体系中的指标编码或名称", file=w.file)
        if len(hit) > 1:
            raise UserError(f"权重文件中的「{c}」对应多个同名指标（{'、'.join(str(n.code) for n in hit)}），请改用编码",
                            file=w.file)
        out.append(hit[0])
    return out


def apply_weights(system: IndicatorSystem, files: list[Weights], *, step: float = 1.0,
                  version: str | None = None, today: dt.date | None = None) -> Applied:
    leaves = [n for n in system.leaves() if n.kind == "normal"]
    total = sum(float(n.points or 0) for n in leaves)
    share: dict[int, float] = {}
    for parent in [None, *[n for n in system.nodes() if not n.is_leaf and n.kind == "normal"]]:
        kids = _normal_children(parent, system)
        s = sum(_subtotal(k) for k in kids)
        for k in kids:
            share[id(k)] = _subtotal(k) / s if s else 0.0
    global_w: dict[int, float] | None = None
    set_by: dict[int, str] = {}
    for w in files:
        nodes = _match(system, w)
        ids = {id(n) for n in nodes}
        if ids == {id(n) for n in leaves} and len(leaves) > 1:
            if global_w is not None or len(files) > 1:
                raise UserError("覆盖全部叶子指标的权重文件（全局权重）只能单独使用", file=w.file)
            global_w = {id(n): float(x) for n, x in zip(nodes, w.weights)}
            continue
        extra = [n for n in nodes if not has_base_points(n)]
        if extra:
            raise UserError(f"权重文件中的指标 {'、'.join(n.code or n.name for n in extra)} 只含加分项或减分项（或本身就是），"
                            "没有基本分值，不参与赋权：请从权重文件中去掉", file=w.file)
        parents = {id(n.parent) if n.parent else None for n in nodes}
        siblings = _normal_children(nodes[0].parent, system)
        if len(parents) != 1 or ids != {id(k) for k in siblings}:
            where = f"「{nodes[0].parent.name}」的" if nodes[0].parent else "一级"
            raise UserError(f"权重文件应覆盖同一组的全部下级指标（或全部叶子指标）：{where}下级指标为 "
                            f"{'、'.join(k.code or k.name for k in siblings)}", file=w.file)
        for n, x in zip(nodes, w.weights):
            if id(n) in set_by:
                raise UserError(f"指标 {n.code} 的权重在 {set_by[id(n)]} 与 {w.file} 中都给出了", file=w.file)
            set_by[id(n)] = w.file
            share[id(n)] = float(x)
    if global_w is not None:  # a group's share is the sum of its leaves' global weights
        def mass(n: IndicatorNode) -> float:
            return global_w[id(n)] if n.is_leaf else sum(mass(c) for c in _normal_children(n, system))

        for parent in [None, *[n for n in system.nodes() if not n.is_leaf and n.kind == "normal"]]:
            kids = _normal_children(parent, system)
            s = sum(mass(k) for k in kids)
            for k in kids:
                share[id(k)] = mass(k) / s if s else 0.0
    new_points: dict[int, float] = {}

    def apportion(parent: IndicatorNode | None, amount: float) -> None:
        # Top down: each group's points are rounded first, then split among its children, so every
        # level adds up exactly (a group of 20 stays 20, not 19 + rounding elsewhere).
        kids = _normal_children(parent, system)
        pts = largest_remainder(np.array([share[id(k)] for k in kids]), amount, step)
        for k, p in zip(kids, pts):
            new_points[id(k)] = float(p)
            if not k.is_leaf:
                apportion(k, float(p))

    apportion(None, total)
    zero = [n.code or n.name for n in leaves if new_points[id(n)] <= 0]
    if zero:
        raise UserError(f"按这些权重取整后，指标 {'、'.join(zero)} 的分值为 0：分值必须大于 0，"
                        f"请改用更小的取整步长（当前 {step:g}）或检查权重")
    data = system.to_dict()
    changes: list[tuple[str, str, float, float]] = []

    def walk(node: IndicatorNode, d: dict[str, Any]) -> float:
        if node.kind != "normal":
            return 0.0
        if node.is_leaf:
            old, new = float(node.points or 0), new_points[id(node)]
            d["points"] = _num(new)
            if node.rule is not None and old > 0 and abs(new - old) > 1e-12:
                d["rule"] = _scale_rule(node, d["rule"], new / old)
            changes.append((node.code or "", node.name, old, new))
            return new
        s = sum(walk(c, cd) for c, cd in zip(node.children, d["children"]))
        if "points" in d:
            d["points"] = _num(round(s, 10))
        return s

    for root, rd in zip(system.indicators, data["indicators"]):
        walk(root, rd)
    methods = "、".join(dict.fromkeys(METHOD_LABELS.get(w.method, w.method or "未注明方法") for w in files))
    sources = "；".join(f"{w.file}（{METHOD_LABELS.get(w.method, w.method or '未注明方法')}）" for w in files)
    stamp = (f"权重：{(today or dt.date.today()).isoformat()} 由 govassess weights apply 按{methods}确定，"
             f"权重文件 {sources}；分值 = 总分 {_num(total)} × 权重，按 {step:g} 分取整（最大余数法，合计不变）；"
             "按固定分值计分的规则已按新旧分值之比同比例调整。")
    data["description"] = (data.get("description", "").rstrip() + "\n" + stamp).strip()
    if version:
        data["version"] = version
    new_system = system_from_dict(data, file=system.path)
    return Applied(new_system, dump_yaml(new_system), changes)


def _num(x: float) -> float | int:
    x = round(float(x), 10)
    return int(x) if x.is_integer() else x


def _scaled(x: Any, f: float) -> float | int:
    return _num(round(float(x) * f, 6))


def _scale_rule(node: IndicatorNode, rule: dict[str, Any], f: float) -> dict[str, Any]:
    t = rule.get("type")
    r = dict(rule)
    if t in SCALE_FREE:
        return r
    if t == "choice":
        r["options"] = {k: _scaled(v, f) for k, v in rule["options"].items()}
    elif t == "checklist":
        r["items"] = {k: _scaled(v, f) for k, v in rule["items"].items()}
    elif t in ("bands", "rank"):
        r["bands"] = [[b, _scaled(p, f)] for b, p in rule["bands"]]
    elif t in ("per_item", "deduct"):
        r["each"] = _scaled(rule["each"], f)
    elif t == "formula":
        r["expr"] = f"({rule['expr']}) * {_num(round(f, 10))}"
    else:
        raise UserError(f"指标 {node.code} 的规则类型「{t}」不知道如何随分值调整，请手工修改该指标的分值",
                        indicator=node.code)
    return r
