"""A small Excel-like expression language, parsed — never passed to Python ``eval``.

Grammar (lowest to highest precedence)::

    expr    := or
    or      := and ("OR" and)*            -- also the function OR(a, b, …)
    and     := not ("AND" not)*
    not     := "NOT" not | compare
    compare := sum (("=" | "==" | "<>" | "!=" | "<" | "<=" | ">" | ">=") sum)?
    sum     := term (("+" | "-") term)*
    term    := unary (("*" | "/" | "×" | "÷") unary)*
    unary   := ("-" | "+") unary | power
    power   := atom ("^" unary)?
    atom    := NUMBER ["%"] | STRING | NAME | "[" any name "]" | FUNC "(" args ")" | "(" expr ")"

Names may be Chinese; a name that starts with a digit or holds spaces is written in
square brackets: ``[12345按时办结率]``. Functions: IF, AND, OR, NOT, MIN, MAX, ROUND, ABS.

An expression compiles to a Polars expression (vectorised over all units) and can
also be evaluated on plain Python values.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

FUNCTIONS = {"IF": (3, 3), "AND": (1, 99), "OR": (1, 99), "NOT": (1, 1), "MIN": (1, 99), "MAX": (1, 99),
             "ROUND": (1, 2), "ABS": (1, 1)}
KEYWORDS = {"AND", "OR", "NOT", "TRUE", "FALSE"}


class ExprError(ValueError):
    """A parse or name error; the caller turns it into a located UserError."""


# Bounds on what a formula may be (docs/limits.md). A real formula has tens of tokens and a few levels; these
# stop a crafted one (twenty thousand terms, thousands of parentheses) before the recursive parser and
# compiler exhaust the stack. Nesting counts parentheses, function calls and prefix operators (- and NOT).
DEFAULT_MAX_CHARS = 20_000
DEFAULT_MAX_TOKENS = 1_000
DEFAULT_MAX_DEPTH = 40
ROUND_MAX_DIGITS = 15  # a float holds 15–17 significant digits; 10.0 ** 309 overflows


def _limit(name: str, default: int, ceiling: int | None = None) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise ExprError(f"环境变量 {name} 应为正整数，实际为「{raw}」")
    # The parser recurses once per nesting level: above the ceiling Python's own stack would run out.
    return min(int(raw), ceiling) if ceiling else int(raw)


def max_tokens() -> int:
    return _limit("GOVASSESS_EXPR_MAX_TOKENS", DEFAULT_MAX_TOKENS, 5_000)


def max_depth() -> int:
    return _limit("GOVASSESS_EXPR_MAX_DEPTH", DEFAULT_MAX_DEPTH, 80)


# --- AST -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Bool:
    value: bool


@dataclass(frozen=True)
class Name:
    id: str


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    fn: str
    args: tuple[Node, ...]


Node = Num | Str | Bool | Name | Unary | Binary | Call


# --- tokenizer -----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?%?|\.\d+%?)
    | (?P<str>"[^"]*"|“[^”]*”|'[^']*')
    | (?P<bracket>\[[^\]]+\])
    | (?P<name>[^\W\d][\w]*)
    | (?P<op><=|>=|<>|!=|==|[-+*/^=<>(),×÷（），])
    )""",
    re.VERBOSE,
)

_FULLWIDTH = {"（": "(", "）": ")", "，": ",", "×": "*", "÷": "/"}


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    limit = max_tokens()
    if len(text) > max(DEFAULT_MAX_CHARS, limit * 20):
        raise ExprError(f"公式过长（{len(text)} 个字符），不予计算；可设置环境变量 GOVASSESS_EXPR_MAX_TOKENS")
    while pos < len(text):
        if len(tokens) >= limit:
            raise ExprError(
                f"公式过长：超过 {limit} 个词元（数字、名称、运算符、括号），不予计算；"
                "可设置环境变量 GOVASSESS_EXPR_MAX_TOKENS"
            )
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExprError(f"无法识别第 {pos + 1} 个字符附近的内容「{text[pos:pos + 10]}」")
        pos = m.end()
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "op":
            value = _FULLWIDTH.get(value, value)
        elif kind == "str":
            value = value[1:-1]
        elif kind == "bracket":
            kind, value = "name", value[1:-1].strip()
        tokens.append((kind, value))
    tokens.append(("end", ""))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.max_depth = max_depth()

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise ExprError(
                f"公式嵌套超过 {self.max_depth} 层（括号、函数、负号与 NOT），不予计算；"
                "可设置环境变量 GOVASSESS_EXPR_MAX_DEPTH"
            )

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.i]

    def take(self) -> tuple[str, str]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        kind, got = self.take()
        if got != value:
            raise ExprError(f"此处应为「{value}」，实际为「{got or '表达式结尾'}」")

    def is_word(self, word: str) -> bool:
        kind, value = self.peek()
        return kind == "name" and value.upper() == word and self.tokens[self.i + 1][1] != "("

    def parse(self) -> Node:
        if self.peek()[0] == "end":
            raise ExprError("表达式为空")
        node = self.or_()
        kind, value = self.peek()
        if kind != "end":
            raise ExprError(f"表达式在「{value}」处多余")
        return node

    def or_(self) -> Node:
        self.enter()
        node = self.and_()
        while self.is_word("OR"):
            self.take()
            node = Call("OR", (node, self.and_()))
        self.depth -= 1
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.is_word("AND"):
            self.take()
            node = Call("AND", (node, self.not_()))
        return node

    def not_(self) -> Node:
        if self.is_word("NOT"):
            self.take()
            self.enter()
            node = Call("NOT", (self.not_(),))
            self.depth -= 1
            return node
        return self.compare()

    def compare(self) -> Node:
        node = self.sum_()
        kind, value = self.peek()
        if kind == "op" and value in ("=", "==", "<>", "!=", "<", "<=", ">", ">="):
            self.take()
            op = {"==": "=", "!=": "<>"}.get(value, value)
            node = Binary(op, node, self.sum_())
        return node

    def sum_(self) -> Node:
        node = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            node = Binary(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            node = Binary(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() in (("op", "-"), ("op", "+")):
            op = self.take()[1]
            self.enter()
            operand = self.unary()
            self.depth -= 1
            return Unary("-", operand) if op == "-" else operand
        return self.power()

    def power(self) -> Node:
        node = self.atom()
        if self.peek() == ("op", "^"):
            self.take()
            node = Binary("^", node, self.unary())
        return node

    def atom(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            return Num(float(value[:-1]) / 100 if value.endswith("%") else float(value))
        if kind == "str":
            return Str(value)
        if kind == "name":
            upper = value.upper()
            if self.peek() == ("op", "("):
                if upper not in FUNCTIONS:
                    raise ExprError(f"未知函数「{value}」，可用函数：{'、'.join(FUNCTIONS)}")
                self.take()
                args: list[Node] = []
                if self.peek() != ("op", ")"):
                    args.append(self.or_())
                    while self.peek() == ("op", ","):
                        self.take()
                        args.append(self.or_())
                self.expect(")")
                lo, hi = FUNCTIONS[upper]
                if not lo <= len(args) <= hi:
                    want = str(lo) if lo == hi else f"{lo}–{hi}"
                    raise ExprError(f"函数 {upper} 需要 {want} 个参数，实际 {len(args)} 个")
                if upper == "ROUND" and len(args) == 2:
                    digits = args[1]
                    if not isinstance(digits, Num):
                        raise ExprError("ROUND 的第二个参数（小数位数）必须是数字常量")
                    if not (digits.value.is_integer() and 0 <= digits.value <= ROUND_MAX_DIGITS):
                        raise ExprError(
                            f"ROUND 的小数位数应为 0 到 {ROUND_MAX_DIGITS} 之间的整数，实际为 {digits.value:g}"
                        )
                return Call(upper, tuple(args))
            if upper in ("TRUE", "FALSE"):
                return Bool(upper == "TRUE")
            if upper in KEYWORDS:
                raise ExprError(f"「{value}」的位置不对")
            return Name(value)
        if (kind, value) == ("op", "("):
            node = self.or_()
            self.expect(")")
            return node
        raise ExprError(f"此处应为数字、名称或括号，实际为「{value or '表达式结尾'}」")


def parse(text: str) -> Node:
    """Parse an expression; raises ExprError with a Chinese message."""
    if not isinstance(text, str):
        text = str(text)
    try:
        return _Parser(text).parse()
    except RecursionError:  # only if an operator raised the limits past what the stack holds
        raise ExprError("公式嵌套层数过多，不予计算") from None


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def names(node: Node) -> set[str]:
    """The identifiers an expression refers to (iteratively: a long sum is a deep left-leaning tree)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Name):
            out.add(n.id)
        stack.extend(_children(n))
    return out


# --- Polars compilation -------------------------------------------------------------------------

def _num(e: tuple[pl.Expr, str]) -> pl.Expr:
    expr, kind = e
    return expr.cast(pl.Float64) if kind == "bool" else expr


def _bool(e: tuple[pl.Expr, str]) -> pl.Expr:
    expr, kind = e
    if kind == "str":
        raise ExprError("文字不能直接作为条件（IF、AND、OR、NOT 的条件应为比较，如 类别 = \"县区\"）")
    return expr if kind == "bool" else (expr != 0)


def _round_half_up(x: pl.Expr, digits: int) -> pl.Expr:
    # Excel's ROUND rounds halves away from zero; Polars' default does not.
    f = 10.0 ** digits
    return (x.abs() * f + 0.5 + 1e-9).floor() / f * x.sign()


def to_polars(node: Node, resolve: Callable[[str], tuple[pl.Expr, str]]) -> pl.Expr:
    """Compile to a Polars expression. ``resolve(name)`` returns (expr, kind) with kind num|bool|str.

    Text in arithmetic raises ExprError here, before Polars would fail on the whole table."""
    return compile_kind(node, resolve)[0]


def compile_kind(node: Node, resolve: Callable[[str], tuple[pl.Expr, str]]) -> tuple[pl.Expr, str]:
    """(Polars expression, kind of its result: num|bool|str)."""
    try:
        return _compile(node, resolve)
    except RecursionError:
        raise ExprError("公式嵌套层数过多，不予计算") from None


def _arith(e: tuple[pl.Expr, str], node: Node) -> pl.Expr:
    if e[1] == "str":
        shown = f"「{node.value}」" if isinstance(node, Str) else f"「{node.id}」" if isinstance(node, Name) else ""
        raise ExprError(f"文字{shown}不能参与计算（加减乘除、乘方、MIN、MAX、ROUND、ABS 需要数字）")
    return _num(e)


def _compile(node: Node, resolve: Callable[[str], tuple[pl.Expr, str]]) -> tuple[pl.Expr, str]:
    if isinstance(node, Num):
        return pl.lit(node.value, dtype=pl.Float64), "num"
    if isinstance(node, Str):
        return pl.lit(node.value, dtype=pl.String), "str"
    if isinstance(node, Bool):
        return pl.lit(node.value), "bool"
    if isinstance(node, Name):
        return resolve(node.id)
    if isinstance(node, Unary):
        return -_arith(_compile(node.operand, resolve), node.operand), "num"
    if isinstance(node, Binary):
        left, right = _compile(node.left, resolve), _compile(node.right, resolve)
        op = node.op
        if op in ("=", "<>", "<", "<=", ">", ">="):
            if "str" in (left[1], right[1]):
                a, b = left[0].cast(pl.String), right[0].cast(pl.String)
            else:
                a, b = _num(left), _num(right)
            result = {"=": a == b, "<>": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
            return result, "bool"
        a, b = _arith(left, node.left), _arith(right, node.right)
        if op == "+":
            return a + b, "num"
        if op == "-":
            return a - b, "num"
        if op == "*":
            return a * b, "num"
        if op == "/":
            return pl.when(b != 0).then(a / b).otherwise(None), "num"
        return a.pow(b), "num"
    assert isinstance(node, Call)
    args = [_compile(a, resolve) for a in node.args]
    fn = node.fn
    if fn == "IF":
        cond, then, other = args
        kind = "str" if "str" in (then[1], other[1]) else "num"
        t = then[0].cast(pl.String) if kind == "str" else _num(then)
        o = other[0].cast(pl.String) if kind == "str" else _num(other)
        return pl.when(_bool(cond)).then(t).otherwise(o), kind
    if fn == "AND":
        return pl.all_horizontal([_bool(a) for a in args]), "bool"
    if fn == "OR":
        return pl.any_horizontal([_bool(a) for a in args]), "bool"
    if fn == "NOT":
        return ~_bool(args[0]), "bool"
    if fn == "MIN":
        return pl.min_horizontal([_arith(a, n) for a, n in zip(args, node.args)]), "num"
    if fn == "MAX":
        return pl.max_horizontal([_arith(a, n) for a, n in zip(args, node.args)]), "num"
    if fn == "ABS":
        return _arith(args[0], node.args[0]).abs(), "num"
    digits = int(node.args[1].value) if len(node.args) == 2 and isinstance(node.args[1], Num) else 0
    return _round_half_up(_arith(args[0], node.args[0]), digits), "num"


# --- plain Python evaluation (reference implementation, single values) ---------------------------

def evaluate(node: Node, env: Mapping[str, Any]) -> Any:
    """Evaluate on Python values; a missing name or division by zero gives None."""
    if isinstance(node, Num | Str | Bool):
        return node.value
    if isinstance(node, Name):
        return env.get(node.id)
    if isinstance(node, Unary):
        v = evaluate(node.operand, env)
        return None if v is None else -float(v)
    if isinstance(node, Binary):
        a, b = evaluate(node.left, env), evaluate(node.right, env)
        if a is None or b is None:
            return None
        op = node.op
        if op in ("=", "<>", "<", "<=", ">", ">="):
            if isinstance(a, str) or isinstance(b, str):
                a, b = str(a), str(b)
            return {"=": a == b, "<>": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        a, b = float(a), float(b)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return None if b == 0 else a / b
        try:
            r = a**b
        except OverflowError:
            return math.inf
        # A negative base to a fractional power is complex in Python; Polars (and Excel) give no number.
        return math.nan if isinstance(r, complex) else r
    assert isinstance(node, Call)
    fn = node.fn
    if fn == "IF":
        cond = evaluate(node.args[0], env)
        if cond is None:
            return None
        return evaluate(node.args[1] if cond else node.args[2], env)
    vals = [evaluate(a, env) for a in node.args]
    if fn == "AND":
        return None if any(v is None for v in vals) else all(bool(v) for v in vals)
    if fn == "OR":
        return None if any(v is None for v in vals) else any(bool(v) for v in vals)
    if fn == "NOT":
        return None if vals[0] is None else not vals[0]
    nums = [v for v in vals if v is not None]
    if fn == "MIN":
        return min(float(v) for v in nums) if nums else None
    if fn == "MAX":
        return max(float(v) for v in nums) if nums else None
    if vals[0] is None:
        return None
    if fn == "ABS":
        return abs(float(vals[0]))
    digits = int(vals[1]) if len(vals) == 2 else 0
    x = float(vals[0])
    if not math.isfinite(abs(x) * 10**digits):
        return x  # too large to have decimals left (and floor() of infinity would raise)
    return math.copysign(math.floor(abs(x) * 10**digits + 0.5 + 1e-9) / 10**digits, x)
