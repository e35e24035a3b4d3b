"""Compute every metric per unit for one period: one aggregate scan per record set (rule counts and metric
aggregates together), derived sets (uptime, activity) and the 信息报送 scorer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govassess.errors import UserError

from . import records as rec
from .calendar import WorkCalendar, coverage_notice, default_calendar
from .definitions import (
    Definitions,
    Metric,
    Period,
    aggregate_sql,
    compile_expr,
    load_definitions,
    part_filter,
)
from .infowork import InfoRules, InfoScore, choice_help, score_info_work
from .schemas import RECORD_SETS


@dataclass
class MetricValue:
    unit: str
    metric: Metric
    value: float | None
    num: float | None = None
    den: float | None = None
    excluded: int = 0  # invalid records of this unit in the metric's record set
    count: float = 0.0  # for averages: the number of values summed into `value` until finalised


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


def compute(
    engine: Any,
    records_dir: Path,
    period: Period,
    *,
    units_file: Path | None = None,
    definitions: Definitions | None = None,
    info_rules: InfoRules | None = None,
    strict: bool = False,
    check_duplicates: bool = True,
    progress: Callable[[str], None] | None = None,
    calendar: WorkCalendar | None = None,
) -> ComputeResult:
    defs = definitions or load_definitions()
    cal = (calendar or default_calendar()).for_period(period.start, period.end)
    say = progress or (lambda _msg: None)
    store = rec.register(
        engine,
        Path(records_dir),
        units_file=units_file,
        check_duplicates=check_duplicates,
        item_check_in_scan=True,
    )
    values = period.placeholders() | {k: v for k, v in defs.params.items()}
    per_unit: dict[tuple[str, str], MetricValue] = {}
    counts: dict[str, dict[str, int]] = {}
    excluded_by_unit: dict[str, dict[str, int]] = {}
    skipped: list[tuple[Metric, str]] = []
    totals: dict[str, tuple[int, int]] = {}

    known_units: set[str] | None = None
    if store.has("units"):
        _, rows = engine.fetch("SELECT DISTINCT unit FROM units")
        known_units = {r[0] for r in rows}
    for name, loaded in store.sets.items():
        rs = loaded.schema
        metrics = [m for m in defs.metrics if m.records == name]
        say(f"统计{rs.label}……")
        if rs.period_column:
            in_period = _period_flag(engine, loaded, rs.column(rs.period_column), period) or (
                f"{rs.period_column} >= {values['start_ts']} AND {rs.period_column} < {values['end']}"
            )
        else:
            in_period = "TRUE"
        hoist: dict[str, tuple[str, str]] = {}
        selects, aliases = _metric_selects(metrics, values, cal, hoist)
        unit_sel = "unit" if loaded.has_unit else "CAST(NULL AS VARCHAR)"
        # One scan: group by unit, the rule bits and the period flag; valid in-period groups feed the metrics,
        # all groups feed the rule counts.
        head = f"SELECT {unit_sel} AS unit, _bits, COALESCE({in_period}, FALSE) AS _in, COUNT(*) AS _n"
        aggs = "".join(", " + x for x in selects)
        tail = f" FROM {_with_columns(f'{name}__scan', hoist)} GROUP BY 1, 2, 3"
        item_check = rec.item_scan_sql(loaded)
        if item_check is not None:
            cols, rows = engine.fetch(item_check[1](f"{head}{aggs}, {item_check[0]}{tail}"))
            if any(row[-1] for row in rows) and loaded.exact_items is not None:
                # A unit used an item code of another unit's catalogue: its records are found one by one.
                loaded.exact_items()
                item_check = None
        if item_check is None:
            cols, rows = engine.fetch(f"{head}{aggs}{tail}")
        rule_counts: dict[int, int] = {}
        n_all = n_bad = 0
        plan = _plan(cols, aliases)
        for row in rows:
            unit, bits, inside, n = row[0], int(row[1]), row[2], int(row[3])
            if loaded.unit_rule is not None and known_units is not None and unit is not None:
                if unit not in known_units:
                    bits |= 1 << loaded.unit_rule
            n_all += n
            if bits:
                n_bad += n
                for i in range(len(loaded.rules)):
                    if bits >> i & 1:
                        rule_counts[i] = rule_counts.get(i, 0) + n
                if unit is not None:
                    by_unit = excluded_by_unit.setdefault(name, {})
                    by_unit[unit] = by_unit.get(unit, 0) + n
                continue
            if unit is None or not inside:
                continue
            _accumulate(per_unit, unit, row, plan)
        counts[name] = rule_counts
        totals[name] = (n_all, n_bad)

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
        sql = compile_expr_block(derived.sql, values, dname, cal)
        hoist = {}
        selects, aliases = _metric_selects(metrics, values, cal, hoist)
        cols, rows = engine.fetch(
            f"SELECT unit, {', '.join(selects)} FROM {_with_columns(f'({sql}) d0', hoist)} GROUP BY unit"
        )
        plan = _plan(cols, aliases)
        for row in rows:
            _accumulate(per_unit, row[0], row, plan)

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
    # (metric, how its value is finished) once, not per unit: 0 ratio, 1 average, 2 count / sum, 3 as is
    finishing = [
        (
            m,
            0
            if m.is_ratio
            else {"avg": 1, "count": 2, "sum": 2}.get(m.aggregate.kind if m.aggregate else "", 3),
        )
        for m in defs.metrics
        if m.records in computed_sets
    ]
    out: list[MetricValue] = []
    for unit in units:
        for m, how in finishing:
            mv = per_unit.get((unit, m.code)) or MetricValue(unit, m, None)
            if how == 0:
                mv.num = mv.num or 0.0
                mv.den = mv.den or 0.0
                mv.value = mv.num / mv.den if mv.den else None
            elif how == 1:
                mv.value = mv.value / mv.count if mv.count else None
            elif how == 2 and mv.value is None:
                mv.value = 0.0
            excluded = excluded_by_unit.get(m.records)
            if excluded:
                mv.excluded = excluded.get(unit, 0)
            out.append(mv)

    info: list[InfoScore] = []
    notices = list(store.notices)
    if store.has("info_reports") and info_rules is None:
        notices.append("未计算信息报送积分：" + choice_help())
    elif store.has("info_reports"):
        say("计算信息报送积分……")
        info = score_info_work(
            engine,
            period,
            units,
            unit_attrs,
            info_rules,
            excluded_by_unit.get("info_reports", {}),
        )
    uses_workdays = any("WORKDAYS" in str(p).upper() for m in defs.metrics for p in _texts(m))
    note = coverage_notice(cal, period.start, period.end) if uses_workdays else None
    if note:
        notices.append(note)
    return ComputeResult(period, units, out, rule_results, totals, notices, skipped, info, unit_attrs)


def _texts(m: Metric) -> list[str]:
    parts = [m.numerator, m.denominator, m.aggregate]
    return [m.filter or ""] + [p.expr for p in parts if p is not None]


def _period_flag(engine: Any, loaded: rec.LoadedSet, col: Any, period: Period) -> str | None:
    """The period test as a constant: "TRUE" when every record of the set lies in the period, "FALSE" when
    none does, else None (test each record).

    DuckDB answers MIN / MAX of a Parquet column from the files' statistics, so a folder holding just the
    period's records (the usual case) costs no per-record period test and no extra group key. Only for a
    required column: its empty values are invalid records whatever the period. CSV / Excel text would be
    parsed here and again in the scan, so only Parquet."""
    parquet = loaded.files[0].suffix.lower() == ".parquet"
    if getattr(engine, "name", None) != "duckdb" or not col.required or not parquet:
        return None
    _, rows = engine.fetch(f"SELECT MIN({col.name}), MAX({col.name}) FROM {loaded.schema.name}__typed")
    lo, hi = rows[0] if rows else (None, None)
    if lo is None or hi is None:
        return None
    if isinstance(lo, dt.datetime):
        lo, hi = lo.date(), hi.date()
    if period.start <= lo and hi <= period.end:
        return "TRUE"
    if hi < period.start or lo > period.end:
        return "FALSE"
    return None


def _with_columns(source: str, hoist: dict[str, tuple[str, str]]) -> str:
    """`source` with the hoisted working-day indexes added as columns (see expand_workdays)."""
    if not hoist:
        return source
    cols = "".join(f", {sql} AS {name}" for name, sql in hoist.values())
    return f"(SELECT *{cols} FROM {source}) h"


def _metric_selects(
    metrics: list[Metric],
    values: dict[str, Any],
    calendar: WorkCalendar | None = None,
    hoist: dict[str, tuple[str, str]] | None = None,
) -> tuple[list[str], list[tuple[Metric, str, str]]]:
    """One select per distinct aggregate (metrics share many, e.g. the count of all records as a
    denominator), and for every metric part the alias it reads. Working-day indexes go into `hoist`."""
    selects: list[str] = []
    by_sql: dict[str, str] = {}
    aliases: list[tuple[Metric, str, str]] = []  # metric, role (num|den|agg + suffix), column alias
    conds: dict[str | None, str | None] = {None: None}
    for m in metrics:
        for role, part in (("num", m.numerator), ("den", m.denominator), ("agg", m.aggregate)):
            if part is None:
                continue
            text = part_filter(m.filter, part)
            if text is not None and text not in conds:
                conds[text] = compile_expr(text, values, f"metrics.{m.code}.filter", calendar, hoist)
            cond = conds[text]
            for suffix, sql in aggregate_sql(part, cond, values, f"metrics.{m.code}.{role}", calendar, hoist):
                alias = by_sql.get(sql)
                if alias is None:
                    alias = by_sql[sql] = f"a{len(by_sql)}"
                    selects.append(f"{sql} AS {alias}")
                aliases.append((m, role + suffix, alias))
    return selects, aliases


_ATTRS = {"num": "num", "den": "den", "agg": "value", "agg_cnt": "count"}

# Per metric: (MetricValue attribute, column index) of its parts, and the column indexes of value, num, den
# and count (-1: not a part of this metric) for the first group of a unit, the usual case, built in one call.
Plan = list[tuple[Metric, list[tuple[str, int]], tuple[int, int, int, int]]]


def _plan(cols: list[str], aliases: list[tuple[Metric, str, str]]) -> Plan:
    index = {c: i for i, c in enumerate(cols)}
    parts: dict[str, tuple[Metric, list[tuple[str, int]]]] = {}
    for m, role, alias in aliases:
        parts.setdefault(m.code, (m, []))[1].append((_ATTRS[role], index[alias]))
    out: Plan = []
    for m, found in parts.values():
        where = dict(found)
        at = (where.get("value", -1), where.get("num", -1), where.get("den", -1), where.get("count", -1))
        out.append((m, found, at))
    return out


def _accumulate(per_unit: dict[tuple[str, str], MetricValue], unit: str, row: tuple, plan: Plan) -> None:
    """Add one group's aggregates into the unit's values (sums add up; min / max combine). Valid in-period
    records form one group per unit, so this is nearly always a plain assignment (5,000 units x 30 metrics:
    kept to one constructor call each)."""
    for m, parts, (iv, inum, iden, icnt) in plan:
        key = (unit, m.code)
        mv = per_unit.get(key)
        if mv is None:
            v = row[iv] if iv >= 0 else None
            n = row[inum] if inum >= 0 else None
            d = row[iden] if iden >= 0 else None
            c = row[icnt] if icnt >= 0 else None
            per_unit[key] = MetricValue(
                unit,
                m,
                None if v is None else float(v),
                None if n is None else float(n),
                None if d is None else float(d),
                0,
                0.0 if c is None else float(c),
            )
            continue
        for attr, i in parts:
            x = row[i]
            if x is None:
                continue
            old = getattr(mv, attr)
            if old is None:
                setattr(mv, attr, float(x))
                continue
            kind = m.aggregate.kind if attr in ("value", "count") and m.aggregate else "sum"
            if kind == "min":
                setattr(mv, attr, min(old, float(x)))
            elif kind == "max":
                setattr(mv, attr, max(old, float(x)))
            else:
                setattr(mv, attr, old + float(x))


def compile_expr_block(
    sql: str, values: dict[str, Any], where: str, calendar: WorkCalendar | None = None
) -> str:
    """A derived set's whole statement: placeholders substituted and each WORKDAYS(a, b) expanded on the
    calendar in place (the rest of the hand-written query is kept as written)."""
    from .calendar import expand_calls
    from .definitions import expand_workdays, substitute

    cal = calendar or default_calendar()
    text = substitute(sql, values, where=f"derived.{where}")
    return expand_calls(text, "WORKDAYS", lambda call: expand_workdays(call, cal), where=f"derived.{where}")
