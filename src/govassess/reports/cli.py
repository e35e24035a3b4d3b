"""`govassess report bulletin|scorecard|full`: the 通报, the 成绩单 and the 评估报告 in Word or PDF."""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from govassess.errors import UserError
from govassess.outputs import OutputSet

KINDS = {"bulletin": "通报", "scorecard": "成绩单", "full": "评估报告"}
_BAD_FILE_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="生成通报、成绩单、评估报告（Word 或 PDF）")
    kinds = p.add_subparsers(dest="report_kind", metavar="文档", title="文档")
    helps = {
        "bulletin": "通报：评估方法、各类别排名表、领先与靠后单位",
        "scorecard": "成绩单：每个单位一份（--out 目录），或 --unit 指定单位（--out 文件）",
        "full": "评估报告：封面、目录、总体情况与图表、分项分析、各单位成绩单、指标体系附录",
    }
    for kind, text in helps.items():
        k = kinds.add_parser(kind, help=text, description=text)
        k.add_argument("results", metavar="结果.json", help="某一轮的结果 JSON（govassess score --out 的输出）")
        k.add_argument("--system", required=True, metavar="体系", help="评分所用的指标体系（内置 id 或文件路径）")
        k.add_argument("--units", metavar="单位文件", help="单位文件 CSV/XLSX：核对结果中的每个单位都在其中（可选）")
        k.add_argument("--previous", metavar="上轮结果.json", help="上一轮的结果 JSON，用于“较上轮”的变化")
        k.add_argument("--rectification", metavar="整改.csv",
                       help="上一轮的整改任务及其状态（CSV/XLSX：单位代码、指标编码、状态，可选整改要求；须同时给出 --previous），"
                       "成绩单中写“上轮整改情况”")
        k.add_argument("--template", metavar="模板.yaml", help="文字模板 YAML（标题、发文单位、页眉页脚、标志、固定段落，见 docs/reports.md）")
        k.add_argument("--format", choices=("docx", "pdf"), help="输出格式（默认按 --out 的扩展名，否则 docx）")
        k.add_argument("--pdf-engine", choices=("typst", "libreoffice"), default="typst",
                       help="PDF 的生成方式：typst（默认，直接排版，快）或 libreoffice（先写 Word 文档再由 LibreOffice 转换，"
                       "版式与 Word 文档逐页一致，约 0.7 秒一页单位，需安装 LibreOffice）")
        k.add_argument("--unit", metavar="单位代码", help="单位代码：成绩单只生成该单位；与 --anonymise 同用时该单位保留名称")
        k.add_argument("--anonymise", action="store_true", help="匿名：除 --unit 指定的单位外，单位名称以代码代替")
        k.add_argument("--internal", action="store_true", help="内部文档：页眉加“内部资料”，并加“内部”水印")
        k.add_argument("--locked-at", metavar="定稿时间", help="结果定稿（锁定）时间，ISO 格式如 2026-12-03T17:00（不带时区按北京时间）；"
                       "文档标题下注明“本文件依据……定稿的评估结果”")
        k.add_argument("--out", required=True, metavar="路径", help="输出文件（成绩单不带 --unit 时为输出目录）")
        k.set_defaults(handler=cmd_report, kind=kind)
    p.set_defaults(handler=lambda args: (p.print_help(), 2)[1])


def _format(args: argparse.Namespace, out: Path, *, folder: bool) -> str:
    suffix = out.suffix.lower().lstrip(".")
    if folder:
        return args.format or "docx"
    if args.format and suffix in ("docx", "pdf") and suffix != args.format:
        raise UserError(f"--out 的扩展名 .{suffix} 与 --format {args.format} 不一致", file=str(out))
    fmt = args.format or (suffix if suffix in ("docx", "pdf") else "docx")
    if suffix != fmt:
        raise UserError(f"输出文件名应以 .{fmt} 结尾", file=str(out), field="--out")
    return str(fmt)


def _check_units(results: Any, units_file: str, results_file: str) -> None:
    """Every unit of the results must be in the office's units file (a results file of another round's list)."""
    from govassess.data import read_units

    known = set(read_units(units_file)["unit"].to_list())
    listed = [str(u.get("unit")) for u in (results.get("units") or []) if isinstance(u, dict)] \
        if isinstance(results, dict) else []
    missing = [c for c in listed if c not in known]
    if missing:
        more = f"等 {len(missing)} 个" if len(missing) > 10 else ""
        raise UserError(f"结果文件 {results_file} 中的单位 {'、'.join(missing[:10])}{more}不在单位文件中", file=units_file)


def file_name(code: str, name: str, suffix: str) -> str:
    """A portable file name for one unit's document: code and name, characters Windows forbids replaced."""
    stem = _BAD_FILE_CHARS.sub("_", f"{code}-{name}").strip(" .") or code
    return f"{stem[:120]}.{suffix}"


def cmd_report(args: argparse.Namespace) -> int:
    from govassess.cli.core import console
    from govassess.indicators import load_system
    from govassess.reports import pdf
    from govassess.reports.model import build_model, parse_locked_at, read_results
    from govassess.reports.template import load_template
    from govassess.reports.typeset import PdfDocument, require_fonts
    from govassess.reports.word import WordDocument, write_bulletin, write_full_report, write_scorecard

    kind = args.kind
    out = Path(args.out)
    per_unit = kind == "scorecard" and not args.unit
    fmt = _format(args, out, folder=per_unit)
    locked_at = parse_locked_at(args.locked_at) if args.locked_at else None
    # Before any work: missing fonts or a missing LibreOffice are found at once.
    via_word = fmt == "pdf" and args.pdf_engine == "libreoffice"
    if via_word:
        pdf.require_soffice()
    elif fmt == "pdf":
        require_fonts()
    # PDF is typeset directly (reports/typeset.py); through LibreOffice only when asked for (--pdf-engine).
    document = PdfDocument if fmt == "pdf" and not via_word else WordDocument
    # Everything is read and checked before the output set is opened; nothing is written on an error.
    system = load_system(args.system)
    results = read_results(args.results)
    previous = read_results(args.previous, what="上一轮结果 JSON（--previous）") if args.previous else None
    tpl = load_template(args.template)
    if args.units:
        _check_units(results, args.units, args.results)
    rectification = None
    if args.rectification:
        from govassess.reports.rectification import read_rectification

        if not args.previous:
            raise UserError("使用 --rectification 时须同时给出 --previous（上一轮结果），才能比较整改的指标是否提升",
                            field="--rectification")
        leaves = {str(n.code): n.name for n in system.leaves() if n.code}
        rectification = read_rectification(args.rectification, results if isinstance(results, dict) else {}, leaves)
    model = build_model(results, system, previous=previous, anonymise=args.anonymise, reader=args.unit,
                        results_file=args.results, previous_file=args.previous, locked_at=locked_at,
                        rectification=rectification)

    def scorecard(code: str) -> Callable[[Path], Any]:
        return lambda path: write_scorecard(model, tpl, code, path, internal=args.internal, document=document)

    def whole(writer: Callable[..., Any]) -> Callable[[Path], Any]:
        return lambda path: writer(model, tpl, path, internal=args.internal, document=document)

    jobs: list[tuple[str, Callable[[Path], Any]]] = []  # (file name, writer of the document)
    if kind == "scorecard":
        units = [model.unit(args.unit)] if args.unit else model.units_in_ranking_order()
        jobs += [(file_name(u.code, u.name, "docx"), scorecard(u.code)) for u in units]
    else:
        jobs.append(("document.docx", whole(write_bulletin if kind == "bulletin" else write_full_report)))

    skipped = False
    with OutputSet() as outs, tempfile.TemporaryDirectory(prefix="govassess-report-") as tmp:
        folder = outs.folder(out, option="--out") if per_unit else None
        targets = [outs.file(folder / (Path(name).stem + "." + fmt), option="--out") if folder is not None
                   else outs.file(out, option="--out") for name, _ in jobs]
        docs = []
        for (name, write), target in zip(jobs, targets, strict=True):
            path = Path(tmp) / name if via_word else target
            w = write(path)
            skipped = skipped or w.charts_skipped
            docs.append(path)
        if via_word:
            pdf_dir = Path(tmp) / "pdf"
            pdf_dir.mkdir()
            for made, target in zip(pdf.convert_to_pdf(docs, pdf_dir), targets, strict=True):
                shutil.copyfile(made, target)
    if skipped:
        console.print("注意：没有找到中文字体，文档中未插入图表（请运行 bash scripts/setup.sh --full 安装 fonts-noto-cjk）",
                      style="yellow")
    what = KINDS[kind]
    if per_unit:
        console.print(f"已写出 {len(jobs)} 份{what}到 {out}")
    else:
        console.print(f"已写出{what} {out}")
    return 0
