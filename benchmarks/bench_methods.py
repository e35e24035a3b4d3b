"""Evaluation methods at national scale; prints one JSON line last.

1. Entropy weights + TOPSIS (vector) with ranks on 100,000 units × 50 indicators (ours also checks every
   column for constant, all-zero and negative data, as it must).
2. Rank sensitivity: 2,000 uniform ±10 % samples over 3,000 units × 50 leaves.
Each is timed against a straightforward numpy implementation of the same formulas in the same run
(best of --repeat). Targets: within 1.5× of numpy; sensitivity under a minute.

    .venv/bin/python benchmarks/bench_methods.py [--units 100000] [--indicators 50] [--sens-units 3000]
        [--samples 2000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from scipy import stats


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def numpy_entropy_topsis(x: np.ndarray) -> np.ndarray:
    p = x / x.sum(axis=0)
    e = -(p * np.log(p)).sum(axis=0) / np.log(x.shape[0])  # data are positive: no 0·ln0 case
    w = (1 - e) / (1 - e).sum()
    v = w * x / np.sqrt((x ** 2).sum(axis=0))
    dp = np.sqrt(((v - v.max(axis=0)) ** 2).sum(axis=1))
    dm = np.sqrt(((v - v.min(axis=0)) ** 2).sum(axis=1))
    c = dm / (dp + dm)
    return c, stats.rankdata(-c, method="min")


def numpy_sensitivity(s, p, extra, m, base_rank):
    got, full = s @ m.T, p @ m.T
    total = np.round(np.clip(got / full * 100 + extra[:, None], 0, None), 2)
    r = stats.rankdata(-total, method="min", axis=0)
    return r.min(axis=1), r.max(axis=1), (r == base_rank[:, None]).mean(axis=1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=100_000)
    ap.add_argument("--indicators", type=int, default=50)
    ap.add_argument("--sens-units", type=int, default=3000)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from govassess.indicators import system_from_dict
    from govassess.methods import objective, ranking, sensitivity
    from govassess.methods.tables import DataTable

    rng = np.random.default_rng(1)
    k = args.indicators
    x = rng.uniform(1, 100, size=(args.units, k))
    table = DataTable("bench", None, [f"U{i}" for i in range(args.units)], [f"X{j}" for j in range(k)], x)

    def ours_et():
        w = objective.entropy(table).weights
        r = ranking.topsis(table, w)
        return r.score, r.rank

    t_ours, (c1, r1) = best_of(ours_et, args.repeat)
    t_np, (c2, r2) = best_of(lambda: numpy_entropy_topsis(x), args.repeat)
    assert np.allclose(c1, c2) and (r1 == r2).all()

    n = args.sens_units
    points = rng.integers(1, 5, size=k).astype(float)
    system = system_from_dict({"id": "bench", "name": "bench", "total": float(points.sum()), "scale": 100,
                               "indicators": [{"code": f"L{j}", "name": f"L{j}", "points": float(points[j]),
                                               "rule": {"type": "manual"}} for j in range(k)]})
    s = rng.uniform(0, 1, size=(n, k)) * points
    p = np.tile(points, (n, 1))
    rd = sensitivity.RoundData([f"U{i}" for i in range(n)], [""] * n, ["县"] * n, [f"L{j}" for j in range(k)],
                               [f"L{j}" for j in range(k)], s, p, np.zeros(n), np.zeros(n, dtype=bool),
                               np.ones(n, dtype=bool), np.zeros(n, dtype=int), 100.0, 2, [f"L{j}" for j in range(k)])
    t0 = time.perf_counter()
    res = sensitivity.analyse(rd, system, perturb=0.1, samples=args.samples, seed=1)
    t_sens = time.perf_counter() - t0
    m = sensitivity.multipliers(rd, mode="uniform", perturb=0.1, samples=args.samples, seed=1, level="leaf",
                                concentration=0, base_points=points)
    t0 = time.perf_counter()
    lo, hi, kept = numpy_sensitivity(s, p, rd.extra, m, res.base_rank)
    t_sens_np = time.perf_counter() - t0
    assert (lo == res.rank_min).all() and (hi == res.rank_max).all() and np.allclose(kept, res.kept)

    print(json.dumps({
        "entropy_topsis": {"units": args.units, "indicators": k, "seconds": round(t_ours, 3),
                           "numpy_seconds": round(t_np, 3), "ratio": round(t_ours / t_np, 2)},
        "sensitivity": {"units": n, "indicators": k, "samples": args.samples, "seconds": round(t_sens, 3),
                        "numpy_seconds": round(t_sens_np, 3), "ratio": round(t_sens / t_sens_np, 2),
                        "adjacent_pairs": len(res.swaps)},
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
