"""Compute every metric per unit for one period: one aggregate scan per record set (rule counts and metric
aggregates together), derived sets (uptime, activity) and the 信息报送 scorer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govassess.errors import UserError

from . import records as rec
from .definitions import Definitions, Metric, Period, aggregate_sql, compile_expr, load_definitions
from .infowork import InfoRules, InfoScore, load_info_rules, score_info_work
from .schemas import RECORD_SETS


@dataclass
class MetricValue:
    unit: str
    metric: Metric
    value: float | None
    num: float | None = None
    den: float | None = None
    excluded: int = 0  # invalid records of this unit in the metric's record set


@dataclass
class ComputeResult:
    period: Period
    units: list[str]
    values: list[MetricValue]
    rule_results: list[rec.RuleResult]
    totals: dict[str, tuple[int, int]]  # record set -> (records, excluded)
    notices: list[str]
    skipped: list[tuple[Metric, str]]  # metric, reason
    info: list[InfoScore] = field(default_factory=list)
    unit_attrs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def value(self, unit: str, code: str) -> MetricValue | None:
        for v in self.values:
            if v.unit == unit and v.metric.code == code:
                return v
        return None

    def summary_lines(self) -> list[str]:
        """What a user must see: records read, records excluded by rule, notices, skipped metrics."""
        lines = []
        for name, (n, bad) in self.totals.items():
            label = RECORD_SETS[name].label
            lines.append(f"{label}：读取 {n} 条，排除无效记录 {bad} 条")
        for r in self.rule_results:
            lines.append(f"  [{r.record_set}] {r.problem()}")
        lines += self.notices
        for metric, reason in self.skipped:
            lines.append(f"未计算「{metric.name}」（{metric.code}）：{reason}")
        return lines


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


def compute(
    engine: Any,
    records_dir: Path,
    period: Period,
    *,
    units_file: Path | None = None,
    definitions: Definitions | None = None,
    info_rules: InfoRules | None = None,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ComputeResult:
    defs = definitions or load_definitions()
    say = progress or (lambda _msg: None)
    store = rec.register(engine, Path(records_dir), units_file=units_file)
    values = period.placeholders() | {k: v for k, v in defs.params.items()}
    per_unit: dict[tuple[str, str], MetricValue] = {}
    counts: dict[str, dict[str, int]] = {}
    excluded_by_unit: dict[str, dict[str, int]] = {}
    skipped: list[tuple[Metric, str]] = []
    totals: dict[str, tuple[int, int]] = {}

    for name, loaded in store.sets.items():
        rs = loaded.schema
        metrics = [m for m in defs.metrics if m.records == name]
        say(f"统计{rs.label}……")
        base = ["NOT _bad"]
        if rs.period_column:
            base.append(
                f"{rs.period_column} >= {values['start_ts']} AND {rs.period_column} < {values['end']}"
            )
        selects = rec.rule_count_columns(loaded)
        aliases: list[tuple[Metric, str, str]] = []  # metric, role, column alias
        for j, m in enumerate(metrics):
            cond = " AND ".join(base)
            if m.filter:
                cond += (
                    f" AND COALESCE(({compile_expr(m.filter, values, f'metrics.{m.code}.filter')}), FALSE)"
                )
            for role, part in (("num", m.numerator), ("den", m.denominator), ("agg", m.aggregate)):
                if part is not None:
                    alias = f"m{j}_{role}"
                    selects.append(
                        f"{aggregate_sql(part, cond, values, f'metrics.{m.code}.{role}')} AS {alias}"
                    )
                    aliases.append((m, role, alias))
        unit_sel = "unit" if loaded.has_unit else "CAST(NULL AS VARCHAR) AS unit"
        group = " GROUP BY unit" if loaded.has_unit else ""
        cols, rows = engine.fetch(f"SELECT {unit_sel}, {', '.join(selects)} FROM {name}__flagged{group}")
        summed: dict[str, int] = {}
        for row in rows:
            d = dict(zip(cols, row))
            for k, v in d.items():
                if k.startswith("_n"):
                    summed[k] = summed.get(k, 0) + int(v or 0)
            if d["unit"] is not None and d["_nbad"]:
                excluded_by_unit.setdefault(name, {})[d["unit"]] = int(d["_nbad"])
            if d["unit"] is None:
                continue
            for m, role, alias in aliases:
                mv = per_unit.setdefault((d["unit"], m.code), MetricValue(d["unit"], m, None))
                setattr(mv, {"num": "num", "den": "den", "agg": "value"}[role], _num(d[alias]))
        counts[name] = summed
        totals[name] = (summed.get("_nall", 0), summed.get("_nbad", 0))

    say("检查无效记录……")
    rule_results = rec.collect_results(store, counts)
    if strict and rule_results:
        raise UserError(problems=[r.problem() for r in rule_results])

    for dname, derived in defs.derived.items():
        metrics = [m for m in defs.metrics if m.records == dname]
        if not metrics:
            continue
        missing = [RECORD_SETS[n].label for n in derived.needs if not store.has(n)]
        if missing:
            for m in metrics:
                skipped.append((m, f"缺少记录：{'、'.join(missing)}"))
            continue
        say(f"计算{derived.label}……")
        sql = compile_expr_block(derived.sql, values, dname)
        selects = []
        aliases = []
        for j, m in enumerate(metrics):
            cond = "TRUE"
            if m.filter:
                cond = f"COALESCE(({compile_expr(m.filter, values, f'metrics.{m.code}.filter')}), FALSE)"
            for role, part in (("num", m.numerator), ("den", m.denominator), ("agg", m.aggregate)):
                if part is not None:
                    alias = f"m{j}_{role}"
                    selects.append(
                        f"{aggregate_sql(part, cond, values, f'metrics.{m.code}.{role}')} AS {alias}"
                    )
                    aliases.append((m, role, alias))
        cols, rows = engine.fetch(f"SELECT unit, {', '.join(selects)} FROM ({sql}) d GROUP BY unit")
        for row in rows:
            d = dict(zip(cols, row))
            for m, role, alias in aliases:
                mv = per_unit.setdefault((d["unit"], m.code), MetricValue(d["unit"], m, None))
                setattr(mv, {"num": "num", "den": "den", "agg": "value"}[role], _num(d[alias]))

    for m in defs.metrics:
        if m.records in RECORD_SETS and not store.has(m.records):
            skipped.append((m, f"缺少记录：{RECORD_SETS[m.records].label}"))

    unit_attrs: dict[str, dict[str, Any]] = {}
    if store.has("units"):
        cols, rows = engine.fetch("SELECT unit, name, class, region FROM units ORDER BY unit")
        unit_attrs = {r[0]: dict(zip(cols, r)) for r in rows}
        units = list(unit_attrs)
    else:
        units = sorted({u for u, _ in per_unit})

    # Units without records: counts are 0, ratios have 0/0 (value left empty), averages stay empty.
    computed_sets = {m.records for m in defs.metrics} - {m.records for m, _ in skipped}
    out: list[MetricValue] = []
    for unit in units:
        for m in defs.metrics:
            if m.records not in computed_sets:
                continue
            mv = per_unit.get((unit, m.code)) or MetricValue(unit, m, None)
            if m.is_ratio:
                mv.num = mv.num or 0.0
                mv.den = mv.den or 0.0
                mv.value = mv.num / mv.den if mv.den else None
            elif m.aggregate is not None and m.aggregate.kind in ("count", "sum") and mv.value is None:
                mv.value = 0.0
            mv.excluded = excluded_by_unit.get(m.records, {}).get(unit, 0)
            out.append(mv)

    info: list[InfoScore] = []
    if store.has("info_reports"):
        say("计算信息报送积分……")
        info = score_info_work(
            engine,
            period,
            units,
            unit_attrs,
            info_rules or load_info_rules(),
            excluded_by_unit.get("info_reports", {}),
        )
    return ComputeResult(period, units, out, rule_results, totals, store.notices, skipped, info, unit_attrs)


def compile_expr_block(sql: str, values: dict[str, Any], where: str) -> str:
    from .definitions import substitute

    return substitute(sql, values, where=f"derived.{where}")
