"""The indicator-system model (指标体系): a weighted tree of indicators with rules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from govassess import expr as ex
from govassess.rules import InputDecl, Rule

DESCRIPTIVE = ("criteria", "source", "provider", "lead", "support", "evidence", "note", "manual_reason")
KINDS = ("normal", "bonus", "penalty")
KIND_NAMES = {"normal": "常规", "bonus": "加分项", "penalty": "减分项"}
# What users read for names that are identifiers in files (the manual rule's default input).
DEFAULT_LABELS = {"score": "评分"}


@dataclass(frozen=True)
class InputSpec:
    """One input a unit (or a provider, or a reviewer) must supply for a leaf."""

    indicator: str
    input: str
    kind: str
    choices: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    required: bool = True
    needs_note: bool = False
    indicator_name: str = ""
    criteria: str = ""
    source: str = ""
    provider: str = ""
    reason: str | None = None  # why the system widened the input's default domain
    not_above: str | None = None  # input of the same indicator this one may not exceed
    veto: bool = False  # an input of a veto condition: a yes/no question, so 是/否 are accepted
    label: str = ""  # the Chinese name users read (templates, explanations); ``input`` stays the file identifier


@dataclass(eq=False)
class IndicatorNode:
    name: str
    code: str | None = None
    children: list[IndicatorNode] = field(default_factory=list)
    points: float | None = None
    rule: Rule | None = None
    declared_kind: str | None = None
    kind: str = "normal"  # effective kind, inherited from the nearest declaring ancestor
    applies: str | None = None
    applies_ast: ex.Node | None = None
    classes: tuple[str, ...] | None = None
    veto: str | None = None
    veto_ast: ex.Node | None = None
    info: dict[str, str] = field(default_factory=dict)  # criteria, source, provider, lead, support, evidence, note
    level: int = 1
    parent: IndicatorNode | None = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict)  # unknown-to-us fields kept for round trip (x-*)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def parent_code(self) -> str | None:
        return self.parent.code if self.parent else None

    def __getattr__(self, item: str) -> Any:
        # criteria / source / provider … read like attributes
        if item in DESCRIPTIVE:
            return self.__dict__.get("info", {}).get(item)
        raise AttributeError(item)

    def walk(self) -> Iterator[IndicatorNode]:
        yield self
        for c in self.children:
            yield from c.walk()

    def leaves(self) -> Iterator[IndicatorNode]:
        return (n for n in self.walk() if n.is_leaf)

    def ancestors(self) -> Iterator[IndicatorNode]:
        p = self.parent
        while p is not None:
            yield p
            p = p.parent

    def input_decls(self) -> list[InputDecl]:
        return self.rule.inputs(self.points or 0) if self.rule else []

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name}
        if self.code is not None:
            d["code"] = self.code
        if self.points is not None:
            d["points"] = int(self.points) if float(self.points).is_integer() else self.points
        if self.declared_kind:
            d["kind"] = self.declared_kind
        if self.applies is not None:
            d["applies"] = self.applies
        if self.classes is not None:
            d["classes"] = list(self.classes)
        if self.veto is not None:
            d["veto"] = self.veto
        for k in DESCRIPTIVE:
            if self.info.get(k) is not None:
                d[k] = self.info[k]
        d.update(self.extra)
        if self.rule is not None:
            d["rule"] = {"type": self.rule.type, **{k: v for k, v in self.rule.to_dict().items() if k != "type"}}
        if self.children:
            d["children"] = [c.to_dict() for c in self.children]
        return d


@dataclass(eq=False)
class Grade:
    name: str
    min: float


@dataclass(eq=False)
class IndicatorSystem:
    id: str
    name: str
    total: float
    scale: float
    indicators: list[IndicatorNode]
    description: str | None = None
    precision: int = 2
    missing: str = "zero"
    grades: list[Grade] = field(default_factory=list)
    classes: tuple[str, ...] | None = None
    veto: str | None = None
    veto_ast: ex.Node | None = None
    version: str | None = None
    path: str | None = None
    cap: float | None = None  # the most a total can be after bonus points (e.g. 100: "最后分值折算为百分制")
    # Bonus points count only when the weighted part is above this (国办秘函〔2019〕19号: "高于80分，则进入加分指标评分环节").
    bonus_above: float | None = None
    labels: dict[str, str] = field(default_factory=dict)  # identifier (input or unit attribute) → Chinese label

    def label(self, name: str) -> str:
        """What a user reads for an input or attribute name: its label, or the name itself when it has none."""
        return self.labels.get(name) or DEFAULT_LABELS.get(name) or name

    def nodes(self) -> list[IndicatorNode]:
        return [n for root in self.indicators for n in root.walk()]

    def leaves(self) -> list[IndicatorNode]:
        return [n for n in self.nodes() if n.is_leaf]

    def node(self, code: str) -> IndicatorNode:
        for n in self.nodes():
            if n.code == code:
                return n
        raise KeyError(code)

    def inputs(self) -> list[InputSpec]:
        """Every input the system takes, leaf inputs first (tree order), then veto inputs."""
        out: list[InputSpec] = []
        for leaf in self.leaves():
            assert leaf.code is not None
            for d in leaf.input_decls():
                out.append(InputSpec(leaf.code, d.name, d.kind, d.choices, d.min, d.max,
                                     required=d.required and leaf.kind == "normal", needs_note=d.needs_note,
                                     indicator_name=leaf.name, criteria=leaf.info.get("criteria") or "",
                                     source=leaf.info.get("source") or "", provider=leaf.info.get("provider") or "",
                                     reason=d.reason, not_above=d.not_above, label=self.label(d.name)))
        taken = {(s.indicator, s.input) for s in out}
        for code, name, node_name in self.veto_inputs():
            if (code, name) in taken:  # a veto may test one of the leaf's own inputs
                continue
            taken.add((code, name))
            out.append(InputSpec(code, name, "number", required=False, indicator_name=node_name, veto=True,
                                 label=self.label(name),
                                 criteria=f"否决条件：{self.veto if code == self.id else self.node(code).veto}"))
        return out

    def veto_inputs(self) -> list[tuple[str, str, str]]:
        """(code, input, node name) for names used in veto expressions — inputs unless they are unit attributes."""
        out = []
        if self.veto_ast is not None:
            out += [(self.id, n, self.name) for n in sorted(ex.names(self.veto_ast))]
        for n in self.nodes():
            if n.veto_ast is not None and n.code:
                out += [(n.code, name, n.name) for name in sorted(ex.names(n.veto_ast))]
        return out

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.description:
            d["description"] = self.description
        if self.version:
            d["version"] = self.version
        d["total"] = _num(self.total)
        d["scale"] = _num(self.scale)
        if self.precision != 2:
            d["precision"] = self.precision
        d["missing"] = self.missing
        if self.cap is not None:
            d["cap"] = _num(self.cap)
        if self.bonus_above is not None:
            d["bonus_above"] = _num(self.bonus_above)
        if self.grades:
            d["grades"] = [{"name": g.name, "min": _num(g.min)} for g in self.grades]
        if self.classes is not None:
            d["classes"] = list(self.classes)
        if self.veto is not None:
            d["veto"] = self.veto
        if self.labels:
            d["labels"] = dict(self.labels)
        d["indicators"] = [n.to_dict() for n in self.indicators]
        return d


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else x
