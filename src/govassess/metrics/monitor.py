"""政务服务指标分析 monitoring (seed 000): 总量分析, 评价分析 / 区域分析 and 差评提醒.

Plain service functions returning lists of dicts (the web pages and the CLI both call them); invalid records
are excluded exactly as in ``compute`` and the exclusions are returned alongside."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govassess.errors import UserError
from govassess.outputs import OutputSet, csv_dict, save_workbook

from . import records as rec
from .calendar import WorkCalendar, default_calendar
from .definitions import Period, load_definitions, parse_period

BAD = "level IN ('不满意', '非常不满意') AND verified IS DISTINCT FROM FALSE"
LEVEL_SCORE = "CASE level WHEN '非常满意' THEN 5 WHEN '满意' THEN 4 WHEN '基本满意' THEN 3 WHEN '不满意' THEN 2 ELSE 1 END"


@dataclass
class Report:
    columns: list[str]
    rows: list[dict[str, Any]]
    excluded: dict[str, int]  # record set -> invalid records left out


def _open(
    records_dir: Path, units_file: Path | None, need: str, engine: Any = None
) -> tuple[Any, rec.Store, int]:
    from .engines import DuckDBEngine

    engine = engine or DuckDBEngine()
    store = rec.register(engine, Path(records_dir), units_file=units_file)
    if not store.has(need):
        raise UserError(f"记录目录中没有{need == 'cases' and '办件' or '好差评'}记录（{need}.csv 等）")
    _, rows = engine.fetch(f"SELECT COUNT(*) FILTER (WHERE _bad) FROM {need}__flagged")
    return engine, store, int(rows[0][0])


def _unit_filter(unit: str | None) -> str:
    return "" if unit is None else " AND unit = '" + unit.replace("'", "''") + "'"


def volume_trend(*, records_dir: Path, period: Period, unit: str | None = None, engine: Any = None) -> Report:
    """总量分析: cases per month by channel and item type, with each cell's share of the month."""
    engine, _, bad = _open(records_dir, None, "cases", engine)
    ph = period.placeholders()
    cols, rows = engine.fetch(
        "SELECT STRFTIME(accepted_at, '%Y-%m') AS month, item_type, channel, COUNT(*) AS n FROM cases "
        f"WHERE accepted_at >= {ph['start_ts']} AND accepted_at < {ph['end']}{_unit_filter(unit)} "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    )
    totals: dict[str, int] = {}
    for r in rows:
        totals[r[0]] = totals.get(r[0], 0) + int(r[3])
    out = [
        {
            "月份": m,
            "事项类型": t,
            "受理渠道": c,
            "办件数": int(n),
            "占当月比例": round(int(n) / totals[m], 6),
        }
        for m, t, c, n in rows
    ]
    return Report(["月份", "事项类型", "受理渠道", "办件数", "占当月比例"], out, {"cases": bad})


def rating_analysis(
    *, records_dir: Path, period: Period, units_file: Path | None = None, engine: Any = None
) -> Report:
    """评价分析 by unit and 区域分析 by region (from the units file's `region` column): counts, active share,
    好/中/差评, 好评率, mean satisfaction (非常满意 5 … 非常不满意 1) and 差评整改率."""
    engine, store, bad = _open(records_dir, units_file, "ratings", engine)
    ph = period.placeholders()
    region = "u.region" if store.has("units") else "CAST(NULL AS VARCHAR)"
    join = "LEFT JOIN units u ON u.unit = r.unit" if store.has("units") else ""
    aggs = (
        "COUNT(*) AS n, COUNT(*) FILTER (WHERE active) AS active_n, "
        "COUNT(*) FILTER (WHERE level IN ('非常满意', '满意')) AS good, "
        "COUNT(*) FILTER (WHERE level = '基本满意') AS medium, "
        f"COUNT(*) FILTER (WHERE {BAD}) AS bad, "
        f"COUNT(*) FILTER (WHERE {BAD} AND rectified) AS fixed, AVG({LEVEL_SCORE}) AS mean_score"
    )
    base = f"FROM ratings r {join} WHERE r.rated_at >= {ph['start_ts']} AND r.rated_at < {ph['end']}"
    _, by_unit = engine.fetch(
        f"SELECT '单位' AS lvl, r.unit AS k, {region} AS region, {aggs} {base} GROUP BY 2, 3"
    )
    _, by_region = engine.fetch(
        f"SELECT '区域' AS lvl, {region} AS k, {region} AS region, {aggs} {base} GROUP BY 2, 3"
    )
    out = []
    for lvl, key, reg, n, active_n, good, medium, bad_n, fixed, mean in sorted(
        by_unit, key=lambda r: (r[2] or "", r[1])
    ) + sorted(by_region, key=lambda r: r[1] or ""):
        out.append(
            {
                "层级": lvl,
                "单位或区域": key if key is not None else "（未分区域）",
                "区域": reg or "",
                "评价数": n,
                "主动评价数": active_n,
                "主动评价率": round(active_n / n, 6) if n else None,
                "好评数": good,
                "中评数": medium,
                "差评数": bad_n,
                "好评率": round(good / n, 6) if n else None,
                "平均满意度": round(float(mean), 4) if mean is not None else None,
                "差评整改率": round(fixed / bad_n, 6) if bad_n else None,
            }
        )
    columns = ["层级", "单位或区域", "区域", "评价数", "主动评价数", "主动评价率", "好评数", "中评数", "差评数",
               "好评率", "平均满意度", "差评整改率"]  # fmt: skip
    return Report(columns, out, {"ratings": bad})


def add_working_days(day: dt.date, n: int, calendar: WorkCalendar | None = None) -> dt.date:
    """The n-th working day after `day` on the holiday calendar — the same rule as WORKDAYS in the metric
    definitions (Mon–Fri outside the calendar's years)."""
    cal = calendar or default_calendar()
    while n > 0:
        day += dt.timedelta(days=1)
        if cal.is_workday(day):
            n -= 1
    return day


def bad_rating_alerts(
    *,
    records_dir: Path,
    as_of: dt.date,
    unit: str | None = None,
    engine: Any = None,
    calendar: WorkCalendar | None = None,
) -> Report:
    """差评提醒: every 差评 (not ruled invalid) not yet rectified, with its deadline and the days left
    (negative = overdue), most urgent first."""
    engine, _, bad = _open(records_dir, None, "ratings", engine)
    limit = int(load_definitions().params.get("rectify_limit", 15))
    _, rows = engine.fetch(
        "SELECT rating_id, unit, case_id, level, rated_at, deadline, callback FROM ratings "
        f"WHERE {BAD} AND rectified IS DISTINCT FROM TRUE{_unit_filter(unit)}"
    )
    out = []
    for rating_id, u, case_id, level, rated_at, deadline, callback in rows:
        due = deadline.date() if deadline is not None else add_working_days(rated_at.date(), limit, calendar)
        left = (due - as_of).days
        status = "已超期" if left < 0 else ("即将到期" if left <= 3 else "未到期")
        out.append(
            {
                "单位": u,
                "评价编号": rating_id,
                "办件编号": case_id or "",
                "评价等级": level,
                "评价时间": rated_at.strftime("%Y-%m-%d %H:%M"),
                "整改期限": due.isoformat(),
                "剩余天数": left,
                "状态": status,
                "已回访": "是" if callback else "否",
            }
        )
    out.sort(key=lambda r: (r["剩余天数"], r["单位"], r["评价编号"]))
    columns = [
        "单位",
        "评价编号",
        "办件编号",
        "评价等级",
        "评价时间",
        "整改期限",
        "剩余天数",
        "状态",
        "已回访",
    ]
    return Report(columns, out, {"ratings": bad})


def write_report(report: Report, out: Path, *, sheet: str) -> None:
    if out.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = sheet
        ws.append(report.columns)
        for r in report.rows:
            ws.append([r[c] for c in report.columns])
        save_workbook(wb, out)  # names and comments from the records stay text
    elif out.suffix.lower() == ".csv":
        with out.open("w", newline="", encoding="utf-8-sig") as fh:
            w = csv.DictWriter(fh, fieldnames=report.columns)
            w.writeheader()
            w.writerows(csv_dict(r) for r in report.rows)
    else:
        raise UserError("输出文件应为 .csv 或 .xlsx", file=str(out))


def cli(args: argparse.Namespace) -> int:
    import sys

    if args.report in ("volume", "ratings"):
        if not (args.start and args.end):
            raise UserError("总量分析和评价分析需要 --from 和 --to")
        period = parse_period(args.start, args.end)
    if args.report == "volume":
        report = volume_trend(records_dir=args.records, period=period, unit=args.unit)
        sheet = "总量分析"
    elif args.report == "ratings":
        report = rating_analysis(records_dir=args.records, period=period, units_file=args.units)
        sheet = "评价分析"
    else:
        try:
            as_of = dt.date.fromisoformat(args.as_of) if args.as_of else dt.date.today()
        except ValueError:
            raise UserError(f"--as-of 应为 2021-07-01 这样的日期：{args.as_of}") from None
        from .calendar import load_calendar

        calendar = load_calendar(getattr(args, "calendar", None))
        report = bad_rating_alerts(records_dir=args.records, as_of=as_of, unit=args.unit, calendar=calendar)
        sheet = "差评提醒"
    with OutputSet() as outs:
        write_report(report, outs.file(args.out, option="--out"), sheet=sheet)
    for name, n in report.excluded.items():
        if n:
            print(f"已排除无效记录 {n} 条（{name}），详情用 govassess metrics compute 查看", file=sys.stderr)
    print(f"已写出{sheet} {len(report.rows)} 行到 {args.out}")
    return 0
