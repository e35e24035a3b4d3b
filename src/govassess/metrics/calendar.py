"""Working-day calendar: official holidays and 调休 workdays as data (``calendar_cn.yaml``, or an office's
own file). WORKDAYS(a, b) = idx(b) − idx(a), where idx(d) counts working days up to and including d. idx is
looked up in a constant list by day number over the calendar's years (or, narrowed with `for_period`, the
days around one period), and is Mon–Fri arithmetic plus a step correction (−1 per holiday on a weekday, +1
per 调休 weekend day up to d) on any other day — a pure per-row expression, so it stays set-based on DuckDB
and on Spark without a join. Outside the calendar's years the correction is constant, i.e. plain Mon–Fri;
callers warn about that."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType

from govassess import safe_yaml
from govassess.errors import ProblemCollector, UserError


@dataclass(frozen=True)
class WorkCalendar:
    years: tuple[int, ...]  # years the calendar covers
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]  # 调休: weekend days worked
    sources: tuple[str, ...]
    # Days the SQL index looks up in a list (the rest use arithmetic): the calendar's years, or, set by
    # `for_period`, the days around one period (DuckDB's lookup slows down with the list's length).
    span: tuple[dt.date, dt.date] | None = None

    def for_period(self, start: dt.date, end: dt.date) -> WorkCalendar:
        """The same calendar with its list lookup narrowed to a period: a month before (records accepted
        just before it) to three months after (cases and 整改 finished after it); other days stay exact."""
        return replace(self, span=(start - dt.timedelta(days=31), end + dt.timedelta(days=92)))

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def covers(self, day: dt.date) -> bool:
        return day.year in self.years

    def uncovered_years(self, start: dt.date, end: dt.date) -> list[int]:
        return [y for y in range(start.year, end.year + 1) if y not in self.years]

    def breakpoints(self) -> list[tuple[dt.date, int]]:
        """(day, correction from that day on), ascending; before the first day the correction is 0."""
        deltas: dict[dt.date, int] = {}
        for d in self.holidays:
            if d.weekday() < 5 and d not in self.workdays:
                deltas[d] = -1
        for d in self.workdays:
            if d.weekday() >= 5:
                deltas[d] = deltas.get(d, 0) + 1
        out: list[tuple[dt.date, int]] = []
        total = 0
        for d in sorted(deltas):
            total += deltas[d]
            out.append((d, total))
        return out

    def index_sql(self, arg: str) -> str:
        """SQL (DuckDB dialect) for idx(arg): working days from 1970-01-05 up to and including the day."""
        n = f"DATEDIFF('day', DATE '1970-01-05', CAST({arg} AS DATE))"
        plain = f"(5 * CAST(FLOOR({n} / 7) AS BIGINT) + LEAST({n} % 7 + 1, 5))"
        points = self.breakpoints()
        if not points:
            return plain
        # Inside the span idx is looked up in a constant list by day number (one lookup per row, measured 2x
        # cheaper on DuckDB than the arithmetic plus a CASE tree over the breakpoints); any other day gets
        # the arithmetic plus the tree, so the result is exact for every day.
        first, last = self.span or (
            dt.date(min(self.years[0], points[0][0].year), 1, 1),
            dt.date(max(self.years[-1], points[-1][0].year), 12, 31),
        )
        values = []
        count = _plain_index(first - dt.timedelta(days=1)) + self.correction(first - dt.timedelta(days=1))
        for i in range((last - first).days + 1):
            day = first + dt.timedelta(days=i)
            count += 1 if self.is_workday(day) else 0
            values.append(count)
        offset = f"DATEDIFF('day', DATE '{first.isoformat()}', CAST({arg} AS DATE))"
        day = f"CAST({arg} AS DATE)"

        def tree(lo: int, hi: int) -> str:
            # Correction for days in [points[lo-1], points[hi]) once the search has narrowed to lo..hi.
            if lo == hi:
                return str(points[lo - 1][1]) if lo > 0 else "0"
            mid = (lo + hi + 1) // 2
            return (
                f"CASE WHEN {day} >= DATE '{points[mid - 1][0].isoformat()}' "
                f"THEN {tree(mid, hi)} ELSE {tree(lo, mid - 1)} END"
            )

        return (
            f"(CASE WHEN {offset} BETWEEN 0 AND {len(values) - 1} "
            f"THEN [{', '.join(map(str, values))}][{offset} + 1] "
            f"ELSE {plain} + {tree(0, len(points))} END)"
        )

    def correction(self, day: dt.date) -> int:
        """idx(day) minus the plain Mon–Fri count: the last breakpoint's correction on or before `day`."""
        out = 0
        for d, total in self.breakpoints():
            if d > day:
                break
            out = total
        return out


def expand_calls(sql: str, name: str, expand: Callable[[str], str], *, where: str) -> str:
    """Replace every call `name(...)` in a whole SQL statement by `expand(call text)`, keeping the rest of the
    statement exactly as written (no sqlglot round trip of a derived set's hand-written query). Calls are
    found on sqlglot's tokens, so a name inside a string or comment is left alone."""
    if name.upper() not in sql.upper():
        return sql
    try:
        tokens = Dialect.get_or_raise("duckdb").tokenize(sql)
        out: list[str] = []
        pos = i = 0
        while i < len(tokens):
            tok = tokens[i]
            if (
                tok.token_type == TokenType.VAR
                and tok.text.upper() == name.upper()
                and i + 1 < len(tokens)
                and tokens[i + 1].token_type == TokenType.L_PAREN
            ):
                depth, j = 0, i + 1
                while j < len(tokens):
                    depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(tokens[j].token_type, 0)
                    if depth == 0:
                        break
                    j += 1
                if j == len(tokens):
                    raise sqlglot.errors.ParseError(f"{name}( 缺少右括号")
                out += [sql[pos : tok.start], expand(sql[tok.start : tokens[j].end + 1])]
                pos, i = tokens[j].end + 1, j + 1
                continue
            i += 1
        return "".join(out) + sql[pos:]
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError) as err:
        raise UserError(f"SQL 中的 {name}(...) 无法解析：{str(err).splitlines()[0]}", field=where) from None


def _plain_index(day: dt.date) -> int:
    """Mon–Fri days from 1970-01-05 (a Monday) up to and including `day` — the SQL `plain` expression."""
    n = (day - dt.date(1970, 1, 5)).days
    return 5 * (n // 7) + min(n % 7 + 1, 5)


class _TextDates(yaml.SafeLoader):
    """Dates stay text so that an invalid one (2023-13-01) is reported by name, not as a YAML crash."""


_TextDates.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _days(item: Any, where: str, source: str, problems: ProblemCollector) -> list[dt.date]:
    try:
        if isinstance(item, dt.date):
            return [item]
        text = str(item).strip()
        if ".." in text:
            a, b = (dt.date.fromisoformat(x.strip()) for x in text.split("..", 1))
            if b < a:
                raise ValueError
            if a.year != b.year:  # a calendar lists one year; 0001-01-01..9999-12-31 is not a holiday
                problems.add(f"日期范围应在同一年内，实际为「{item}」", file=source, field=where)
                return []
            return [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]
        return [dt.date.fromisoformat(text)]
    except ValueError:
        problems.add(f"日期应写成 2021-02-11 或 2021-02-11..2021-02-17，实际为「{item}」", file=source, field=where)
        return []


def _parse(text: str, source: str) -> dict[int, tuple[set[dt.date], set[dt.date], str]]:
    data = safe_yaml.load_yaml(text, file=source, loader=_TextDates) or {}
    years = data.get("years") if isinstance(data, dict) else None
    if not isinstance(years, dict) or not years:
        raise UserError("工作日历文件须有 years：按年份列出 holidays 和 workdays", file=source)
    problems = ProblemCollector()
    out: dict[int, tuple[set[dt.date], set[dt.date], str]] = {}
    for year, spec in years.items():
        where = f"years.{year}"
        if not isinstance(year, int) or not isinstance(spec, dict):
            problems.add("年份应为整数，其下为 holidays、workdays、source", file=source, field=where)
            continue
        hol: set[dt.date] = set()
        work: set[dt.date] = set()
        for key, target in (("holidays", hol), ("workdays", work)):
            items = spec.get(key) or []
            if not isinstance(items, list):
                problems.add(
                    f"应为日期列表，如 [2021-02-11, 2021-02-11..2021-02-17]，实际是「{items}」（单个日期也请写在 [ ] 中）",
                    file=source,
                    field=f"{where}.{key}",
                )
                continue
            for item in items:
                for d in _days(item, f"{where}.{key}", source, problems):
                    if d.year != year:
                        problems.add(f"日期 {d} 不在 {year} 年", file=source, field=f"{where}.{key}")
                    target.add(d)
        for d in sorted(hol & work):
            problems.add(f"{d} 同时列为节假日和调休上班日", file=source, field=where)
        for d in sorted(work):
            if d.weekday() < 5:
                problems.add(f"调休上班日 {d} 不是周末", file=source, field=f"{where}.workdays")
        out[year] = (hol, work, str(spec.get("source") or ""))
    problems.raise_if_any()
    return out


def _build(parts: dict[int, tuple[set[dt.date], set[dt.date], str]]) -> WorkCalendar:
    hol: set[dt.date] = set()
    work: set[dt.date] = set()
    for h, w, _ in parts.values():
        hol |= h
        work |= w
    return WorkCalendar(
        tuple(sorted(parts)), frozenset(hol), frozenset(work), tuple(s for *_, s in parts.values() if s)
    )


@lru_cache(maxsize=1)
def _shipped_parts() -> dict[int, tuple[set[dt.date], set[dt.date], str]]:
    text = resources.files("govassess.metrics").joinpath("calendar_cn.yaml").read_text(encoding="utf-8")
    return _parse(text, "calendar_cn.yaml")


@lru_cache(maxsize=1)
def default_calendar() -> WorkCalendar:
    return _build(_shipped_parts())


def load_calendar(path: Path | None = None) -> WorkCalendar:
    """The shipped calendar, plus an office's own file whose years replace (or add to) the shipped ones."""
    parts = dict(_shipped_parts())
    if path is not None:
        text = safe_yaml.read_text(path, file=Path(path).name)
        parts.update(_parse(text, Path(path).name))
    return _build(parts)


def coverage_notice(calendar: WorkCalendar, start: dt.date, end: dt.date) -> str | None:
    missing = calendar.uncovered_years(start, end)
    if not missing:
        return None
    years = "、".join(str(y) for y in missing)
    return (
        f"警告：工作日历未包含 {years} 年的节假日安排，这些年份的工作日按周一至周五计算"
        "（可用 --calendar 提供本地日历文件）"
    )
