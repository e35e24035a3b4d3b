"""`govassess metrics …`: compute indicator inputs from raw records, and monitoring exports."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from govassess.errors import UserError
from govassess.outputs import OutputSet


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    p = sub.add_parser(
        "metrics", help="由办件、好差评等原始记录计算指标输入", description="由原始记录计算指标输入"
    )
    msub = p.add_subparsers(dest="metrics_command", metavar="子命令")

    c = msub.add_parser("compute", help="计算一个期间的全部指标，写出长表输入文件")
    c.add_argument(
        "--records",
        required=True,
        type=Path,
        help="记录目录（cases.csv、好差评.xlsx 等，见 docs/records.md）",
    )
    c.add_argument("--from", dest="start", required=True, help="期间开始日期，如 2021-01-01")
    c.add_argument("--to", dest="end", required=True, help="期间结束日期（含），如 2021-06-30")
    c.add_argument("--out", required=True, type=Path, help="输出的输入文件（.csv 或 .xlsx）")
    c.add_argument("--map", help="映射文件或内置映射 id（如 yangjiang-2021-county）")
    c.add_argument("--units", type=Path, help="评估对象文件（缺省时使用记录目录中的 units 文件）")
    c.add_argument("--definitions", type=Path, help="自定义指标定义 YAML（缺省用内置定义）")
    c.add_argument(
        "--info-rules",
        type=Path,
        help="信息报送积分的考评办法：内置 yingdong（颍东区细则，含稿酬）、gansu（甘肃省办法）、xinwen（新闻宣传办法，"
        "含年度计零）、combined（三者条款的组合，示例），或自定义规则 YAML。不选（映射文件也未写 info_rules）时不计算信息报送积分",
    )
    c.add_argument(
        "--calendar",
        type=Path,
        help="本地工作日历 YAML（节假日与调休上班日，格式见 docs/metrics.md；其年份替换内置日历）",
    )
    c.add_argument("--strict", action="store_true", help="发现任何无效记录即停止（默认排除并报告）")
    c.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb", help="计算引擎（默认 duckdb）")
    c.add_argument(
        "--spark-master",
        help="Spark 的 master 地址，如 spark://host:7077（默认环境变量 GOVASSESS_SPARK_MASTER，再缺省为 local[2]）",
    )
    c.add_argument("--problems", type=Path, help="无效记录报告 CSV（默认与输出文件同名加 .problems.csv）")
    c.add_argument(
        "--skip-duplicate-check",
        action="store_true",
        help="不检查编号重复（上亿条记录时最耗时的检查；输出中会注明未检查）",
    )
    c.add_argument("--memory-limit", help="DuckDB 内存上限，如 2GB（超出部分写入临时文件）")
    c.add_argument("--threads", type=int, help="DuckDB 线程数（默认为 CPU 核数）")
    c.add_argument(
        "--timezone",
        help="机关所在时区（默认环境变量 GOVASSESS_TIMEZONE，再缺省为 Asia/Shanghai）；带时差的时间先换算到该时区再划分期间",
    )
    c.set_defaults(handler=cmd_compute)

    m = msub.add_parser("monitor", help="监测导出：总量分析、评价分析、差评提醒")
    m.add_argument(
        "report",
        choices=("volume", "ratings", "alerts"),
        help="volume=总量分析 ratings=评价分析 alerts=差评提醒",
    )
    m.add_argument("--records", required=True, type=Path, help="记录目录")
    m.add_argument("--from", dest="start", help="期间开始日期（总量、评价分析）")
    m.add_argument("--to", dest="end", help="期间结束日期（含）")
    m.add_argument("--as-of", dest="as_of", help="差评提醒的基准日期（默认今天）")
    m.add_argument("--calendar", type=Path, help="本地工作日历 YAML（差评提醒的整改期限按其工作日计）")
    m.add_argument("--unit", help="只导出该单位（差评提醒给单位本身时使用）")
    m.add_argument("--units", type=Path, help="评估对象文件（区域分析需要 region 列）")
    m.add_argument("--out", required=True, type=Path, help="输出文件（.csv 或 .xlsx）")
    m.add_argument(
        "--timezone",
        help="机关所在时区（默认环境变量 GOVASSESS_TIMEZONE，再缺省为 Asia/Shanghai）；带时差的时间先换算到该时区再划分期间",
    )
    m.set_defaults(handler=cmd_monitor)

    v = msub.add_parser("visits", help="暗访记录：下载模板，或检查离线填写的暗访文件并写成记录目录中的 visits.csv")
    v.add_argument("file", nargs="?", type=Path, help="离线填写的暗访文件（.xlsx 或 .csv）；省略时配合 --template")
    v.add_argument("--template", type=Path, help="写出空白暗访记录模板（.xlsx）")
    v.add_argument("--units", type=Path, help="评估对象文件（unit 列）；给出时检查单位")
    v.add_argument("--from", dest="start", help="暗访期间开始日期；与 --to 一起给出时检查暗访时间")
    v.add_argument("--to", dest="end", help="暗访期间结束日期（含）")
    v.add_argument("--records", type=Path, help="记录目录：检查通过后写入其中的 visits.csv（供 metrics compute 使用）")
    v.set_defaults(handler=cmd_visits)

    p.set_defaults(handler=lambda _args: (p.print_help(), 2)[1])


def _engine(  # noqa: ANN202
    name: str, memory_limit: str | None = None, threads: int | None = None, spark_master: str | None = None
):
    from .engines import DuckDBEngine, SparkEngine

    if name == "spark":
        # The same setting the web platform reads, so one cluster serves both.
        master = spark_master or os.environ.get("GOVASSESS_SPARK_MASTER") or "local[2]"
        return SparkEngine(master=master)
    if spark_master:
        raise UserError("--spark-master 只用于 --engine spark")
    if memory_limit is not None and not re.fullmatch(
        r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", memory_limit
    ):
        raise UserError(f"--memory-limit 应写成 2GB、500MB 这样的值：{memory_limit}")
    if threads is not None and threads < 1:
        raise UserError("--threads 至少为 1")
    return DuckDBEngine(memory_limit=memory_limit, threads=threads)


def _use_timezone(args: argparse.Namespace) -> None:
    """--timezone overrides GOVASSESS_TIMEZONE for this command; an unknown zone is refused before any work."""
    from .records import TIMEZONE_ENV, office_timezone

    if getattr(args, "timezone", None):
        os.environ[TIMEZONE_ENV] = args.timezone
    office_timezone()


def cmd_compute(args: argparse.Namespace) -> int:
    _use_timezone(args)
    from .compute import compute
    from .definitions import load_definitions, parse_period
    from .infowork import load_info_rules
    from .output import input_rows, load_map, write_inputs, write_problems

    period = parse_period(args.start, args.end)
    defs = load_definitions(args.definitions)
    mmap = load_map(args.map, defs) if args.map else None
    warnings: list[str] = []
    if mmap is not None and mmap.system:
        try:
            from govassess.indicators import load_system

            from .output import check_map_against_system

            warnings += check_map_against_system(mmap, load_system(mmap.system))
        except ImportError:
            pass
    chosen = args.info_rules or (mmap.info_rules if mmap is not None else None)
    info_rules = load_info_rules(chosen) if chosen else None
    from .calendar import load_calendar

    calendar = load_calendar(args.calendar)
    if args.out.suffix.lower() not in (".csv", ".xlsx"):
        raise UserError("输出文件应为 .csv 或 .xlsx", file=str(args.out))
    engine = _engine(args.engine, args.memory_limit, args.threads, args.spark_master)
    try:
        result = compute(
            engine,
            args.records,
            period,
            units_file=args.units,
            definitions=defs,
            info_rules=info_rules,
            strict=args.strict,
            check_duplicates=not args.skip_duplicate_check,
            progress=lambda msg: print(msg, file=sys.stderr),
            calendar=calendar,
        )
    finally:
        engine.close()
    rows, left_out = input_rows(result, mmap)
    problems = args.problems or args.out.with_name(args.out.stem + ".problems.csv")
    with OutputSet() as outs:  # the inputs and the problems report together, or neither
        out_tmp = outs.file(args.out, option="--out")
        problems_tmp = outs.file(problems, option="--problems") if result.rule_results else None
        write_inputs(rows, out_tmp)
        if problems_tmp:
            write_problems(result, problems_tmp)
    for line in result.summary_lines() + warnings:
        print(line, file=sys.stderr)
    if left_out:
        print(f"未写出 {len(left_out)} 项（分母为 0 或无记录），例如：", file=sys.stderr)
        for line in left_out[:10]:
            print(f"  {line}", file=sys.stderr)
    print(f"已写出 {len(rows)} 行输入到 {args.out}（{len(result.units)} 个评估对象）")
    if result.rule_results:
        print(f"无效记录报告：{problems}")
    return 0


def cmd_visits(args: argparse.Namespace) -> int:
    import csv

    from govassess.errors import UserError
    from govassess.outputs import OutputSet

    from .definitions import parse_period
    from .visits import read_visits, template_workbook, write_csv

    if args.template is None and args.file is None:
        raise UserError("请给出暗访文件，或用 --template 写出模板")
    if args.template is not None:
        with OutputSet() as out:
            template_workbook(out.file(args.template, option="--template"))
        print(f"已写出暗访记录模板：{args.template}")
    if args.file is None:
        return 0
    units = None
    if args.units is not None:
        try:
            with args.units.open(encoding="utf-8-sig", newline="") as fh:
                units = [str(r.get("unit") or r.get("单位") or "").strip() for r in csv.DictReader(fh)]
        except OSError:
            raise UserError(f"无法读取评估对象文件：{args.units}") from None
    period = None
    if args.start or args.end:
        pr = parse_period(args.start or "", args.end or "")
        period = (pr.start, pr.end)
    visits = read_visits(args.file, units=units, period=period)
    print(f"{args.file.name}：暗访记录 {len(visits)} 条，检查通过")
    if args.records is not None:
        with OutputSet() as out:
            folder = out.folder(args.records, option="--records")
            write_csv(visits, out.file(folder / "visits.csv", option="--records"))
        print(f"已写入 {args.records / 'visits.csv'}")
    return 0


def cmd_monitor(args: argparse.Namespace) -> int:
    from . import monitor

    _use_timezone(args)
    return monitor.cli(args)
