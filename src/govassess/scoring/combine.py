"""Combining rounds (e.g. 上半年 40 % + 下半年 60 %) into an annual result."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from govassess.errors import UserError

_NUMBER = {"type": "number"}
# What `combine` reads of a `govassess score` result (the rest of the file is passed through untouched).
RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["system", "units"],
    "properties": {
        "system": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": ["string", "number"]},
                "total": _NUMBER,
                "scale": _NUMBER,
                "precision": {"type": "integer", "minimum": 0, "maximum": 10},
                "grades": {
                    "type": ["array", "null"],
                    "items": {
                        "type": "object",
                        "required": ["name", "min"],
                        "properties": {"name": {"type": "string"}, "min": _NUMBER},
                    },
                },
            },
        },
        "round": {"type": ["string", "null"]},
        "units": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["unit", "name", "class"],
                "properties": {
                    "unit": {"type": "string", "minLength": 1},
                    "name": {"type": "string"},
                    "class": {"type": "string"},
                    "score": {"type": ["number", "null"]},
                },
            },
        },
        "notices": {"type": ["array", "null"], "items": {"type": "string"}},
    },
}


def check_weights(weights: Sequence[float]) -> None:
    """Round weights: finite, non-negative, summing to 1 (NaN compares false with everything, so test it first)."""
    text = "、".join(f"{w:g}" for w in weights)
    if not all(math.isfinite(w) for w in weights):
        raise UserError(f"各轮权重应为有限的数字，实际为 {text}（不能是 NaN 或无穷大）")
    if any(w < 0 for w in weights):
        raise UserError(f"各轮权重不能为负数，实际为 {text}")
    if abs(sum(weights) - 1) > 1e-6:
        raise UserError(f"各轮权重合计应为 1，实际为 {text}，合计 {sum(weights):g}")


def _check_same_basis(results: Sequence[dict[str, Any]], labels: Sequence[str]) -> None:
    """Rounds can be added only when they score the same system on the same total and scale, once each."""
    def listing(key: Any) -> str:
        return "；".join(f"{label}：{key(r)}" for label, r in zip(labels, results, strict=True))

    systems = [r.get("system") or {} for r in results]
    if len({s.get("id") for s in systems}) != 1:
        raise UserError(f"各轮结果来自不同的指标体系（{listing(lambda r: (r.get('system') or {}).get('id'))}）")
    for field, what in (("total", "总分"), ("scale", "折算分制")):
        if len({_number(s.get(field)) for s in systems}) != 1:
            raise UserError(f"各轮结果的{what}不同，不能直接合并（{listing(lambda r, k=field: (r.get('system') or {}).get(k))}）")
    seen: dict[Any, str] = {}
    for label, r in zip(labels, results, strict=True):
        # The same round twice: by name when it has one, else by identical unit results.
        key = ("round", r["round"]) if r.get("round") else ("units", json.dumps(r.get("units"), sort_keys=True, default=str))
        if key in seen:
            what = f"同一轮次「{r['round']}」" if key[0] == "round" else "内容完全相同的结果"
            raise UserError(f"{seen[key]} 与 {label} 是{what}，同一轮不能合并两次")
        seen[key] = label


def _number(x: Any) -> Any:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else x


def combine_results(results: Sequence[dict[str, Any]], weights: Sequence[float], *, names: Sequence[str] | None = None,
                    partial: str = "report", files: Sequence[str] | None = None) -> dict[str, Any]:
    """Weighted sum of round totals per unit; ranks (per class) and grades recomputed.

    A unit missing from a round is never dropped silently: with ``partial="report"`` (default) its
    combined score is left empty and listed in ``warnings``; with ``partial="reweight"`` the weights of
    the rounds it has are rescaled to sum to 1 and the fact is recorded on the unit.

    Refused (``files`` names the results in the message): weights that are not finite, negative or do
    not sum to 1; results of different systems, totals or scales; the same round given twice.
    """
    if len(results) < 2:
        raise UserError("合并至少需要两轮结果")
    labels = list(files or [f"第 {i} 个结果" for i in range(1, len(results) + 1)])
    if len(weights) != len(results):
        raise UserError(f"权重个数（{len(weights)}）与轮次数（{len(results)}）不一致")
    check_weights(weights)
    if partial not in ("report", "reweight"):
        raise UserError("partial 应为 report 或 reweight")
    _check_same_basis(results, labels)
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
