"""Metric definitions as data: load ``definitions.yaml`` (or an office's own file), validate it and compile
each metric's parts into SQL aggregate expressions."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import sqlglot
from sqlglot import exp

from govassess import safe_yaml
from govassess.errors import ProblemCollector, UserError
from govassess.json_input import check_shape

from .calendar import WorkCalendar, default_calendar
from .schemas import RECORD_SETS

AGG_KINDS = ("count", "sum", "avg", "min", "max")


@dataclass(frozen=True)
class Part:
    kind: str  # count | sum | avg | min | max
    expr: str
    name: str | None = None


@dataclass(frozen=True)
class Metric:
    code: str
    name: str
    records: str
    filter: str | None
    numerator: Part | None
    denominator: Part | None
    aggregate: Part | None
    doc: str = ""

    @property
    def is_ratio(self) -> bool:
        return self.numerator is not None


@dataclass(frozen=True)
class Derived:
    name: str
    label: str
    needs: tuple[str, ...]
    sql: str


@dataclass(frozen=True)
class Definitions:
    metrics: tuple[Metric, ...]
    derived: dict[str, Derived]
    params: dict[str, Any]
    source: str

    def metric(self, code: str) -> Metric:
        for m in self.metrics:
            if m.code == code:
                return m
        raise KeyError(code)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive last day

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def placeholders(self) -> dict[str, str]:
        after = self.end + dt.timedelta(days=1)
        return {
            "from": f"DATE '{self.start.isoformat()}'",
            "to": f"DATE '{self.end.isoformat()}'",
            "end": f"TIMESTAMP '{after.isoformat()} 00:00:00'",
            "start_ts": f"TIMESTAMP '{self.start.isoformat()} 00:00:00'",
            "days": str(self.days),
        }


# Records of a government service exist from the 1990s on; a period outside these years is a typing error
# (0001 for 2001). The operator may widen or narrow them (docs/limits.md), but not past HARD_YEARS: the calendar
# arithmetic around the period (a month before, a quarter after) would leave the dates Python can represent.
PERIOD_YEARS = (1900, 2100)
HARD_YEARS = (2, 9998)


def period_years() -> tuple[int, int]:
    """The accepted period years: PERIOD_YEARS, or GOVASSESS_PERIOD_MIN_YEAR / GOVASSESS_PERIOD_MAX_YEAR."""
    lo_hard, hi_hard = HARD_YEARS
    years = []
    for name, default in (("GOVASSESS_PERIOD_MIN_YEAR", PERIOD_YEARS[0]), ("GOVASSESS_PERIOD_MAX_YEAR", PERIOD_YEARS[1])):
        raw = os.environ.get(name, "").strip()
        if not raw:
            years.append(default)
            continue
        if not raw.isdigit() or not lo_hard <= int(raw) <= hi_hard:
            raise UserError(f"环境变量 {name} 应为 {lo_hard} 到 {hi_hard} 之间的年份，实际为「{raw}」")
        years.append(int(raw))
    if years[0] > years[1]:
        raise UserError(f"环境变量 GOVASSESS_PERIOD_MIN_YEAR（{years[0]}）大于 GOVASSESS_PERIOD_MAX_YEAR（{years[1]}）")
    return years[0], years[1]


def parse_period(start: str, end: str) -> Period:
    try:
        a = dt.date.fromisoformat(start)
        b = dt.date.fromisoformat(end)
    except ValueError:
        raise UserError(f"期间应写成 2021-01-01 这样的日期：{start} 至 {end}") from None
    lo, hi = period_years()
    for option, text, day in (("--from", start, a), ("--to", end, b)):
        if not lo <= day.year <= hi:
            raise UserError(f"期间日期 {text} 不在 {lo} 年至 {hi} 年之间（年份是否少写或多写了一位？"
                            "范围可由环境变量 GOVASSESS_PERIOD_MIN_YEAR、GOVASSESS_PERIOD_MAX_YEAR 调整）", field=option)
    if b < a:
        raise UserError(f"期间结束日期 {end} 早于开始日期 {start}")
    return Period(a, b)


def expand_workdays(
    sql: str, calendar: WorkCalendar | None = None, hoist: dict[str, tuple[str, str]] | None = None
) -> str:
    """Replace WORKDAYS(a, b) by idx(b) - idx(a) on the working-day calendar (an expression both engines
    understand; see calendar.py).

    With `hoist`, idx(x) becomes a column reference instead, and `hoist[x] = (column, idx SQL)` tells the
    caller to compute that column once per record below its aggregates: a record set's metrics use the same
    few days (受理, 办结, period end) in many places, and DuckDB does not share the lookups between FILTERs
    (measured: a fifth less work for the 按时办结 numerator and denominator)."""
    if "WORKDAYS" not in sql.upper():
        return sql  # nothing to expand: spare the parse (a hundred expressions per run)
    cal = calendar or default_calendar()
    tree = sqlglot.parse_one(f"SELECT {sql}", read="duckdb")
    indexes: dict[str, str] = {}

    def placeholder(arg: str) -> exp.Expression:
        if hoist is not None:
            if arg not in hoist:
                hoist[arg] = (f"_workday_index_{len(hoist)}", cal.index_sql(arg))
            return exp.column(hoist[arg][0])
        # idx() carries the calendar as a list literal of a few hundred numbers: it is pasted into the
        # generated text instead of being parsed back into the tree (parsing it cost seconds per run).
        name = f"__govassess_workday_index_{len(indexes)}__"
        indexes[name] = cal.index_sql(arg)
        return exp.column(name)

    def repl(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Anonymous) and node.name.upper() == "WORKDAYS":
            a, b = (e.sql(dialect="duckdb") for e in node.expressions)
            return exp.paren(exp.Sub(this=placeholder(b), expression=placeholder(a)))
        return node

    out = ", ".join(e.sql(dialect="duckdb") for e in tree.transform(repl).expressions)
    for name, index in indexes.items():
        out = out.replace(name, index)
    return out


def substitute(sql: str, values: dict[str, Any], *, where: str) -> str:
    try:
        return Template(sql).substitute({k: str(v) for k, v in values.items()})
    except KeyError as err:
        raise UserError(f"表达式中的占位符 ${{{err.args[0]}}} 未定义", field=where) from None
    except ValueError as err:
        raise UserError(f"表达式中的 $ 写法有误：{err}", field=where) from None


def _part(raw: Any, where: str, problems: ProblemCollector) -> Part | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.add("应写成 {count: 条件} 或 {sum|avg|min|max: 表达式}", field=where)
        return None
    kinds = [k for k in raw if k in AGG_KINDS]
    unknown = [k for k in raw if k not in (*AGG_KINDS, "name")]
    if len(kinds) != 1 or unknown:
        problems.add(
            f"须且只能有一个 {'/'.join(AGG_KINDS)}，另可有 name；发现：{', '.join(map(str, raw))}",
            field=where,
        )
        return None
    kind = kinds[0]
    return Part(kind, str(raw[kind]), str(raw["name"]) if raw.get("name") is not None else None)


_NAME = {"type": "string", "minLength": 1}
# The shape of a definitions file, checked before it is walked (govassess.json_input.check_shape names the
# place); what the SQL says is checked afterwards, metric by metric.
DEFINITIONS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "params": {"type": ["object", "null"]},
        "derived": {
            "type": ["array", "null"],
            "items": {
                "type": "object",
                "properties": {"name": _NAME, "label": {"type": ["string", "null"]}, "sql": {"type": "string"},
                               "needs": {"type": ["array", "null"], "items": _NAME}},
            },
        },
        "metrics": {
            "type": ["array", "null"],
            "items": {"type": "object", "properties": {"code": _NAME, "name": _NAME, "records": _NAME}},
        },
    },
}


def load_definitions(path: Path | None = None) -> Definitions:
    """The shipped definitions, or an office's own YAML file of the same shape."""
    if path is None:
        text = resources.files("govassess.metrics").joinpath("definitions.yaml").read_text(encoding="utf-8")
        source = "definitions.yaml"
    else:
        source = Path(path).name
        text = safe_yaml.read_text(path, file=source)
    data = safe_yaml.expect_mapping(safe_yaml.load_yaml(text, file=source) or {}, file=source, what="指标定义文件")
    check_shape(data, DEFINITIONS_SCHEMA, file=source, what="指标定义文件")
    problems = ProblemCollector()
    params = dict(data.get("params") or {})
    derived: dict[str, Derived] = {}
    for i, d in enumerate(data.get("derived") or [], 1):
        where = f"derived[{i}]"
        if not isinstance(d, dict) or not d.get("name") or not d.get("sql"):
            problems.add("派生记录集须有 name 和 sql", file=source, field=where)
            continue
        needs = tuple(d.get("needs") or ())
        bad = [n for n in needs if n not in RECORD_SETS]
        if bad:
            problems.add(f"needs 中的记录集未定义：{', '.join(bad)}", file=source, field=where)
        derived[d["name"]] = Derived(d["name"], str(d.get("label") or d["name"]), needs, str(d["sql"]))
    metrics: list[Metric] = []
    seen: set[str] = set()
    for i, m in enumerate(data.get("metrics") or [], 1):
        where = f"metrics[{i}]"
        if not isinstance(m, dict):
            problems.add("每个指标应是一个映射", file=source, field=where)
            continue
        code, name, records = m.get("code"), m.get("name"), m.get("records")
        if not code or not name or not records:
            problems.add("指标须有 code、name、records", file=source, field=where)
            continue
        where = f"metrics.{code}"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(code)):
            problems.add("code 只能用小写字母、数字和下划线，并以字母开头", file=source, field=where)
        if code in seen:
            problems.add("code 重复", file=source, field=where)
        seen.add(code)
        if records not in RECORD_SETS and records not in derived:
            problems.add(f"records「{records}」不是已知的记录集或派生记录集", file=source, field=where)
        num = _part(m.get("numerator"), f"{where}.numerator", problems)
        den = _part(m.get("denominator"), f"{where}.denominator", problems)
        agg = _part(m.get("aggregate"), f"{where}.aggregate", problems)
        if (num is None) != (den is None):
            problems.add("numerator 与 denominator 须同时给出", file=source, field=where)
        if (num is None) == (agg is None):
            problems.add("须给出 numerator+denominator 或 aggregate 之一", file=source, field=where)
        metric = Metric(
            str(code), str(name), str(records), m.get("filter"), num, den, agg, str(m.get("doc") or "")
        )
        _check_sql(metric, params, source, problems)
        metrics.append(metric)
    problems.raise_if_any()
    return Definitions(tuple(metrics), derived, params, source)


def _check_sql(metric: Metric, params: dict[str, Any], source: str, problems: ProblemCollector) -> None:
    dummy = Period(dt.date(2021, 1, 1), dt.date(2021, 6, 30)).placeholders() | params
    exprs = [("filter", metric.filter)] + [
        (label, p.expr)
        for label, p in (
            ("numerator", metric.numerator),
            ("denominator", metric.denominator),
            ("aggregate", metric.aggregate),
        )
        if p is not None
    ]
    for label, text in exprs:
        if text is None:
            continue
        try:
            sql = substitute(str(text), dummy, where=f"metrics.{metric.code}.{label}")
            sqlglot.parse_one(f"SELECT {sql}", read="duckdb")
            expand_workdays(sql)
        except UserError as err:
            problems.extend(err.problems)
        except sqlglot.errors.ParseError as err:
            problems.add(
                f"SQL 表达式无法解析：{str(err).splitlines()[0]}",
                file=source,
                field=f"metrics.{metric.code}.{label}",
            )


def compile_expr(
    text: str,
    values: dict[str, Any],
    where: str,
    calendar: WorkCalendar | None = None,
    hoist: dict[str, tuple[str, str]] | None = None,
) -> str:
    return expand_workdays(substitute(text, values, where=where), calendar, hoist)


_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def _null_rejected(node: exp.Expression, kind: str) -> set[str]:
    """Columns whose NULL makes the part skip the record anyway: a count condition that is a comparison of
    a column with a literal (NULL compares to NULL, which COUNT_IF does not count), or AND of such; an
    aggregated bare column (SUM / AVG / MIN / MAX / COUNT ignore NULLs)."""
    if kind != "count":
        return {node.sql(dialect="duckdb")} if isinstance(node, exp.Column) else set()
    node = node.unnest()
    if isinstance(node, exp.And):
        return _null_rejected(node.left, kind) | _null_rejected(node.right, kind)
    if isinstance(node, _COMPARISONS):
        sides = [node.left.unnest(), node.right.unnest()]
        cols = [s for s in sides if isinstance(s, exp.Column)]
        lits = [s for s in sides if isinstance(s, exp.Literal)]  # exp.Null is not a Literal
        if len(cols) == 1 and len(lits) == 1:
            return {cols[0].sql(dialect="duckdb")}
    if isinstance(node, exp.In) and isinstance(node.this, exp.Column) and node.expressions:
        if all(isinstance(e, exp.Literal) for e in node.expressions):
            return {node.this.sql(dialect="duckdb")}
    return set()


def _is_not_null_of(node: exp.Expression, columns: set[str]) -> bool:
    return (
        isinstance(node, exp.Not)
        and isinstance(node.this, exp.Is)
        and isinstance(node.this.expression, exp.Null)
        and node.this.this.sql(dialect="duckdb") in columns
    )


def part_filter(filter_sql: str | None, part: Part) -> str | None:
    """The metric's filter for one part, without `x IS NOT NULL` conjuncts the part already implies (the
    same records are counted or summed). A filter `visits IS NOT NULL` with numerator `visits = 0` would
    otherwise make DuckDB test every record twice (measured: a tenth of the 办件 scan). Texts that do not
    parse, and texts with placeholders (which the rewrite could alter), are kept as they are."""
    if not filter_sql or "IS NOT NULL" not in filter_sql.upper() or "$" in filter_sql:
        return filter_sql
    try:
        cond = sqlglot.parse_one(filter_sql, read="duckdb")
        implied = _null_rejected(sqlglot.parse_one(part.expr, read="duckdb"), part.kind)
    except sqlglot.errors.ParseError:
        return filter_sql
    if not implied:
        return filter_sql
    root = cond.unnest()
    conjuncts = list(root.flatten()) if isinstance(root, exp.And) else [root]
    kept = [c for c in conjuncts if not _is_not_null_of(c.unnest(), implied)]
    if len(kept) == len(conjuncts):
        return filter_sql
    return " AND ".join(f"({c.sql(dialect='duckdb')})" for c in kept) or None


def aggregate_sql(
    part: Part,
    condition: str | None,
    values: dict[str, Any],
    where: str,
    calendar: WorkCalendar | None = None,
    hoist: dict[str, tuple[str, str]] | None = None,
) -> list[tuple[str, str]]:
    """Aggregates for one part as (suffix, SQL), over the records where `condition` holds (None = every
    record). Results are later summed over groups (validity and period are group keys), so an average is
    carried as a sum ("") and a count ("_cnt"). Written as COUNT_IF(c) and AGG(CASE WHEN c THEN x END)
    rather than AGG(…) FILTER (WHERE c): the same records (a NULL condition counts as false either way), but
    DuckDB evaluates FILTERs one by one (measured: the 办件 scan a quarter cheaper)."""
    expr = compile_expr(part.expr, values, where, calendar, hoist)

    def when(*conds: str | None) -> str | None:
        kept = [c for c in conds if c is not None and c.strip().upper() != "TRUE"]
        return " AND ".join(f"({c})" for c in kept) if kept else None

    def agg(func: str, arg: str, cond: str | None) -> str:
        return f"{func}({arg})" if cond is None else f"{func}(CASE WHEN {cond} THEN {arg} END)"

    if part.kind == "count":
        cond = when(condition, expr)
        return [("", "COUNT(*)" if cond is None else f"COUNT_IF({cond})")]
    cond = when(condition)
    if part.kind == "avg":
        return [("", agg("SUM", expr, cond)), ("_cnt", agg("COUNT", expr, cond))]
    return [("", agg(part.kind.upper(), expr, cond))]
