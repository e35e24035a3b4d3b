"""Benchmark: every metric over 办件 + 好差评 records for 5,000 units and one half-year.

    python benchmarks/bench_metrics.py --rows 100000000

Generates the records with DuckDB itself into Parquet under /tmp (never in the repository), then times, each
in its own process so that peak RSS is measured per phase:
  ours    govassess.metrics.compute on DuckDB (validation + every metric whose records are present);
          also once more with --skip-duplicate-check, the most expensive check, to show its cost;
  hand    one hand-written DuckDB query computing the same 办件 / 好差评 metrics (no validation), also in
          COUNT_IF style, and once with the record rules written in (same_rules), whose totals must equal
          the engine's (the run fails otherwise);
  pandas  the same metrics with pandas on --pandas-rows rows (default 20 M).
The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

UNITS = 5000
ITEMS_PER_UNIT = 20
CASE_SHARE = 0.8  # the rest are 好差评 records


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU of this process (all threads). On a machine shared with other jobs the wall time
    of a phase varies by 2x from run to run; its CPU time much less, so both are reported."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def generate(folder: Path, rows: int, dirty: bool = False, own_codes: bool = False) -> dict[str, int]:
    """With `dirty`, 1 record in 10,000 of each kind is faulty, as real exports are: 办件 with a repeated
    case id (the record before it has the same id), finished before accepted, or an item code in no
    catalogue; 好差评 with a repeated rating id. With `own_codes`, every unit has its own item codes (as 实施编码
    are: the unit's code is part of them) instead of all units sharing the same 20."""
    import duckdb

    def code(unit: str, k: str) -> str:
        own = f"'U' || LPAD(CAST({unit} AS VARCHAR), 4, '0') || '-' || " if own_codes else ""
        return f"{own}'I' || ({k})"

    n_cases = int(rows * CASE_SHARE)
    n_ratings = rows - n_cases
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    con.execute(
        f"COPY (SELECT 'U' || LPAD(CAST(i AS VARCHAR), 4, '0') AS unit, '单位' || i AS name, "
        f"CASE WHEN i % 7 = 0 THEN '县(市、区)' ELSE '市级部门' END AS class, '区域' || (i % 12) AS region "
        f"FROM range({UNITS}) t(i)) TO '{folder / 'units.csv'}' (HEADER)"
    )
    con.execute(
        f"COPY (SELECT 'U' || LPAD(CAST(u AS VARCHAR), 4, '0') AS unit, {code('u', 'k')} AS item_code, "
        "['行政许可', '其他依申请', '公共服务'][1 + k % 3] AS item_type, "
        "(k % 5) <> 0 AS online_capable, 1 + (k % 4) AS online_depth, k % 2 = 0 AS bookable, "
        "k % 4 = 0 AS bookable_slots, k % 3 = 0 AS nearby, k % 5 < 3 AS in_hall, "
        "CASE k % 4 WHEN 0 THEN '全市' WHEN 1 THEN '跨省' END AS tongban, 20 AS legal_limit, "
        "[0, 5, 10][1 + k % 3] AS promised_limit, k % 3 AS visits "
        f"FROM range({UNITS}) a(u), range({ITEMS_PER_UNIT}) b(k)) TO '{folder / 'items.parquet'}' (FORMAT parquet)"
    )

    # h(i, salt) gives independent pseudo-random integers per row without Python loops.
    def fault(k: int) -> str:
        return f"i % 10000 = {k}" if dirty else "FALSE"

    con.execute("CREATE MACRO h(i, s) AS CAST(hash(i * 1000003 + s) % 1000000 AS BIGINT)")
    (folder / "cases").mkdir(exist_ok=True)
    con.execute(
        f"COPY (SELECT 'C' || CASE WHEN {fault(7)} THEN i - 1 ELSE i END AS case_id, "
        "'U' || LPAD(CAST(i % 5000 AS VARCHAR), 4, '0') AS unit, "
        f"CASE WHEN {fault(5)} THEN 'X1' ELSE {code('i % 5000', f'h(i, 1) % {ITEMS_PER_UNIT}')} END AS item_code, "
        "['行政许可', '其他依申请', '公共服务'][1 + h(i, 2) % 3] AS item_type, "
        "['网上', '窗口', '移动端', '自助终端'][1 + h(i, 3) % 4] AS channel, "
        "h(i, 4) % 10 < 6 AS one_window, h(i, 5) % 10 < 3 AS comprehensive, h(i, 6) % 10 < 2 AS appointment, "
        "TIMESTAMP '2021-01-01' + to_seconds(h(i, 7) * 181 * 86400 // 1000000) AS accepted_at, "
        "20 AS legal_limit, [0, 5, 10][1 + h(i, 8) % 3] AS promised_limit, "
        "CASE WHEN h(i, 9) % 20 = 0 THEN NULL ELSE TIMESTAMP '2021-01-01' "
        "+ to_seconds(h(i, 7) * 181 * 86400 // 1000000 + h(i, 10) % (20 * 86400)) END "
        f"- CASE WHEN {fault(3)} THEN INTERVAL 25 DAY ELSE INTERVAL 0 DAY END AS finished_at, "
        "h(i, 11) % 4 AS visits, h(i, 12) % 10 < 2 AS instant, "
        "CASE WHEN h(i, 13) % 3 = 0 THEN '法人' ELSE '个人' END AS applicant_type "
        f"FROM range({n_cases}) t(i)) TO '{folder / 'cases'}' (FORMAT parquet, PER_THREAD_OUTPUT true)"
    )
    (folder / "ratings").mkdir(exist_ok=True)
    con.execute(
        f"COPY (SELECT 'R' || CASE WHEN {fault(7)} THEN i - 1 ELSE i END AS rating_id, 'C' || i AS case_id, "
        "'U' || LPAD(CAST(i % 5000 AS VARCHAR), 4, '0') AS unit, "
        "['网上', '窗口', '移动端', '自助终端'][1 + h(i, 21) % 4] AS channel, "
        "CASE WHEN h(i, 22) % 100 < 70 THEN '非常满意' WHEN h(i, 22) % 100 < 90 THEN '满意' "
        "WHEN h(i, 22) % 100 < 96 THEN '基本满意' WHEN h(i, 22) % 100 < 99 THEN '不满意' ELSE '非常不满意' END AS level, "
        "h(i, 23) % 10 < 4 AS active, "
        "TIMESTAMP '2021-01-01' + to_seconds(h(i, 24) * 181 * 86400 // 1000000) AS rated_at, "
        "CASE WHEN h(i, 25) % 10 = 0 THEN FALSE END AS verified, h(i, 26) % 10 < 8 AS rectified, "
        "TIMESTAMP '2021-01-01' + to_seconds(h(i, 24) * 181 * 86400 // 1000000 + h(i, 27) % (30 * 86400)) "
        "AS rectified_at, h(i, 28) % 2 = 0 AS callback, CAST(NULL AS TIMESTAMP) AS deadline "
        f"FROM range({n_ratings}) t(i)) TO '{folder / 'ratings'}' (FORMAT parquet, PER_THREAD_OUTPUT true)"
    )
    con.close()
    return {"cases": n_cases, "ratings": n_ratings}


def _workdays(a: str, b: str) -> str:
    # The same official holiday calendar and SQL as the engine (narrowed to the period as `compute` does), so
    # the hand-written query does the same work.
    import datetime as dt

    from govassess.metrics.calendar import default_calendar

    cal = default_calendar().for_period(dt.date(2021, 1, 1), dt.date(2021, 6, 30))
    return f"({cal.index_sql(b)} - {cal.index_sql(a)})"


CASES_AGGREGATES = """
  COUNT(*) AS n,
  COUNT(*) FILTER (WHERE channel IN ('网上', '移动端')) AS online,
  COUNT(*) FILTER (WHERE lim IS NOT NULL AND finished_at < TIMESTAMP '2021-07-01' AND {wd_fin} <= lim) AS on_time,
  COUNT(*) FILTER (WHERE lim IS NOT NULL AND (finished_at < TIMESTAMP '2021-07-01' OR {wd_end} > lim)) AS due,
  COUNT(*) FILTER (WHERE instant) AS instant_n,
  AVG(visits) AS avg_visits,
  COUNT(*) FILTER (WHERE visits = 0) AS zero_v, COUNT(*) FILTER (WHERE visits <= 1) AS one_v,
  COUNT(visits) AS visits_known,
  COUNT(*) FILTER (WHERE item_type IN ('行政许可', '其他依申请')) AS dep,
  COUNT(*) FILTER (WHERE item_type IN ('行政许可', '其他依申请') AND one_window) AS one_window_n,
  COUNT(*) FILTER (WHERE comprehensive) AS comp, COUNT(*) FILTER (WHERE appointment) AS appt
"""

CASES_FROM = """FROM (SELECT *, COALESCE(promised_limit, legal_limit) AS lim FROM read_parquet('{folder}/cases/*.parquet')) c
WHERE accepted_at >= TIMESTAMP '2021-01-01' AND accepted_at < TIMESTAMP '2021-07-01'
"""

# The office's record rules written by hand, as an analyst must to get the same numbers from data that has
# faults: repeated ids, required values, allowed values, limits, dates, units and the item catalogue
# (docs/records.md).
CASES_RULES = """  AND case_id IS NOT NULL AND case_id <> '' AND item_code IS NOT NULL AND item_code <> ''
  AND item_type IN ('行政许可', '其他依申请', '公共服务') AND channel IN ('网上', '窗口', '移动端', '自助终端')
  AND (applicant_type IS NULL OR applicant_type IN ('个人', '法人'))
  AND (legal_limit IS NULL OR legal_limit >= 0) AND (promised_limit IS NULL OR promised_limit >= 0)
  AND (visits IS NULL OR visits >= 0) AND (promised_limit IS NULL OR legal_limit IS NULL OR promised_limit <= legal_limit)
  AND (finished_at IS NULL OR finished_at >= accepted_at)
  AND unit IN (SELECT unit FROM read_csv('{folder}/units.csv'))
  AND EXISTS (SELECT 1 FROM read_parquet('{folder}/items.parquet') i WHERE i.unit = c.unit AND i.item_code = c.item_code)
  AND case_id NOT IN (SELECT case_id FROM read_parquet('{folder}/cases/*.parquet') WHERE case_id IS NOT NULL
                      GROUP BY case_id HAVING COUNT(*) > 1)
"""

HAND_CASES = "SELECT unit, " + CASES_AGGREGATES + CASES_FROM + "GROUP BY unit\n"
HAND_CASES_SAME_RULES = "SELECT unit, " + CASES_AGGREGATES + CASES_FROM + CASES_RULES + "GROUP BY unit\n"

RATINGS_AGGREGATES = """
  COUNT(*) AS n, COUNT(*) FILTER (WHERE active) AS active_n,
  COUNT(*) FILTER (WHERE level IN ('非常满意', '满意')) AS good,
  COUNT(*) FILTER (WHERE bad) AS bad_n, COUNT(*) FILTER (WHERE bad AND rectified) AS fixed,
  COUNT(*) FILTER (WHERE bad AND rectified AND rectified_at < TIMESTAMP '2021-07-01' AND {wd_fix} <= 15) AS fixed_on_time,
  COUNT(*) FILTER (WHERE bad AND ((rectified AND rectified_at < TIMESTAMP '2021-07-01') OR {wd_end} > 15)) AS fix_due,
  COUNT(*) FILTER (WHERE bad AND callback) AS callback_n
"""

RATINGS_FROM = """FROM (SELECT *, level IN ('不满意', '非常不满意') AND verified IS DISTINCT FROM FALSE AS bad
      FROM read_parquet('{folder}/ratings/*.parquet'))
WHERE rated_at >= TIMESTAMP '2021-01-01' AND rated_at < TIMESTAMP '2021-07-01'
"""

RATINGS_RULES = """  AND rating_id IS NOT NULL AND rating_id <> '' AND active IS NOT NULL
  AND level IN ('非常满意', '满意', '基本满意', '不满意', '非常不满意')
  AND (channel IS NULL OR channel IN ('网上', '窗口', '移动端', '自助终端'))
  AND (rectified_at IS NULL OR rectified_at >= rated_at)
  AND unit IN (SELECT unit FROM read_csv('{folder}/units.csv'))
  AND rating_id NOT IN (SELECT rating_id FROM read_parquet('{folder}/ratings/*.parquet') WHERE rating_id IS NOT NULL
                        GROUP BY rating_id HAVING COUNT(*) > 1)
"""

HAND_RATINGS = "SELECT unit, " + RATINGS_AGGREGATES + RATINGS_FROM + "GROUP BY unit\n"
HAND_RATINGS_SAME_RULES = (
    "SELECT unit, " + RATINGS_AGGREGATES + RATINGS_FROM + RATINGS_RULES + "GROUP BY unit\n"
)

# Totals over all units that both the engine's results and the hand-written queries give: (hand query column,
# metric code, the metric's part). The benchmark fails if they differ.
SAME_NUMBERS = {
    "cases": [
        ("n", "case_count", "value"),
        ("online", "online_accept_rate", "num"),
        ("on_time", "on_time_rate", "num"),
        ("due", "on_time_rate", "den"),
        ("instant_n", "instant_case_rate", "num"),
        ("zero_v", "zero_visit_rate", "num"),
        ("one_v", "one_visit_rate", "num"),
        ("visits_known", "zero_visit_rate", "den"),
        ("dep", "one_window_rate", "den"),
        ("one_window_n", "one_window_rate", "num"),
        ("comp", "comprehensive_rate", "num"),
        ("appt", "appointment_case_rate", "num"),
    ],
    "ratings": [
        ("n", "rating_count", "value"),
        ("active_n", "active_rating_rate", "num"),
        ("good", "good_rating_rate", "num"),
        ("bad_n", "bad_rating_count", "value"),
    ],
}


def phase_ours(folder: Path, memory_limit: str, check_duplicates: bool = True) -> dict:
    from govassess.metrics.compute import compute
    from govassess.metrics.definitions import parse_period
    from govassess.metrics.engines import DuckDBEngine

    t = time.perf_counter()
    c = cpu_seconds()
    engine = DuckDBEngine(memory_limit=memory_limit, temp_directory=str(folder.parent / "spill"))
    result = compute(
        engine,
        folder,
        parse_period("2021-01-01", "2021-06-30"),
        units_file=folder / "units.csv",
        check_duplicates=check_duplicates,
    )
    seconds = time.perf_counter() - t
    computed = sorted({v.metric.code for v in result.values})
    numbers = {}
    for name, pairs in SAME_NUMBERS.items():
        for column, code, part in pairs:
            numbers[f"{name}.{column}"] = round(
                sum(getattr(v, part) or 0 for v in result.values if v.metric.code == code)
            )
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds() - c,
        "peak_rss_mb": peak_rss_mb(),
        "metrics": len(computed),
        "values": len(result.values),
        "excluded": {k: v[1] for k, v in result.totals.items()},
        "records": {k: v[0] for k, v in result.totals.items()},
        "numbers": numbers,
    }


def count_if_style(sql: str) -> str:
    """The same hand-written query with COUNT(*) FILTER (WHERE c) written as COUNT_IF(c), the form the
    engine generates (cheaper on DuckDB), so the comparison is also made against the faster hand query."""
    import re

    return re.sub(r"COUNT\(\*\) FILTER \(WHERE (.*?)\) AS (\w+)", r"COUNT_IF(\1) AS \2", sql)


def phase_hand(folder: Path, memory_limit: str, style: str = "filter") -> dict:
    """style: "filter" (COUNT(*) FILTER (WHERE …)), "count_if" (the same as COUNT_IF(…)), or "same_rules"
    (FILTER style with the record rules written into the query)."""
    import duckdb

    t = time.perf_counter()
    c = cpu_seconds()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{memory_limit}'")
    # The style is changed on the templates, before the calendar SQL (which has its own "… ) AS BIGINT") is in.
    hand_cases, hand_ratings = HAND_CASES, HAND_RATINGS
    if style == "count_if":
        hand_cases, hand_ratings = count_if_style(HAND_CASES), count_if_style(HAND_RATINGS)
        assert "FILTER" not in hand_cases + hand_ratings
    elif style == "same_rules":
        hand_cases, hand_ratings = HAND_CASES_SAME_RULES, HAND_RATINGS_SAME_RULES
    cases = hand_cases.format(
        folder=folder,
        wd_fin=_workdays("accepted_at", "finished_at"),
        wd_end=_workdays("accepted_at", "DATE '2021-06-30'"),
    )
    ratings = hand_ratings.format(
        folder=folder,
        wd_fix=_workdays("rated_at", "rectified_at"),
        wd_end=_workdays("rated_at", "DATE '2021-06-30'"),
    )
    numbers = {}
    groups = 0
    for name, sql in (("cases", cases), ("ratings", ratings)):
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
        groups += len(rows)
        for column, _, _ in SAME_NUMBERS[name]:
            i = cols.index(column)
            numbers[f"{name}.{column}"] = sum(r[i] or 0 for r in rows)
    return {
        "seconds": time.perf_counter() - t,
        "cpu_seconds": cpu_seconds() - c,
        "peak_rss_mb": peak_rss_mb(),
        "groups": groups,
        "numbers": numbers,
    }


def phase_pandas(folder: Path, rows: int) -> dict:
    import duckdb
    import numpy as np

    t = time.perf_counter()
    c = cpu_seconds()
    n_cases = int(rows * CASE_SHARE)
    con = duckdb.connect()
    # duckdb's .df() hands pandas numpy arrays (no pyarrow needed); loading is part of the timed work,
    # as reading Parquet is part of ours.
    df = con.execute(f"SELECT * FROM read_parquet('{folder}/cases/*.parquet') LIMIT {n_cases}").df()
    rt = con.execute(f"SELECT * FROM read_parquet('{folder}/ratings/*.parquet') LIMIT {rows - n_cases}").df()
    con.close()
    end = np.datetime64("2021-07-01")
    df = df[(df.accepted_at >= np.datetime64("2021-01-01")) & (df.accepted_at < end)]
    lim = df.promised_limit.fillna(df.legal_limit)
    wd_fin = np.busday_count(
        df.accepted_at.values.astype("datetime64[D]"),
        df.finished_at.fillna(df.accepted_at).values.astype("datetime64[D]"),
    )
    wd_end = np.busday_count(df.accepted_at.values.astype("datetime64[D]"), np.datetime64("2021-06-30"))
    fin = df.finished_at.notna() & (df.finished_at < end)
    dep = df.item_type.isin(["行政许可", "其他依申请"])
    frame = df.assign(
        online=df.channel.isin(["网上", "移动端"]),
        on_time=fin & (wd_fin <= lim),
        due=fin | (wd_end > lim),
        zero_v=df.visits == 0,
        one_v=df.visits <= 1,
        dep=dep,
        one_window_n=dep & df.one_window,
    )
    cases = frame.groupby("unit").agg(
        n=("case_id", "size"),
        online=("online", "sum"),
        on_time=("on_time", "sum"),
        due=("due", "sum"),
        instant=("instant", "sum"),
        avg_visits=("visits", "mean"),
        zero_v=("zero_v", "sum"),
        one_v=("one_v", "sum"),
        dep=("dep", "sum"),
        one_window_n=("one_window_n", "sum"),
        comp=("comprehensive", "sum"),
        appt=("appointment", "sum"),
    )
    rt = rt[(rt.rated_at >= np.datetime64("2021-01-01")) & (rt.rated_at < end)]
    bad = rt.level.isin(["不满意", "非常不满意"]) & (
        rt.verified.isna() | rt.verified.astype("boolean").fillna(True)
    )
    fixed = bad & rt.rectified & (rt.rectified_at < end)
    wd_fix = np.busday_count(
        rt.rated_at.values.astype("datetime64[D]"), rt.rectified_at.values.astype("datetime64[D]")
    )
    wd_rend = np.busday_count(rt.rated_at.values.astype("datetime64[D]"), np.datetime64("2021-06-30"))
    ratings = (
        rt.assign(
            good=rt.level.isin(["非常满意", "满意"]),
            bad=bad,
            fixed=fixed,
            fixed_on_time=fixed & (wd_fix <= 15),
            fix_due=bad & (fixed | (wd_rend > 15)),
            callback_n=bad & rt.callback,
        )
        .groupby("unit")
        .agg(
            n=("rating_id", "size"),
            active=("active", "sum"),
            good=("good", "sum"),
            bad=("bad", "sum"),
            fixed=("fixed", "sum"),
            fixed_on_time=("fixed_on_time", "sum"),
            fix_due=("fix_due", "sum"),
            callback_n=("callback_n", "sum"),
        )
    )
    return {
        "seconds": time.perf_counter() - t,
        "cpu_seconds": cpu_seconds() - c,
        "peak_rss_mb": peak_rss_mb(),
        "rows": len(df) + len(rt),
        "groups": len(cases) + len(ratings),
    }


def warm(folder: Path) -> None:
    """Read every record file once so each phase starts with them in the page cache (the pandas phase uses
    11 GB and evicts them; a cold read would be charged to whichever phase runs next)."""
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            with f.open("rb") as fh:
                while fh.read(1 << 23):
                    pass


def records_folder(args: argparse.Namespace) -> Path:
    return (
        args.dir
        / f"records-{args.rows}{'-dirty' if args.dirty else ''}{'-own' if args.own_item_codes else ''}"
    )


def run_phase(name: str, args: argparse.Namespace) -> dict:
    warm(records_folder(args))
    cmd = [
        sys.executable,
        __file__,
        "--phase",
        name,
        "--rows",
        str(args.rows),
        "--dir",
        str(args.dir),
        "--memory-limit",
        args.memory_limit,
        "--pandas-rows",
        str(args.pandas_rows),
        *(["--dirty"] if args.dirty else []),
        *(["--own-item-codes"] if args.own_item_codes else []),
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000_000, help="办件 + 好差评 records (80 %% / 20 %%)")
    p.add_argument("--pandas-rows", type=int, default=20_000_000)
    p.add_argument("--dir", type=Path, default=Path("/tmp/govassess-bench"))
    p.add_argument("--memory-limit", default="2GB", help="DuckDB memory limit (spills to disk beyond it)")
    p.add_argument("--keep", action="store_true", help="keep the generated records")
    p.add_argument(
        "--dirty",
        action="store_true",
        help="1 record in 10,000 faulty (repeated ids, finished before accepted, unknown item codes)",
    )
    p.add_argument(
        "--own-item-codes",
        action="store_true",
        help="each unit has its own 20 item codes (100,000 in the catalogue) instead of all sharing 20",
    )
    p.add_argument(
        "--phase",
        choices=("ours", "ours_nodup", "hand", "hand_count_if", "hand_same_rules", "pandas"),
        help=argparse.SUPPRESS,
    )
    args = p.parse_args()
    folder = records_folder(args)
    if args.phase == "ours":
        print(json.dumps(phase_ours(folder, args.memory_limit)))
        return
    if args.phase == "ours_nodup":
        print(json.dumps(phase_ours(folder, args.memory_limit, check_duplicates=False)))
        return
    if args.phase == "hand":
        print(json.dumps(phase_hand(folder, args.memory_limit)))
        return
    if args.phase in ("hand_count_if", "hand_same_rules"):
        print(json.dumps(phase_hand(folder, args.memory_limit, args.phase.removeprefix("hand_"))))
        return
    if args.phase == "pandas":
        print(json.dumps(phase_pandas(folder, min(args.pandas_rows, args.rows))))
        return
    if not (folder / "cases").is_dir():
        t = time.perf_counter()
        counts = generate(folder, args.rows, args.dirty, args.own_item_codes)
        print(f"generated {counts} in {time.perf_counter() - t:.1f} s under {folder}", file=sys.stderr)
    ours = run_phase("ours", args)
    print(f"ours: {ours}", file=sys.stderr)
    nodup = run_phase("ours_nodup", args)
    print(f"ours without the duplicate-key check: {nodup}", file=sys.stderr)
    hand = run_phase("hand", args)
    print(f"hand-written query: {hand}", file=sys.stderr)
    hand_ci = run_phase("hand_count_if", args)
    print(f"hand-written query, COUNT_IF style: {hand_ci}", file=sys.stderr)
    hand_rules = run_phase("hand_same_rules", args)
    print(f"hand-written query with the record rules: {hand_rules}", file=sys.stderr)
    if hand_rules["numbers"] != ours["numbers"]:
        differ = {
            k: (ours["numbers"][k], v) for k, v in hand_rules["numbers"].items() if ours["numbers"][k] != v
        }
        sys.exit(f"the engine and the hand-written query with the record rules disagree: {differ}")
    pandas = run_phase("pandas", args)
    print(f"pandas: {pandas}", file=sys.stderr)
    pandas_rows = min(args.pandas_rows, args.rows)
    result = {
        "rows": args.rows,
        "units": UNITS,
        "metrics": ours["metrics"],
        "seconds": round(ours["seconds"], 3),
        "rows_per_second": round(args.rows / ours["seconds"]),
        "peak_rss_mb": round(ours["peak_rss_mb"], 1),
        "seconds_without_duplicate_check": round(nodup["seconds"], 3),
        "hand_sql_seconds": round(hand["seconds"], 3),
        "hand_sql_peak_rss_mb": round(hand["peak_rss_mb"], 1),
        "ratio_to_hand_sql": round(ours["seconds"] / hand["seconds"], 3),
        "ratio_to_hand_sql_without_duplicate_check": round(nodup["seconds"] / hand["seconds"], 3),
        "cpu_seconds": round(ours["cpu_seconds"], 3),
        "hand_sql_cpu_seconds": round(hand["cpu_seconds"], 3),
        "ratio_to_hand_sql_cpu": round(ours["cpu_seconds"] / hand["cpu_seconds"], 3),
        "hand_sql_count_if_seconds": round(hand_ci["seconds"], 3),
        "ratio_to_hand_sql_count_if": round(ours["seconds"] / hand_ci["seconds"], 3),
        "ratio_to_hand_sql_count_if_without_duplicate_check": round(nodup["seconds"] / hand_ci["seconds"], 3),
        "hand_sql_same_rules_seconds": round(hand_rules["seconds"], 3),
        "ratio_to_hand_sql_same_rules": round(ours["seconds"] / hand_rules["seconds"], 3),
        # the plain hand-written query gives the engine's numbers only when no record breaks a rule
        "plain_hand_sql_same_numbers": hand["numbers"] == ours["numbers"],
        "dirty": args.dirty,
        "own_item_codes": args.own_item_codes,
        "excluded": ours["excluded"],
        "pandas_rows": pandas_rows,
        "pandas_cpu_seconds": round(pandas["cpu_seconds"], 3),
        "pandas_seconds": round(pandas["seconds"], 3),
        "pandas_peak_rss_mb": round(pandas["peak_rss_mb"], 1),
        # rows per second of ours / rows per second of pandas
        "speedup_vs_pandas_per_row": round(
            (args.rows / ours["seconds"]) / (pandas_rows / pandas["seconds"]), 2
        ),
        "cpu_count": os.cpu_count(),
        "memory_limit": args.memory_limit,
    }
    if not args.keep:
        shutil.rmtree(args.dir, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
