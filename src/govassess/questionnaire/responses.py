"""Responses checked against a form: one row per response, a unit column, then one column per question.

:func:`check_answers` checks one response given as ``{question name: raw value}`` — the web platform calls it
for each submission; :func:`read_responses` reads a whole file (xlsx/CSV) through the project's table reader
and locates every problem by sheet, row and column. A file with one bad answer is refused as a whole.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govassess import expr
from govassess.data import read_table
from govassess.errors import Problem, UserError

from .model import LIKERT5_LABELS, RESERVED_NAMES, Form, Question

UNIT_ALIASES = {n: "unit" for n in RESERVED_NAMES}
# Separators between the options of a multiple-choice answer (问卷星 exports use ┋).
_MULTI_SPLIT = re.compile(r"[\s,，;；、┋|]+")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T].*)?$")


@dataclass(frozen=True)
class Response:
    unit: str
    answers: dict[str, Any]          # question name → cleaned value (only answered, relevant questions)
    row: int | None = None           # row in the responses file (header = 1)
    ignored: tuple[str, ...] = ()    # answers to skipped questions that were dropped (settings: 忽略)


@dataclass(frozen=True)
class ResponseSet:
    form: Form
    responses: tuple[Response, ...]
    source: str | None = None
    ignored_columns: tuple[str, ...] = ()

    @property
    def ignored_answers(self) -> int:
        return sum(len(r.ignored) for r in self.responses)


# --- one value ----------------------------------------------------------------------------------------------

def _text(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return unicodedata.normalize("NFKC", str(raw)).strip() if not isinstance(raw, str) else raw.strip()


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        x = float(raw)
    else:
        try:
            x = float(unicodedata.normalize("NFKC", str(raw)).strip().replace(",", ""))
        except ValueError:
            return None
    return x if math.isfinite(x) else None


def _choice_text(form: Form, q: Question) -> str:
    return "、".join(c.name if c.name == c.label else f"{c.name}（{c.label}）" for c in form.choices[q.list_name or ""])


def clean_value(form: Form, q: Question, raw: Any) -> tuple[Any, str | None]:
    """The typed value of one non-blank answer, or an error message in Chinese."""
    text = _text(raw)
    if q.type == "text":
        return text, None
    if q.type in ("select_one", "select_multiple"):
        options = form.choices[q.list_name or ""]
        by_name = {c.name: c.name for c in options}
        by_label = {c.label: c.name for c in options}

        def one(t: str) -> str | None:
            return by_name.get(t) or by_label.get(t)

        if q.type == "select_one":
            got = one(text)
            return (got, None) if got else (None, f"「{text}」不是本题的选项，应为：{_choice_text(form, q)}")
        whole = one(text)
        parts = [whole] if whole else [p for p in _MULTI_SPLIT.split(text) if p]
        picked = []
        for p in parts:
            got = one(p)
            if got is None:
                return None, f"「{p}」不是本题的选项，应为：{_choice_text(form, q)}（多个选项用逗号或顿号分隔）"
            if got not in picked:
                picked.append(got)
        order = [c.name for c in options]
        return tuple(sorted(picked, key=order.index)), None
    if q.type in ("likert5", "likert10"):
        scale = q.scale or 5
        if q.type == "likert5" and text in LIKERT5_LABELS:
            return LIKERT5_LABELS.index(text) + 1, None
        x = _number(raw)
        if x is None or not x.is_integer() or not 1 <= x <= scale:
            labels = f"或 {'、'.join(LIKERT5_LABELS)}" if scale == 5 else ""
            return None, f"「{text}」无效：本题应填 1 到 {scale} 的整数{labels}"
        return int(x), None
    if q.type in ("integer", "decimal"):
        x = _number(raw)
        if x is None:
            return None, f"「{text}」不是数字"
        if q.type == "integer":
            if not x.is_integer():
                return None, f"「{text}」应为整数"
            return int(x), None
        return x, None
    assert q.type == "date"
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat(), None
    if isinstance(raw, dt.date):
        return raw.isoformat(), None
    m = _DATE.match(unicodedata.normalize("NFKC", text))
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat(), None
        except ValueError:
            pass
    return None, f"「{text}」不是有效日期（应写成 2026-03-01 这样的格式）"


def expression_env(form: Form, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Values as the expression language sees them: numbers as floats, a multiple choice as the number of
    options picked plus ``[题名.选项值]`` true/false for each option."""
    env: dict[str, Any] = {}
    for q in form.questions:
        if q.name not in answers:
            continue
        v = answers[q.name]
        if q.type == "select_multiple":
            env[q.name] = float(len(v))
            for c in form.choices[q.list_name or ""]:
                env[f"{q.name}.{c.name}"] = c.name in v
        elif isinstance(v, int | float):
            env[q.name] = float(v)
        else:
            env[q.name] = v
    return env


class _Uncomputable(Exception):
    pass


def _evaluate(node: expr.Node, env: Mapping[str, Any]) -> Any:
    # Arithmetic on a text answer ("abc" + 1) or an overflow cannot be computed: the caller says so in Chinese.
    try:
        return expr.evaluate(node, env)
    except (ValueError, TypeError, ArithmeticError):
        raise _Uncomputable from None


def _relevant(q: Question, env: Mapping[str, Any]) -> bool:
    # A condition that cannot be evaluated (it refers to an unanswered question) is not met, as in XLSForm.
    try:
        return all(bool(_evaluate(node, env)) for node in q.relevant_nodes)
    except _Uncomputable:
        return False


def check_answers(form: Form, raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]], list[str]]:
    """Check one response. ``raw`` maps question names to what was typed (blank = not answered).

    Returns (answers, problems as (question name, message), names of skipped questions whose answers were
    ignored). Questions are taken in form order: a question is asked when its own and its groups' 显示条件
    hold for the answers before it has been checked; required applies only to questions asked.
    """
    answers: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    ignored: list[str] = []
    for q in form.questions:
        value = raw.get(q.name)
        blank = value is None or (isinstance(value, str) and not value.strip())
        if q.relevant_nodes and not _relevant(q, expression_env(form, answers)):
            if not blank:
                if form.settings.skipped == "ignore":
                    ignored.append(q.name)
                else:
                    cond = "；".join(x for x in _conditions(form, q) if x)
                    problems.append((q.name, f"本题不应作答：显示条件「{cond}」不成立，该题应被跳过"))
            continue
        if blank:
            if q.required:
                problems.append((q.name, "必答题未作答"))
            continue
        cleaned, error = clean_value(form, q, value)
        if error:
            problems.append((q.name, error))
            continue
        if q.constraint_node is not None:
            env = expression_env(form, {**answers, q.name: cleaned})
            try:
                ok = _evaluate(q.constraint_node, env)
            except _Uncomputable:
                problems.append((q.name, f"约束「{q.constraint}」无法对「{_text(value)}」计算（文字不能参与算术运算），"
                                         "请检查问卷定义中的约束"))
                continue
            if ok is False:
                problems.append((q.name, q.constraint_message or f"「{_text(value)}」不满足约束「{q.constraint}」"))
                continue
        answers[q.name] = cleaned
    return answers, problems, ignored


def asked_questions(form: Form, raw: Mapping[str, Any]) -> list[str]:
    """Names of the questions asked given what was typed so far: the same walk as :func:`check_answers`
    (a question's 显示条件 sees the checked answers before it). The web page shows and hides questions
    with this, so the browser needs no expression evaluator of its own."""
    answers: dict[str, Any] = {}
    asked: list[str] = []
    for q in form.questions:
        if q.relevant_nodes and not _relevant(q, expression_env(form, answers)):
            continue
        asked.append(q.name)
        value = raw.get(q.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        cleaned, error = clean_value(form, q, value)
        if error is None:
            answers[q.name] = cleaned
    return asked


def _conditions(form: Form, q: Question) -> list[str | None]:
    """The 显示条件 texts that apply to a question: its groups' (outermost first), then its own."""
    chain: list[str | None] = []
    g = q.group
    groups = {x.name: x for x in form.groups}
    while g:
        chain.insert(0, groups[g].relevant)
        g = groups[g].parent
    return [*chain, q.relevant]


# --- a file -------------------------------------------------------------------------------------------------

def _header_key(h: str) -> str:
    return h.strip().lstrip("*").strip()


def read_responses(form: Form, path: str | Path, *, units: Iterable[str] | None = None) -> ResponseSet:
    """Read and check a responses file. Columns: unit (单位编码), then questions by name or by label; other
    columns are ignored and listed. ``units`` (codes) refuses responses for a unit not in the list."""
    file = str(path)
    df, sheet = read_table(path, aliases=UNIT_ALIASES, required=("unit",), what="问卷回答文件")
    by_key: dict[str, Question] = {}
    for q in form.questions:
        by_key.setdefault(q.name, q)
    for q in form.questions:
        by_key.setdefault(_header_key(q.label), q)
    columns: dict[str, str] = {}      # question name → header as written
    ignored_columns = []
    header_row = (df["_row"].min() - 1) if df.height else 1
    problems: list[Problem] = []
    for col in df.columns:
        if col in ("unit", "_row"):
            continue
        q = by_key.get(_header_key(col))
        if q is None:
            ignored_columns.append(col)
            continue
        if q.name in columns:
            problems.append(Problem(f"列「{col}」与列「{columns[q.name]}」都是题目「{q.name}」", file=file, sheet=sheet,
                                    row=header_row, column=col))
            continue
        columns[q.name] = col
    missing = [q.name for q in form.questions if q.required and not q.relevant_nodes and q.name not in columns]
    if missing:
        problems.append(Problem(f"缺少必答题的列：{'、'.join(missing)}（列名写题目名称或题目文字）", file=file,
                                sheet=sheet, row=header_row))
    if problems:
        raise UserError(problems=problems)
    if df.height == 0:
        raise UserError("问卷回答文件中没有任何回答", file=file, sheet=sheet)
    known_units = set(units) if units is not None else None
    responses: list[Response] = []
    for rec in df.iter_rows(named=True):
        row = rec["_row"]
        unit = rec["unit"]
        if not unit:
            problems.append(Problem("单位编码不能为空", file=file, sheet=sheet, row=row, column="单位编码"))
            continue
        if known_units is not None and unit not in known_units:
            problems.append(Problem(f"未知单位「{unit}」（不在单位文件中）", file=file, sheet=sheet, row=row,
                                    column="单位编码"))
            continue
        raw = {name: rec[col] for name, col in columns.items()}
        answers, found, ignored = check_answers(form, raw)
        for name, message in found:
            problems.append(Problem(message, file=file, sheet=sheet, row=row, column=columns.get(name, name)))
        responses.append(Response(unit, answers, row, tuple(ignored)))
    if problems:
        raise UserError(problems=problems)
    return ResponseSet(form, tuple(responses), file, tuple(ignored_columns))
