"""`govassess weights …`: weights from experts (AHP, Delphi) and from data (entropy, CRITIC, CV)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from govassess.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    p = sub.add_parser("weights", help="确定指标权重：层次分析法、熵权法、CRITIC、变异系数法、德尔菲法",
                       description="确定指标权重，并把权重换算为指标体系的分值")
    wsub = p.add_subparsers(dest="weights_command", metavar="子命令")

    a = wsub.add_parser("ahp", help="层次分析法：由两两比较判断矩阵计算权重与一致性比率",
                        description="层次分析法（AHP）：判断矩阵文件为 CSV、XLSX（每个工作表一位专家）或 YAML；"
                                    "首行与首列为元素名称，下三角可空（按倒数补齐）。")
    a.add_argument("matrix", metavar="判断矩阵文件", nargs="+", type=Path, help="判断矩阵文件（可给多个，每个文件一位或多位专家）")
    a.add_argument("--out", metavar="文件", required=True, type=Path, help="输出文件（.json 或 .xlsx）")
    a.add_argument("--weighting", choices=("eigenvector", "geometric"), default="eigenvector",
                   help="eigenvector=特征向量法（默认） geometric=几何平均法")
    a.add_argument("--aggregate", choices=("aij", "aip"), default="aij",
                   help="多位专家时：aij=先对判断矩阵取几何平均（默认） aip=各自算权重后取平均")
    a.add_argument("--ri", dest="ri_table", choices=("saaty", "alonso-lamata"), default="saaty",
                   help="随机一致性指标 RI 表（默认 saaty：Saaty 1980）")
    a.add_argument("--strict", action="store_true", help="任一判断矩阵 CR ≥ 0.10 时报错退出，不写文件")
    a.set_defaults(handler=cmd_ahp)

    for name, title in (("entropy", "熵权法"), ("critic", "CRITIC 法（对比强度与指标间冲突性）"), ("cv", "变异系数法")):
        o = wsub.add_parser(name, help=f"{title}：由单位 × 指标数据表计算客观权重",
                            description=f"{title}：数据表首列为单位编码，其后每列一个指标，每格一个数值。")
        o.add_argument("data", metavar="数据表", type=Path, help="数据表（CSV 或 XLSX）")
        o.add_argument("--sheet", metavar="工作表", help="XLSX 中的工作表名（默认第一个）")
        o.add_argument("--out", metavar="文件", required=True, type=Path, help="输出文件（.json 或 .xlsx）")
        o.add_argument("--less-better", metavar="列名", default="", help="越小越好的指标列名，逗号分隔（需配合 --normalise minmax）")
        if name != "critic":
            o.add_argument("--normalise", choices=("none", "minmax"), default="none",
                           help="none=按原值 p = x/Σx（默认） minmax=先做极差标准化")
        o.set_defaults(handler=cmd_objective, method=name)

    c = wsub.add_parser("combine", help="主客观组合赋权：乘法合成或线性加权",
                        description="把主观权重（如层次分析法）与客观权重（如熵权法）组合为一组权重。")
    c.add_argument("--subjective", metavar="文件", required=True, type=Path, help="主观权重文件（JSON）")
    c.add_argument("--objective", metavar="文件", required=True, type=Path, help="客观权重文件（JSON）")
    c.add_argument("--how", choices=("multiplicative", "linear"), default="multiplicative",
                   help="multiplicative=乘法合成（默认） linear=线性加权")
    c.add_argument("--alpha", metavar="数值", type=float, default=0.5, help="线性加权时主观权重所占比例 α（0–1，默认 0.5）")
    c.add_argument("--out", metavar="文件", required=True, type=Path, help="输出文件（.json 或 .xlsx）")
    c.set_defaults(handler=cmd_combine)

    d = wsub.add_parser("delphi", help="德尔菲法：各轮专家评分的均值、变异系数与肯德尔协调系数",
                        description="德尔菲法：评分表首列为专家，可选第二列“轮次”，其后每列一个指标的重要性评分；"
                                    "多个文件（或工作表）依次为各轮。权重取最后一轮平均分归一化。")
    d.add_argument("scores", metavar="评分表", nargs="+", type=Path, help="评分表（CSV 或 XLSX），按轮次先后给出")
    d.add_argument("--out", metavar="文件", required=True, type=Path, help="输出文件（.json 或 .xlsx）")
    d.add_argument("--max-cv", metavar="数值", type=float, default=0.25, help="停止条件：各指标变异系数上限（默认 0.25）")
    d.add_argument("--alpha", metavar="数值", type=float, default=0.05, help="停止条件：肯德尔 W 卡方检验的显著性水平（默认 0.05）")
    d.add_argument("--min-w", metavar="数值", type=float, help="停止条件：肯德尔 W 下限（默认不设）")
    d.set_defaults(handler=cmd_delphi)

    ap = wsub.add_parser("apply", help="把权重换算为指标体系的分值，写出新版本 YAML",
                         description="把权重换算为指标体系的分值（百分制，按步长取整且合计不变），"
                                     "写出新的指标体系 YAML，并在体系说明中记录方法、权重文件与日期。")
    ap.add_argument("--system", metavar="体系", required=True, help="指标体系（内置 id 或 YAML 文件）")
    ap.add_argument("--weights", metavar="文件", required=True, action="append", type=Path,
                    help="权重文件（JSON）：同一组下级指标的权重，或全部叶子指标的权重；可重复给出")
    ap.add_argument("--step", metavar="数值", type=float, default=1.0, help="分值取整步长（默认 1；可为 0.5、0.1 等）")
    ap.add_argument("--version", metavar="文字", help="新版本号，写入体系的 version")
    ap.add_argument("--out", metavar="文件", required=True, type=Path, help="输出的指标体系 YAML")
    ap.set_defaults(handler=cmd_apply)

    p.set_defaults(handler=lambda _args: (p.print_help(), 2)[1])

    r = sub.add_parser("rank", help="多方法排名：TOPSIS、灰色关联分析、加权求和及其排名相关性",
                       description="由单位 × 指标数据表与权重文件计算排名；compare 列出各方法的名次与秩相关系数。")
    rsub = r.add_subparsers(dest="rank_command", metavar="方法")
    for name, title in (("topsis", "TOPSIS 法（逼近理想解排序）"), ("gra", "灰色关联分析"), ("wsum", "加权求和"),
                        ("compare", "各方法并列比较（Spearman、Kendall 秩相关）")):
        o = rsub.add_parser(name, help=title, description=title)
        o.add_argument("data", metavar="数据表", type=Path,
                       help="数据表（CSV 或 XLSX）：首列单位编码，其后每列一个指标；或 govassess score 的结果 JSON（按各叶子指标得分率排名）")
        o.add_argument("--weights", metavar="文件", required=True, type=Path, help="权重文件（JSON，govassess weights 的输出）")
        o.add_argument("--sheet", metavar="工作表", help="XLSX 中的工作表名（默认第一个）")
        o.add_argument("--less-better", metavar="列名", default="", help="越小越好的指标列名，逗号分隔")
        o.add_argument("--out", metavar="文件", required=True, type=Path, help="输出文件（.json 或 .xlsx）")
        if name == "topsis":
            o.add_argument("--normalise", choices=("vector", "minmax"), default="vector",
                           help="vector=向量标准化（默认） minmax=极差标准化")
        if name in ("gra", "compare"):
            o.add_argument("--rho", metavar="数值", type=float, default=0.5, help="灰色关联分析的分辨系数 ρ（默认 0.5）")
        o.set_defaults(handler=cmd_rank, method=name)
    r.set_defaults(handler=lambda _args: (r.print_help(), 2)[1])

    sn = sub.add_parser("sensitivity", help="名次敏感性：权重小幅变动时各单位名次的变化范围",
                        description="对 govassess score 的结果文件扰动指标权重（均匀 ±x% 或狄利克雷抽样，可复现），"
                                    "给出每个单位的名次区间、保持原名次的比例，以及相邻两名互换所需的最小权重变化。")
    sn.add_argument("result", metavar="结果文件", type=Path, help="评分结果 JSON（govassess score --out 的输出）")
    sn.add_argument("--system", metavar="体系", required=True, help="该结果所用的指标体系（内置 id 或 YAML 文件）")
    sn.add_argument("--perturb", metavar="数值", default="10%", help="扰动幅度，如 10%% 或 0.1（均匀扰动时每个权重乘以 1±x）")
    sn.add_argument("--samples", metavar="数值", type=int, default=2000, help="抽样次数（默认 2000）")
    sn.add_argument("--seed", metavar="数值", type=int, default=1, help="随机种子（默认 1；同一种子结果相同）")
    sn.add_argument("--mode", choices=("uniform", "dirichlet"), default="uniform",
                    help="uniform=均匀 ±x%%（默认） dirichlet=以现有权重为中心的狄利克雷抽样")
    sn.add_argument("--concentration", metavar="数值", type=float, default=200.0, help="狄利克雷集中度 κ（越大越接近原权重，默认 200）")
    sn.add_argument("--level", choices=("leaf", "1"), default="leaf", help="扰动层级：leaf=叶子指标（默认） 1=一级指标")
    sn.add_argument("--out", metavar="文件", required=True, type=Path, help="输出文件（.json 或 .xlsx）")
    sn.set_defaults(handler=cmd_sensitivity)

    ci = sub.add_parser("composite", help="综合指数：对照目标值计算各单位的达成率与综合指数",
                        description="综合指数 = 100 × Σ 权重 × min(实际值 ÷ 目标值, 上限)（越小越好的指标用 目标值 ÷ 实际值）。")
    ci.add_argument("data", metavar="数据表", type=Path, help="实际值数据表（CSV 或 XLSX）：首列单位编码，其后每列一个指标")
    ci.add_argument("--targets", metavar="文件", type=Path,
                    help="目标值表（CSV 或 XLSX）：指标、目标值，可选 方向（越大越好/越小越好）、权重、期间；"
                         "缺省时使用 --system 中叶子指标声明的 x-target")
    ci.add_argument("--period", metavar="文字", help="目标值表中的期间（如 2023）")
    ci.add_argument("--weights", metavar="文件", type=Path, help="权重文件（JSON）；缺省时用目标值表的“权重”列")
    ci.add_argument("--system", metavar="体系", help="以指标体系的分值为权重（数据表列名为指标编码）")
    ci.add_argument("--cap", metavar="数值", type=float, default=1.0, help="达成率上限（默认 1：超额完成不加分；如 1.2）")
    ci.add_argument("--sheet", metavar="工作表", help="数据表 XLSX 中的工作表名（默认第一个）")
    ci.add_argument("--out", metavar="文件", required=True, type=Path, help="输出文件（.json 或 .xlsx）")
    ci.set_defaults(handler=cmd_composite)


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
    expert_rows = [[e.expert, e.lambda_max, e.ci, e.cr, "是" if e.consistent else "否", e.warning() or ""]
                   for e in res.experts] if len(res.experts) > 1 else []
    write_result(args.out, data, (header, rows), sheet="层次分析法",
                 more=[("各专家一致性", ["专家", "λmax", "CI", "CR", "通过一致性检验", "提示"], expert_rows)] if expert_rows else [])
    _warn(warnings)
    c = res.combined
    if res.method != "aip":
        print(f"λmax = {c.lambda_max:.4f}，CI = {c.ci:.4f}，CR = {c.cr:.4f}（{'通过' if c.consistent else '未通过'}一致性检验）")
    print(f"已写出 {args.out}")
    return 0


def _split(text: str) -> list[str]:
    return [c.strip() for c in text.replace("，", ",").split(",") if c.strip()]


def cmd_objective(args: argparse.Namespace) -> int:
    from . import objective
    from .output import check_target, write_result
    from .tables import read_data_table

    check_target(args.out)
    table = read_data_table(args.data, sheet=args.sheet)
    res = objective.compute(args.method, table, normalise=getattr(args, "normalise", "minmax"),
                            less_better=_split(args.less_better))
    data = res.to_dict()
    labels = {"entropy": "信息熵 e", "divergence": "差异系数 d", "std": "标准差 σ", "information": "信息量 C",
              "mean": "平均值", "cv": "变异系数"}
    header = ["指标", "权重", *[labels[k] for k in res.detail]]
    rows = [[c, float(w), *[float(v[i]) for v in res.detail.values()]]
            for i, (c, w) in enumerate(zip(res.criteria, res.weights))]
    write_result(args.out, data, (header, rows), sheet=objective.METHOD_NAMES[args.method])
    print(f"已写出 {args.out}（{len(table.units)} 个单位，{len(table.criteria)} 个指标）")
    return 0


def cmd_combine(args: argparse.Namespace) -> int:
    from . import objective
    from .output import check_target, write_result

    check_target(args.out)
    a = objective.read_weights(args.subjective)
    b = objective.read_weights(args.objective)
    if sorted(a.criteria) != sorted(b.criteria):
        only_a = [c for c in a.criteria if c not in b.criteria]
        only_b = [c for c in b.criteria if c not in a.criteria]
        raise UserError(f"两个权重文件的指标不同：只在主观权重中的有 {'、'.join(only_a) or '无'}，"
                        f"只在客观权重中的有 {'、'.join(only_b) or '无'}", file=str(args.objective))
    bw = [b.weights[b.criteria.index(c)] for c in a.criteria]
    w = objective.combine(a.weights, bw, how=args.how, alpha=args.alpha)
    data = {"method": "combine", "how": args.how, "alpha": args.alpha if args.how == "linear" else None,
            "criteria": a.criteria, "weights": [float(x) for x in w],
            "subjective": {"method": a.method, "file": a.file, "weights": [float(x) for x in a.weights]},
            "objective": {"method": b.method, "file": b.file, "weights": [float(x) for x in bw]}}
    rows = [[c, float(x), float(s), float(o)] for c, x, s, o in zip(a.criteria, w, a.weights, bw)]
    write_result(args.out, data, (["指标", "组合权重", "主观权重", "客观权重"], rows), sheet="组合赋权")
    print(f"已写出 {args.out}")
    return 0


def cmd_delphi(args: argparse.Namespace) -> int:
    from . import delphi
    from .output import check_target, write_result

    check_target(args.out)
    if args.max_cv <= 0 or not 0 < args.alpha < 1 or (args.min_w is not None and not 0 <= args.min_w <= 1):
        raise UserError("停止条件有误：--max-cv 应大于 0，--alpha 应在 0 与 1 之间，--min-w 应在 0 与 1 之间")
    criteria, rounds = delphi.read_rounds(args.scores)
    res = delphi.analyse(criteria, rounds, delphi.StopRule(args.max_cv, args.alpha, args.min_w))
    header = ["轮次", "指标", "平均分", "标准差", "变异系数", "肯德尔 W", "卡方值", "P 值", "满足停止条件"]
    rows = []
    for r in res.rounds:
        c = r.concordance
        for i, name in enumerate(criteria):
            rows.append([r.name, name, float(r.mean[i]), float(r.sd[i]), float(r.cv[i]), c.w, c.chi2, c.p_value,
                         "是" if r.stop else "否"])
    write_result(args.out, res.to_dict(), (header, rows), sheet="德尔菲法")
    for r in res.rounds:
        c = r.concordance
        print(f"{r.name}：{len(r.experts)} 位专家，W = {c.w:.4f}，χ² = {c.chi2:.3f}，P = {c.p_value:.4g}，"
              f"最大变异系数 {np.nanmax(r.cv):.3f}，{'满足' if r.stop else '未满足'}停止条件")
    if res.stop_round is None:
        print(f"提示：尚无一轮满足停止条件（{res.rule.describe()}），建议进行下一轮咨询", file=sys.stderr)
    print(f"已写出 {args.out}")
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    from govassess.indicators import load_system
    from govassess.outputs import OutputSet

    from .apply import apply_weights
    from .objective import read_weights
    from .output import check_target

    check_target(args.out, suffixes=(".yaml", ".yml"))
    system = load_system(args.system)
    files = [read_weights(p) for p in args.weights]
    res = apply_weights(system, files, step=args.step, version=args.version)
    with OutputSet() as out:
        out.file(args.out, option="--out").write_text(res.yaml, encoding="utf-8")
    changed = [(c, n, o, w) for c, n, o, w in res.changes if abs(o - w) > 1e-9]
    for code, name, old, new in changed:
        print(f"{code} {name}：{old:g} → {new:g}")
    print(f"{len(changed)} 个指标的分值有变化；已写出 {args.out}")
    return 0


def cmd_rank(args: argparse.Namespace) -> int:
    from . import ranking
    from .objective import read_weights
    from .output import check_target, write_result
    from .tables import read_data_table

    check_target(args.out)
    if args.data.suffix.lower() == ".json":  # a scored round: rank its leaf score rates
        import json

        try:
            results = json.loads(args.data.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError("文件不存在", file=str(args.data)) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise UserError(f"不是有效的 JSON：{e}", file=str(args.data)) from None
        table = ranking.table_from_results(results, file=str(args.data))
    else:
        table = read_data_table(args.data, sheet=args.sheet)
    wf = read_weights(args.weights)
    w = ranking._weights_for(table, wf.criteria, wf.weights)
    less = _split(args.less_better)
    runs = {
        "topsis": lambda norm: ranking.topsis(table, w, normalise=norm, less_better=less),
        "gra": lambda _n: ranking.grey_relational(table, w, rho=args.rho, less_better=less),
        "wsum": lambda _n: ranking.weighted_sum(table, w, less_better=less),
    }
    if args.method == "compare":
        rs = [runs["topsis"]("vector"), runs["topsis"]("minmax"), runs["gra"](None), runs["wsum"](None)]
        data = ranking.compare(rs)
        header = ["单位", *[f"名次（{m}）" for m in data["methods"]]]
        rows = [[u["unit"], *u["ranks"].values()] for u in data["units"]]
        write_result(args.out, data, (header, rows), sheet="排名比较")
        for c in data["correlations"]:
            print(f"{c['a']} 与 {c['b']}：Spearman ρ = {c['spearman']:.4f}，Kendall τ = {c['kendall']:.4f}")
    else:
        res = runs[args.method](getattr(args, "normalise", None))
        label = {"topsis": "贴近度", "gra": "关联度", "wsum": "加权得分"}[args.method]
        rows = [[u, float(s), int(k)] for u, s, k in zip(res.units, res.score, res.rank)]
        write_result(args.out, res.to_dict(), (["单位", label, "名次"], rows), sheet=ranking.METHOD_NAMES[args.method])
    print(f"已写出 {args.out}")
    return 0


def _fraction(text: str, option: str) -> float:
    from .tables import parse_number

    x = parse_number(text)
    if x is None:
        raise UserError(f"{option} 应为百分数或小数，如 10% 或 0.1，实际为「{text}」")
    return x


def cmd_sensitivity(args: argparse.Namespace) -> int:
    import json

    from govassess.indicators import load_system

    from . import sensitivity
    from .output import check_target, write_result

    check_target(args.out)
    perturb = _fraction(args.perturb, "--perturb")
    system = load_system(args.system)
    try:
        data = json.loads(args.result.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError("文件不存在", file=str(args.result)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"不是有效的 JSON：{e}", file=str(args.result)) from None
    rd = sensitivity.read_round(data, system, file=str(args.result))
    res = sensitivity.analyse(rd, system, perturb=perturb, samples=args.samples, seed=args.seed, mode=args.mode,
                              level=args.level, concentration=args.concentration)
    d = res.to_dict()
    rows = [[u["unit"], u["name"], u["class"], u["rank"], u["rank_min"], u["rank_max"], u["rank_kept_share"]]
            for u in d["units"]]
    swaps = [[w["class"], w["upper"], w["lower"], w["upper_rank"], w["lower_rank"],
              w.get("indicator_name") or "—", w.get("indicator") or "—", w.get("factor"), w.get("weight_from"),
              w.get("weight_to")] for w in d["swaps"]]
    write_result(args.out, d, (["单位编码", "单位名称", "类别", "名次", "最好名次", "最差名次", "保持原名次的比例"], rows),
                 sheet="名次敏感性",
                 more=[("相邻名次互换", ["类别", "前一名", "后一名", "前一名名次", "后一名名次", "指标名称", "指标编码",
                                    "权重倍数", "原权重占比", "打平时权重占比"], swaps)])
    moved = sum(1 for u in d["units"] if u["rank_min"] != u["rank_max"])
    print(f"{len(d['units'])} 个单位中有 {moved} 个的名次会随权重扰动变化；与原排名的 Spearman ρ 平均 "
          f"{d['spearman_mean']:.4f}、最小 {d['spearman_min']:.4f}；已写出 {args.out}")
    return 0


def _only_columns(table, keep: set[str]):  # type: ignore[no-untyped-def]
    """The data columns a system declares targets for (the others, e.g. notes, are not part of the index)."""
    from .tables import DataTable

    missing = sorted(keep - set(table.criteria))
    if missing:
        raise UserError(f"数据表缺少设定了目标值的指标 {'、'.join(missing)} 的列（列名应为指标编码）", file=table.file,
                        sheet=table.sheet)
    idx = [j for j, c in enumerate(table.criteria) if c in keep]
    return DataTable(table.file, table.sheet, table.units, [table.criteria[j] for j in idx], table.values[:, idx])


def cmd_composite(args: argparse.Namespace) -> int:
    from . import composite
    from .objective import read_weights
    from .output import check_target, write_result
    from .tables import read_data_table

    check_target(args.out)
    if args.weights and args.system:
        raise UserError("--weights 与 --system 只能给出其一")
    if not args.targets and not args.system:
        raise UserError("请给出目标值表 --targets，或声明了目标值（x-target）的指标体系 --system")
    table = read_data_table(args.data, sheet=args.sheet)
    weights = None
    system = None
    if args.system:
        from govassess.indicators import load_system

        system = load_system(args.system)
        weights = {n.code: float(n.points or 0) for n in system.leaves() if n.code and n.kind == "normal"}
    if args.targets:
        targets = composite.read_targets(args.targets, period=args.period)
    else:
        targets = composite.targets_from_system(system, period=args.period)
        declared = {t.indicator for t in targets}
        table = _only_columns(table, declared)
    if args.weights:
        wf = read_weights(args.weights)
        weights = dict(zip(wf.criteria, (float(x) for x in wf.weights)))
    res = composite.composite(table, targets, weights, cap=args.cap)
    d = res.to_dict()
    header = ["单位", "综合指数", "名次", "达标指标数", *[f"{c} 达成率" for c in res.indicators]]
    rows = [[u["unit"], u["index"], u["rank"], u["met"], *u["achievement"].values()] for u in d["units"]]
    write_result(args.out, d, (header, rows), sheet="综合指数")
    print(f"{len(d['all_met_units'])} 个单位全部达到目标值；已写出 {args.out}")
    return 0
