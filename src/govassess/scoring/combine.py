"""Combining rounds (e.g. 上半年 40 % + 下半年 60 %) into an annual result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from govassess.errors import UserError


def combine_results(results: Sequence[dict[str, Any]], weights: Sequence[float], *, names: Sequence[str] | None = None,
                    partial: str = "report") -> dict[str, Any]:
    """Weighted sum of round totals per unit; ranks (per class) and grades recomputed.

    A unit missing from a round is never dropped silently: with ``partial="report"`` (default) its
    combined score is left empty and listed in ``warnings``; with ``partial="reweight"`` the weights of
    the rounds it has are rescaled to sum to 1 and the fact is recorded on the unit.
    """
    if len(results) < 2:
        raise UserError("合并至少需要两轮结果")
    if len(weights) != len(results):
        raise UserError(f"权重个数（{len(weights)}）与轮次数（{len(results)}）不一致")
    if any(w < 0 for w in weights) or abs(sum(weights) - 1) > 1e-6:
        raise UserError(f"各轮权重应为非负数且合计为 1，实际合计 {sum(weights):g}")
    if partial not in ("report", "reweight"):
        raise UserError("partial 应为 report 或 reweight")
    ids = {r.get("system", {}).get("id") for r in results}
    if len(ids) != 1:
        raise UserError(f"各轮结果来自不同的指标体系：{'、'.join(map(str, sorted(ids, key=str)))}")
    round_names = list(names or [r.get("round") or f"第{i}轮" for i, r in enumerate(results, 1)])
    system = results[-1]["system"]
    digits = int(system.get("precision", 2))
    grades = system.get("grades") or []
    order: list[str] = []
    info: dict[str, dict[str, Any]] = {}
    for r in results:
        for u in r["units"]:
            if u["unit"] not in info:
                order.append(u["unit"])
                info[u["unit"]] = {"unit": u["unit"], "name": u["name"], "class": u["class"]}
    by_round = [{u["unit"]: u for u in r["units"]} for r in results]
    warnings: list[str] = []
    units = []
    for code in order:
        scores = [br.get(code, {}).get("score") for br in by_round]
        missing = [round_names[i] for i, s in enumerate(scores) if s is None]
        entry = {**info[code], "rounds": {round_names[i]: s for i, s in enumerate(scores)}, "missing_rounds": missing}
        if missing and partial == "report":
            warnings.append(f"单位 {code}（{info[code]['name']}）缺少 {'、'.join(missing)} 的结果，未计算合并得分")
            entry["score"] = None
        else:
            have = [(w, s) for w, s in zip(weights, scores, strict=True) if s is not None]
            wsum = sum(w for w, _ in have)
            entry["score"] = round(sum(w * s for w, s in have) / wsum, digits) if wsum > 0 else None
            if missing:
                warnings.append(f"单位 {code}（{info[code]['name']}）缺少 {'、'.join(missing)}，按其余轮次权重折算")
        units.append(entry)
    for cls in {u["class"] for u in units}:
        peers = [u for u in units if u["class"] == cls and u["score"] is not None]
        for u in peers:
            u["rank"] = 1 + sum(1 for v in peers if v["score"] > u["score"])
    for u in units:
        u.setdefault("rank", None)
        u["grade"] = next((g["name"] for g in grades if u["score"] is not None and u["score"] >= g["min"]), None)
    units.sort(key=lambda u: (u["class"], u["rank"] if u["rank"] is not None else 10**9, u["unit"]))
    notices = list(dict.fromkeys(n for r in results for n in r.get("notices") or []))  # each said once, in order
    if grades:  # the grades of the last round apply to the combined result
        notices = [n for n in notices if not n.startswith("本体系未设等次")]
    return {"system": system, "rounds": round_names, "weights": list(weights), "units": units, "warnings": warnings,
            "notices": notices}
