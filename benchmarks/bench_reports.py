"""The 评估报告 (one page per unit) for a large round, in Word and optionally PDF; prints one JSON line last.

Units are synthetic 县(市、区) scored with the 阳江 county system (the demo's input generator). Target
(issue 12): <= 60 s for the .docx, <= 120 s for the PDF of 3,000 units on the project machine.

    .venv/bin/python benchmarks/bench_reports.py [--units 3000] [--pdf] [--libreoffice] [--unit-version]

--pdf typesets the PDF directly (Typst, reports/typeset.py) and reports its wall-clock and CPU time (this
process and its worker processes), pages, size and the peak memory of this process and of the largest worker;
--libreoffice also times the LibreOffice conversion of the .docx (the optional route, about 0.7 s a unit).
--unit-version times one unit's published version instead (web: other units as codes, only its own per-unit
pages; one background job per unit that asks, bounded by GOVASSESS_REPORT_READER_MAX_UNITS).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=3000)
    parser.add_argument("--pdf", action="store_true", help="also typeset the report as PDF (Typst)")
    parser.add_argument("--libreoffice", action="store_true", help="also convert the .docx with LibreOffice")
    parser.add_argument("--unit-version", action="store_true", help="one unit's version (own pages only)")
    args = parser.parse_args()

    from govassess.data import units_from_rows
    from govassess.demo import synthetic_inputs
    from govassess.indicators import load_system
    from govassess.reports.model import build_model
    from govassess.reports.pdf import convert_to_pdf
    from govassess.reports.template import load_template
    from govassess.reports.word import write_full_report
    from govassess.scoring import score_round

    system = load_system("yangjiang-2021-county")
    # Indicators 19/20/22 divide by population, enterprises and staff (made-up sizes of the right order).
    units = units_from_rows([{"unit": f"X{i:04d}", "name": f"测试县{i}", "class": "县(市、区)",
                              "population": 20 + i % 60, "enterprises": 0.5 + (i % 30) / 10, "staff": 800 + 37 * (i % 150)}
                             for i in range(1, args.units + 1)])
    t0 = time.perf_counter()
    results = score_round(system, units, synthetic_inputs(system, units, 2021), round_name="2021年下半年").to_dict()
    previous = score_round(system, units, synthetic_inputs(system, units, 2020), round_name="2021年上半年").to_dict()
    t_score = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t1, c1 = time.perf_counter(), time.process_time()
        reader = "X0001" if args.unit_version else None
        own = [reader] if reader else None
        model = build_model(results, system, previous=previous, anonymise=bool(reader), reader=reader)
        t_model = time.perf_counter() - t1
        doc = Path(tmp) / "report.docx"
        write_full_report(model, load_template(None), doc, own_pages=own)
        t_docx, c_docx = time.perf_counter() - t1, time.process_time() - c1
        # CPU time besides wall-clock time: the project machine is shared, the wall clock says how busy it was.
        out = {"units": args.units, "unit_version": bool(reader), "score_s": round(t_score, 1), "model_s": round(t_model, 2),
               "docx_s": round(t_docx, 1), "docx_cpu_s": round(c_docx, 1),
               "docx_mb": round(doc.stat().st_size / 2**20, 1), "load_avg": round(os.getloadavg()[0], 1)}
        out["docx_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        if args.pdf:
            from govassess.reports.typeset import PdfDocument

            pdf = Path(tmp) / "report.pdf"
            t2, c2 = time.perf_counter(), _cpu()
            w = write_full_report(model, load_template(None), pdf, document=PdfDocument, own_pages=own)
            out["pdf_s"] = round(time.perf_counter() - t2, 1)
            out["pdf_cpu_s"] = round(_cpu() - c2, 1)
            out["pages"] = w.pages
            out["pdf_mb"] = round(pdf.stat().st_size / 2**20, 1)
            out["load_avg_after_pdf"] = round(os.getloadavg()[0], 1)
        if args.libreoffice:
            t3 = time.perf_counter()
            (made,) = convert_to_pdf([doc], Path(tmp) / "lo", timeout=3600)
            out["libreoffice_s"] = round(time.perf_counter() - t3, 1)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["worker_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    print(json.dumps(out, ensure_ascii=False))


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the PDF's worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
