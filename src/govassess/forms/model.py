"""Survey form definitions: YAML → typed, validated objects (format in docs/forms.md)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from govassess import safe_yaml
from govassess.errors import Problem, UserError
from govassess.forms.patterns import pattern_problem

FIELD_TYPES = (
    "text",
    "choice",
    "number",
    "integer",
    "date",
    "year",
    "credit_code",
    "uscc",
    "org_code",
    "id_card",
    "phone",
)
RULE_TYPES = (
    "sum_equals",
    "order",
    "requires_if",
    "forbidden_value",
    "notice_value",  # accepted, with a notice; ``exclude: true`` keeps the row out of counts and screening
    "allowed_if",
    "unique",
    "exists_in",
)
# Names a rule or a bound may use instead of a field: the survey cut-off date and its year.
SPECIAL_VALUES = ("cutoff", "cutoff_year")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool = False
    note: str | None = None
    options: tuple[str, ...] = ()
    aliases: dict[str, str] = dc_field(default_factory=dict)
    unit: str | None = None
    decimals: int | None = None
    min: float | None = None
    max: Any = None  # a number, or "cutoff" / "cutoff_year"
    pattern: str | None = None
    pattern_message: str | None = None

    @property
    def header(self) -> str:
        """The column header written into templates: ``*名称（单位）``."""
        unit = f"（{self.unit}）" if self.unit else ""
        return f"{'*' if self.required else ''}{self.name}{unit}"


@dataclass(frozen=True)
class Rule:
    type: str
    spec: dict[str, Any]
    message: str | None = None

    def fields(self) -> list[str]:
        """Every field name the rule refers to (for checking the definition)."""
        s = self.spec
        names: list[str] = []
        for key in ("field", "total"):
            if key in s:
                names.append(s[key])
        for key in ("parts", "fields"):
            names += list(s.get(key, []))
        for key in ("when", "unless"):
            names += list((s.get(key) or {}).keys())
        return [n for n in names if n not in SPECIAL_VALUES]


@dataclass(frozen=True)
class Sheet:
    id: str
    name: str
    fields: tuple[Field, ...]
    rules: tuple[Rule, ...] = ()
    note: str | None = None
    key: tuple[str, ...] = ()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class SummaryColumn:
    name: str
    agg: str  # count | sum
    sheet: str
    field: str | None = None
    where: dict[str, Any] = dc_field(default_factory=dict)
    unit: str | None = None
    # Count the rows left out of the summary (停用 systems) instead of the counted ones.
    excluded: bool = False


@dataclass(frozen=True)
class Separation:
    """Rows that must be filed in separate workbooks: each value of ``field`` (in ``sheets``) belongs to at
    most one group; one workbook may hold rows of one group only. Values in no group are neutral."""

    field: str
    sheets: tuple[str, ...]
    groups: dict[str, tuple[str, ...]]
    message: str | None = None
    offline: str | None = None  # the group that must never be uploaded to the networked platform (涉密)

    def group_of(self, value: Any) -> str | None:
        for name, values in self.groups.items():
            if value in values:
                return name
        return None


@dataclass(frozen=True)
class Form:
    id: str
    name: str
    sheets: tuple[Sheet, ...]
    cutoff: dt.date
    summary_name: str = "汇总表"
    summary: tuple[SummaryColumn, ...] = ()
    description: str | None = None
    source: str | None = None
    separate_by: Separation | None = None

    def sheet(self, sheet_id: str) -> Sheet:
        for s in self.sheets:
            if s.id == sheet_id:
                return s
        raise KeyError(sheet_id)

    def sheet_by_name(self, name: str) -> Sheet | None:
        for s in self.sheets:
            if s.name == name:
                return s
        return None

    def with_cutoff(self, cutoff: dt.date) -> Form:
        from dataclasses import replace

        return replace(self, cutoff=cutoff)


def _definitions_dir():
    return resources.files("govassess.forms") / "definitions"


def list_forms() -> list[tuple[str, str]]:
    """Built-in forms as (id, name)."""
    out = []
    for entry in sorted(_definitions_dir().iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text(encoding="utf-8"))
            out.append((data["id"], data["name"]))
    return out


def load_form(ref: str | Path = "info-system-survey") -> Form:
    """Load a built-in form by id, or a form YAML file by path. Raises a located UserError."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.exists():
            raise UserError(f"找不到表单定义文件：{ref}")
        text = safe_yaml.read_text(path)
        name = str(path)
    else:
        entry = _definitions_dir() / f"{ref}.yaml"
        if not entry.is_file():
            known = "、".join(i for i, _ in list_forms())
            raise UserError(f"没有名为 {ref} 的内置表单（可用：{known}）")
        text = entry.read_text(encoding="utf-8")
        name = f"{ref}.yaml"
    return form_from_dict(safe_yaml.load_yaml(text, file=name), file=name)


def _rule_shape(spec: dict[str, Any]) -> str | None:
    """What is wrong with the shape of a rule's parameters (field names are text, lists are lists …), if anything."""
    for key in ("field", "total", "sheet", "target"):
        if key in spec and not isinstance(spec[key], str):
            return f"{key} 应为字段名称（文字），实际是{_kind(spec[key])}"
    for key in ("parts", "fields"):
        if key in spec and not (isinstance(spec[key], list) and all(isinstance(x, str) for x in spec[key])):
            return f"{key} 应为字段名称列表，实际是{_kind(spec[key])}"
    for key in ("when", "unless"):
        if spec.get(key) is not None and not (isinstance(spec[key], dict) and all(isinstance(k, str) for k in spec[key])):
            return f"{key} 应为映射（字段: 取值），实际是{_kind(spec[key])}"
    return None


def _kind(value: Any) -> str:
    return {list: "列表", dict: "映射", str: "一段文字", int: "数字", float: "数字", bool: "是/否", dt.date: "日期"}.get(
        type(value), "其他内容"
    )


def form_from_dict(data: Any, *, file: str | None = None) -> Form:
    problems: list[Problem] = []

    def bad(msg: str, **where: Any) -> None:
        problems.append(Problem(msg, file=file, **where))

    if not isinstance(data, dict):
        raise UserError("表单定义的顶层应为映射（id、name、sheets …）", file=file)
    for key in ("id", "name", "sheets", "cutoff"):
        if key not in data:
            bad(f"缺少必填项 {key}")
    if problems:
        raise UserError(problems=problems)
    cutoff = data["cutoff"]
    if isinstance(cutoff, str):
        try:
            cutoff = dt.date.fromisoformat(cutoff)
        except ValueError:
            bad(f"cutoff 应为日期（如 2017-12-31），实际为 {cutoff!r}")
            cutoff = dt.date(2000, 1, 1)
    choices = data.get("choices") or {}
    if not isinstance(choices, dict):
        bad(f"choices 应为映射（选项集名称: [选项, …]），实际是{_kind(choices)}", field="choices")
        choices = {}
    if not isinstance(data["sheets"], list) or not all(isinstance(sd, dict) for sd in data["sheets"]):
        raise UserError("sheets 应为子表列表，每个子表是一个映射（id、name、fields …）", file=file, field="sheets")
    sheets: list[Sheet] = []
    seen_ids: set[str] = set()
    for sd in data["sheets"]:
        sid = str(sd.get("id", ""))
        sname = str(sd.get("name", sid))
        if not sid or sid in seen_ids:
            bad(f"子表 id 缺失或重复：{sid!r}", sheet=sname)
        seen_ids.add(sid)
        fields: list[Field] = []
        raw_fields = sd.get("fields") or []
        if not isinstance(raw_fields, list) or not all(isinstance(fd, dict) for fd in raw_fields):
            bad("fields 应为字段列表，每个字段是一个映射（name、type …）", sheet=sname, field="fields")
            raw_fields = []
        for fd in raw_fields:
            fname = str(fd.get("name", ""))
            ftype = fd.get("type", "text")
            if ftype not in FIELD_TYPES:
                bad(f"未知的字段类型 {ftype}（可用：{'、'.join(FIELD_TYPES)}）", sheet=sname, field=fname)
            pattern = fd.get("pattern")
            if pattern is not None:
                try:
                    re.compile(str(pattern))
                except re.error as e:
                    at = f"第 {e.pos + 1} 个字符附近" if e.pos is not None else ""
                    bad(f"pattern「{pattern}」不是有效的正则表达式（{at}有误，如括号未闭合、量词 * + ? 前没有内容）",
                        sheet=sname, field=fname)
                    pattern = None
                else:
                    why = pattern_problem(str(pattern))
                    if why:
                        shown_pattern = str(pattern) if len(str(pattern)) <= 60 else str(pattern)[:60] + "…"
                        bad(f"pattern「{shown_pattern}」{why}", sheet=sname, field=fname)
                        pattern = None
            for key in ("min", "max", "decimals"):
                value = fd.get(key)
                if value is not None and not isinstance(value, int | float | str | dt.date) or isinstance(value, bool):
                    bad(f"{key} 应为数字（或日期），实际是{_kind(value)}", sheet=sname, field=fname)
            options = fd.get("options") or ()
            if not isinstance(options, str | list | tuple):
                bad(f"options 应为选项列表或选项集名称，实际是{_kind(options)}", sheet=sname, field=fname)
                options = ()
            if isinstance(options, str):
                if options not in choices:
                    bad(f"未定义的选项集 {options}", sheet=sname, field=fname)
                options = choices.get(options, ())
                if not isinstance(options, list | tuple):
                    bad(f"选项集应为选项列表，实际是{_kind(options)}", sheet=sname, field=fname)
                    options = ()
            if ftype == "choice" and not options:
                bad("下拉字段须列出选项 options", sheet=sname, field=fname)
            raw_aliases = fd.get("aliases") or {}
            if not isinstance(raw_aliases, dict):
                bad(f"aliases 应为映射（别名: 选项），实际是{_kind(raw_aliases)}", sheet=sname, field=fname)
                raw_aliases = {}
            aliases = {str(k): str(v) for k, v in raw_aliases.items()}
            for target in aliases.values():
                if target not in options:
                    bad(f"别名指向了不存在的选项 {target}", sheet=sname, field=fname)
            fields.append(
                Field(
                    name=fname,
                    type=ftype,
                    required=bool(fd.get("required", False)),
                    note=fd.get("note"),
                    options=tuple(str(o) for o in options),
                    aliases=aliases,
                    unit=fd.get("unit"),
                    decimals=fd.get("decimals"),
                    min=fd.get("min"),
                    max=fd.get("max"),
                    pattern=str(pattern) if pattern is not None else None,
                    pattern_message=fd.get("pattern_message"),
                )
            )
        names = [f.name for f in fields]
        if len(set(names)) != len(names):
            bad("字段名称重复", sheet=sname)
        rules: list[Rule] = []
        raw_rules = sd.get("rules") or []
        if not isinstance(raw_rules, list) or not all(isinstance(rd, dict) for rd in raw_rules):
            bad("rules 应为规则列表，每条规则是一个映射（type …）", sheet=sname, field="rules")
            raw_rules = []
        for rd in raw_rules:
            rtype = rd.get("type")
            spec = {k: v for k, v in rd.items() if k not in ("type", "message")}
            shape = _rule_shape(spec)
            if shape:
                bad(f"规则 {rtype}：{shape}", sheet=sname, field="rules")
                continue
            rule = Rule(type=str(rtype), spec=spec, message=rd.get("message"))
            if rtype not in RULE_TYPES:
                bad(f"未知的规则类型 {rtype}（可用：{'、'.join(RULE_TYPES)}）", sheet=sname)
                continue
            for ref in rule.fields():
                if ref not in names:
                    bad(f"规则 {rtype} 引用了不存在的字段 {ref}", sheet=sname)
            rules.append(rule)
        sheets.append(
            Sheet(
                id=sid,
                name=sname,
                fields=tuple(fields),
                rules=tuple(rules),
                note=sd.get("note"),
                key=tuple(sd.get("key") or ()),
            )
        )
    by_id = {s.id: s for s in sheets}
    for s in sheets:
        for r in s.rules:
            if r.type == "exists_in":
                target_sheet = by_id.get(str(r.spec.get("sheet")))
                if target_sheet is None or r.spec.get("target") not in [f.name for f in target_sheet.fields]:
                    bad(f"exists_in 规则指向了不存在的子表或字段：{r.spec}", sheet=s.name)
    summary = data.get("summary") or {}
    if not isinstance(summary, dict):
        bad(f"summary 应为映射（name、columns），实际是{_kind(summary)}", field="summary")
        summary = {}
    columns: list[SummaryColumn] = []
    for i, cd in enumerate(summary.get("columns") or [], 1):
        if not isinstance(cd, dict) or "name" not in cd or "sheet" not in cd or not isinstance(cd.get("where") or {}, dict):
            bad("汇总列应为映射，至少有 name 与 sheet（where 为映射）", sheet=str(summary.get("name", "汇总表")),
                field=f"columns[{i}]")
            continue
        col = SummaryColumn(
            name=str(cd["name"]),
            agg=str(cd.get("agg", "count")),
            sheet=str(cd["sheet"]),
            field=str(cd["field"]) if cd.get("field") is not None else None,
            where=dict(cd.get("where") or {}),
            unit=str(cd["unit"]) if cd.get("unit") is not None else None,
            excluded=bool(cd.get("excluded", False)),
        )
        if col.sheet not in by_id or col.agg not in ("count", "sum") or (col.agg == "sum" and not col.field):
            bad(f"汇总列定义有误：{col.name}", sheet=summary.get("name", "汇总表"))
        columns.append(col)
    separation = _separation(data.get("separate_by"), by_id, bad)
    if problems:
        raise UserError(problems=problems)
    return Form(
        id=str(data["id"]),
        name=str(data["name"]),
        sheets=tuple(sheets),
        cutoff=cutoff,
        summary_name=str(summary.get("name", "汇总表")),
        summary=tuple(columns),
        description=data.get("description"),
        source=data.get("source"),
        separate_by=separation,
    )


def _separation(spec: Any, by_id: dict[str, Sheet], bad: Any) -> Separation | None:
    if spec is None:
        return None
    if not isinstance(spec, dict) or not spec.get("field") or not isinstance(spec.get("groups"), dict):
        bad("separate_by 应为映射，含 field（字段）、sheets（子表）、groups（分组 → 取值列表）")
        return None
    field_name = str(spec["field"])
    sheets = tuple(str(s) for s in spec.get("sheets") or by_id)
    for sid in sheets:
        sheet = by_id.get(sid)
        if sheet is None:
            bad(f"separate_by 引用了不存在的子表 {sid}")
        elif field_name not in [f.name for f in sheet.fields]:
            bad(f"separate_by 的字段 {field_name} 不在子表中", sheet=sheet.name)
    groups: dict[str, tuple[str, ...]] = {}
    seen: dict[str, str] = {}
    for name, values in spec["groups"].items():
        values = tuple(str(v) for v in (values if isinstance(values, list) else [values]))
        for v in values:
            if v in seen:
                bad(f"separate_by 的取值 {v} 同时属于分组 {seen[v]} 和 {name}")
            seen[v] = str(name)
        groups[str(name)] = values
    if len(groups) < 2:
        bad("separate_by 至少需要两个分组")
    offline = spec.get("offline")
    if offline is not None and str(offline) not in groups:
        bad(f"separate_by 的 offline 应为分组之一（{'、'.join(groups)}），实际为 {offline}")
    return Separation(
        field=field_name,
        sheets=sheets,
        groups=groups,
        message=spec.get("message"),
        offline=None if offline is None else str(offline),
    )
