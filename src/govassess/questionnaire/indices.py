"""Indices per unit and per class from checked responses (formulas in docs/questionnaire.md).

- Each response's score: the weighted mean of its answers to the questions counted in the index (计入指数),
  each mapped to 0–100 by the settings' scale scores (default linear: (k − 1)/(K − 1) × 100).
- 满意度指数: the mean of the response scores; its confidence interval uses the t distribution on them.
- 满意率: the share of the answers to the overall question (总体满意度题) at or above 满意最低分 (default 4 of 5,
  8 of 10); a response at or below 差评最高分 (default 2 of 5, 4 of 10) is a 差评 and its comments are listed.
- Per question: count, mean, sample standard deviation and a t interval (numbers and scales); the share of
  each option (choices).
- 所需样本量: n₀ = z²·p(1 − p)/e² with p = 0.5, and with a population N the finite population correction
  n = n₀ / (1 + (n₀ − 1)/N), rounded up.

Pure functions over :class:`Response` lists: the CLI and the web platform compute the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from scipy import stats

from .model import LIKERT_TYPES, NUMERIC_TYPES, Form, Question
from .responses import Response


@dataclass(frozen=True)
class Interval:
    mean: float
    sd: float | None
    low: float | None
    high: float | None


@dataclass(frozen=True)
class QuestionStat:
    name: str
    label: str
    type: str
    n: int
    mean: float | None = None
    sd: float | None = None
    low: float | None = None
    high: float | None = None
    score: float | None = None                      # likert: mean mapped to 0–100
    shares: tuple[tuple[str, str, float], ...] = ()  # choices: (option name, label, share of those who answered)


@dataclass(frozen=True)
class Comment:
    unit: str
    row: int | None
    overall: int | None
    question: str
    text: str


@dataclass(frozen=True)
class GroupIndices:
    """One unit or one class."""

    key: str
    name: str | None
    cls: str | None
    n: int                                   # responses
    index: float | None = None
    index_low: float | None = None
    index_high: float | None = None
    index_n: int = 0                         # responses with at least one counted answer
    satisfied: float | None = None           # share, 0–1
    satisfied_count: int = 0
    overall_n: int = 0                       # responses that answered the overall question
    dissatisfied: int = 0                    # 差评 responses
    needed: int | None = None                # sample size for the settings' margin of error
    population: float | None = None
    warning: str | None = None
    questions: tuple[QuestionStat, ...] = ()
    comments: tuple[Comment, ...] = field(default=())


@dataclass(frozen=True)
class Indices:
    form: Form
    units: tuple[GroupIndices, ...]
    classes: tuple[GroupIndices, ...]


def t_interval(values: Sequence[float], confidence: float) -> Interval:
    """Mean, sample standard deviation and the t interval (none for fewer than two values)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return Interval(mean, None, None, None)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = float(stats.t.ppf((1 + confidence) / 2, n - 1)) * sd / math.sqrt(n)
    return Interval(mean, sd, mean - half, mean + half)


def sample_size(margin: float, confidence: float = 0.95, *, p: float = 0.5, population: float | None = None) -> int:
    """Responses needed to estimate a share within ± margin: z²·p(1−p)/e², with the finite population
    correction when the population is known."""
    z = float(stats.norm.ppf((1 + confidence) / 2))
    n0 = z * z * p * (1 - p) / (margin * margin)
    if population is not None and population > 0:
        n0 = n0 / (1 + (n0 - 1) / population)
    return math.ceil(n0 - 1e-9)


def response_score(form: Form, answers: Mapping[str, object]) -> float | None:
    total = weights = 0.0
    for q in form.questions:
        if q.index and q.name in answers:
            k = int(answers[q.name])  # type: ignore[call-overload]
            total += q.weight * form.settings.scores(q.scale or 5)[k - 1]
            weights += q.weight
    return total / weights if weights else None


def _question_stat(form: Form, q: Question, responses: Sequence[Response]) -> QuestionStat:
    values = [r.answers[q.name] for r in responses if q.name in r.answers]
    n = len(values)
    if q.type in NUMERIC_TYPES:
        if not n:
            return QuestionStat(q.name, q.label, q.type, 0)
        nums = [float(v) for v in values]
        iv = t_interval(nums, form.settings.confidence)
        score = None
        if q.type in LIKERT_TYPES:
            table = form.settings.scores(q.scale or 5)
            score = sum(table[int(v) - 1] for v in nums) / n
        return QuestionStat(q.name, q.label, q.type, n, iv.mean, iv.sd, iv.low, iv.high, score)
    if q.type in ("select_one", "select_multiple"):
        shares = []
        for c in form.choices[q.list_name or ""]:
            hits = sum(1 for v in values if (c.name in v if q.type == "select_multiple" else v == c.name))
            shares.append((c.name, c.label, hits / n if n else 0.0))
        return QuestionStat(q.name, q.label, q.type, n, shares=tuple(shares) if n else ())
    return QuestionStat(q.name, q.label, q.type, n)


def group_indices(form: Form, key: str, responses: Sequence[Response], *, name: str | None = None,
                  cls: str | None = None, population: float | None = None) -> GroupIndices:
    s = form.settings
    n = len(responses)
    needed = sample_size(s.margin, s.confidence, population=population)
    warning = None
    if n < s.min_sample:
        warning = f"样本量 {n} 少于最低样本量 {s.min_sample}"
    if n == 0:
        return GroupIndices(key, name, cls, 0, needed=needed, population=population, warning=warning)
    scores = [x for x in (response_score(form, r.answers) for r in responses) if x is not None]
    index = low = high = None
    if scores:
        iv = t_interval(scores, s.confidence)
        index, low, high = iv.mean, iv.low, iv.high
    satisfied = None
    satisfied_count = overall_n = dissatisfied = 0
    comments: list[Comment] = []
    overall = form.overall_question()
    if overall is not None:
        lo, hi = form.satisfied_min(), form.dissatisfied_max()
        assert lo is not None and hi is not None
        answered = [r for r in responses if overall.name in r.answers]
        overall_n = len(answered)
        satisfied_count = sum(1 for r in answered if r.answers[overall.name] >= lo)  # type: ignore[operator]
        satisfied = satisfied_count / overall_n if overall_n else None
        for r in answered:
            if r.answers[overall.name] <= hi:  # type: ignore[operator]
                dissatisfied += 1
                for q in form.comment_questions():
                    text = r.answers.get(q.name)
                    if text:
                        comments.append(Comment(r.unit, r.row, int(r.answers[overall.name]), q.name, str(text)))  # type: ignore[call-overload]
    else:  # without an overall question, every comment is listed
        for r in responses:
            for q in form.comment_questions():
                text = r.answers.get(q.name)
                if text:
                    comments.append(Comment(r.unit, r.row, None, q.name, str(text)))
    questions = tuple(_question_stat(form, q, responses) for q in form.questions)
    return GroupIndices(key, name, cls, n, index, low, high, len(scores), satisfied, satisfied_count, overall_n,
                        dissatisfied, needed, population, warning, questions, tuple(comments))


@dataclass(frozen=True)
class UnitInfo:
    code: str
    name: str | None = None
    cls: str | None = None
    population: float | None = None


def compute_indices(form: Form, responses: Iterable[Response], units: Sequence[UnitInfo] | None = None) -> Indices:
    """Indices for every unit (those of ``units`` in their order, with zero responses too; without ``units``
    the units met in the responses) and every class of ``units``."""
    by_unit: dict[str, list[Response]] = {}
    for r in responses:
        by_unit.setdefault(r.unit, []).append(r)
    infos = list(units) if units is not None else [UnitInfo(code) for code in by_unit]
    unit_rows = tuple(group_indices(form, u.code, by_unit.get(u.code, []), name=u.name, cls=u.cls,
                                    population=u.population) for u in infos)
    classes: dict[str, list[UnitInfo]] = {}
    for u in infos:
        if u.cls:
            classes.setdefault(u.cls, []).append(u)
    class_rows = []
    for cls, members in classes.items():
        pooled = [r for u in members for r in by_unit.get(u.code, [])]
        pops = [u.population for u in members]
        population = sum(p for p in pops if p is not None) if all(p is not None for p in pops) else None
        class_rows.append(group_indices(form, cls, pooled, cls=cls, population=population))
    return Indices(form, unit_rows, tuple(class_rows))
