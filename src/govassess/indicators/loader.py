"""Load, validate and check indicator systems (YAML files and the built-in ones)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from govassess import expr as ex
from govassess import safe_yaml
from govassess.errors import Problem, ProblemCollector, UserError
from govassess.indicators.model import DESCRIPTIVE, Grade, IndicatorNode, IndicatorSystem
from govassess.rules import RuleError, build_rule, is_finite, parse_number

BUILTIN_DIR = Path(__file__).with_name("builtin")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The JSON Schema of the indicator-system file format."""
    text = resources.files("govassess.indicators").joinpath("schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def builtin_ids() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def list_systems() -> list[IndicatorSystem]:
    """The built-in systems shipped with the package."""
    return [load_system(i) for i in builtin_ids()]


def load_system(ref: str | Path) -> IndicatorSystem:
    """A built-in id (``yangjiang-2021-dept``) or a path to a YAML file."""
    path = Path(ref)
    if not path.suffix and not path.exists():
        candidate = BUILTIN_DIR / f"{ref}.yaml"
        if not candidate.exists():
            raise UserError(f"找不到指标体系「{ref}」：既不是内置体系（{'、'.join(builtin_ids())}），也不是文件")
        path = candidate
    if not path.exists():
        raise UserError("文件不存在", file=str(ref))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from govassess.indicators.excel import read_system_table

        data, _notes = read_system_table(path)
        return system_from_dict(data, file=str(path))
    return system_from_yaml(safe_yaml.read_text(path), file=str(path))


def system_from_yaml(text: str, *, file: str | None = None) -> IndicatorSystem:
    system = system_from_dict(safe_yaml.load_yaml(text, file=file), file=file)
    system.path = file
    return system


def _schema_problems(data: Any, file: str | None) -> list[Problem]:
    validator = jsonschema.Draft202012Validator(schema())
    problems = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = list(err.absolute_path)
        # Name the indicator: walk the path to the deepest node that has a code or name.
        node: Any = data
        indicator = None
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                break
            if isinstance(node, dict) and ("code" in node or "name" in node):
                indicator = str(node.get("code") or node.get("name"))
        field_name = ".".join(str(p) for p in path[-2:] if not isinstance(p, int)) or None
        problems.append(Problem(_schema_message(err), file=file, indicator=indicator, field=field_name))
    return problems


def _schema_message(err: jsonschema.ValidationError) -> str:
    v = err.validator
    if v == "required":
        missing = [m for m in err.validator_value if isinstance(err.instance, dict) and m not in err.instance]
        return f"缺少必填字段 {'、'.join(missing)}"
    if v == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {}))) if isinstance(err.instance, dict) else []
        extra = [e for e in extra if not str(e).startswith("x-")]
        return f"不认识的字段 {'、'.join(map(str, extra))}（自定义字段请以 x- 开头）"
    if v == "enum":
        return f"取值 {err.instance!r} 不在允许范围内：{'、'.join(map(str, err.validator_value))}"
    if v == "type":
        names = {"string": "文字", "number": "数字", "integer": "整数", "object": "映射", "array": "列表", "boolean": "true/false"}
        want = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        return f"应为{'或'.join(names.get(str(w), str(w)) for w in want)}，实际为 {err.instance!r}"
    if v == "pattern":
        return f"格式不对：{err.instance!r}（应匹配 {err.validator_value}）"
    if v in ("minItems", "minLength"):
        return "不能为空"
    if v in ("exclusiveMinimum", "minimum"):
        return f"应大于 {err.validator_value}，实际为 {err.instance!r}"
    if v == "oneOf":
        return f"应为数字或百分数，实际为 {err.instance!r}"
    return err.message


def system_from_dict(data: Any, *, file: str | None = None) -> IndicatorSystem:
    """Validate a plain dict (what YAML loads to) and build the model; all problems at once."""
    safe_yaml.expect_mapping(data, file=file, what="指标体系文件的顶层（id、name、total、indicators …）")
    problems = ProblemCollector()
    # JSON Schema's "number" admits YAML's .nan and .inf; a total or scale of infinity scores nonsense.
    for key in ("total", "scale"):
        if isinstance(data.get(key), float) and not is_finite(data[key]):
            problems.add(f"{key} 应为有限的正数，实际为 {data[key]!r}（不能是 NaN 或无穷大）", file=file, field=key)
    for g in data.get("grades") or []:
        if isinstance(g, dict) and isinstance(g.get("min"), float) and not is_finite(g["min"]):
            problems.add(f"等次「{g.get('name')}」的下限应为有限的数字，实际为 {g['min']!r}", file=file, field="grades")
    problems.raise_if_any()
    problems.extend(_schema_problems(data, file))
    problems.raise_if_any()

    seen_codes: dict[str, str] = {}

    def build(raw: dict[str, Any], parent: IndicatorNode | None, level: int, inherited_kind: str) -> IndicatorNode:
        code = str(raw["code"]).strip() if raw.get("code") is not None else None
        node = IndicatorNode(name=str(raw["name"]).strip(), code=code, level=level, parent=parent)
        where = {"file": file, "indicator": code or node.name}
        if code:
            if code in seen_codes:
                problems.add(f"指标编码重复（与「{seen_codes[code]}」相同）", field="code", **where)
            seen_codes[code] = node.name
        if "points" in raw:
            try:
                node.points = parse_number(raw["points"], "points")
            except RuleError as e:
                problems.add(str(e), field="points", **where)
        node.declared_kind = raw.get("kind")
        node.kind = node.declared_kind or inherited_kind
        if node.declared_kind and inherited_kind != "normal" and node.declared_kind != inherited_kind:
            problems.add(f"类型 {node.declared_kind} 与上级的 {inherited_kind} 矛盾", field="kind", **where)
        if "applies" in raw:
            node.applies = str(raw["applies"]).lower() if isinstance(raw["applies"], bool) else raw["applies"]
            node.applies_ast = _parse_expr(node.applies, "applies", problems, where)
        if "classes" in raw:
            node.classes = tuple(raw["classes"])
        if "veto" in raw:
            node.veto = raw["veto"]
            node.veto_ast = _parse_expr(node.veto, "veto", problems, where)
            if not code:
                problems.add("带否决条件的节点必须有编码（否决输入按编码报送）", field="veto", **where)
        node.info = {k: str(raw[k]) for k in DESCRIPTIVE if raw.get(k) is not None}
        node.extra = {k: v for k, v in raw.items() if str(k).startswith("x-")}
        children = raw.get("children") or []
        if children:
            if "rule" in raw:
                problems.add("有下级指标的节点不能有评分规则（rule 只写在叶子上）", field="rule", **where)
            node.children = [build(c, node, level + 1, node.kind) for c in children]
        else:
            if not code:
                problems.add("叶子指标必须有编码（code），输入数据用它定位", field="code", **where)
            if node.points is None:
                problems.add("叶子指标必须有分值（points）", field="points", **where)
            elif node.points <= 0:
                problems.add(f"分值应大于 0，实际为 {raw.get('points')!r}", field="points", **where)
            if "rule" not in raw:
                problems.add("叶子指标必须有评分规则（rule）；无法计算的写 {type: manual}", field="rule", **where)
            else:
                try:
                    node.rule = build_rule(raw["rule"])
                except RuleError as e:
                    problems.add(str(e), field=e.field, **where)
                else:
                    names = [d.name for d in node.rule.inputs(node.points or 0)]
                    dup = {n for n in names if names.count(n) > 1}
                    if dup:
                        problems.add(f"同一指标内输入名称重复：{'、'.join(sorted(dup))}", field="rule", **where)
                    cap = node.rule.max_points()
                    if cap is not None and node.points is not None and cap > node.points + 1e-9:
                        problems.add(f"规则最高可得 {cap:g} 分，超过本指标分值 {node.points:g}", field="rule", **where)
        return node

    roots = [build(r, None, 1, r.get("kind") or "normal") for r in data["indicators"]]
    total = float(data["total"])
    grades = [Grade(str(g["name"]), float(g["min"])) for g in data.get("grades") or []]
    if any(grades[i].min <= grades[i + 1].min for i in range(len(grades) - 1)):
        problems.add("等次应自高到低排列，下限严格递减", file=file, field="grades")
    system = IndicatorSystem(
        id=str(data["id"]), name=str(data["name"]), total=total, scale=float(data.get("scale", total)),
        indicators=roots, description=data.get("description"), precision=int(data.get("precision", 2)),
        missing=str(data.get("missing", "zero")), grades=grades,
        classes=tuple(data["classes"]) if "classes" in data else None,
        veto=data.get("veto"), version=str(data["version"]) if data.get("version") is not None else None,
        labels={str(k): str(v) for k, v in (data.get("labels") or {}).items()},
        cap=float(data["cap"]) if data.get("cap") is not None else None,
        bonus_above=float(data["bonus_above"]) if data.get("bonus_above") is not None else None,
    )
    if system.veto:
        system.veto_ast = _parse_expr(system.veto, "veto", problems, {"file": file, "indicator": system.id})
    if system.id in seen_codes:
        problems.add("指标编码不能与体系 id 相同（根否决输入使用体系 id）", file=file, indicator=system.id, field="code")
    problems.raise_if_any()
    return system


def _parse_expr(text: Any, field_name: str, problems: ProblemCollector, where: dict[str, Any]) -> ex.Node | None:
    try:
        return ex.parse(str(text))
    except ex.ExprError as e:
        problems.add(f"表达式无法解析：{e}", field=field_name, **where)
        return None


@dataclass
class CheckReport:
    system: IndicatorSystem
    problems: list[Problem] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_system(system: IndicatorSystem) -> CheckReport:
    """Structural checks beyond loading: sums, caps, consistent inputs. Returns a summary and problems."""
    report = CheckReport(system)
    p = report.problems
    leaves = system.leaves()
    normal = [n for n in leaves if n.kind == "normal"]
    bonus = [n for n in leaves if n.kind == "bonus"]
    penalty = [n for n in leaves if n.kind == "penalty"]
    weighted = sum(n.points or 0 for n in normal)
    if abs(weighted - system.total) > 1e-6:
        p.append(Problem(f"常规叶子指标分值合计 {weighted:g}，与 total {system.total:g} 不符", file=system.path, field="total"))
    for node in system.nodes():
        if node.is_leaf or node.points is None:
            continue
        s = sum(_subtotal(c) for c in node.children if c.kind == node.kind)
        if node.kind == "normal" and abs(s - node.points) > 1e-6:
            p.append(Problem(f"下级指标分值合计 {s:g}，与声明的小计 {node.points:g} 不符", file=system.path,
                             indicator=node.code or node.name, field="points"))
    for node in bonus + penalty:
        if node.points is None:
            p.append(Problem("加分/减分项必须写上限（points）", indicator=node.code, field="points"))
    kinds_by_name: dict[str, set[str]] = {}
    for spec in system.inputs():
        kinds_by_name.setdefault(spec.input, set()).add(spec.kind)
    first_level = [{"code": r.code, "name": r.name, "points": _subtotal(r), "kind": r.kind} for r in system.indicators]
    rule_counts: dict[str, int] = {}
    for n in leaves:
        if n.rule:
            rule_counts[n.rule.type] = rule_counts.get(n.rule.type, 0) + 1
    report.summary = {
        "id": system.id, "name": system.name, "total": system.total, "scale": system.scale,
        "levels": max(n.level for n in system.nodes()), "nodes": len(system.nodes()),
        "leaves": len(normal), "weighted_points": round(weighted, 6),
        "bonus": [{"code": n.code, "name": n.name, "cap": n.points} for n in bonus],
        "penalty": [{"code": n.code, "name": n.name, "cap": n.points} for n in penalty],
        "first_level": first_level, "rules": dict(sorted(rule_counts.items())),
        "inputs": len(system.inputs()),
        "conditional": sum(1 for n in system.nodes() if n.applies or n.classes),
        "manual": _manual_summary(system, normal),
    }
    return report


def _manual_summary(system: IndicatorSystem, normal: list[IndicatorNode]) -> dict[str, Any]:
    """How much of the system an expert types in (rule manual), and why each such leaf is manual."""
    manual = [n for n in system.leaves() if n.rule is not None and n.rule.type == "manual"]
    weighted = [n for n in manual if n.kind == "normal"]
    points = sum(n.points or 0 for n in weighted)
    total = sum(n.points or 0 for n in normal)
    return {
        "leaves": len(manual), "weighted_leaves": len(weighted), "weighted_points": round(points, 6),
        "share_of_leaves": round(len(weighted) / len(normal), 4) if normal else 0.0,
        "share_of_points": round(points / total, 4) if total else 0.0,
        "items": [{"code": n.code, "name": n.name, "points": n.points, "kind": n.kind, "reason": n.manual_reason}
                  for n in manual],
    }


def _subtotal(node: IndicatorNode) -> float:
    if node.is_leaf:
        return node.points or 0.0
    if node.kind != "normal" and node.points is not None:
        return node.points
    return sum(_subtotal(c) for c in node.children if c.kind == node.kind)


def dump_yaml(system: IndicatorSystem) -> str:
    return yaml.safe_dump(system.to_dict(), allow_unicode=True, sort_keys=False, width=120)
