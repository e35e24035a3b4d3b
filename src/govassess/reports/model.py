"""The one report model behind the 通报, the 成绩单 and the 评估报告.

Built from a round's results dict (``govassess score … --out r.json``), the indicator system the round was
scored with and, optionally, the previous round's results. Every renderer (Word, and PDF converted from
it) reads only this model, so the documents say the same thing and carry the numbers the results file
carries: scores are taken as the results file has them, and the few figures computed here (class
averages, changes since the previous round) are rounded with the scoring engine's own rounding function
to the system's precision, then shown with that many decimals as the results workbook does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from govassess.errors import UserError
from govassess.indicators.model import IndicatorNode, IndicatorSystem
from govassess.reports.rectification import Rectification, RectificationOutcome, outcome
from govassess.scoring.engine import _round as round_score  # the rounding the results file was written with

SHANGHAI = ZoneInfo("Asia/Shanghai")

RULE_NAMES = {
    "ratio": "比率计分", "bands": "分档计分", "per_item": "按项计分", "deduct": "扣分", "choice": "选项计分",
    "checklist": "清单计分", "rank": "按名次计分", "relative": "与同类最好值比较", "formula": "公式计分",
    "manual": "人工评分", "external": "外部评分",
}
KIND_NAMES = {"normal": "常规", "bonus": "加分项", "penalty": "减分项"}
NO_LEAD = "未指定牵头科室"
# Characters XML 1.0 forbids: a stray control character in a note or a name would make the .docx unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: object) -> str:
    return _NOT_XML.sub("", str(text))


@dataclass
class IndicatorScore:
    """One indicator (first or second level) of one unit, against its class."""

    code: str
    name: str
    kind: str
    points: float | None
    score: float | None
    applicable: bool
    class_average: float | None
    class_best: float | None
    previous: float | None = None
    change: float | None = None
    children: list[IndicatorScore] = field(default_factory=list)


@dataclass
class LostPoint:
    code: str
    name: str
    lost: float
    reason: str
    lead: str | None
    criteria: str | None
    first_level: str  # the first-level indicator's name


@dataclass
class SuggestionGroup:
    heading: str  # the 牵头科室, or the first-level indicator when the system names none
    items: list[LostPoint]


@dataclass
class UnitReport:
    code: str
    name: str
    label: str  # what documents print: the name, or the code when anonymised
    cls: str
    score: float | None
    weighted: float | None
    bonus: float | None
    penalty: float | None
    rank: int | None
    tied: bool
    class_size: int
    grade: str | None
    vetoed: bool
    first_level: list[IndicatorScore]
    lost: list[LostPoint]
    suggestions: list[SuggestionGroup]
    missing: list[dict[str, str]]
    previous_score: float | None = None
    previous_rank: int | None = None
    change: float | None = None
    rank_change: int | None = None  # positive: moved up
    # The previous round's 整改任务 of this unit and whether each indicator improved (build_model's rectification)
    rectification: list[RectificationOutcome] = field(default_factory=list)

    @property
    def rank_text(self) -> str:
        if self.rank is None:
            return "—"
        return f"并列第{self.rank}" if self.tied else f"第{self.rank}"


@dataclass
class ClassSection:
    name: str
    units: list[UnitReport]  # ranking order
    average: float | None
    best: float | None
    lowest: float | None
    leading: list[UnitReport]
    lagging: list[UnitReport]
    first_level_averages: dict[str, float | None]


@dataclass
class Weakness:
    code: str
    name: str
    units: int  # how many units lost points on it
    applicable: int  # out of how many it applies to
    average_lost: float


@dataclass
class IndicatorSection:
    """One first-level indicator across all units: who did well, common weaknesses."""

    code: str
    name: str
    points: float | None
    kind: str
    per_class: list[tuple[str, float | None, float | None, list[UnitReport]]]  # class, average, best, top units
    full_marks: int
    applicable: int
    weaknesses: list[Weakness]


@dataclass
class SystemRow:
    code: str
    name: str
    level: int
    points: float | None
    kind: str
    rule: str
    criteria: str
    source: str
    lead: str


@dataclass
class ReportModel:
    system_id: str
    system_name: str
    round: str
    previous_round: str | None
    precision: int
    grades: list[tuple[str, float]]
    first_levels: list[tuple[str, str, float | None, str]]  # code, name, points, kind
    classes: list[ClassSection]
    units: list[UnitReport]
    indicator_sections: list[IndicatorSection]
    system_rows: list[SystemRow]
    sources: list[str]
    has_leads: bool
    anonymised: bool
    reader: str | None
    warnings: list[str]
    locked_at: dt.datetime | None = None  # when the results were made final (the round's lock), aware
    has_rectification: bool = False  # a rectification mapping was given: the 成绩单 has a 上轮整改情况 section

    @property
    def locked_text(self) -> str | None:
        """The line every document prints under its title: which final results it is based on."""
        if self.locked_at is None:
            return None
        return f"本文件依据 {self.locked_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M} 定稿的评估结果"

    def fmt(self, value: float | None) -> str:
        """A score as the results workbook shows it (fixed decimals at the system's precision)."""
        return "—" if value is None else f"{value:.{self.precision}f}"

    def fmt_change(self, value: float | None) -> str:
        if value is None:
            return "—"
        text = f"{value:+.{self.precision}f}"
        return text.replace("+0." + "0" * self.precision, "0." + "0" * self.precision).replace(
            "-0." + "0" * self.precision, "0." + "0" * self.precision)

    def units_in_ranking_order(self) -> list[UnitReport]:
        return [u for c in self.classes for u in c.units]

    def unit(self, code: str) -> UnitReport:
        for u in self.units:
            if u.code == code:
                return u
        raise UserError(f"结果中没有单位 {code}", field="--unit")


_NUM_OR_NULL = {"type": ["number", "null"]}
_TEXT_OR_NULL = {"type": ["string", "null"]}


def _report_schema() -> dict[str, Any]:
    """What the documents read of a `govassess score` result, beyond what combine checks (RESULT_SCHEMA):
    per-unit scores, ranks and indicator entries, each a number where a number is computed with."""
    import copy

    from govassess.scoring.combine import RESULT_SCHEMA

    schema = copy.deepcopy(RESULT_SCHEMA)
    schema["properties"]["system"]["properties"]["name"] = _TEXT_OR_NULL
    schema["properties"]["indicators"] = {
        "type": ["array", "null"],
        "items": {"type": "object", "required": ["code"], "properties": {"code": {"type": ["string", "number"]}}},
    }
    schema["properties"]["warnings"] = {"type": ["array", "null"]}
    schema["properties"]["units"]["items"]["properties"].update({
        "weighted": _NUM_OR_NULL,
        "bonus": _NUM_OR_NULL,
        "penalty": _NUM_OR_NULL,
        "rank": {"type": ["integer", "null"], "minimum": 1},
        "grade": _TEXT_OR_NULL,
        "vetoed": {"type": ["boolean", "null"]},
        "missing": {"type": ["array", "null"]},
        "indicators": {
            "type": ["object", "null"],
            "additionalProperties": {
                "type": "object",
                "properties": {"score": _NUM_OR_NULL, "points": _NUM_OR_NULL,
                               "applicable": {"type": "boolean"}, "explanation": _TEXT_OR_NULL},
            },
        },
        "lost": {
            "type": ["array", "null"],
            "items": {"type": "object", "properties": {"indicator": {"type": ["string", "number"]},
                                                       "name": _TEXT_OR_NULL, "lost": _NUM_OR_NULL,
                                                       "reason": _TEXT_OR_NULL}},
        },
    })
    return schema


REPORT_SCHEMA = _report_schema()


def read_results(path: str, *, what: str = "结果 JSON") -> dict[str, Any]:
    """A `govassess score` results file for the documents: parsed with docs/limits.md's JSON limits and its shape
    checked (a hand-edited file with 「八十」 for a score is refused naming ``units[2].score``, not a traceback)."""
    from govassess import json_input

    data = json_input.load_json(path, what=what)
    if isinstance(data, dict) and isinstance(data.get("rounds"), list):
        raise UserError("这是多轮合并结果（combine 的输出），没有各指标得分；请使用某一轮 score 的结果 JSON 生成文档",
                        file=path)
    if not isinstance(data, dict) or "units" not in data or "system" not in data:
        raise UserError(f"不是 govassess score 输出的结果 JSON（缺少 system / units）：{what}", file=path)
    json_input.check_shape(data, REPORT_SCHEMA, file=path, what=what)
    return data


def _check_results(results: Any, system: IndicatorSystem, what: str, file: str | None) -> None:
    if not isinstance(results, dict) or not isinstance(results.get("units"), list) or "system" not in results:
        raise UserError(f"不是 govassess score 输出的结果 JSON（缺少 system / units）：{what}", file=file)
    sid = (results.get("system") or {}).get("id")
    if sid != system.id:
        raise UserError(f"{what}来自指标体系「{sid}」，与 --system 指定的「{system.id}」不一致", file=file)


def build_model(results: dict[str, Any], system: IndicatorSystem, *, previous: dict[str, Any] | None = None,
                anonymise: bool = False, reader: str | None = None, results_file: str | None = None,
                previous_file: str | None = None, locked_at: dt.datetime | None = None,
                rectification: Rectification | None = None) -> ReportModel:
    """The report model of one scored round (``previous``: the round before, for changes; ``locked_at``: when
    its results were made final — a naive time is read as Asia/Shanghai, the office's clock; ``rectification``:
    unit code → the previous round's 整改任务 of that unit, for the 成绩单's 上轮整改情况)."""
    if locked_at is not None and locked_at.tzinfo is None:
        locked_at = locked_at.replace(tzinfo=SHANGHAI)
    _check_results(results, system, "结果文件", results_file)
    if isinstance(results.get("rounds"), list):
        raise UserError("这是多轮合并结果（combine 的输出），没有各指标得分；请使用某一轮 score 的结果 JSON 生成文档",
                        file=results_file)
    if previous is not None:
        _check_results(previous, system, "上一轮结果文件（--previous）", previous_file)
    digits = int((results.get("system") or {}).get("precision", system.precision))
    raw_units: list[dict[str, Any]] = results["units"]
    if not raw_units:
        raise UserError("结果文件中没有任何单位", file=results_file)
    codes = [str(u.get("unit")) for u in raw_units]
    if reader is not None and reader not in codes:
        raise UserError(f"结果中没有单位 {reader}（可选：{'、'.join(codes[:20])}{'……' if len(codes) > 20 else ''}）",
                        field="--unit", file=results_file)

    nodes = {n.code: n for n in system.nodes() if n.code}
    listed = {str(i.get("code")) for i in results.get("indicators") or []}
    first = [n for n in _first_level_nodes(system) if n.code in listed]
    has_leads = any(n.info.get("lead") for n in system.leaves())

    by_class: dict[str, list[dict[str, Any]]] = {}
    for u in raw_units:
        by_class.setdefault(clean(u.get("class") or "未分类"), []).append(u)

    # Class statistics of every listed indicator (first and second level) and of the total.
    stats: dict[tuple[str, str], tuple[float | None, float | None]] = {}
    for cls, members in by_class.items():
        for code in listed:
            values = [e["score"] for m in members
                      if (e := (m.get("indicators") or {}).get(code)) and e.get("applicable", True)
                      and e.get("score") is not None]
            stats[(cls, code)] = _avg_best(values, digits)

    prev_units = {str(u.get("unit")): u for u in (previous or {}).get("units") or []}
    # How many units of a class share a rank (a tie): counted once, not per unit (3,000 units in one class).
    rank_counts = Counter((clean(u.get("class") or "未分类"), u.get("rank")) for u in raw_units)
    models: list[UnitReport] = []
    for u in raw_units:
        cls = clean(u.get("class") or "未分类")
        code = str(u.get("unit"))
        peers = by_class[cls]
        per = u.get("indicators") or {}
        prev = prev_units.get(code)
        prev_per = (prev or {}).get("indicators") or {}
        level1 = [_indicator(n, per, prev_per, stats, cls, digits, listed) for n in first]
        lost = [lost_point(item, nodes) for item in u.get("lost") or []]
        rank = u.get("rank")
        label = clean(u.get("name") or code)
        if anonymise and code != reader:
            label = clean(code)
        unit = UnitReport(
            code=code, name=clean(u.get("name") or code), label=label, cls=cls,
            score=u.get("score"), weighted=u.get("weighted"), bonus=u.get("bonus"), penalty=u.get("penalty"),
            rank=rank, tied=rank is not None and rank_counts[(cls, rank)] > 1,
            class_size=len(peers), grade=u.get("grade"), vetoed=bool(u.get("vetoed")),
            first_level=level1, lost=lost, suggestions=_suggestions(lost, has_leads), missing=list(u.get("missing") or []),
        )
        if prev is not None:
            unit.previous_score, unit.previous_rank = prev.get("score"), prev.get("rank")
            if unit.score is not None and unit.previous_score is not None:
                unit.change = round_score(unit.score - unit.previous_score, digits)
            if rank is not None and unit.previous_rank is not None:
                unit.rank_change = int(unit.previous_rank) - int(rank)
        if rectification is not None:
            unit.rectification = [_clean_outcome(outcome(t, per, prev_per if prev is not None else None, digits,
                                                         name=nodes[t.indicator].name if t.indicator in nodes else None))
                                  for t in rectification.get(code) or []]
        models.append(unit)

    sections = []
    for cls in by_class:
        in_class = [m for m in models if m.cls == cls]
        ranked = _ranking_order(in_class)
        avg, best = _avg_best([m.score for m in in_class if m.score is not None], digits)
        lowest = min((m.score for m in in_class if m.score is not None), default=None)
        leading, lagging = _ends(ranked)
        sections.append(ClassSection(cls, ranked, avg, best, lowest, leading, lagging,
                                     {str(n.code): stats[(cls, str(n.code))][0] for n in first}))

    return ReportModel(
        system_id=system.id, system_name=str((results.get("system") or {}).get("name") or system.name),
        round=str(results.get("round") or "本轮"),
        previous_round=(str(previous.get("round") or "上一轮") if previous is not None else None),
        precision=digits,
        grades=[(str(g.get("name")), float(g.get("min"))) for g in (results.get("system") or {}).get("grades") or []],
        first_levels=[(str(n.code), n.name, n.points, n.kind) for n in first],
        classes=sections, units=models,
        indicator_sections=[_indicator_section(n, models, sections, raw_units, digits, nodes) for n in first],
        system_rows=_system_rows(system), sources=_sources(system), has_leads=has_leads,
        anonymised=anonymise, reader=reader, warnings=list(results.get("warnings") or []), locked_at=locked_at,
        has_rectification=rectification is not None,
    )


def _clean_outcome(o: RectificationOutcome) -> RectificationOutcome:
    o.name, o.status, o.requirement = clean(o.name), clean(o.status), clean(o.requirement)
    return o


def _first_level_nodes(system: IndicatorSystem) -> list[IndicatorNode]:
    """The first-level indicators: the roots, or the children of a single uncoded root group."""
    roots = list(system.indicators)
    out: list[IndicatorNode] = []
    for r in roots:
        if r.code:
            out.append(r)
        else:
            out.extend(c for c in r.children if c.code)
    return out


def _avg_best(values: list[float], digits: int) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return round_score(sum(values) / len(values), digits), max(values)


def _indicator(node: IndicatorNode, per: dict[str, Any], prev_per: dict[str, Any],
               stats: dict[tuple[str, str], tuple[float | None, float | None]], cls: str, digits: int,
               listed: set[str], depth: int = 1) -> IndicatorScore:
    code = str(node.code)
    entry = per.get(code) or {}
    applicable = bool(entry.get("applicable", True)) if entry else False
    score = entry.get("score") if applicable else None
    prev_entry = prev_per.get(code) or {}
    previous = prev_entry.get("score") if prev_entry.get("applicable", True) else None
    avg, best = stats.get((cls, code), (None, None))
    item = IndicatorScore(code, node.name, node.kind, entry.get("points", node.points), score, applicable, avg, best,
                          previous, round_score(score - previous, digits) if score is not None and previous is not None
                          else None)
    if depth == 1:
        item.children = [_indicator(c, per, prev_per, stats, cls, digits, listed, 2)
                         for c in node.children if c.code and not c.is_leaf and c.code in listed]
    return item


def lost_point(item: dict[str, Any], nodes: dict[str, IndicatorNode]) -> LostPoint:
    """One entry of a results unit's ``lost`` as the 成绩单 prints it (``nodes``: the system's nodes by code);
    the web platform's 整改 candidates are made with it too, without building the whole model."""
    code = str(item.get("indicator"))
    node = nodes.get(code)
    top = node
    while top is not None and top.parent is not None and top.parent.code:
        top = top.parent
    return LostPoint(code=code, name=clean(item.get("name") or (node.name if node else code)),
                     lost=float(item.get("lost") or 0), reason=clean(item.get("reason") or ""),
                     lead=(node.info.get("lead") if node else None) or None,
                     criteria=(node.info.get("criteria") if node else None) or None,
                     first_level=top.name if top is not None else "其他")


def _suggestions(lost: list[LostPoint], has_leads: bool) -> list[SuggestionGroup]:
    groups: dict[str, list[LostPoint]] = {}
    for item in lost:
        key = (item.lead or NO_LEAD) if has_leads else item.first_level
        groups.setdefault(key, []).append(item)
    # Largest total loss first: where the unit gains most from fixing.
    ordered = sorted(groups.items(), key=lambda kv: -sum(i.lost for i in kv[1]))
    return [SuggestionGroup(k, v) for k, v in ordered]


def _ranking_order(units: list[UnitReport]) -> list[UnitReport]:
    """By rank (unranked last), ties in the results' order — as the results workbook lists them."""
    return [u for _, u in sorted(enumerate(units), key=lambda p: (p[1].rank is None, p[1].rank or 0, p[0]))]


def _ends(ranked: list[UnitReport]) -> tuple[list[UnitReport], list[UnitReport]]:
    """The leading and lagging units of a class: a third of it, at most three, ties at the edge included."""
    scored = [u for u in ranked if u.rank is not None]
    if len(scored) < 2:
        return scored, []
    k = min(3, max(1, len(scored) // 3))
    top_rank = scored[k - 1].rank
    leading = [u for u in scored if u.rank is not None and top_rank is not None and u.rank <= top_rank]
    bottom_rank = scored[-k].rank
    lagging = [u for u in scored if u.rank is not None and bottom_rank is not None and u.rank >= bottom_rank
               and u not in leading]
    return leading, lagging


def _indicator_section(node: IndicatorNode, units: list[UnitReport], classes: list[ClassSection],
                       raw_units: list[dict[str, Any]], digits: int,
                       nodes: dict[str, IndicatorNode]) -> IndicatorSection:
    code = str(node.code)
    per_class = []
    for section in classes:
        scores = [(u, s) for u in section.units for s in _level1_score(u, code) if s is not None]
        avg, best = _avg_best([s for _, s in scores], digits)
        top = [u for u, s in scores if best is not None and s == best]
        per_class.append((section.name, avg, best, top))
    points = node.points
    applicable = full = 0
    for u in units:
        for item in u.first_level:
            if item.code == code and item.applicable:
                applicable += 1
                if item.score is not None and item.points is not None and item.score >= item.points - 1e-9:
                    full += 1
    leaves = [leaf for leaf in node.leaves() if leaf.code and leaf.kind == "normal"]
    weaknesses = []
    for leaf in leaves:
        losses = [lp.lost for u in units for lp in u.lost if lp.code == leaf.code]
        n_app = sum(1 for r in raw_units if ((r.get("indicators") or {}).get(leaf.code) or {}).get("applicable"))
        if losses:
            weaknesses.append(Weakness(str(leaf.code), leaf.name, len(losses), n_app,
                                       round_score(sum(losses) / len(losses), digits)))
    weaknesses.sort(key=lambda w: (-w.units, -w.average_lost))
    return IndicatorSection(code, node.name, points, node.kind, per_class, full, applicable, weaknesses)


def _level1_score(u: UnitReport, code: str) -> Iterable[float | None]:
    return (i.score for i in u.first_level if i.code == code and i.applicable)


def _system_rows(system: IndicatorSystem) -> list[SystemRow]:
    rows = []
    for n in system.nodes():
        if not n.code:
            continue
        rows.append(SystemRow(
            code=n.code, name=n.name, level=n.level, points=n.points, kind=KIND_NAMES.get(n.kind, n.kind),
            rule=(RULE_NAMES.get(n.rule.type, n.rule.type) if n.rule is not None else ("下级合计" if n.children else "")),
            criteria=n.info.get("criteria") or "", source=n.info.get("source") or "", lead=n.info.get("lead") or "",
        ))
    return rows


def _sources(system: IndicatorSystem) -> list[str]:
    seen: list[str] = []
    for leaf in system.leaves():
        s = leaf.info.get("source")
        if s and s not in seen:
            seen.append(s)
    return seen


def parse_locked_at(text: str, *, field: str = "--locked-at") -> dt.datetime:
    """An ISO date-time (``2026-12-03T17:00`` or ``2026-12-03 17:00``, optional offset; no offset = Asia/Shanghai)."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"定稿时间「{text}」不是有效的日期时间，应为 ISO 格式，例如 2026-12-03T17:00 或 "
                        "2026-12-03T17:00+08:00（不带时区时按北京时间）", field=field) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)
