"""Fixtures for report tests (the system and its hand-worked rounds live in reporttools.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from reporttools import H1, H2, SYSTEM, score


@pytest.fixture(scope="session")
def rounds() -> tuple[dict[str, Any], dict[str, Any]]:
    return score(H2, "2021年下半年"), score(H1, "2021年上半年")


@pytest.fixture
def files(tmp_path: Path, rounds: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Path]:
    """The system YAML and both rounds' results JSON, as a user has them."""
    import yaml

    current, previous = rounds
    paths = {"system": tmp_path / "system.yaml", "h2": tmp_path / "h2.json", "h1": tmp_path / "h1.json"}
    paths["system"].write_text(yaml.safe_dump(SYSTEM, allow_unicode=True), encoding="utf-8")
    paths["h2"].write_text(json.dumps(current, ensure_ascii=False), encoding="utf-8")
    paths["h1"].write_text(json.dumps(previous, ensure_ascii=False), encoding="utf-8")
    return paths
