"""Fixtures for core tests (helpers live in coretools.py)."""

from __future__ import annotations

from typing import Any

import pytest
from coretools import by_unit, make_system, run


@pytest.fixture
def leaf_score():
    """leaf_score(leaf_dict, {unit: {input: value}}, notes={}) -> {unit: score of leaf 'L'}"""

    def score(leaf: dict[str, Any], values: dict[str, dict[str, Any]], notes: dict[str, str] | None = None,
              units: list[dict[str, Any]] | None = None) -> dict[str, float]:
        system = make_system([{"name": "叶子", "code": "L", **leaf}])
        units = units or [{"unit": u, "name": u, "class": "市级部门"} for u in values]
        rows = [(u, "L", k, v, (notes or {}).get(u)) for u, kv in values.items() for k, v in kv.items()]
        res = by_unit(run(system, units, rows))
        return {u: res[u]["indicators"]["L"]["score"] for u in res}

    return score
