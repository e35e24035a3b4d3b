"""Helpers for core tests: build a one-leaf (or small) system, score rows, read scores."""

from __future__ import annotations

from typing import Any

from govassess.data import inputs_from_rows, units_from_rows
from govassess.indicators import system_from_dict
from govassess.scoring import score_round


def make_system(leaves: list[dict[str, Any]], **extra: Any) -> Any:
    total = sum(float(leaf["points"]) for leaf in leaves if leaf.get("kind", "normal") == "normal") or 1
    data = {"id": "t", "name": "测试", "total": total, "scale": extra.pop("scale", 100), **extra,
            "indicators": [{"name": "全部", "code": "G", "children": leaves}]}
    return system_from_dict(data)


def run(system: Any, units: list[dict[str, Any]], rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    u = units_from_rows(units)
    i = inputs_from_rows(system, u, [dict(zip(("unit", "indicator", "input", "value", "note"), r, strict=False)) for r in rows])
    return score_round(system, u, i).to_dict()


def by_unit(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["unit"]: u for u in result["units"]}


def units_of(n: int, cls: str = "市级部门", **attrs: list[Any]) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        row = {"unit": f"U{i + 1}", "name": f"单位{i + 1}", "class": cls}
        for k, v in attrs.items():
            row[k] = v[i]
        out.append(row)
    return out


