"""`govassess survey …`: templates, checking, import, 汇总表 and screening of the 政务信息系统调查表."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from govassess.cli.options import finite_float
from govassess.errors import UserError
from govassess.outputs import OutputSet, csv_dict


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 2017-12-31：{text}") from None


def _form_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--form", default="info-system-survey", help="内置表单 id 或表单 YAML 路径")
    p.add_argument("--cutoff", type=_date, help="调查截止日期（默认取表单定义，例如 2017-12-31）")


def register(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001
    survey = sub.add_parser("survey", help="政务信息系统调查表：模板、检查、导入、汇总、筛查")
    ssub = survey.add_subparsers(dest="survey_command", metavar="子命令")
    survey.set_defaults(handler=lambda args: survey.print_help() or 2)

    p = ssub.add_parser("forms", help="列出内置表单")
    p.set_defaults(handler=_forms)

    p = ssub.add_parser("template", help="生成 Excel 填报模板")
    p.add_argument("form", nargs="?", default="info-system-survey", help="内置表单 id 或表单 YAML 路径")
    p.add_argument("--out", required=True, help="输出 .xlsx")
    p.add_argument("--cutoff", type=_date, help="调查截止日期")
    p.set_defaults(handler=_template)

    p = ssub.add_parser("check", help="检查填好的工作簿，列出全部问题")
    p.add_argument("files", nargs="+")
    _form_args(p)
    p.set_defaults(handler=_check)

    p = ssub.add_parser("import", help="检查并导出为 CSV（有任何错误则不写出）")
    p.add_argument("file")
    p.add_argument("--out", required=True, help="输出目录")
    _form_args(p)
    p.set_defaults(handler=_import)

    p = ssub.add_parser("summary", help="生成汇总表（下属单位并入所属部门）")
    p.add_argument("files", nargs="+")
    p.add_argument("--out", required=True, help="输出 .xlsx")
    _form_args(p)
    p.set_defaults(handler=_summary)

    p = ssub.add_parser("zombies", help="“僵尸”信息系统筛查")
    p.add_argument("files", nargs="+")
    p.add_argument("--usage", help="使用情况数据（CSV/XLSX：部门全称、信息系统名称 及各项指标）")
    p.add_argument("--config", help="筛查条件 YAML（默认内置，见 docs/forms.md）")
    p.add_argument(
        "--threshold",
        action="append",
        metavar="名称=值",
        help="设定筛查阈值（可重复），如 设计指标比例下限=0.3；原文未给数值，未设定的用平台默认值并注明",
    )
    p.add_argument("--out", help="输出 .xlsx（默认只打印）")
    _form_args(p)
    p.set_defaults(handler=_zombies)

    p = ssub.add_parser("duplicates", help="重复建设提示：不同单位名称或功能相近的系统")
    p.add_argument("files", nargs="+")
    p.add_argument("--threshold", type=finite_float(0, 1), default=0.6, help="相似度阈值（0–1，默认 0.6）")
    p.add_argument("--out", help="输出 .xlsx（默认只打印）")
    _form_args(p)
    p.set_defaults(handler=_duplicates)

    p = ssub.add_parser("selfeval-inputs", help="计算项目绩效自评价（project-self-evaluation）的输入")
    p.add_argument("files", nargs="+")
    p.add_argument("--usage", required=True, help="运行数据（CSV/XLSX，列见 docs/forms.md）")
    p.add_argument("--out", required=True, help="输出输入数据 .csv（unit, indicator, input, value）")
    p.add_argument("--units-out", help="同时输出评估对象文件 .csv（unit, name, class）")
    _form_args(p)
    p.set_defaults(handler=_selfeval)


def _load_form(args):
    from govassess.forms.model import load_form

    form = load_form(args.form)
    if getattr(args, "cutoff", None):
        form = form.with_cutoff(args.cutoff)
    return form


def _validate_all(args):
    """Validate every file; problems of all files are reported together."""
    from govassess.forms.survey import survey_validate

    form = _load_form(args)
    datasets, problems = [], []
    for path in args.files:
        try:
            datasets.append(survey_validate(path, form=form))
        except UserError as err:
            problems.extend(err.problems)
    if problems:
        raise UserError(problems=problems)
    for data in datasets:
        for w in data.warnings:
            print(f"提示：{data.file}：{w}")
    return form, datasets


def _forms(args) -> int:
    from govassess.forms.model import list_forms

    for fid, name in list_forms():
        print(f"{fid}\t{name}")
    return 0


def _template(args) -> int:
    from govassess.forms.template import write_template

    form = _load_form(args)
    with OutputSet() as outs:
        write_template(form, outs.file(args.out, option="--out"))
    path = Path(args.out)
    print(f"已生成填报模板：{path}（{len(form.sheets)} 个子表，调查截止日期 {form.cutoff.isoformat()}）")
    return 0


def _check(args) -> int:
    _, datasets = _validate_all(args)
    for data in datasets:
        counts = "，".join(f"{sd.sheet.name} {len(sd.rows)} 行" for sd in data.sheets.values())
        print(f"{data.file}：检查通过（{counts}）")
    return 0


def _import(args) -> int:
    from govassess.forms.summary import export_survey

    args.files = [args.file]
    _, (data,) = _validate_all(args)
    written = export_survey(data, args.out)
    print(f"已导入 {data.file}，写出 {len(written)} 个文件到 {Path(args.out)}")
    return 0


def _summary(args) -> int:
    from govassess.forms.summary import survey_summary, write_summary_workbook

    form, datasets = _validate_all(args)
    rows = survey_summary(datasets)
    with OutputSet() as outs:
        write_summary_workbook(form, rows, outs.file(args.out, option="--out"))
    print(f"已生成汇总表：{args.out}（{max(len(rows) - 1, 0)} 个部门）")
    return 0


def _zombies(args) -> int:
    from govassess.forms.screening import (
        load_screening_config,
        parse_threshold_options,
        read_usage,
        threshold_rows,
        write_rows,
        zombie_candidates,
    )

    config = load_screening_config(args.config, thresholds=parse_threshold_options(args.threshold))
    _, datasets = _validate_all(args)
    usage = read_usage(args.usage) if args.usage else None
    rows = zombie_candidates(datasets, usage=usage, config=config)
    used = threshold_rows(config)
    if args.out:
        with OutputSet() as outs:
            write_rows(rows, outs.file(args.out, option="--out"), "僵尸系统候选", extra={"筛查阈值": used})
    for t in used:
        print(f"筛查阈值 {t['阈值']} = {t['取值']}：{t['含义']}（{t['来源']}）")
    for r in rows:
        print(f"{r['部门全称']}｜{r['信息系统名称']}：{'；'.join(r['原因'])}")
    print(f"共 {len(rows)} 个候选系统")
    return 0


def _duplicates(args) -> int:
    from govassess.forms.screening import duplicate_hints, write_rows

    _, datasets = _validate_all(args)
    rows = duplicate_hints(datasets, threshold=args.threshold)
    if args.out:
        with OutputSet() as outs:
            write_rows(rows, outs.file(args.out, option="--out"), "重复建设提示")
    for r in rows:
        print(f"{r['单位甲']}｜{r['系统甲']} ↔ {r['单位乙']}｜{r['系统乙']}：{r['依据']}")
    print(f"共 {len(rows)} 对")
    return 0


def _selfeval(args) -> int:
    import csv

    from govassess.forms.screening import read_usage
    from govassess.forms.selfeval import selfeval_inputs, selfeval_units

    _, datasets = _validate_all(args)
    usage = read_usage(args.usage)
    rows = selfeval_inputs(datasets, usage)
    with OutputSet() as outs:  # both files or neither
        out = outs.file(args.out, option="--out")
        units_out = outs.file(args.units_out, option="--units-out") if args.units_out else None
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["unit", "indicator", "input", "value"])
            writer.writeheader()
            writer.writerows(csv_dict(r) for r in rows)
        if units_out:
            with units_out.open("w", encoding="utf-8-sig", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=["unit", "name", "class"])
                writer.writeheader()
                writer.writerows(csv_dict(r) for r in selfeval_units(datasets, usage))
    print(f"已写出 {len(rows)} 条输入：{args.out}")
    return 0
