"""Core subcommands: systems, check-system, import-system, export-system, template, score, combine, demo."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from govassess.errors import UserError
from govassess.outputs import OutputSet

# Redirected output (logs, CI) would otherwise wrap Chinese unit names at 80 columns.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)


GRADES_HELP = "本轮等次，自高到低，如 \"优秀≥90，良好≥80，合格≥60，不合格≥0\"（或写有同样内容的文件）；覆盖体系的等次"
_GRADE_RE = re.compile(r"^\s*([^\s≥>=:：]+)\s*(?:≥|>=|:|：)\s*(-?[0-9]+(?:\.[0-9]+)?)\s*分?\s*$")


def parse_grades(text: str) -> list[dict[str, Any]]:
    """``优秀≥90，良好≥80，合格≥60，不合格≥0`` (or a file holding it) → [{name, min}], highest first."""
    source = Path(text)
    if len(text) < 255 and source.is_file():
        try:
            text = source.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            raise UserError("无法读取等次文件（应为 UTF-8 文本）", file=str(source)) from None
    parts = [p for p in re.split(r"[,，;；、\n]+", text) if p.strip()]
    grades = []
    for part in parts:
        m = _GRADE_RE.match(part)
        if not m:
            raise UserError(f"--grades 中「{part.strip()}」无法识别，应写成 等次≥下限，如 优秀≥90，良好≥80，合格≥60，不合格≥0")
        grades.append({"name": m.group(1), "min": float(m.group(2))})
    if not grades:
        raise UserError("--grades 为空，应写成 优秀≥90，良好≥80，合格≥60，不合格≥0")
    if any(grades[i]["min"] <= grades[i + 1]["min"] for i in range(len(grades) - 1)):
        raise UserError("--grades 的等次应自高到低排列，下限严格递减")
    return grades


def _grades_text(grades: list[dict[str, Any]]) -> str:
    return "，".join(f"{g['name']}≥{g['min']:g}" for g in grades)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("systems", help="列出内置指标体系")
    p.set_defaults(handler=cmd_systems)

    p = sub.add_parser("check-system", help="检查指标体系（内置 id 或 YAML/XLSX 文件）")
    p.add_argument("system", help="内置体系 id 或文件路径")
    p.add_argument("--json", action="store_true", help="以 JSON 输出摘要")
    p.set_defaults(handler=cmd_check_system)

    p = sub.add_parser("import-system", help="从 Excel 指标表导入，写出 YAML")
    p.add_argument("file", help="指标表 .xlsx")
    p.add_argument("--out", required=True, help="输出 YAML 文件")
    p.add_argument("--id", dest="system_id", help="体系 id（默认取文件名）")
    p.add_argument("--name", help="体系名称")
    p.set_defaults(handler=cmd_import_system)

    p = sub.add_parser("export-system", help="导出指标体系为 Excel 指标表或 YAML")
    p.add_argument("system", help="内置体系 id 或文件路径")
    p.add_argument("--format", choices=("xlsx", "yaml"), default="xlsx", help="输出格式（默认 xlsx）")
    p.add_argument("--out", required=True, help="输出文件")
    p.set_defaults(handler=cmd_export_system)

    p = sub.add_parser("template", help="生成数据填报工作簿")
    p.add_argument("system", help="内置体系 id 或文件路径")
    p.add_argument("--units", required=True, help="单位文件 CSV/XLSX")
    p.add_argument("--inputs", help="已有数据（预填）")
    p.add_argument("--out", required=True, help="输出工作簿 .xlsx")
    p.set_defaults(handler=cmd_template)

    p = sub.add_parser("score", help="评分：得分、排名、等次、失分项")
    p.add_argument("system", help="内置体系 id 或文件路径")
    p.add_argument("--units", required=True, help="单位文件 CSV/XLSX（unit、name、class 及属性列）")
    p.add_argument("--inputs", required=True, help="输入数据 CSV/XLSX（unit、indicator、input、value、note）")
    p.add_argument("--round", dest="round_name", help="轮次名称，如 2021年上半年")
    p.add_argument("--out", required=True, help="结果 JSON")
    p.add_argument("--xlsx", help="结果工作簿")
    p.add_argument("--grades", help=GRADES_HELP)
    p.set_defaults(handler=cmd_score)

    p = sub.add_parser("combine", help="多轮结果按权重合并（如 上半年40%% / 下半年60%%）")
    p.add_argument("results", nargs="+", help="各轮结果 JSON")
    p.add_argument("--weights", required=True, help="如 0.4,0.6")
    p.add_argument("--partial", choices=("report", "reweight"), default="report",
                   help="某单位缺少某轮结果时：report 不计算合并分并报告（默认）；reweight 按其余轮次权重折算")
    p.add_argument("--out", required=True, help="合并结果 JSON")
    p.add_argument("--grades", help=GRADES_HELP)
    p.set_defaults(handler=cmd_combine)

    p = sub.add_parser("demo", help="演示：阳江 2021 两个体系、两轮评分并合并")
    p.add_argument("--out", default="demo-output", help="输出目录（默认 demo-output）")
    p.add_argument("--seed", type=int, default=2021, help="随机数种子（默认 2021，结果可复现）")
    p.set_defaults(handler=cmd_demo)


# --- helpers -----------------------------------------------------------------------------------

@contextmanager
def atomic_outputs(*paths: str | None) -> Iterator[list[Path]]:
    """Yield temporary paths for the given targets (None skipped); thin alias of :class:`govassess.outputs.OutputSet`."""
    with OutputSet() as outs:
        yield [outs.file(p) for p in paths if p]


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def read_result(path: str) -> dict[str, Any]:
    """A `govassess score` result, its shape checked where combine reads it (hand-edited files happen)."""
    from govassess import json_input
    from govassess.scoring.combine import RESULT_SCHEMA

    data = json_input.load_json(path, what="结果 JSON")
    if not isinstance(data, dict) or "units" not in data or "system" not in data:
        raise UserError("不是 govassess score 输出的结果 JSON（缺少 system / units）", file=path)
    json_input.check_shape(data, RESULT_SCHEMA, file=path, what="结果 JSON")
    return data


def _progress() -> Callable[[str, int, int], None]:
    def show(stage: str, done: int, total: int) -> None:
        console.print(f"  [{done}/{total}] {stage}", style="dim")
    return show


# --- commands ----------------------------------------------------------------------------------

def cmd_systems(args: argparse.Namespace) -> int:
    from govassess.indicators import check_system, list_systems

    table = Table(title="内置指标体系")
    for col in ("id", "名称", "常规指标", "加分项", "减分项", "满分"):
        table.add_column(col)
    for system in list_systems():
        s = check_system(system).summary
        # 满分 is what a unit's weighted score is out of (scale), not the sum of leaf points (total): a
        # system whose applicable points differ by class, like 宁德's 东侨 leaf, still scores out of 100.
        table.add_row(system.id, system.name, str(s["leaves"]), str(len(s["bonus"])), str(len(s["penalty"])), f"{system.scale:g}")
    console.print(table)
    return 0


def cmd_check_system(args: argparse.Namespace) -> int:
    from govassess.indicators import check_system, load_system

    report = check_system(load_system(args.system))
    s = report.summary
    if args.json:
        print(json.dumps({"summary": s, "problems": [p.to_dict() for p in report.problems]}, ensure_ascii=False, indent=2))
    else:
        console.print(f"[bold]{s['name']}[/bold]（{s['id']}）")
        console.print(f"  层级 {s['levels']}，节点 {s['nodes']}，常规叶子指标 {s['leaves']} 个，分值合计 {s['weighted_points']:g}"
                      f"（total {s['total']:g}，折算为 {s['scale']:g}）")
        for b in s["bonus"]:
            console.print(f"  加分项 {b['code']} {b['name']}：上限 {b['cap']:g}")
        for b in s["penalty"]:
            console.print(f"  减分项 {b['code']} {b['name']}：上限 {b['cap']:g}")
        console.print("  一级指标：" + "；".join(f"{f['name']} {f['points']:g}" for f in s["first_level"]))
        console.print("  规则：" + "，".join(f"{k} {v}" for k, v in s["rules"].items()) + f"；输入项 {s['inputs']} 个")
        m = s["manual"]
        console.print(f"  人工评分：常规叶子 {m['weighted_leaves']}/{s['leaves']} 个（{m['share_of_leaves']:.0%}），"
                      f"分值 {m['weighted_points']:g}/{s['weighted_points']:g}（{m['share_of_points']:.0%}）；"
                      f"加减分项 {m['leaves'] - m['weighted_leaves']} 个")
        for item in m["items"]:
            console.print(f"    {item['code']} {item['name']}（{item['points']:g} 分）：{item['reason'] or '（未写明为何人工评分）'}")
    if report.problems:
        raise UserError(problems=report.problems)
    if not args.json:
        console.print("检查通过", style="green")
    return 0


def cmd_import_system(args: argparse.Namespace) -> int:
    from govassess.indicators import dump_yaml, system_from_dict
    from govassess.indicators.excel import read_system_table

    data, notes = read_system_table(args.file, system_id=args.system_id, name=args.name)
    system = system_from_dict(data, file=args.file)
    with OutputSet() as outs:
        outs.file(args.out, option="--out").write_text(dump_yaml(system), encoding="utf-8")
    for n in notes:
        console.print(f"  推断：{n}")
    console.print(f"已写出 {args.out}：{len(system.leaves())} 个叶子指标")
    return 0


def cmd_export_system(args: argparse.Namespace) -> int:
    from govassess.indicators import dump_yaml, load_system

    system = load_system(args.system)
    with OutputSet() as outs:
        out = outs.file(args.out, option="--out")
        if args.format == "yaml":
            out.write_text(dump_yaml(system), encoding="utf-8")
        else:
            from govassess.indicators.excel import write_system_table

            write_system_table(system.to_dict(), out)
    console.print(f"已写出 {args.out}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from govassess.data import read_inputs, read_units
    from govassess.data.template import write_template
    from govassess.indicators import load_system

    system = load_system(args.system)
    units = read_units(args.units)
    inputs = read_inputs(args.inputs, system, units) if args.inputs else None
    with OutputSet() as outs:
        n = write_template(system, units, outs.file(args.out, option="--out"), inputs=inputs)
    console.print(f"已写出 {args.out}：{n} 行待填")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from govassess.data import read_inputs, read_units
    from govassess.indicators import load_system
    from govassess.scoring import score_round

    with OutputSet() as outs:  # targets checked before the (possibly long) scoring
        out = outs.file(args.out, option="--out")
        xlsx = outs.file(args.xlsx, option="--xlsx") if args.xlsx else None
        system = load_system(args.system)
        grades = parse_grades(args.grades) if args.grades else None
        if grades is not None:
            from govassess.indicators.model import Grade

            system.grades = [Grade(g["name"], g["min"]) for g in grades]
        units = read_units(args.units)
        inputs = read_inputs(args.inputs, system, units)
        result = score_round(system, units, inputs, round_name=args.round_name, progress=_progress())
        if grades is not None:
            result.notices.append(f"等次由评估办为本轮设定：{_grades_text(grades)}")
        data = result.to_dict()
        write_json(out, data)
        if xlsx:
            from govassess.reports.workbook import write_results_workbook

            write_results_workbook(data, xlsx)
    print_messages(data)
    print_ranking(data)
    return 0


def cmd_combine(args: argparse.Namespace) -> int:
    from govassess.scoring import combine_results

    try:
        weights = [float(w) for w in args.weights.replace("，", ",").split(",")]
    except ValueError:
        raise UserError(f"--weights 应为逗号分隔的数字，如 0.4,0.6，实际为 {args.weights}") from None
    grades = parse_grades(args.grades) if args.grades else None
    results = [read_result(p) for p in args.results]
    seen: dict[Path, str] = {}
    for path in args.results:  # the same file twice is the same round twice
        real = Path(path).resolve()
        if real in seen:
            raise UserError(f"结果文件 {seen[real]} 与 {path} 是同一个文件，同一轮不能合并两次")
        seen[real] = path
    if grades is not None:  # the combined result is graded on the office's bands for the year
        results[-1] = {**results[-1], "system": {**results[-1]["system"], "grades": grades}}
    data = combine_results(results, weights, partial=args.partial, files=[f"文件 {p}" for p in args.results])
    if grades is not None:
        data["notices"].append(f"等次由评估办为本次合并设定：{_grades_text(grades)}")
    with OutputSet() as outs:
        write_json(outs.file(args.out, option="--out"), data)
    print_messages(data)
    print_ranking(data, title="合并结果")
    return 0


def print_messages(data: dict[str, Any]) -> None:
    """Information lines plainly, then the problems to check in yellow."""
    for n in data.get("notices") or []:
        console.print(f"说明：{n}")
    for w in data.get("warnings") or []:
        console.print(f"注意：{w}", style="yellow")


def print_ranking(data: dict[str, Any], *, top: int = 10, title: str | None = None) -> None:
    graded = bool(data["system"].get("grades")) or any(u.get("grade") for u in data["units"])
    classes: dict[str, list[dict[str, Any]]] = {}
    for u in data["units"]:
        classes.setdefault(u["class"], []).append(u)
    for cls, units in classes.items():
        units = sorted(units, key=lambda u: (u["rank"] is None, u["rank"] or 0, u["unit"]))
        table = Table(title=f"{title or data['system']['name']} · {cls}（前 {min(top, len(units))} 名 / 共 {len(units)} 个）")
        for col in ("名次", "单位", "总分", "等次") if graded else ("名次", "单位", "总分"):
            table.add_column(col)
        for u in units[:top]:
            score = "—" if u["score"] is None else f"{u['score']:.2f}"
            table.add_row(str(u["rank"] or "—"), u["name"], score, *([u.get("grade") or ""] if graded else []))
        console.print(table)


def cmd_demo(args: argparse.Namespace) -> int:
    from govassess.demo import run_demo

    run_demo(Path(args.out), seed=args.seed, console=console)
    return 0
