"""The scoring engine: one vectorised pass per round over all units (Polars).

Inputs are pivoted once into a wide frame (one row per unit, one column per indicator input);
each leaf's rule becomes a handful of column expressions evaluated for every unit at once;
groups, totals, ranks and grades are further column expressions. No Python loop runs per unit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from govassess import expr as ex
from govassess.errors import Problem, UserError
from govassess.indicators.model import IndicatorNode, IndicatorSystem
from govassess.rules import STRING_KINDS, Context, Manual, RuleError, fmt

SEP = "\x1f"
NO_GRADES = "本体系未设等次（原文未规定等次划分），结果只列得分和名次；评估办可在评分时为本轮设定等次"
Progress = Callable[[str, int, int], None]
RESERVED = {"unit", "name", "class", "_row"}


def _in(code: str, name: str) -> str:
    return f"in{SEP}{code}{SEP}{name}"


def _note(code: str, name: str) -> str:
    return f"note{SEP}{code}{SEP}{name}"


def col_score(code: str) -> str:
    return f"s{SEP}{code}"


def col_points(code: str) -> str:
    return f"p{SEP}{code}"


def col_applicable(code: str) -> str:
    return f"a{SEP}{code}"


def col_text(code: str) -> str:
    return f"e{SEP}{code}"


def col_missing(code: str) -> str:
    return f"m{SEP}{code}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


@dataclass
class RoundResult:
    system: IndicatorSystem
    round_name: str | None
    frame: pl.DataFrame  # scores, points, applicability, totals, ranks: everything but the texts
    warnings: list[str] = field(default_factory=list)
    texts: list[pl.Expr] = field(default_factory=list, repr=False)
    notices: list[str] = field(default_factory=list)  # information, not problems (e.g. units of other classes left out)
    # unit → [(indicator code, input)] of veto conditions that could not be decided for want of these inputs
    veto_missing: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    _explained: pl.DataFrame | None = field(default=None, repr=False)

    def explained(self) -> pl.DataFrame:
        """The frame with every node's Chinese explanation, built once on first use."""
        if self._explained is None:
            self._explained = self.frame.with_columns(self.texts) if self.texts else self.frame
        return self._explained

    # --- tabular views -----------------------------------------------------------------------
    def totals(self) -> pl.DataFrame:
        """unit, name, class, score, weighted, bonus, penalty, rank, grade, vetoed — in ranking order."""
        return self.frame.select("unit", "name", "class", "score", "weighted", "bonus", "penalty", "rank", "grade",
                                 "vetoed").sort(["class", "rank", "unit"], nulls_last=True)

    def leaf_scores(self) -> pl.DataFrame:
        """Long form: unit, indicator, score, points, applicable, lost, explanation, missing."""
        parts = []
        for leaf in self.system.leaves():
            c = leaf.code
            assert c is not None
            lost = (pl.col(col_score(c)) if leaf.kind == "penalty" else pl.lit(leaf.points) - pl.col(col_score(c)))
            parts.append(self.explained().select(
                "unit", pl.lit(c).alias("indicator"), pl.col(col_score(c)).alias("score"),
                pl.lit(leaf.points, dtype=pl.Float64).alias("points"), pl.col(col_applicable(c)).alias("applicable"),
                pl.when(pl.col(col_applicable(c)) & (leaf.kind != "bonus")).then(lost).otherwise(0.0).alias("lost"),
                pl.col(col_text(c)).alias("explanation"), pl.col(col_missing(c)).alias("missing")))
        return pl.concat(parts)

    # --- the results JSON ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        system = self.system
        digits = system.precision
        nodes = system.nodes()
        indicators = [{"code": n.code, "name": n.name, "level": n.level, "parent": n.parent_code,
                       "points": n.points if n.points is not None else None, "kind": n.kind, "is_leaf": n.is_leaf}
                      for n in nodes if n.code]
        coded = [n for n in nodes if n.code]
        cols = ["unit", "name", "class", "score", "weighted", "bonus", "penalty", "rank", "grade", "vetoed"]
        for n in coded:
            assert n.code
            cols += [col_score(n.code), col_points(n.code), col_applicable(n.code), col_text(n.code)]
            if n.is_leaf:
                cols.append(col_missing(n.code))
        frame = self.totals().select("unit").join(self.explained().select(cols), on="unit", how="left", maintain_order="left")
        units = []
        for row in frame.iter_rows(named=True):
            per: dict[str, Any] = {}
            lost: list[dict[str, Any]] = []
            missing: list[dict[str, str]] = []
            for n in coded:
                c = n.code
                assert c
                s, p, a = row[col_score(c)], row[col_points(c)], bool(row[col_applicable(c)])
                per[c] = {"score": _round(s, digits), "points": _round(p, digits), "applicable": a,
                          "explanation": row[col_text(c)]}
                if not n.is_leaf or not a:
                    continue
                if row[col_missing(c)]:
                    for i in row[col_missing(c)].split(SEP):  # "label" only where users read another name than the identifier
                        missing.append({"indicator": c, "input": i} | ({"label": system.label(i)} if system.label(i) != i else {}))
                gone = (s or 0.0) if n.kind == "penalty" else (0.0 if n.kind == "bonus" else (p or 0.0) - (s or 0.0))
                if gone > 1e-9:
                    lost.append({"indicator": c, "name": n.name, "lost": _round(gone, digits), "reason": row[col_text(c)]})
            for c, i in self.veto_missing.get(row["unit"], []):
                missing.append({"indicator": c, "input": i} | ({"label": system.label(i)} if system.label(i) != i else {}))
            lost.sort(key=lambda x: (-x["lost"], _code_key(x["indicator"])))
            units.append({
                "unit": row["unit"], "name": row["name"], "class": row["class"],
                "score": _round(row["score"], digits), "weighted": _round(row["weighted"], digits),
                "bonus": _round(row["bonus"], digits), "penalty": _round(row["penalty"], digits),
                "rank": row["rank"], "grade": row["grade"], "vetoed": bool(row["vetoed"]),
                "missing": missing, "indicators": per, "lost": lost,
            })
        return {
            "system": {"id": system.id, "name": system.name, "total": system.total, "scale": system.scale,
                       "precision": digits, "grades": [{"name": g.name, "min": g.min} for g in system.grades]},
            "round": self.round_name, "indicators": indicators, "units": units, "warnings": list(self.warnings),
            "notices": list(self.notices),
        }


def readable(system: IndicatorSystem, text: str | None, ast: ex.Node | None) -> str:
    """An expression as users read it: every input or attribute name replaced by its Chinese label."""
    out = str(text or "")
    if ast is None:
        return out
    for name in sorted(ex.names(ast), key=len, reverse=True):
        label = system.label(name)
        if label != name:
            out = re.sub(rf"(?<![\w\[]){re.escape(name)}(?![\w\]])|\[{re.escape(name)}\]", label, out)
    return out


def _round(x: Any, digits: int) -> Any:
    return None if x is None else round(float(x) + 0.0, digits)


def _code_key(code: str) -> tuple[Any, ...]:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in code.replace("-", ".").split("."))


def score_round(system: IndicatorSystem, units: pl.DataFrame, inputs: pl.DataFrame, *, round_name: str | None = None,
                progress: Progress | None = None) -> RoundResult:
    """Score every unit of the system's classes. ``inputs`` may be raw (strings) or from ``read_inputs``."""
    from govassess.data import prepare_inputs
    from govassess.indicators.loader import check_system

    step = progress or (lambda stage, done, total: None)
    # A system that loads but fails its structural checks (sums, caps) still scores; say so in the results.
    warnings: list[str] = [f"指标体系检查未通过：{p}" for p in check_system(system).problems]
    step("准备数据", 0, 4)
    if "num" not in inputs.columns:  # raw text inputs: validate against every unit given
        inputs = prepare_inputs(system, units, inputs)
    notices: list[str] = [] if system.grades else [NO_GRADES]
    if system.classes is not None:
        outside = units.filter(~pl.col("class").is_in(list(system.classes)))
        if outside.height:
            kinds = "、".join(sorted(set(outside["class"].to_list())))
            notices.append(f"本体系只评{'、'.join(system.classes)}；单位文件中另有 {outside.height} 个{kinds}单位，"
                           "按其所属体系另行评分，不在本结果中")
        units = units.filter(pl.col("class").is_in(list(system.classes)))
    if units.height == 0:
        raise UserError(f"没有可评分的单位：体系 {system.id} 适用于 {'、'.join(system.classes or ())}，单位文件中没有这些类别的单位")
    wide = _pivot(system, units, inputs)
    step("计算指标得分", 1, 4)
    engine = _Engine(system, wide)
    wide = engine.leaves()
    if system.missing == "error":
        _raise_missing(system, wide)
    warnings += _contradicting_reasons(system, wide)
    step("汇总", 2, 4)
    wide = engine.groups(wide)
    wide = engine.totals(wide)
    step("排名", 3, 4)
    wide = engine.ranks(wide)
    step("完成", 4, 4)
    if system.cap is not None:
        over = wide.filter((pl.col("weighted") + pl.col("bonus") - pl.col("penalty")) > system.cap + 1e-9)
        if over.height:
            names = "、".join(over["name"].to_list()[:20]) + ("等" if over.height > 20 else "")
            notices.append(f"总分上限 {_num(system.cap)} 分：{over.height} 个单位（{names}）加分后超过上限，按 {_num(system.cap)} 分计")
    if system.bonus_above is not None and engine._top("bonus"):
        held = wide.filter((pl.col("weighted") <= system.bonus_above) & ~pl.col("vetoed")
                           & (pl.sum_horizontal([pl.col(col_score(n.code or "")).fill_null(0.0)
                                                 for n in engine._top("bonus")]) > 0))
        rule = f"加分项只在常规指标得分高于 {_num(system.bonus_above)} 分时计入"
        notices.append(rule + (f"：{held.height} 个单位（{'、'.join(held['name'].to_list()[:20])}"
                               f"{'等' if held.height > 20 else ''}）常规指标得分未高于 {_num(system.bonus_above)} 分，加分不计"
                               if held.height else ""))
    if system.veto_ast is not None and wide.filter(pl.col("vetoed")).height:
        notices.append(_root_veto_notice(system, engine, wide))
    no_points = wide.filter(pl.col("weighted").is_null()).height
    if no_points:
        warnings.append(f"{no_points} 个单位没有任何适用的常规指标，无法计算总分")
    undecided, veto_missing = _undecided_vetoes(system, engine, wide)
    warnings += undecided
    return RoundResult(system, round_name, wide, warnings, engine.texts, notices=notices, veto_missing=veto_missing)


def _undecided_vetoes(system: IndicatorSystem, engine: _Engine, wide: pl.DataFrame
                      ) -> tuple[list[str], dict[str, list[tuple[str, str]]]]:
    """Veto conditions that came out unknown (an input blank and no other clause met): they count as not met,
    which must be said, per unit, rather than pass silently as "no veto"."""
    checks: list[tuple[str, str, str | None, ex.Node, pl.Expr]] = []
    if system.veto_ast is not None:
        checks.append((system.id, system.name, system.veto, system.veto_ast, pl.lit(True)))
    for n in system.nodes():
        if n.veto_ast is not None and n.code:
            checks.append((n.code, n.name, n.veto, n.veto_ast, engine.applicable[id(n)]))
    messages: list[str] = []
    per_unit: dict[str, list[tuple[str, str]]] = {}
    for code, name, text, ast, applicable in checks:
        inputs = [nm for nm in ex.names(ast) if nm not in engine.attributes and _in(code, nm) in wide.columns]
        if not inputs:
            continue
        value = ex.to_polars(ast, engine.veto_resolver(code)).cast(pl.Boolean, strict=False)
        hit = wide.filter(value.is_null() & applicable.fill_null(False)).select(
            "unit", "name", *[pl.col(_in(code, nm)).is_null().alias(nm) for nm in inputs])
        if not hit.height:
            continue
        for row in hit.iter_rows(named=True):
            per_unit.setdefault(row["unit"], []).extend((code, nm) for nm in inputs if row[nm])
        gaps = sorted({system.label(nm) for row in hit.iter_rows(named=True) for nm in inputs if row[nm]})
        names = "、".join(hit["name"].to_list()[:20]) + ("等" if hit.height > 20 else "")
        messages.append(f"「{name}」的否决条件「{readable(system, text, ast)}」缺少输入（{'、'.join(gaps)}），"
                        f"无法判定是否否决，本次按未否决计：{hit.height} 个单位（{names}）。请补齐输入后重新评分")
    return messages, per_unit


def _expr_text(node: ex.Node) -> str:
    """An expression node written back as the user wrote it (one clause of a veto)."""
    if isinstance(node, ex.Name):
        return node.id
    if isinstance(node, ex.Num):
        return _num(node.value)
    if isinstance(node, ex.Str):
        return f'"{node.value}"'
    if isinstance(node, ex.Bool):
        return "TRUE" if node.value else "FALSE"
    if isinstance(node, ex.Unary):
        return f"{node.op} {_expr_text(node.operand)}" if node.op.isalpha() else f"{node.op}{_expr_text(node.operand)}"
    if isinstance(node, ex.Binary):
        return f"{_expr_text(node.left)} {node.op} {_expr_text(node.right)}"
    if isinstance(node, ex.Call):
        return f"{node.fn}({', '.join(_expr_text(a) for a in node.args)})"
    return str(node)


def _or_clauses(node: ex.Node) -> list[ex.Node]:
    if isinstance(node, ex.Call) and node.fn == "OR":
        return [c for a in node.args for c in _or_clauses(a)]
    return [node]


def _root_veto_notice(system: IndicatorSystem, engine: _Engine, wide: pl.DataFrame) -> str:
    """Which clause of the root veto each vetoed unit met: "不合格" alone does not tell a unit what to fix or appeal."""
    assert system.veto_ast is not None
    clauses = _or_clauses(system.veto_ast)
    resolve = engine.veto_resolver(system.id)
    hit = wide.filter(pl.col("vetoed")).select(
        "name", *[ex.to_polars(c, resolve).cast(pl.Boolean, strict=False).fill_null(False).alias(f"_c{i}")
                  for i, c in enumerate(clauses)])
    texts = [readable(system, _expr_text(c), c) for c in clauses]
    parts = []
    for row in hit.head(20).iter_rows(named=True):
        met = [texts[i] for i in range(len(clauses)) if row[f"_c{i}"]] or [readable(system, system.veto, system.veto_ast)]
        parts.append(f"{row['name']}（{'；'.join(met)}）")
    more = f"等 {hit.height} 个单位" if hit.height > 20 else ""
    return f"否决（总分计 0 分）：{'、'.join(parts)}{more}"


def _pivot(system: IndicatorSystem, units: pl.DataFrame, inputs: pl.DataFrame) -> pl.DataFrame:
    """One column per (indicator, input) and one row per unit, by scattering into numpy arrays.

    Cheaper than a generic pivot at national scale: two joins to integer keys, then a single
    vectorised assignment for all numeric inputs.
    """
    specs = system.inputs()
    n = units.height
    keyed = pl.DataFrame({"indicator": [s.indicator for s in specs], "input": [s.input for s in specs]},
                         schema={"indicator": pl.String, "input": pl.String}).with_row_index("_sid")
    # Join a narrow frame: string views are 16 bytes a row, so carrying unused text columns costs gigabytes.
    narrow = inputs.select("unit", "_sid", "num") if "_sid" in inputs.columns else \
        inputs.join(keyed, on=["indicator", "input"], how="inner").select("unit", "_sid", "num")
    j = narrow.join(units.select("unit").with_row_index("_uidx"), on="unit", how="inner")
    sid = j["_sid"].to_numpy().astype(np.int64)
    uidx = j["_uidx"].to_numpy().astype(np.int64)
    matrix = np.full((len(specs), n), np.nan)
    nums = j["num"].to_numpy()
    has_num = ~np.isnan(nums.astype("float64"))
    matrix[sid[has_num], uidx[has_num]] = nums[has_num]
    columns: list[pl.Series] = []
    # Text values (choice labels) and notes (reasons, evidence such as the URLs behind an inspection
    # finding) travel separately: only the few rows that have them.
    string_specs = [i for i, s in enumerate(specs) if s.kind in STRING_KINDS]
    with_sid = inputs if "_sid" in inputs.columns else inputs.join(keyed, on=["indicator", "input"], how="inner")
    texts = (with_sid.filter(pl.col("_sid").is_in(string_specs) | pl.col("note").is_not_null())
             .select("unit", "_sid", "value", "note")
             .join(units.select("unit").with_row_index("_uidx"), on="unit", how="inner"))
    noted = set(texts.filter(pl.col("note").is_not_null())["_sid"].unique().to_list())
    for i, s in enumerate(specs):
        name = _in(s.indicator, s.input)
        if s.kind in STRING_KINDS:
            sub = texts.filter(pl.col("_sid") == i)
            col = pl.Series(name, [None] * n, dtype=pl.String)
            columns.append(col.scatter(sub["_uidx"], sub["value"]) if sub.height else col)
        else:
            columns.append(pl.Series(name, matrix[i], nan_to_null=True))
        if s.needs_note or i in noted:
            sub = texts.filter((pl.col("_sid") == i) & pl.col("note").is_not_null())
            note = pl.Series(_note(s.indicator, s.input), [None] * n, dtype=pl.String)
            columns.append(note.scatter(sub["_uidx"], sub["note"]) if sub.height else note)
    return units.with_columns(columns) if columns else units


class _Engine:
    def __init__(self, system: IndicatorSystem, wide: pl.DataFrame):
        self.system = system
        self.attributes = {c: wide.schema[c] for c in wide.columns if c in ("class",) or not (c in RESERVED or SEP in c)}
        self.applicable: dict[int, pl.Expr] = {}
        self.vetoed: dict[int, pl.Expr] = {}
        self.veto_text: dict[int, pl.Expr] = {}
        self.wide = wide
        self.texts: list[pl.Expr] = []

    # --- names in expressions ----------------------------------------------------------------
    def attr_resolver(self, node_code: str, field_name: str) -> Callable[[str], tuple[pl.Expr, str]]:
        def resolve(name: str) -> tuple[pl.Expr, str]:
            column = name if name in self.attributes else self.system.label(name)  # the units file may use the label
            if column not in self.attributes:
                avail = "、".join(a for a in self.attributes) or "（单位文件没有属性列）"
                label = self.system.label(name)
                also = f"（或「{label}」）" if label != name else ""
                raise UserError(f"单位文件缺少属性列「{name}」{also}，本指标要用它；单位文件中的属性有：{avail}",
                                indicator=node_code, field=field_name)
            dtype = self.attributes[column]
            return pl.col(column), ("str" if dtype == pl.String else "num")
        return resolve

    def veto_resolver(self, code: str) -> Callable[[str], tuple[pl.Expr, str]]:
        attrs = self.attr_resolver(code, "veto")

        def resolve(name: str) -> tuple[pl.Expr, str]:
            if name in self.attributes:
                return attrs(name)
            return pl.col(_in(code, name)), "num"
        return resolve

    def _condition(self, node: IndicatorNode, ast: ex.Node | None, code: str, field_name: str,
                   resolve: Callable[[str], tuple[pl.Expr, str]] | None = None) -> pl.Expr:
        if ast is None:
            return pl.lit(True)
        try:
            e, kind = ex.compile_kind(ast, resolve or self.attr_resolver(code, field_name))
        except ex.ExprError as err:
            raise UserError(f"表达式无法计算：{err}", indicator=code, field=field_name) from None
        if kind == "str":
            raise UserError("条件的结果是文字，应为比较（如 类别 = \"县区\"）", indicator=code, field=field_name)
        return e.cast(pl.Boolean, strict=False).fill_null(False)

    # --- leaves ----------------------------------------------------------------------------------
    def _node_state(self, node: IndicatorNode) -> None:
        code = node.code or node.name
        parent_a = self.applicable[id(node.parent)] if node.parent is not None else pl.lit(True)
        a = parent_a
        if node.classes is not None:
            a = a & pl.col("class").is_in(list(node.classes))
        if node.applies_ast is not None:
            a = a & self._condition(node, node.applies_ast, code, "applies")
        self.applicable[id(node)] = a
        parent_v = self.vetoed[id(node.parent)] if node.parent is not None else pl.lit(False)
        parent_t = self.veto_text[id(node.parent)] if node.parent is not None else pl.lit(None, dtype=pl.String)
        if node.veto_ast is not None and node.code:
            own = self._condition(node, node.veto_ast, code, "veto", self.veto_resolver(node.code))
            self.vetoed[id(node)] = parent_v | own
            self.veto_text[id(node)] = pl.when(own & ~parent_v).then(
                pl.lit(f"否决：「{node.name}」的否决条件「{readable(self.system, node.veto, node.veto_ast)}」成立，得 0 分")
            ).otherwise(parent_t)
        else:
            self.vetoed[id(node)] = parent_v
            self.veto_text[id(node)] = parent_t

    def leaves(self) -> pl.DataFrame:
        exprs: list[pl.Expr] = []
        for node in self.system.nodes():
            self._node_state(node)
            if node.is_leaf:
                exprs += self._leaf(node)
        return self.wide.with_columns(exprs)

    def _leaf(self, node: IndicatorNode) -> list[pl.Expr]:
        code = node.code
        assert code is not None and node.rule is not None and node.points is not None
        points = float(node.points)
        decls = node.rule.inputs(points)
        present = pl.all_horizontal([pl.col(_in(code, d.name)).is_not_null() for d in decls]) if decls else pl.lit(True)
        a = self.applicable[id(node)]
        ctx = Context(points=points, inp=lambda n: pl.col(_in(code, n)), note=lambda n: pl.col(_note(code, n)),
                      attr=self.attr_resolver(code, "rule"), peer="class", applicable=a & present,
                      label=self.system.label)
        try:
            scored = node.rule.score(ctx)
        except RuleError as e:
            raise UserError(str(e), indicator=code, field=e.field) from None
        if scored.not_applicable is not None:
            a = a & ~scored.not_applicable
        missing_names = pl.concat_str([pl.when(pl.col(_in(code, d.name)).is_null()).then(pl.lit(d.name)) for d in decls],
                                      separator=SEP, ignore_nulls=True)
        missing = pl.when(a & ~present).then(missing_names).otherwise(None)
        missing_labels = pl.concat_str([pl.when(pl.col(_in(code, d.name)).is_null()).then(pl.lit(self.system.label(d.name)))
                                        for d in decls], separator="、", ignore_nulls=True)
        vetoed = self.vetoed[id(node)]
        raw = scored.score.cast(pl.Float64).clip(0.0, points).fill_nan(None).fill_null(0.0)
        s = pl.when(~a).then(None).when(vetoed | ~present).then(0.0).otherwise(raw)
        out = [s.alias(col_score(code)), a.alias(col_applicable(code)),
               pl.when(a).then(points).otherwise(None).alias(col_points(code)),
               pl.when(node.kind == "normal").then(missing).otherwise(None).alias(col_missing(code))]
        # The explanation is built later, on demand, from the stored columns (see RoundResult.frame).
        final = pl.col(col_score(code))
        verb = {"normal": "得分", "bonus": "加", "penalty": "扣"}[node.kind]
        done = pl.concat_str([scored.text, pl.lit(f"；{verb} "), fmt(final), pl.lit(f" 分（满分 {_num(points)}）"
                              if node.kind == "normal" else f" 分（上限 {_num(points)}）")])
        notes = [pl.col(_note(code, d.name)) for d in decls
                 if not d.needs_note and _note(code, d.name) in self.wide.columns]
        if notes:  # what the data provider wrote beside a value (e.g. the pages an inspection found) is part of the why
            joined = pl.concat_str(notes, separator="；", ignore_nulls=True)
            done = pl.concat_str([done, pl.when(joined != "").then(pl.concat_str([pl.lit("。依据："), joined]))
                                  .otherwise(pl.lit(""))])
        absent_text = (pl.concat_str([pl.lit("缺少输入："), missing_labels, pl.lit("，按 0 分计")]) if node.kind == "normal"
                       else pl.lit("未报送，" + ("不加分" if node.kind == "bonus" else "不扣分")))
        na_text: pl.Expr = pl.lit(self._na_text(node))
        if scored.not_applicable is not None:  # the unit's own answer (无此需求, a zero denominator) drops the leaf
            na_text = pl.when(scored.not_applicable.fill_null(False)).then(
                pl.concat_str([scored.text, pl.lit("，本单位不适用此指标，不计分也不计满分")])).otherwise(na_text)
        self.texts.append(pl.when(~pl.col(col_applicable(code))).then(na_text)
                          .when(vetoed).then(self.veto_text[id(node)])
                          .when(~present).then(absent_text)
                          .otherwise(done).alias(col_text(code)))
        return out

    def _na_text(self, node: IndicatorNode) -> str:
        for n in [node, *node.ancestors()]:
            if n.applies:
                return f"不适用（适用条件：{readable(self.system, n.applies, n.applies_ast)}）"
            if n.classes:
                return f"不适用（仅适用于：{'、'.join(n.classes)}）"
        return "不适用"

    # --- groups and totals ------------------------------------------------------------------------
    def groups(self, wide: pl.DataFrame) -> pl.DataFrame:
        groups = [n for n in self.system.nodes() if not n.is_leaf and n.code]
        by_depth: dict[int, list[IndicatorNode]] = {}
        for g in groups:
            by_depth.setdefault(g.level, []).append(g)
        for level in sorted(by_depth, reverse=True):
            exprs: list[pl.Expr] = []
            for g in by_depth[level]:
                exprs += self._group(g)
            wide = wide.with_columns(exprs)
        return wide

    def _child_cols(self, g: IndicatorNode) -> list[IndicatorNode]:
        # Only same-kind children count in a group's subtotal; uncoded intermediate groups are looked through.
        out = []
        for c in g.children:
            if c.kind != g.kind:
                continue
            if c.code:
                out.append(c)
            else:
                out += self._child_cols(c)
        return out

    def _group(self, g: IndicatorNode) -> list[pl.Expr]:
        assert g.code
        kids = self._child_cols(g)
        if not kids:  # a 加减分 group holding only bonus/penalty items: show the net adjustment
            signed = [(c, 1.0 if c.kind == "bonus" else -1.0) for c in g.children if c.code]
            plus = pl.sum_horizontal([pl.col(col_score(c.code or "")).fill_null(0.0) for c, w in signed if w > 0] or [pl.lit(0.0)])
            minus = pl.sum_horizontal([pl.col(col_score(c.code or "")).fill_null(0.0) for c, w in signed if w < 0] or [pl.lit(0.0)])
            self.texts.append(pl.concat_str([pl.lit("加分 "), fmt(plus), pl.lit("，减分 "), fmt(minus)]).alias(col_text(g.code)))
            return [(plus - minus).alias(col_score(g.code)), pl.lit(None, dtype=pl.Float64).alias(col_points(g.code)),
                    pl.lit(True).alias(col_applicable(g.code))]
        a = pl.any_horizontal([pl.col(col_applicable(k.code or "")) for k in kids])
        s = pl.sum_horizontal([pl.col(col_score(k.code or "")).fill_null(0.0) for k in kids])
        p = pl.sum_horizontal([pl.col(col_points(k.code or "")).fill_null(0.0) for k in kids])
        if g.kind != "normal" and g.points is not None:
            s = pl.min_horizontal(s, pl.lit(float(g.points)))
            p = pl.lit(float(g.points))
        s = pl.when(a).then(s)
        p = pl.when(a).then(p)
        sc, pc = pl.col(col_score(g.code)), pl.col(col_points(g.code))
        self.texts.append(pl.when(pl.col(col_applicable(g.code))).then(
            pl.concat_str([pl.lit("下级指标合计 "), fmt(sc), pl.lit(" / "), fmt(pc), pl.lit(" 分")])
        ).otherwise(pl.lit(self._na_text(g))).alias(col_text(g.code)))
        return [s.alias(col_score(g.code)), p.alias(col_points(g.code)), a.alias(col_applicable(g.code))]

    def _top(self, kind: str) -> list[IndicatorNode]:
        """Outermost coded nodes of a kind (a bonus group counts once, capped)."""
        out = []
        for n in self.system.nodes():
            if n.kind == kind and n.code and not any(p.kind == kind and p.code for p in n.ancestors()):
                out.append(n)
        return out

    def totals(self, wide: pl.DataFrame) -> pl.DataFrame:
        system = self.system
        normal = [n for n in system.leaves() if n.kind == "normal"]
        got = pl.sum_horizontal([pl.col(col_score(n.code or "")).fill_null(0.0) for n in normal]) if normal else pl.lit(0.0)
        full = pl.sum_horizontal([pl.col(col_points(n.code or "")).fill_null(0.0) for n in normal]) if normal else pl.lit(0.0)
        weighted = pl.when(full > 0).then(got / full * system.scale)

        def extra(kind: str) -> pl.Expr:
            nodes = self._top(kind)
            if not nodes:
                return pl.lit(0.0)
            return pl.sum_horizontal([pl.col(col_score(n.code or "")).fill_null(0.0) for n in nodes])

        root_veto = pl.lit(False)
        if system.veto_ast is not None:
            try:
                veto, kind = ex.compile_kind(system.veto_ast, self.veto_resolver(system.id))
            except ex.ExprError as err:
                raise UserError(f"否决条件无法计算：{err}", indicator=system.id, field="veto") from None
            if kind == "str":
                raise UserError("否决条件的结果是文字，应为比较", indicator=system.id, field="veto")
            root_veto = veto.cast(pl.Boolean, strict=False).fill_null(False)
        total = (pl.col("weighted") + pl.col("bonus") - pl.col("penalty")).clip(lower_bound=0.0, upper_bound=system.cap)
        bonus = extra("bonus")
        if system.bonus_above is not None:  # "高于80分，则进入加分指标评分环节": not counted at or below the bar
            bonus = pl.when(weighted > system.bonus_above).then(bonus).otherwise(0.0)
            self._say_bonus_held(system.bonus_above)
        return (wide.with_columns(weighted.alias("weighted"), bonus.alias("bonus"), extra("penalty").alias("penalty"),
                                  root_veto.alias("vetoed"))
                .with_columns(pl.when(pl.col("vetoed") & pl.col("weighted").is_not_null()).then(0.0).otherwise(total).alias("score")))

    def _say_bonus_held(self, bar: float) -> None:
        """A unit's bonus items still show what they were worth; say beside them that the total left them out."""
        held = f"；常规指标得分未高于 {_num(bar)} 分，本项加分不计入总分"
        names = {col_text(n.code or ""): n for n in self._top("bonus")}
        for i, text in enumerate(self.texts):
            node = names.get(text.meta.output_name())
            if node is None:
                continue
            out = pl.when((pl.col("weighted") <= bar) & (pl.col(col_score(node.code or "")).fill_null(0.0) > 0))
            self.texts[i] = out.then(pl.concat_str([text, pl.lit(held)])).otherwise(text).alias(col_text(node.code or ""))

    def ranks(self, wide: pl.DataFrame) -> pl.DataFrame:
        system = self.system
        shown = pl.col("score").round(system.precision)
        rank = shown.rank("min", descending=True).over("class").cast(pl.Int64)
        grade: Any = pl.lit(None, dtype=pl.String)
        for g in reversed(system.grades):  # lowest first, so the highest matching band wins
            grade = pl.when(shown >= g.min).then(pl.lit(g.name)).otherwise(grade)
        return wide.with_columns(rank.alias("rank"), pl.when(pl.col("score").is_not_null()).then(grade).alias("grade"))


# Words in a reviewer's reason that say points were lost; the negated forms ("无缺失", "不扣分") are removed first.
LOST_WORDS = r"缺失|缺少|缺项|不足|不完整|不齐全|不全|欠缺|未达到|未达标|未完成|未提供|未按|不符合|不到位|扣分|扣除|扣\s*[0-9０-９.]"
NEGATED = r"(无|不|没有|未)(缺失|缺少|缺项|不足|扣分|扣除|扣)"


def _contradicting_reasons(system: IndicatorSystem, wide: pl.DataFrame) -> list[str]:
    """A full-mark manual score whose reason says points were lost: the score or the reason is wrong."""
    out: list[str] = []
    for leaf in system.leaves():
        if leaf.kind != "normal" or not isinstance(leaf.rule, Manual) or not leaf.code:
            continue
        note = _note(leaf.code, leaf.rule.input)
        if note not in wide.columns:
            continue
        reason = pl.col(note).str.replace_all(NEGATED, "")
        hit = wide.filter(pl.col(col_applicable(leaf.code)) & (pl.col(col_score(leaf.code)) >= float(leaf.points or 0) - 1e-9)
                          & reason.str.contains(LOST_WORDS))
        for unit, name, text in hit.select("unit", "name", note).iter_rows():
            out.append(f"单位 {unit}（{name}）指标 {leaf.code}「{leaf.name}」：人工评分为满分 {_num(leaf.points or 0)} 分，"
                       f"但理由「{text}」写明有失分，请核对评分或理由")
    return out


def _raise_missing(system: IndicatorSystem, wide: pl.DataFrame) -> None:
    problems: list[Problem] = []
    for leaf in system.leaves():
        if leaf.kind != "normal" or not leaf.code:
            continue
        col = col_missing(leaf.code)
        for unit, names in wide.filter(pl.col(col).is_not_null()).select("unit", col).iter_rows():
            for n in names.split(SEP):
                problems.append(Problem(f"单位 {unit} 缺少输入「{system.label(n)}」", indicator=leaf.code, field=n))
    if problems:
        problems.insert(0, Problem(f"体系 {system.id} 规定缺数时拒绝评分（missing: error），共缺 {len(problems)} 项输入"))
        raise UserError(problems=problems)


def applicability(system: IndicatorSystem, units: pl.DataFrame) -> pl.DataFrame:
    """unit × leaf applicability from classes and ``applies`` (inputs not needed): unit, indicator, applicable."""
    engine = _Engine(system, units)
    cols = []
    for node in system.nodes():
        engine._node_state(node)
        if node.is_leaf and node.code:
            cols.append(engine.applicable[id(node)].alias(node.code))
    if not cols:
        return pl.DataFrame(schema={"unit": pl.String, "indicator": pl.String, "applicable": pl.Boolean})
    return units.select("unit", *cols).unpivot(index="unit", variable_name="indicator", value_name="applicable")
