"""`govassess inspect`: crawl a government website and write report.json (and optional inputs CSV)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from govassess.cli.options import finite_float, hostname
from govassess.errors import UserError
from govassess.outputs import OutputSet


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写成 YYYY-MM-DD，而不是「{text}」") from None


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    p = sub.add_parser(
        "inspect",
        help="检查政府网站（抓取、失效链接、栏目更新、信息来源等），输出检查报告",
        description="礼貌地抓取一个政府网站并按《政府网站与政务新媒体检查指标》等要求检查，输出 report.json。",
    )
    p.add_argument("url", metavar="URL", help="网站首页地址")
    p.add_argument("--as-of", type=_date, help="检查基准日期（YYYY-MM-DD），用于判断栏目是否更新；默认今天")
    p.add_argument("--max-pages", type=int, default=500, help="最多抓取的页面数（默认 500）")
    p.add_argument("--max-depth", type=int, default=8, help="最大链接深度（默认 8）")
    p.add_argument(
        "--max-column-pages",
        type=int,
        default=20,
        help="每个栏目列表最多读取的分页数（含第 1 页，默认 20）",
    )
    p.add_argument("--out", default="report.json", help="检查报告输出文件（默认 report.json）")
    p.add_argument("--state", metavar="DIR", help="保存多次检查之间状态的目录（首页变化、可访问性监测）")
    p.add_argument("--host", action="append", default=[], type=hostname, help="同样纳入抓取范围的其他主机名，可重复")
    p.add_argument("--delay", type=finite_float(minimum=0), default=0.5, help="同一主机两次请求的最小间隔秒数（默认 0.5）")
    p.add_argument("--per-host", type=int, default=2, help="同一主机的最大并发请求数（默认 2）")
    p.add_argument("--workers", type=int, default=8, help="抓取线程数（默认 8）")
    p.add_argument("--timeout", type=finite_float(positive=True), default=15.0, help="单个请求超时秒数（默认 15）")
    p.add_argument("--max-bytes", type=int, default=5_000_000, help="单个页面的最大字节数（默认 5000000）")
    p.add_argument(
        "--external",
        choices=["check", "loopback", "none"],
        default="check",
        help="外部链接：check 逐个检查可否打开（不抓取其内容），none 不检查，loopback 仅检查本机地址",
    )
    p.add_argument("--rules", help="检查规则文件（YAML，格式同内置 rules.yaml）")
    p.add_argument(
        "--inputs-out", help="把检查结果转为指标体系的输入数据（CSV：unit, indicator, input, value, note）"
    )
    p.add_argument("--unit", help="与 --inputs-out 同用：评估对象编码")
    p.add_argument(
        "--map",
        help="与 --inputs-out 同用：检查结果到指标输入的映射文件（YAML），默认对应内置国家检查指标体系",
    )
    p.add_argument("--quiet", action="store_true", help="不输出进度和摘要")
    p.set_defaults(handler=run_inspect)

    m = sub.add_parser(
        "inspect-inputs",
        help="把已有的检查报告转换为指标体系的输入数据（CSV）",
        description="读取 govassess inspect 生成的 report.json，按映射文件生成 unit, indicator, input, value, note 输入数据。",
    )
    m.add_argument("report", metavar="REPORT", help="检查报告 report.json")
    m.add_argument("--unit", required=True, help="评估对象编码")
    m.add_argument("--map", help="映射文件（YAML），默认对应内置国家检查指标体系")
    m.add_argument("--out", required=True, help="输出 CSV 文件")
    m.set_defaults(handler=run_inspect_inputs)

    q = sub.add_parser(
        "inspect-probe",
        help="访问一次网站首页并记入监测状态（供定时任务每天多次运行，判断“站点无法访问”）",
        description="访问一次首页，记录状态码和用时；govassess inspect 据此计算近 7 天打不开的次数占比。",
    )
    q.add_argument("url", metavar="URL", help="网站首页地址")
    q.add_argument(
        "--state", metavar="DIR", required=True, help="监测状态目录（与 govassess inspect --state 相同）"
    )
    q.add_argument("--as-of", type=_date, help="记入的日期（YYYY-MM-DD），默认今天")
    q.add_argument("--timeout", type=finite_float(positive=True), default=15.0, help="超过该秒数仍未打开即记为打不开（默认 15）")
    q.set_defaults(handler=run_inspect_probe)


def run_inspect(args: argparse.Namespace) -> int:
    from govassess.inspection.crawler import CrawlConfig
    from govassess.inspection.inputs import load_map, report_to_rows, write_inputs_csv
    from govassess.inspection.report import inspect_site, write_report
    from govassess.inspection.rules import load_rules

    if args.inputs_out and not args.unit:
        raise UserError("使用 --inputs-out 时必须用 --unit 指定评估对象编码", field="--unit")
    mapping = load_map(args.map) if args.inputs_out else None  # checked before a long crawl, not after
    rules = load_rules(args.rules)
    for name in ("max_pages", "max_depth", "max_column_pages", "per_host", "workers"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name.replace('_', '-')} 必须至少为 1", field=f"--{name.replace('_', '-')}")
    if args.delay < 0 or args.timeout <= 0:
        raise UserError("--delay 不能为负数，--timeout 必须大于 0")

    def progress(done: int, queued: int) -> None:
        if not args.quiet and sys.stderr.isatty():
            print(f"\r已抓取 {done} 页，待抓取 {queued} 页", end="", file=sys.stderr, flush=True)

    config = CrawlConfig(
        args.url,
        hosts=tuple(args.host),
        max_pages=args.max_pages,
        max_depth=args.max_depth,
        max_list_pages=args.max_column_pages,
        workers=args.workers,
        per_host=args.per_host,
        delay=args.delay,
        timeout=args.timeout,
        max_bytes=args.max_bytes,
        external=args.external,
        progress=progress,
    )
    # Targets are checked before a long crawl; the report and the inputs appear together or not at all.
    with OutputSet() as outs:
        out = outs.file(args.out, option="--out")
        inputs_out = outs.file(args.inputs_out, option="--inputs-out") if args.inputs_out else None
        report = inspect_site(config, as_of=args.as_of, rules=rules, state_dir=args.state)
        write_report(report, out)
        if inputs_out:
            assert mapping is not None
            write_inputs_csv(report_to_rows(report, mapping, unit=args.unit), inputs_out)
    if not args.quiet:
        if sys.stderr.isatty():
            print(file=sys.stderr)
        print(summary(report))
        print(
            f"检查报告已写入 {args.out}" + (f"；输入数据已写入 {args.inputs_out}" if args.inputs_out else "")
        )
    return 0


def run_inspect_inputs(args: argparse.Namespace) -> int:
    from govassess.inspection.inputs import load_map, report_to_rows, write_inputs_csv
    from govassess.inspection.report import read_report

    mapping = load_map(args.map)
    rows = report_to_rows(read_report(args.report), mapping, unit=args.unit, report_file=args.report)
    with OutputSet() as outs:
        write_inputs_csv(rows, outs.file(args.out, option="--out"))
    print(f"已写入 {len(rows)} 行输入数据到 {args.out}")
    return 0


def run_inspect_probe(args: argparse.Namespace) -> int:
    from govassess.inspection.report import probe_site

    probe = probe_site(args.url, state_dir=args.state, as_of=args.as_of, timeout=args.timeout)
    result = "正常" if probe["ok"] else "打不开"
    print(
        f"{args.url}：{result}（状态 {probe['status']}，用时 {probe['elapsed']} 秒）"
        + (f"，{probe['error']}" if probe["error"] else "")
    )
    return 0


def summary(report: dict) -> str:
    lines = [
        f"网站：{report['site']}  基准日期：{report['as_of']}  抓取页面：{report['pages_crawled']}  "
        f"用时：{report['elapsed_seconds']} 秒",
        f"结论：{report['verdict']}",
    ]
    names = {"pass": "通过", "fail": "不通过", "deduct": "扣分", "undetermined": "未判定"}
    for c in report["checks"]:
        pts = f"，扣 {c['points']:g}" if c["result"] == "deduct" and c["points"] is not None else ""
        lines.append(f"  {c['check']}：{names.get(c['result'], c['result'])}（{c['value']}{pts}）")
    if report["crawl_errors"]:
        lines.append(f"抓取问题 {len(report['crawl_errors'])} 个，详见报告 crawl_errors")
    return "\n".join(lines)
