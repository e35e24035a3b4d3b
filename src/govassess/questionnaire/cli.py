"""`govassess questionnaire …`: check a form, copy a built-in one, and score responses into a round's inputs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from govassess.errors import UserError
from govassess.outputs import OutputSet

POPULATION_COLUMNS = ("总体数量", "population", "服务人次")


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    p = sub.add_parser("questionnaire", help="问卷：满意度调查与暗访记录的定义、检查与指数计算",
                       description="问卷：满意度调查与暗访记录（格式见 docs/questionnaire.md）")
    qsub = p.add_subparsers(dest="questionnaire_command", metavar="子命令")
    p.set_defaults(handler=lambda _args: (p.print_help(), 2)[1])

    c = qsub.add_parser("import", help="检查问卷定义工作簿，打印摘要")
    c.add_argument("form", help="问卷定义 .xlsx（或内置问卷 id：satisfaction、visit）")
    c.set_defaults(handler=cmd_import)

    c = qsub.add_parser("builtin", help="导出内置问卷，供评估办复制修改")
    c.add_argument("form_id", nargs="?", default="satisfaction",
                   help="satisfaction（政务服务满意度调查，默认）或 visit（政务服务暗访记录）")
    c.add_argument("--out", required=True, type=Path, help="输出 .xlsx")
    c.set_defaults(handler=cmd_builtin)

    c = qsub.add_parser("template", help="生成回答录入表（纸质问卷录入用，带下拉菜单）")
    c.add_argument("form", help="问卷定义 .xlsx（或内置问卷 id）")
    c.add_argument("--units", type=Path, help="评估对象文件：单位编码列提供下拉菜单")
    c.add_argument("--out", required=True, type=Path, help="输出 .xlsx")
    c.set_defaults(handler=cmd_template)

    c = qsub.add_parser("score", help="检查回答并计算各单位的指数，写出评估轮次的输入数据")
    c.add_argument("form", help="问卷定义 .xlsx（或内置问卷 id）")
    c.add_argument("responses", type=Path, help="回答文件 .xlsx/.csv：每行一份回答，单位编码列加各题一列")
    c.add_argument("--units", type=Path, help="评估对象文件（unit、name、class，可选 总体数量 列）")
    c.add_argument("--map", type=Path, help="映射 YAML：把问卷指数映射到指标体系的（指标编码, 输入项）")
    c.add_argument("--out", required=True, type=Path, help="输出的输入数据文件（.csv 或 .xlsx）")
    c.add_argument("--report", type=Path, help="指数报告 .xlsx（单位与类别指数、题目统计、差评意见）")
    c.set_defaults(handler=cmd_score)


def cmd_import(args: argparse.Namespace) -> int:
    from .definition import load_form
    from .model import TYPE_NAMES

    form = load_form(args.form)
    s = form.settings
    counts: dict[str, int] = {}
    for q in form.questions:
        counts[q.type] = counts.get(q.type, 0) + 1
    print(f"问卷「{s.title}」（问卷编号 {s.form_id}{'，版本 ' + s.version if s.version else ''}）检查通过：")
    print(f"  题目 {len(form.questions)} 道（" + "、".join(f"{TYPE_NAMES[t]} {n}" for t, n in counts.items()) + "），"
          f"必答 {sum(q.required for q in form.questions)} 道，有显示条件 {sum(bool(q.relevant_nodes) for q in form.questions)} 道，"
          f"有约束 {sum(q.constraint_node is not None for q in form.questions)} 道")
    print(f"  分组 {len(form.groups)} 个，选项列表 {len(form.choices)} 个")
    index = [q.name for q in form.questions if q.index]
    print(f"  计入满意度指数的题目：{'、'.join(index) if index else '无'}")
    if s.overall:
        print(f"  总体满意度题：{s.overall}（满意 ≥ {form.satisfied_min():g} 分，差评 ≤ {form.dissatisfied_max():g} 分）")
    else:
        print("  未设总体满意度题：不计算满意率和差评数")
    print(f"  最低样本量 {s.min_sample}；跳过题的回答：{'忽略' if s.skipped == 'ignore' else '拒绝'}")
    unused = sorted(set(form.choices) - {q.list_name for q in form.questions if q.list_name})
    if unused:
        print(f"  提示：选项列表 {'、'.join(unused)} 未被任何题目使用")
    return 0


def cmd_builtin(args: argparse.Namespace) -> int:
    from .definition import builtin_form, write_form

    form = builtin_form(args.form_id)
    if args.out.suffix.lower() != ".xlsx":
        raise UserError("输出文件应为 .xlsx", file=str(args.out))
    with OutputSet() as outs:
        write_form(form, outs.file(args.out, option="--out"))
    print(f"已写出内置问卷「{form.settings.title}」（{len(form.questions)} 道题）到 {args.out}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from .definition import load_form
    from .output import write_response_template

    if args.out.suffix.lower() != ".xlsx":
        raise UserError("输出文件应为 .xlsx", file=str(args.out))
    with OutputSet() as outs:
        tmp = outs.file(args.out, option="--out")
        form = load_form(args.form)
        units = [u.code for u in _units(args.units)] if args.units else None
        write_response_template(form, tmp, units=units)
    print(f"已写出问卷「{form.settings.title}」的回答录入表到 {args.out}（{len(form.questions)} 道题）")
    return 0


def _units(path: Path) -> list:
    from govassess.data import read_units

    from .indices import UnitInfo

    df = read_units(path)
    pop_col = next((c for c in POPULATION_COLUMNS if c in df.columns), None)
    infos = []
    for rec in df.iter_rows(named=True):
        pop = rec.get(pop_col) if pop_col else None
        if pop is not None and (not isinstance(pop, float) or pop <= 0):
            raise UserError(f"{pop_col}应为正数，实际为「{pop}」", file=str(path), row=rec["_row"], column=pop_col)
        infos.append(UnitInfo(rec["unit"], rec["name"], rec["class"], pop))
    return infos


def cmd_score(args: argparse.Namespace) -> int:
    from govassess.metrics.output import write_inputs

    from .definition import load_form
    from .indices import compute_indices
    from .output import input_rows, load_index_map, write_report
    from .responses import read_responses

    if args.out.suffix.lower() not in (".csv", ".xlsx"):
        raise UserError("输出文件应为 .csv 或 .xlsx", file=str(args.out))
    if args.report is not None and args.report.suffix.lower() != ".xlsx":
        raise UserError("指数报告应为 .xlsx", file=str(args.report))
    with OutputSet() as outs:  # targets checked first; the inputs and the report appear together or not at all
        out_tmp = outs.file(args.out, option="--out")
        report_tmp = outs.file(args.report, option="--report") if args.report else None
        form = load_form(args.form)
        units = _units(args.units) if args.units else None
        mapping = load_index_map(args.map, form) if args.map else None
        rs = read_responses(form, args.responses, units=[u.code for u in units] if units is not None else None)
        indices = compute_indices(form, rs.responses, units)
        rows, left_out = input_rows(indices, mapping)
        notes = []
        if rs.ignored_columns:
            notes.append(f"回答文件中未对应任何题目、已忽略的列：{'、'.join(rs.ignored_columns)}")
        if rs.ignored_answers:
            notes.append(f"已忽略 {rs.ignored_answers} 个跳过题的回答（设置：跳过题的回答 = 忽略）")
        warned = [g for g in indices.units if g.warning]
        for g in warned:
            notes.append(f"单位 {g.key}：{g.warning}（误差 ±{form.settings.margin * 100:g}% 所需样本量 {g.needed}）")
        write_inputs(rows, out_tmp)
        if report_tmp:
            write_report(indices, report_tmp, notes=notes)
    for line in notes:
        print(line, file=sys.stderr)
    if left_out:
        print(f"未写出 {len(left_out)} 项（没有回答或回答不足），例如：", file=sys.stderr)
        for line in left_out[:10]:
            print(f"  {line}", file=sys.stderr)
    print(f"已检查 {len(rs.responses)} 份回答（{len(indices.units)} 个单位），写出 {len(rows)} 行输入到 {args.out}"
          + (f"，指数报告 {args.report}" if args.report else ""))
    return 0
