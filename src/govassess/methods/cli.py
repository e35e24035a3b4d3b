"""`govassess weights …`: weights from experts (AHP, Delphi) and from data (entropy, CRITIC, CV)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from govassess.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    p = sub.add_parser("weights", help="确定指标权重：层次分析法、熵权法、CRITIC、变异系数法、德尔菲法",
                       description="确定指标权重，并把权重换算为指标体系的分值")
    wsub = p.add_subparsers(dest="weights_command", metavar="子命令")

    a = wsub.add_parser("ahp", help="层次分析法：由两两比较判断矩阵计算权重与一致性比率",
                        description="层次分析法（AHP）：判断矩阵文件为 CSV、XLSX（每个工作表一位专家）或 YAML；"
                                    "首行与首列为元素名称，下三角可空（按倒数补齐）。")
    a.add_argument("matrix", nargs="+", type=Path, help="判断矩阵文件（可给多个，每个文件一位或多位专家）")
    a.add_argument("--out", required=True, type=Path, help="输出文件（.json 或 .xlsx）")
    a.add_argument("--weighting", choices=("eigenvector", "geometric"), default="eigenvector",
                   help="eigenvector=特征向量法（默认） geometric=几何平均法")
    a.add_argument("--aggregate", choices=("aij", "aip"), default="aij",
                   help="多位专家时：aij=先对判断矩阵取几何平均（默认） aip=各自算权重后取平均")
    a.add_argument("--ri", dest="ri_table", choices=("saaty", "alonso-lamata"), default="saaty",
                   help="随机一致性指标 RI 表（默认 saaty：Saaty 1980）")
    a.add_argument("--strict", action="store_true", help="任一判断矩阵 CR ≥ 0.10 时报错退出，不写文件")
    a.set_defaults(handler=cmd_ahp)

    p.set_defaults(handler=lambda _args: (p.print_help(), 2)[1])


def _warn(lines: list[str]) -> None:
    for line in lines:
        print(f"提示：{line}", file=sys.stderr)


def cmd_ahp(args: argparse.Namespace) -> int:
    from . import ahp
    from .output import check_target, write_result

    check_target(args.out)
    experts = [j for path in args.matrix for j in ahp.read_judgements(path)]
    res = ahp.group(experts, aggregation=args.aggregate, weighting=args.weighting, ri_table=args.ri_table)
    warnings = res.warnings()
    if args.strict and warnings:
        raise UserError("\n".join(warnings))
    data = res.to_dict()
    rows = [[c, float(w)] for c, w in zip(res.combined.criteria, res.combined.weights)]
    header = ["元素", "权重"]
    if len(res.experts) > 1:
        header += [f"专家「{e.expert}」权重" for e in res.experts]
        for i, r in enumerate(rows):
            r += [float(e.weights[i]) for e in res.experts]
    write_result(args.out, data, (header, rows), sheet="层次分析法")
    _warn(warnings)
    c = res.combined
    if res.method != "aip":
        print(f"λmax = {c.lambda_max:.4f}，CI = {c.ci:.4f}，CR = {c.cr:.4f}（{'通过' if c.consistent else '未通过'}一致性检验）")
    print(f"已写出 {args.out}")
    return 0
