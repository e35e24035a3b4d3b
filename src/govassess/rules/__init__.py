"""Rule types: each turns the inputs of one leaf, for all units at once, into a score column
plus a Chinese explanation column. Rules are small immutable objects validated when the
indicator system loads (``build_rule``); the scoring engine clamps to [0, points].

Every input a rule declares carries its domain (``Rule.inputs`` → :func:`with_domain`): a percent
is a fraction in [0, 1], a count a non-negative integer, unless the rule's ``limits`` widen it with a
reason. ``govassess.data.prepare_inputs`` refuses any value outside it, so a rule never sees one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import polars as pl

from govassess import expr as ex

# Input kinds: how a raw cell is parsed and checked.
NUMBER, PERCENT, COUNT, BOOL, CHOICE, SCORE = "number", "percent", "count", "bool", "choice", "score"
STRING_KINDS = {CHOICE}


class RuleError(ValueError):
    """A bad rule parameter; ``field`` names it (e.g. ``rule.bands``)."""

    def __init__(self, message: str, field: str = "rule"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class InputDecl:
    name: str
    kind: str
    choices: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    required: bool = True
    needs_note: bool = False
    reason: str | None = None  # why the system widened the default domain (``limits``)
    not_above: str | None = None  # another input of the same leaf this one may not exceed (numerator ≤ denominator)


# Largest magnitude any numeric input may have: far above any real count or amount, far below overflow,
# so products in formulas stay finite (1e308 would turn into infinity and then into full marks).
MAX_MAGNITUDE = 1e15
LIMIT_KEYS = frozenset({"min", "max", "reason"})


def with_domain(decl: InputDecl, limits: Mapping[str, Any] | None = None) -> InputDecl:
    """The input with its kind's default domain, then the rule's ``limits`` for it applied.

    percent: [0, 1] (a fraction; "85%" is 0.85); count: ≥ 0 (integers, checked by the reader);
    bool: 0/1; score: [0, points] (set by the rule); number: any finite value within ±MAX_MAGNITUDE.
    """
    lo, hi = decl.min, decl.max
    if decl.kind == PERCENT:
        lo = 0.0 if lo is None else lo
        hi = 1.0 if hi is None else hi
    elif decl.kind in (COUNT, BOOL):
        lo = 0.0 if lo is None else lo
        hi = 1.0 if decl.kind == BOOL else hi
    reason = None
    if limits:
        lo = limits.get("min", lo)
        hi = limits.get("max", hi)
        reason = limits.get("reason")
    return replace(decl, min=lo, max=hi, reason=reason)


def parse_limits(params: Mapping[str, Any], names: list[str]) -> dict[str, dict[str, Any]]:
    """``limits: {输入名: {min: 0, max: 150%, reason: 超额完成计满分}}`` → {name: {min, max, reason}}."""
    raw = params.get("limits")
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        raise RuleError("应为 {输入名称: {min: 下限, max: 上限, reason: 理由}} 映射", "rule.limits")
    out: dict[str, dict[str, Any]] = {}
    for name, spec in raw.items():
        key = str(name).strip()
        if key not in names:
            raise RuleError(f"limits 中的「{key}」不是本规则的输入，应为：{'、'.join(names)}", "rule.limits")
        if not isinstance(spec, dict) or not spec:
            raise RuleError(f"「{key}」的取值范围应为 {{min: 下限, max: 上限, reason: 理由}}", "rule.limits")
        extra = set(map(str, spec)) - LIMIT_KEYS
        if extra:
            raise RuleError(f"「{key}」的取值范围不认识 {'、'.join(sorted(extra))}，可用：min、max、reason", "rule.limits")
        reason = spec.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise RuleError(f"「{key}」改变了取值范围，必须用 reason 写明理由（如依据哪条评分细则）", "rule.limits")
        one: dict[str, Any] = {"reason": reason.strip()}
        for bound in ("min", "max"):
            if bound in spec:
                one[bound] = parse_number(spec[bound], "rule.limits")
        if "min" in one and "max" in one and one["min"] > one["max"]:
            raise RuleError(f"「{key}」的下限 {_num_text(one['min'])} 大于上限 {_num_text(one['max'])}", "rule.limits")
        out[key] = one
    return out


@dataclass
class Scored:
    """What a rule produces, as Polars expressions over the round's wide frame."""

    score: pl.Expr
    text: pl.Expr
    value: pl.Expr | None = None
    not_applicable: pl.Expr | None = None  # rule-level N/A (e.g. ratio with zero denominator, on_zero: na)


class Context:
    """Gives a rule the columns of its leaf's inputs and the unit attributes."""

    def __init__(self, *, points: float, inp: Callable[[str], pl.Expr], note: Callable[[str], pl.Expr],
                 attr: Callable[[str], tuple[pl.Expr, str]] | None, peer: str, applicable: pl.Expr,
                 label: Callable[[str], str] | None = None):
        self.points = points
        self.label = label or (lambda name: name)  # the Chinese label of an input or attribute name
        self.inp = inp
        self.note = note
        self.attr = attr
        self.peer = peer
        self.applicable = applicable


def parse_number(value: Any, where: str) -> float:
    """A rule parameter number: 2, 0.95, "95%", "2分"; NaN and infinity are refused (YAML reads .nan/.inf)."""
    if isinstance(value, bool):
        raise RuleError(f"应为数字，实际为 {value!r}", where)
    number: float | None = None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        s = value.strip().rstrip("分").strip()
        try:
            number = float(s[:-1]) / 100 if s.endswith("%") else float(s)
        except ValueError:
            pass
    if number is not None and not is_finite(number):
        raise RuleError(f"应为有限的数字，实际为 {value!r}（不能是 NaN 或无穷大）", where)
    if number is None:
        raise RuleError(f"应为数字（如 2、0.95 或 \"95%\"），实际为 {value!r}", where)
    return number


def is_percent_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip().rstrip("分").strip().endswith("%")


def fmt(e: pl.Expr, digits: int = 2) -> pl.Expr:
    """Number → short text: 3 → "3", 2.5 → "2.5", 1/3 → "0.33"; null → "—"."""
    r = e.round(digits)
    whole = r == r.round(0)
    text = pl.when(whole).then(r.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(
        r.cast(pl.String)
    )
    return text.fill_null("—")


def fmt_pct(e: pl.Expr) -> pl.Expr:
    return pl.concat_str([fmt(e * 100), pl.lit("%")])


def _pct_text(x: float) -> str:
    s = f"{x * 100:.2f}".rstrip("0").rstrip(".")
    return f"{s}%"


def _num_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.4f}".rstrip("0").rstrip(".")


class Rule:
    type: ClassVar[str]
    keys: ClassVar[frozenset[str]] = frozenset()
    params: Mapping[str, Any]

    def inputs(self, points: float) -> list[InputDecl]:
        """The inputs this rule reads, each with its domain (kind default, then ``limits``)."""
        decls = self._decls(points)
        limits = parse_limits(self.params, [d.name for d in decls])
        return [with_domain(d, limits.get(d.name)) for d in decls]

    def _decls(self, points: float) -> list[InputDecl]:
        raise NotImplementedError

    def score(self, ctx: Context) -> Scored:
        raise NotImplementedError

    def max_points(self) -> float | None:
        """The most this rule can award, when it says so itself (checked against the leaf's points)."""
        return None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.params)


def _req(params: Mapping[str, Any], key: str) -> Any:
    if key not in params or params[key] in (None, ""):
        raise RuleError(f"缺少参数 {key}", f"rule.{key}")
    return params[key]


def _name(params: Mapping[str, Any], key: str) -> str:
    v = _req(params, key)
    if not isinstance(v, str | int) or not str(v).strip():
        raise RuleError("应为输入名称（文字）", f"rule.{key}")
    return str(v).strip()


def _pairs(params: Mapping[str, Any], bound: str) -> tuple[tuple[float, float], ...]:
    """``bands: [[bound, points], …]`` with strictly increasing bounds (分档 lower bounds or worst ranks)."""
    raw = _req(params, "bands")
    if not isinstance(raw, list) or not raw:
        raise RuleError(f"应为 [[{bound}, 分值], …] 列表", "rule.bands")
    bands = []
    for i, b in enumerate(raw, 1):
        if not isinstance(b, list | tuple) or len(b) != 2:
            raise RuleError(f"第 {i} 档应为 [{bound}, 分值]，实际为 {b!r}", "rule.bands")
        bands.append((parse_number(b[0], "rule.bands"), parse_number(b[1], "rule.bands")))
    if any(bands[i][0] >= bands[i + 1][0] for i in range(len(bands) - 1)):
        raise RuleError(f"各档{bound}应严格递增", "rule.bands")
    return tuple(bands)


def _order(params: Mapping[str, Any]) -> str:
    order = params.get("order", "desc")
    if order not in ("desc", "asc"):
        raise RuleError("应为 desc（越大越好）或 asc（越小越好）", "rule.order")
    return str(order)


@dataclass(frozen=True)
class Ratio(Rule):
    type = "ratio"
    keys = frozenset({"num", "den", "value", "target", "on_zero", "allow_above"})
    params: Mapping[str, Any] = field(repr=False)
    num: str | None
    den: str | None
    value: str | None
    target: float | None
    on_zero: str
    allow_above: bool = False

    @classmethod
    def build(cls, p: Mapping[str, Any]) -> Ratio:
        has_pair = "num" in p or "den" in p
        if has_pair == ("value" in p):
            raise RuleError("应给出 num 与 den（分子、分母输入），或 value（比率输入），二者取其一")
        target = parse_number(p["target"], "rule.target") if "target" in p else None
        if target is not None and not 0 < target <= 1:
            raise RuleError(f"目标值应在 (0, 100%] 内，实际为 {p['target']!r}", "rule.target")
        on_zero = p.get("on_zero", "zero")
        if on_zero not in ("zero", "full", "na"):
            raise RuleError("应为 zero、full 或 na", "rule.on_zero")
        allow_above = p.get("allow_above", False)
        if not isinstance(allow_above, bool):
            raise RuleError("应为 true 或 false", "rule.allow_above")
        if has_pair:
            return cls(p, _name(p, "num"), _name(p, "den"), None, target, on_zero, allow_above)
        if allow_above:
            raise RuleError("allow_above 只用于 num/den 形式；比率输入超过 100% 时请用 limits 写明上限与理由",
                            "rule.allow_above")
        return cls(p, None, None, _name(p, "value"), target, on_zero)

    def _decls(self, points: float) -> list[InputDecl]:
        if self.value:
            return [InputDecl(self.value, PERCENT, min=0)]
        assert self.num and self.den
        # A numerator above its denominator (120 of 10 catalogues) is a data error unless the rule says otherwise.
        return [InputDecl(self.num, NUMBER, min=0, not_above=None if self.allow_above else self.den),
                InputDecl(self.den, NUMBER, min=0)]

    def score(self, ctx: Context) -> Scored:
        na = None
        if self.value:
            raw = ctx.inp(self.value)
            text = pl.concat_str([pl.lit(f"{self.value} "), fmt_pct(raw)])
            zero_den = pl.lit(False)
        else:
            assert self.num and self.den
            n, d = ctx.inp(self.num), ctx.inp(self.den)
            zero_den = d == 0
            raw = pl.when(zero_den).then(None).otherwise(n / d)
            text = pl.concat_str([pl.lit(f"{self.num} "), fmt(n), pl.lit(f" ÷ {self.den} "), fmt(d),
                                  pl.lit(" = "), fmt_pct(raw)])
        v = raw.clip(0.0, 1.0)
        if self.target:
            s = ctx.points * pl.min_horizontal(v / self.target, pl.lit(1.0))
            text = pl.concat_str([text, pl.lit(f"，目标 {_pct_text(self.target)}，得分 = {_num_text(ctx.points)} × min(比率 ÷ 目标, 1)")])
        else:
            s = ctx.points * v
            text = pl.concat_str([text, pl.lit(f"，得分 = {_num_text(ctx.points)} × 比率")])
        if not self.value:
            zero_text = {"zero": "分母为 0，按 0 分计", "full": "分母为 0，按满分计", "na": "分母为 0，本指标不适用"}[self.on_zero]
            zero_score = {"zero": 0.0, "full": ctx.points, "na": 0.0}[self.on_zero]
            s = pl.when(zero_den).then(pl.lit(zero_score)).otherwise(s)
            text = pl.when(zero_den).then(pl.lit(zero_text)).otherwise(text)
            if self.on_zero == "na":
                na = zero_den.fill_null(False)
        return Scored(s, text, v, na)


@dataclass(frozen=True)
class Bands(Rule):
    type = "bands"
    keys = frozenset({"input", "bands"})
    params: Mapping[str, Any] = field(repr=False)
    input: str
    bands: tuple[tuple[float, float], ...]
    percent: bool = False  # limits written as "95%": the input is a percent, compared in the same unit

    @classmethod
    def build(cls, p: Mapping[str, Any]) -> Bands:
        bands = _pairs(p, "下限")
        percent = any(isinstance(b, list | tuple) and is_percent_text(b[0]) for b in p["bands"])
        return cls(p, _name(p, "input"), bands, percent)

    def _decls(self, points: float) -> list[InputDecl]:
        return [InputDecl(self.input, PERCENT if self.percent else NUMBER)]

    def max_points(self) -> float:
        return max(pts for _, pts in self.bands)

    def score(self, ctx: Context) -> Scored:
        v = ctx.inp(self.input)
        s: Any = pl.lit(0.0)
        show = _pct_text if self.percent else _num_text
        label: Any = pl.lit(f"低于最低档 {show(self.bands[0][0])}")
        for lower, pts in self.bands:  # ascending: later (higher) bands override
            s = pl.when(v >= lower).then(pl.lit(pts)).otherwise(s)
            label = pl.when(v >= lower).then(pl.lit(f"落在 ≥{show(lower)} 档（{_num_text(pts)} 分）")).otherwise(label)
        shown = fmt_pct(v) if self.percent else fmt(v, 4)
        return Scored(s, pl.concat_str([pl.lit(f"{self.input} "), shown, pl.lit("，"), label]), v)


@dataclass(frozen=True)
class PerItem(Rule):
    type = "per_item"
    keys = frozenset({"input", "each"})
    params: Mapping[str, Any] = field(repr=False)
    input: str
    each: float

    @classmethod
    def build(cls, p: Mapping[str, Any]) -> PerItem:
        each = parse_number(_req(p, "each"), "rule.each")
        if each <= 0:
            raise RuleError("每项分值应大于 0", "rule.each")
        return cls(p, _name(p, "input"), each)

    def _decls(self, points: float) -> list[InputDecl]:
        return [InputDecl(self.input, COUNT, min=0)]

    def score(self, ctx: Context) -> Scored:
        n = ctx.inp(self.input)
        text = pl.concat_str([pl.lit(f"{self.input} "), fmt(n), pl.lit(f" 项 × {_num_text(self.each)} 分，最高 {_num_text(ctx.points)} 分")])
        return Scored(n * self.each, text, n)


@dataclass(frozen=True)
class Deduct(Rule):
    type = "deduct"
    keys = frozenset({"input", "each", "below", "step"})
    params: Mapping[str, Any] = field(repr=False)
    input: str
    each: float
    below: float | None
    step: float

    @classmethod
    def build(cls, p: Mapping[str, Any]) -> Deduct:
        each = parse_number(_req(p, "each"), "rule.each")
        if each <= 0:
            raise RuleError("每次扣分应大于 0", "rule.each")
        below = parse_number(p["below"], "rule.below") if "below" in p else None
        percent = is_percent_text(p.get("below"))
        step = parse_number(p["step"], "rule.step") if "step" in p else (0.01 if percent else 1.0)
        if step <= 0:
            raise RuleError("单位步长应大于 0", "rule.step")
        return cls(p, _name(p, "input"), each, below, step)

    def _decls(self, points: float) -> list[InputDecl]:
        if self.below is None:
            return [InputDecl(self.input, COUNT, min=0)]
        # below: "99%" makes the input a percent, so 95 (meant as 95 %) is refused rather than read as 9500 %
        return [InputDecl(self.input, PERCENT if is_percent_text(self.params.get("below")) else NUMBER)]

    def score(self, ctx: Context) -> Scored:
        v = ctx.inp(self.input)
        if self.below is None:
            d = v * self.each
            text = pl.concat_str([pl.lit(f"{self.input} "), fmt(v), pl.lit(f" 个，每个扣 {_num_text(self.each)} 分，共扣 "), fmt(d), pl.lit(" 分")])
            return Scored(ctx.points - d, text, v)
        # Whole units below the level; the epsilon keeps 0.99 − 0.97 = 0.019999… from losing a unit.
        units = ((pl.lit(self.below) - v).clip(lower_bound=0) / self.step + 1e-9).floor()
        d = units * self.each
        pct = is_percent_text(self.params.get("below"))
        below_text = _pct_text(self.below) if pct else _num_text(self.below)
        unit_text = "个百分点" if pct and abs(self.step - 0.01) < 1e-12 else f"个单位（{_num_text(self.step)}）"
        shown = fmt_pct(v) if pct else fmt(v, 4)
        text = pl.concat_str([pl.lit(f"{self.input} "), shown, pl.lit(f"，低于 {below_text} 共 "), fmt(units),
                              pl.lit(f" {unit_text}，每个扣 {_num_text(self.each)} 分，共扣 "), fmt(d), pl.lit(" 分")])
        return Scored(ctx.points - d, text, v)


@dataclass(frozen=True)
class Choice(Rule):
    type = "choice"
    keys = frozenset({"input", "options", "na"})
    params: Mapping[str, Any] = field(repr=False)
    input: str
    options: tuple[tuple[str, float], ...]
    na: tuple[str, ...] = ()  # answers that make the leaf not applicable to the unit (e.g. 黑河 "(按需)": 无此需求)

    @classmethod
    def build(cls, p: Mapping[str, Any]) -> Choice:
        raw = _req(p, "options")
        if not isinstance(raw, dict) or not raw:
            raise RuleError("应为 {标签: 分值} 映射", "rule.options")
        opts = tuple((str(k).strip(), parse_number(v, "rule.options")) for k, v in raw.items())
        na_raw = p.get("na", [])
        if not isinstance(na_raw, list) or not all(isinstance(x, str) and x.strip() for x in na_raw):
            raise RuleError("应为选项文字列表，如 [无此需求]", "rule.na")
        na = tuple(x.strip() for x in na_raw)
        if set(na) & {k for k, _ in opts}:
            raise RuleError("不适用选项不能同时是计分选项", "rule.na")
        return cls(p, _name(p, "input"), opts, na)

    def _decls(self, points: float) -> list[InputDecl]:
        return [InputDecl(self.input, CHOICE, choices=tuple(k for k, _ in self.options) + self.na)]

    def max_points(self) -> float:
        return max(v for _, v in self.options)

    def score(self, ctx: Context) -> Scored:
        v = ctx.inp(self.input)
        mapping = dict(self.options)
        s = v.replace_strict(mapping, default=None, return_dtype=pl.Float64)
        na = v.is_in(list(self.na)).fill_null(False) if self.na else None
        return Scored(s, pl.concat_str([pl.lit(f"{self.input}：「"), v.fill_null("—"), pl.lit("」")]), None, na)


@dataclass(frozen=True)
class Checklist(Rule):
    type = "checklist"
    keys = frozenset({"items"})
    params: Mapping[str, Any] = field(repr=False)
    items: tuple[tuple[str, float], ...]

    @classmethod
    def build(cls, p: Mapping[str, Any]) -> Checklist:
        raw = _req(p, "items")
        if not isinstance(raw, dict) or not raw:
            raise RuleError("应为 {项目名: 分值} 映射", "rule.items")
        return cls(p, tuple((str(k).strip(), parse_number(v, "rule.items")) for k, v in raw.items()))

    def _decls(self, points: float) -> list[InputDecl]:
        return [InputDecl(name, BOOL) for name, _ in self.items]

    def score(self, ctx: Context) -> Scored:
        s = pl.sum_horizontal([ctx.inp(n).fill_null(0) * pts for n, pts in self.items])
        met = pl.concat_str([pl.when(ctx.inp(n) == 1).then(pl.lit(n)) for n, _ in self.items], separator="、", ignore_nulls=True)
        unmet = pl.concat_str([pl.when(ctx.inp(n) != 1).then(pl.lit(n)) for n, _ in self.items], separator="、", ignore_nulls=True)
        text = pl.concat_str([pl.lit("已满足："), pl.when(met == "").then(pl.lit("无")).otherwise(met),
                              pl.lit("；未满足："), pl.when(unmet == "").then(pl.lit("无")).otherwise(unmet)])
        return Scored(s, text, None)


def _band_points(r: pl.Expr, bands: tuple[tuple[float, float], ...]) -> pl.Expr:
    s: Any = pl.lit(0.0)
    for worst, pts in reversed(bands):  # best band last so it wins
        s = pl.when(r <= worst).then(pl.lit(pts)).otherwise(s)
    return s


@dataclass(frozen=True)
class Rank(Rule):
    type = "rank"
    keys = frozenset({"input", "order", "bands", "given"})
    params: Mapping[str, Any] = field(repr=False)
    input: str
    order: str
    bands: tuple[tuple[float, float], ...]
    given: bool

    @classmethod
    def build(cls, p: Mapping[str, Any]) -> Rank:
        bands = _pairs(p, "该档最差名次")
        given = p.get("given", False)
        if not isinstance(given, bool):
            raise RuleError("应为 true 或 false", "rule.given")
        return cls(p, _name(p, "input"), _order(p), bands, given)

    def _decls(self, points: float) -> list[InputDecl]:
        return [InputDecl(self.input, COUNT if self.given else NUMBER, min=1 if self.given else None)]

    def max_points(self) -> float:
        return max(pts for _, pts in self.bands)

    def score(self, ctx: Context) -> Scored:
        v = ctx.inp(self.input)
        if self.given:
            r = v
            text = pl.concat_str([pl.lit(f"{self.input}：第 "), fmt(r), pl.lit(" 名")])
        else:
            peer_v = pl.when(ctx.applicable).then(v)
            r = peer_v.rank("min", descending=self.order == "desc").over(ctx.peer).cast(pl.Float64)
            n = peer_v.count().over(ctx.peer)
            better = "越大越好" if self.order == "desc" else "越小越好"
            text = pl.concat_str([pl.lit(f"{self.input} "), fmt(v, 4), pl.lit(f"（{better}），同类 "), n.cast(pl.String),
                                  pl.lit(" 个单位中第 "), fmt(r), pl.lit(" 名")])
        return Scored(_band_points(r, self.bands), text, r)


@dataclass(frozen=True)
class Relative(Rule):
    type = "relative"
    keys = frozenset({"input", "method", "order", "per"})
    params: Mapping[str, Any] = field(repr=False)
    input: str
    method: str
    order: str
    per: str | None

    @classmethod
    def build(cls, p: Mapping[str, Any]) -> Relative:
        method = p.get("method", "best")
        if method not in ("best", "minmax"):
            raise RuleError("应为 best 或 minmax", "rule.method")
        per = str(p["per"]).strip() if p.get("per") else None
        return cls(p, _name(p, "input"), str(method), _order(p), per)

    def _decls(self, points: float) -> list[InputDecl]:
        return [InputDecl(self.input, NUMBER)]

    def score(self, ctx: Context) -> Scored:
        v = ctx.inp(self.input)
        text = pl.concat_str([pl.lit(f"{self.input} "), fmt(v, 4)])
        if self.per:
            if ctx.attr is None:
                raise RuleError("缺少单位属性", "rule.per")
            a = ctx.attr(self.per)[0]
            v = pl.when(a > 0).then(v / a)
            text = pl.concat_str([text, pl.lit(f" ÷ {ctx.label(self.per)} "), fmt(a, 6), pl.lit(" = "), fmt(v, 6)])
        x = pl.when(ctx.applicable).then(v)
        hi, lo = x.max().over(ctx.peer), x.min().over(ctx.peer)
        p = ctx.points
        span = hi - lo
        # Range method: the best unit of the class gets full points, the worst none, linear in between.
        frac = (x - lo) / span if self.order == "desc" else (hi - x) / span
        ranged = pl.when(span == 0).then(p).otherwise(p * frac)
        range_text = pl.concat_str([pl.lit("，同类最小 "), fmt(lo, 6), pl.lit("、最大 "), fmt(hi, 6),
                                    pl.lit(f"，按极差法折算（全部相等得满分 {_num_text(p)} 分）")])
        if self.method == "minmax":
            return Scored(ranged, pl.concat_str([text, range_text]), v)
        # Ratio to the best only where it means something: every value of the class ≥ 0 and the best > 0.
        # Otherwise (fewer is better and the best is 0; negative values) the ratio is 0 or undefined for
        # everyone but the best, so the range method is used instead — see docs/indicator-systems.md.
        if self.order == "desc":
            best, ratio_ok, ratio = hi, (hi > 0) & (lo >= 0), x / hi
        else:
            best, ratio_ok, ratio = lo, lo > 0, lo / x
        s = pl.when(span == 0).then(p).when(ratio_ok).then(p * ratio).otherwise(ranged)
        better = "" if self.order == "desc" else "（越小越好）"
        ratio_text = pl.concat_str([pl.lit(f"{better}，同类最好值 "), fmt(best, 6),
                                    pl.lit(f"，得分 = {_num_text(p)} × "
                                           + ("本单位值 ÷ 最好值" if self.order == "desc" else "最好值 ÷ 本单位值"))])
        worst = lo if self.order == "desc" else hi
        fallback_text = pl.concat_str([pl.lit(f"{better}，同类最好值 "), fmt(best, 6), pl.lit("、最差值 "), fmt(worst, 6),
                                       pl.lit("，与最好值之比无意义（最好值为 0 或有负值），按极差法：得分 = "
                                              f"{_num_text(p)} × (1 − |本单位值 − 最好值| ÷ |最差值 − 最好值|)")])
        equal_text = pl.lit(f"{better}，同类各单位数值相同，得满分")
        text = pl.concat_str([text, pl.when(span == 0).then(equal_text).when(ratio_ok).then(ratio_text)
                              .otherwise(fallback_text)])
        return Scored(s, text, v)


@dataclass(frozen=True)
class Formula(Rule):
    type = "formula"
    keys = frozenset({"expr", "inputs"})
    params: Mapping[str, Any] = field(repr=False)
    expr: str
    tree: ex.Node
    input_names: tuple[str, ...]
    declared: bool
    input_kinds: tuple[str, ...]

    @classmethod
    def build(cls, p: Mapping[str, Any]) -> Formula:
        text = str(_req(p, "expr"))
        try:
            tree = ex.parse(text)
        except ex.ExprError as e:
            raise RuleError(f"公式无法解析：{e}", "rule.expr") from None
        declared = "inputs" in p
        kinds: dict[str, str] = {}
        if declared:
            raw = p["inputs"]
            if isinstance(raw, dict):  # {name: kind} types the inputs (drop-downs for 是/否 in templates)
                for k, v in raw.items():
                    if v not in (NUMBER, PERCENT, COUNT, BOOL):
                        raise RuleError(f"输入「{k}」的类型应为 number、percent、count 或 bool，实际为 {v!r}", "rule.inputs")
                    kinds[str(k)] = str(v)
                names = tuple(kinds)
            elif isinstance(raw, list) and all(isinstance(i, str) for i in raw):
                names = tuple(raw)
            else:
                raise RuleError("应为输入名称列表，或 {输入名称: 类型} 映射", "rule.inputs")
        else:
            names = tuple(sorted(ex.names(tree)))
        if not names:
            raise RuleError("公式没有引用任何输入", "rule.expr")
        # A dry compile with every name a number: text in arithmetic, or a formula whose result is text
        # (IF(…, "好", "差")), is refused when the system is loaded rather than in the middle of scoring.
        try:
            _, kind = ex.compile_kind(tree, lambda name: (pl.lit(0.0), "num"))
        except ex.ExprError as e:
            raise RuleError(f"公式无法计算：{e}", "rule.expr") from None
        if kind == "str":
            raise RuleError("公式的结果是文字，应为数字（得分）；请让每个分支都给出数字", "rule.expr")
        return cls(p, text, tree, names, declared, tuple(kinds.get(n, NUMBER) for n in names))

    def _decls(self, points: float) -> list[InputDecl]:
        return [InputDecl(n, k, min=0 if k == COUNT else None) for n, k in zip(self.input_names, self.input_kinds, strict=True)]

    def score(self, ctx: Context) -> Scored:
        own = set(self.input_names)

        def resolve(name: str) -> tuple[pl.Expr, str]:
            if name in own:
                return ctx.inp(name), "num"
            if ctx.attr is None:
                raise RuleError(f"公式引用了未知名称「{name}」", "rule.expr")
            return ctx.attr(name)

        try:
            s, kind = ex.compile_kind(self.tree, resolve)
        except ex.ExprError as e:
            raise RuleError(f"公式无法计算：{e}", "rule.expr") from None
        if kind == "str":
            raise RuleError("公式的结果是文字（引用了文字属性），应为数字（得分）", "rule.expr")
        if kind == "bool":  # a comparison scores 1 when it holds, as in Excel
            s = s.cast(pl.Float64)
        # An overflow (a huge product) is "cannot compute", not full marks after clamping.
        s = pl.when(s.is_infinite()).then(None).otherwise(s)
        parts: list[pl.Expr] = []
        for i, n in enumerate(self.input_names):
            parts += [pl.lit(("，" if i else "") + f"{n} = "), fmt(ctx.inp(n), 4)]
        text = pl.concat_str([pl.lit("公式 "), pl.lit(self.expr), pl.lit("；"), *parts, pl.lit("；结果 "), fmt(s, 4),
                              pl.when(s.is_null()).then(pl.lit("（无法计算，按 0 分计）")).otherwise(pl.lit(""))])
        return Scored(s.fill_nan(None), text, s)


@dataclass(frozen=True)
class Manual(Rule):
    type = "manual"
    keys = frozenset({"input"})
    params: Mapping[str, Any] = field(repr=False)
    input: str

    @classmethod
    def build(cls, p: Mapping[str, Any]) -> Manual:
        return cls(p, str(p.get("input", "score")).strip() or "score")

    def _decls(self, points: float) -> list[InputDecl]:
        return [InputDecl(self.input, SCORE, min=0, max=points, needs_note=True)]

    def score(self, ctx: Context) -> Scored:
        v = ctx.inp(self.input)
        text = pl.concat_str([pl.lit("人工评分 "), fmt(v), pl.lit(" 分，理由："), ctx.note(self.input).fill_null("—")])
        return Scored(v, text, v)


@dataclass(frozen=True)
class External(Rule):
    type = "external"
    keys = frozenset({"input", "max"})
    params: Mapping[str, Any] = field(repr=False)
    input: str
    max: float

    @classmethod
    def build(cls, p: Mapping[str, Any]) -> External:
        mx = parse_number(_req(p, "max"), "rule.max")
        if mx <= 0:
            raise RuleError("外部考核满分应大于 0", "rule.max")
        return cls(p, _name(p, "input"), mx)

    def _decls(self, points: float) -> list[InputDecl]:
        return [InputDecl(self.input, NUMBER, min=0, max=self.max)]

    def score(self, ctx: Context) -> Scored:
        v = ctx.inp(self.input)
        text = pl.concat_str([pl.lit(f"{self.input} "), fmt(v), pl.lit(f" / {_num_text(self.max)}，按比例折算为 {_num_text(ctx.points)} 分制")])
        return Scored(ctx.points * v / self.max, text, v)


RULE_TYPES: dict[str, Any] = {
    cls.type: cls for cls in (Ratio, Bands, PerItem, Deduct, Choice, Checklist, Rank, Relative, Formula, Manual, External)
}


def build_rule(params: Any) -> Rule:
    """Validate a ``rule:`` mapping and build its rule object; raises RuleError."""
    if not isinstance(params, dict):
        raise RuleError("rule 应为映射，例如 {type: ratio, value: 网上受理率}")
    rtype = params.get("type")
    if rtype not in RULE_TYPES:
        raise RuleError(f"未知规则类型 {rtype!r}，可用：{'、'.join(RULE_TYPES)}", "rule.type")
    cls = RULE_TYPES[rtype]
    unknown = set(params) - cls.keys - {"type", "limits"}
    if unknown:
        raise RuleError(f"规则 {rtype} 不认识参数 {'、'.join(sorted(map(str, unknown)))}，可用参数：{'、'.join(sorted(cls.keys))}",
                        f"rule.{sorted(map(str, unknown))[0]}")
    rule: Rule = cls.build(params)
    parse_limits(params, [d.name for d in rule._decls(1.0)])  # refuse a bad ``limits`` when the system loads
    return rule


def is_finite(x: float) -> bool:
    return not (math.isnan(x) or math.isinf(x))
