"""Scoring speed: the vectorised engine against a straightforward per-unit Python implementation.

    python benchmarks/bench_scoring.py --units 100000 --indicators 50

Builds a system mixing every rule type (rank and relative included), random long-form inputs,
scores them with ``score_round`` (validation of the raw text values included), then times a plain
per-unit/per-indicator Python implementation on a sample and checks both agree on that sample.
Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np
import polars as pl

from govassess import expr as ex
from govassess.indicators import system_from_dict
from govassess.scoring import score_round

KINDS = [
    "ratio_pair",
    "ratio_target",
    "bands",
    "per_item",
    "deduct_below",
    "deduct_count",
    "choice",
    "checklist",
    "rank",
    "relative_best",
    "relative_minmax",
    "formula",
    "manual",
    "external",
]


def build_system(n: int) -> dict[str, Any]:
    leaves = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        code = f"L{i + 1:03d}"
        rule: dict[str, Any] = {
            "ratio_pair": {"type": "ratio", "num": "办结数", "den": "受理数"},
            "ratio_target": {"type": "ratio", "value": "比率", "target": "90%"},
            "bands": {"type": "bands", "input": "增长率", "bands": [[0.0001, 1], [0.5, 2]]},
            "per_item": {"type": "per_item", "input": "项数", "each": 0.5},
            "deduct_below": {"type": "deduct", "input": "运行时段", "below": "99%", "each": 0.5},
            "deduct_count": {"type": "deduct", "input": "问题数", "each": 0.5},
            "choice": {"type": "choice", "input": "接入", "options": {"是": 2, "否": 1, "未接入": 0}},
            "checklist": {"type": "checklist", "items": {"制度": 1, "演练": 0.5, "台账": 0.5}},
            "rank": {"type": "rank", "input": "量", "order": "desc", "bands": [[100, 2], [1000, 1]]},
            "relative_best": {"type": "relative", "input": "量", "method": "best"},
            "relative_minmax": {"type": "relative", "input": "量", "method": "minmax", "per": "population"},
            "formula": {
                "type": "formula",
                "expr": "IF(a >= 0.8, 2, MIN(a / 0.8 * 2, 2)) - MAX(b - 3, 0) * 0.1",
            },
            "manual": {"type": "manual"},
            "external": {"type": "external", "input": "结果", "max": 100},
        }[kind]
        leaves.append({"name": f"指标{i + 1}", "code": code, "points": 2, "rule": rule})
    return {
        "id": "bench",
        "name": "基准体系",
        "total": 2 * n,
        "scale": 100,
        "grades": [
            {"name": "优秀", "min": 90},
            {"name": "良好", "min": 75},
            {"name": "合格", "min": 60},
            {"name": "不合格", "min": 0},
        ],
        "indicators": [{"name": "全部", "code": "ALL", "children": leaves}],
    }


def build_data(system: Any, n_units: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    units = pl.DataFrame(
        {
            "unit": [f"U{i:06d}" for i in range(n_units)],
            "name": [f"单位{i}" for i in range(n_units)],
            "class": np.where(np.arange(n_units) % 10 == 0, "县(市、区)", "市级部门").tolist(),
            "population": rng.integers(1_000, 1_000_000, n_units).astype(float),
        }
    )
    unit_col = units["unit"]
    parts = []
    for spec in system.inputs():
        n = n_units
        if spec.kind == "choice":
            values = pl.Series(rng.choice(["是", "否", "未接入"], n, p=[0.7, 0.2, 0.1]))
        elif spec.kind == "bool":
            values = pl.Series(np.where(rng.random(n) < 0.8, "是", "否"))
        elif spec.kind == "score":
            values = pl.Series(np.round(rng.random(n) * 4) / 2).cast(pl.String)
        elif spec.kind == "count":
            values = pl.Series(rng.integers(0, 6, n)).cast(pl.String)
        elif spec.input in ("受理数",):
            values = pl.Series(rng.integers(0, 500, n)).cast(pl.String)
        elif spec.input == "办结数":
            values = pl.Series(rng.integers(0, 500, n)).cast(pl.String)
        elif spec.input in ("比率", "运行时段", "a"):
            values = pl.Series(np.round(0.85 + rng.random(n) * 0.15, 4)).cast(pl.String)
        elif spec.input == "结果":
            values = pl.Series(np.round(rng.random(n) * 100, 1)).cast(pl.String)
        elif spec.input == "增长率":
            values = pl.Series(np.round(rng.normal(0.3, 0.4, n), 4)).cast(pl.String)
        else:
            values = pl.Series(np.round(rng.random(n) * 1000, 2)).cast(pl.String)
        keep = rng.random(n) > 0.01  # 1 % missing, flagged and scored 0
        parts.append(
            pl.DataFrame(
                {
                    "unit": unit_col,
                    "indicator": spec.indicator,
                    "input": spec.input,
                    "value": values,
                    "note": "评审意见" if spec.needs_note else None,
                }
            ).filter(pl.Series(keep))
        )
    inputs = pl.concat(parts, how="vertical_relaxed")
    return units, inputs


# --- the reference: one unit, one indicator at a time, in plain Python ------------------------
def _number(v: str | None) -> float | None:
    if v is None:
        return None
    v = v.strip()
    words = {"是": 1.0, "否": 0.0}
    if v in words:
        return words[v]
    return float(v[:-1]) / 100 if v.endswith("%") else float(v)


def reference_scores(
    system: Any, units: pl.DataFrame, inputs: pl.DataFrame, sample: list[str]
) -> tuple[dict[str, float], float]:
    """Scores of the sampled units computed by a per-unit loop; peers (rank/relative) from plain lists."""
    values: dict[tuple[str, str, str], str] = {}
    wanted = set(sample)
    for u, c, i, v in inputs.select("unit", "indicator", "input", "value").iter_rows():
        if u in wanted:
            values[(u, c, i)] = v
    cls = dict(units.select("unit", "class").iter_rows())
    pop = dict(units.select("unit", "population").iter_rows())
    peers: dict[tuple[str, str], list[tuple[str, float]]] = {}
    leaves = system.leaves()
    for leaf in leaves:  # peer values: every unit's value for rank / relative inputs
        if leaf.rule.type in ("rank", "relative"):
            sub = inputs.filter(pl.col("indicator") == leaf.code)
            for u, v in sub.select("unit", "value").iter_rows():
                x = float(v)
                if leaf.rule.type == "relative" and leaf.rule.per:
                    x = x / pop[u]
                peers.setdefault((leaf.code, cls[u]), []).append((u, x))
    start = (
        time.perf_counter()
    )  # only the per-unit loop is timed; gathering values above is not charged to it
    totals = {}
    for u in sample:
        got = full = 0.0
        for leaf in leaves:
            r, p, code = leaf.rule, leaf.points, leaf.code
            full += p
            names = [d.name for d in r.inputs(p)]
            raw = {n: values.get((u, code, n)) for n in names}
            if any(v is None for v in raw.values()):
                continue
            t = r.type
            if t == "ratio":
                if r.value:
                    v = min(max(_number(raw[r.value]), 0), 1)
                else:
                    d = _number(raw[r.den])
                    if d == 0:
                        continue
                    v = min(max(_number(raw[r.num]) / d, 0), 1)
                s = p * min(v / r.target, 1) if r.target else p * v
            elif t == "bands":
                v = _number(raw[r.input])
                s = 0.0
                for lower, pts in r.bands:
                    if v >= lower:
                        s = pts
            elif t == "per_item":
                s = _number(raw[r.input]) * r.each
            elif t == "deduct":
                v = _number(raw[r.input])
                if r.below is None:
                    s = p - v * r.each
                else:
                    s = p - math.floor(max(r.below - v, 0) / r.step + 1e-9) * r.each
            elif t == "choice":
                s = dict(r.options)[raw[r.input].strip()]
            elif t == "checklist":
                s = sum(pts * _number(raw[n]) for n, pts in r.items)
            elif t == "rank":
                mine = _number(raw[r.input])
                better = sum(1 for _, x in peers[(code, cls[u])] if x > mine)
                rank = better + 1
                s = next((pts for worst, pts in r.bands if rank <= worst), 0.0)
            elif t == "relative":
                group = [x for _, x in peers[(code, cls[u])]]
                mine = _number(raw[r.input]) / (pop[u] if r.per else 1)
                hi, lo = max(group), min(group)
                if r.method == "best":
                    s = p * mine / hi if hi > 0 else 0.0
                else:
                    s = p if hi == lo else p * (mine - lo) / (hi - lo)
            elif t == "formula":
                s = ex.evaluate(r.tree, {n: _number(raw[n]) for n in names}) or 0.0
            elif t == "manual":
                s = _number(raw["score"])
            elif t == "external":
                s = p * _number(raw[r.input]) / r.max
            else:  # pragma: no cover
                raise AssertionError(t)
            got += min(max(float(s), 0.0), p)
        totals[u] = got / full * system.scale
    return totals, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=100_000)
    ap.add_argument("--indicators", type=int, default=50)
    ap.add_argument("--sample", type=int, default=2_000, help="units timed with the per-unit reference")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--generate-into", help=argparse.SUPPRESS)
    args = ap.parse_args()
    system = system_from_dict(build_system(args.indicators))
    if args.generate_into:  # child process: write the data set, so its memory is not charged to scoring
        units, inputs = build_data(system, args.units, args.seed)
        units.write_parquet(f"{args.generate_into}/units.parquet")
        inputs.write_parquet(f"{args.generate_into}/inputs.parquet")
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--units",
                str(args.units),
                "--indicators",
                str(args.indicators),
                "--seed",
                str(args.seed),
                "--generate-into",
                tmp,
            ],
            check=True,
        )
        units = pl.read_parquet(f"{tmp}/units.parquet")
        inputs = pl.read_parquet(f"{tmp}/inputs.parquet")
    print(f"# {units.height} units, {inputs.height} input rows", file=sys.stderr)

    start = time.perf_counter()
    result = score_round(
        system, units, inputs
    )  # validates the raw text values, scores, totals, ranks, grades
    totals = result.totals()
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    result.explained()  # the Chinese explanation of every leaf for every unit, built on demand
    explain_seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    sample = units["unit"].sample(min(args.sample, units.height), seed=args.seed).to_list()
    ref, ref_seconds = reference_scores(system, units, inputs, sample)
    fast = dict(result.frame.select("unit", "weighted").iter_rows())
    worst = max(abs(fast[u] - ref[u]) for u in sample)
    per_unit = ref_seconds / len(sample)
    out = {
        "units": units.height,
        "indicators": args.indicators,
        "input_rows": inputs.height,
        "seconds": round(seconds, 3),
        "explain_seconds": round(explain_seconds, 3),
        "peak_rss_mb": round(peak_mb, 1),
        "reference_seconds_per_unit": round(per_unit, 7),
        "reference_sample": len(sample),
        "speedup": round(per_unit * units.height / seconds, 1),
        "max_abs_difference_vs_reference": worst,
        "ranked_units": totals.filter(pl.col("rank").is_not_null()).height,
    }
    print(json.dumps(out, ensure_ascii=False))
    if worst > 1e-6:
        print(f"# engine and reference disagree by {worst}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
