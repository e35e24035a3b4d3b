"""The bridge from stored systems to the evaluation core. Nothing here re-implements the core."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import yaml

from govassess.web.systems.models import Assignment, AssignmentKind, System

_cache: dict[tuple, Any] = {}
_lock = threading.Lock()
# One computation per key even when many request threads of a cold worker ask at once.
_key_locks: dict[tuple, threading.Lock] = {}
_MAX_ENTRIES = 5000


def _cached(key: tuple, compute):
    with _lock:
        if key in _cache:
            return _cache[key]
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        with _lock:
            if key in _cache:
                return _cache[key]
        value = compute()
        with _lock:
            if len(_cache) >= _MAX_ENTRIES:
                _cache.clear()
                _key_locks.clear()
            _cache[key] = value
        return value


def _version(system: System) -> tuple:
    return (system.pk, system.updated_at.isoformat() if system.updated_at else "")


# Where an input's value comes from decides who may enter it (see docs/web.md, 权限).
PROVIDER_SOURCES = ("部门提供", "系统统计", "网上抓取", "日常监测")
REVIEWER_SOURCES = ("现场走访", "人工检查", "专家评审")


def system_core(system: System):
    """The core's system object for a stored system (cached per version of the stored YAML)."""
    from govassess.indicators import system_from_yaml

    return _cached(
        ("core", *_version(system)), lambda: system_from_yaml(system.yaml_text, file=f"{system.slug}.yaml")
    )


def system_dict(system: System) -> dict:
    return yaml.safe_load(system.yaml_text)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class InputField:
    """One input of a system as the web platform presents it: the core's InputSpec plus who enters it."""

    indicator: str
    input: str
    kind: str
    choices: tuple[str, ...]
    label: str
    criteria: str
    min: float | None
    max: float | None
    needs_note: bool
    required: bool
    owner: str  # "unit" | "provider" | "reviewer"
    indicator_name: str
    points: Any
    evidence: str
    source: str
    provider: str
    classes: tuple[str, ...]
    level1: str  # code of the first-level ancestor, to group the form
    node_kind: str = "normal"  # normal | bonus | penalty

    @property
    def key(self) -> str:
        return f"{self.indicator}::{self.input}"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


KIND_LABELS = {
    "number": "数值",
    "percent": "百分比",
    "count": "个数",
    "bool": "是/否",
    "choice": "选项",
    "score": "人工评分",
}


def _owner(spec, node) -> str:
    if node is None or not node.is_leaf or spec.kind == "score":
        return "reviewer"  # system or group veto inputs, manual scores
    if getattr(node.rule, "type", "") == "manual":
        return "reviewer"
    source = _text(spec.source or node.source)
    kind = str(node.kind or "")
    if "自报" in source:
        return "unit"
    if any(s in source for s in REVIEWER_SOURCES):
        return "reviewer"
    if kind in ("bonus", "penalty"):
        return "reviewer"
    if any(s in source for s in PROVIDER_SOURCES):
        return "provider"
    return "unit"


def system_fields(system: System) -> list[InputField]:
    """Every input of the system in tree order, with its owner and the criteria text beside it."""
    return list(_cached(("fields", *_version(system)), lambda: _system_fields(system)))


def _system_fields(system: System) -> list[InputField]:
    core = system_core(system)
    nodes = {n.code: n for n in core.nodes() if getattr(n, "code", None)}
    fields = []
    for spec in core.inputs():
        node = nodes.get(spec.indicator)
        level1 = "" if node is None else _level1_key(([node, *node.ancestors()])[-1])
        classes: tuple[str, ...] = ()
        if node is not None:
            for n in [node, *node.ancestors()]:
                if n.classes:
                    classes = tuple(n.classes)
                    break
        fields.append(
            InputField(
                indicator=spec.indicator,
                input=spec.input,
                kind=spec.kind,
                choices=tuple(str(c) for c in (spec.choices or ())),
                label=core.label(spec.input),  # the Chinese label pages and exports show
                criteria=_text(spec.criteria or (node.criteria if node is not None else None)),
                min=spec.min,
                max=spec.max,
                needs_note=bool(spec.needs_note),
                required=bool(spec.required),
                owner=_owner(spec, node),
                indicator_name=spec.indicator_name or (node.name if node is not None else spec.indicator),
                points=node.points if node is not None else None,
                evidence=_text(node.evidence if node is not None else None),
                source=_text(spec.source),
                provider=_text(spec.provider),
                classes=classes,
                level1=level1,
                node_kind=str(node.kind) if node is not None else "normal",
            )
        )
    return fields


def field_applies_to_class(field: InputField, unit_class: str) -> bool:
    return not field.classes or unit_class in field.classes


def not_applicable(system: System, units) -> set[tuple[str, str]]:
    """(unit code, leaf code) pairs the core's `applicability` rules out (classes and `applies`); cached per
    system version and unit attributes."""
    units = list(units)
    if not units:
        return set()
    key = (
        "na",
        *_version(system),
        tuple((u.code, u.unit_class, repr(sorted((u.attributes or {}).items()))) for u in units),
    )
    return set(_cached(key, lambda: frozenset(_not_applicable(system, units))))


def _not_applicable(system: System, units) -> set[tuple[str, str]]:
    from govassess.scoring.engine import applicability
    from govassess.web.organisation.selectors import units_frame

    core = system_core(system)
    frame = units_frame(units)
    if core.classes is not None:
        import polars as pl

        frame = frame.filter(pl.col("class").is_in(list(core.classes)))
        if frame.height == 0:
            return {(u.code, f.indicator) for u in units for f in system_fields(system)}
    out = {(u, c) for u, c, a in applicability(core, frame).iter_rows() if not a}
    outside = {u.code for u in units} - set(frame["unit"].to_list())
    out |= {(code, f.indicator) for code in outside for f in system_fields(system)}
    return out


def _level1_key(node) -> str:
    # First-level nodes need not carry a code; their name identifies them then.
    return node.code or node.name


def system_level1(system: System) -> list[tuple[str, str]]:
    """(key, name) of the first-level indicators, in tree order."""
    core = system_core(system)
    return [(_level1_key(n), n.name) for n in core.indicators]


def assigned_indicators(*, system: System, user, kind: str = AssignmentKind.PROVIDER) -> set[str]:
    return set(
        Assignment.objects.filter(system=system, user=user, kind=kind).values_list("indicator", flat=True)
    )
