"""Helpers for the tests of the built-in systems transcribed from seeds 000 and 002
(tests/core/test_seed_systems_*.py): read the YAML as a user sees it, and score rows through the engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from govassess.data import inputs_from_rows, units_from_rows
from govassess.indicators import check_system, load_system
from govassess.scoring import score_round

BUILTIN = Path(__file__).resolve().parents[2] / "src" / "govassess" / "indicators" / "builtin"


def raw(system_id: str) -> dict[str, Any]:
    with open(BUILTIN / f"{system_id}.yaml", encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


def walk(nodes: list[dict[str, Any]], kind: str = "normal", level: int = 1):
    """(node, effective kind, level) in tree order; kind is inherited from the nearest ancestor."""
    for n in nodes:
        k = n.get("kind", kind)
        yield n, k, level
        yield from walk(n.get("children", []), k, level + 1)


def leaves(data: dict[str, Any], kind: str | None = "normal") -> list[dict[str, Any]]:
    return [n for n, k, _ in walk(data["indicators"]) if "children" not in n and (kind is None or k == kind)]


def by_code(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(n["code"]): n for n, _, _ in walk(data["indicators"]) if "code" in n}


def assert_well_formed(system_id: str) -> dict[str, Any]:
    """What every seed system must satisfy: loads and checks clean, every leaf coded with criteria,
    every manual leaf says why, every input name is Chinese (no English identifier reaches a user)."""
    data = raw(system_id)
    assert data["id"] == system_id
    assert "seeds/" in data["description"]
    report = check_system(load_system(system_id))
    assert report.problems == [], report.problems
    for leaf in leaves(data, None):
        assert isinstance(leaf["code"], str) and leaf["criteria"].strip() and leaf["points"] > 0
        if leaf["rule"]["type"] == "manual":
            assert leaf.get("manual_reason", "").strip(), leaf["code"]
    for spec in load_system(system_id).inputs():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in spec.input), (spec.indicator, spec.input)
        assert not any("a" <= ch.lower() <= "z" for ch in spec.input), (spec.indicator, spec.input)
    return data


def score(system_id: str, units: list[dict[str, Any]], rows: list[tuple[Any, ...]]) -> dict[str, dict[str, Any]]:
    """rows: (unit, indicator code, input, value[, note]) → {unit: result dict}."""
    system = load_system(system_id)
    unit_frame = units_from_rows(units)
    dict_rows = [dict(zip(("unit", "indicator", "input", "value", "note"), r, strict=False)) for r in rows]
    result: dict[str, Any] = score_round(system, unit_frame, inputs_from_rows(system, unit_frame, dict_rows)).to_dict()
    return {u["unit"]: u for u in result["units"]}
