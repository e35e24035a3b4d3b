"""`metrics compute` / `monitor` through the one output writer: both files or neither; no live formula."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook

from govassess.cli import main
from govassess.metrics.monitor import Report, write_report
from govassess.metrics.output import write_inputs

from .conftest import write_records

PERIOD = ("--from", "2021-01-01", "--to", "2021-06-30")
HOSTILE = ['=HYPERLINK("http://x","点我")', "+1", "-2", "@SUM(A1)", "\t=1"]


def test_compute_problems_target_failing_leaves_no_inputs(tmp_path, capsys):
    records = write_records(tmp_path / "r")
    out = tmp_path / "o"
    out.mkdir()
    (out / "p").mkdir()
    args = ["metrics", "compute", "--records", str(records), *PERIOD, "--out", str(out / "inputs.csv")]
    # the hand-built records fire rules, so a problems report is due; its target is a folder
    assert main([*args, "--problems", str(out / "p")]) == 2
    assert "--problems" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["p"]
    assert main([*args, "--problems", str(out / "inputs.csv")]) == 2
    assert "--out 与 --problems 指向同一个文件" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["p"]
    assert main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == ["inputs.csv", "inputs.problems.csv", "p"]


def test_metrics_writers_keep_formula_text_inert(tmp_path):
    rows = [{"unit": h, "indicator": "1.1", "input": "按时办结率", "value": "-0.5", "note": h} for h in HOSTILE]
    write_inputs(rows, tmp_path / "i.xlsx")
    ws = load_workbook(tmp_path / "i.xlsx").active
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert [c.value for c in ws["A"]][1:] == HOSTILE and [c.value for c in ws["E"]][1:] == HOSTILE
    write_inputs(rows, tmp_path / "i.csv")
    with (tmp_path / "i.csv").open(encoding="utf-8-sig", newline="") as fh:
        back = list(csv.DictReader(fh))
    # numbers as text stay numbers; formula text is quoted (OWASP)
    assert [r["note"] for r in back] == ["'" + HOSTILE[0], "+1", "-2", "'@SUM(A1)", "'\t=1"]
    assert {r["value"] for r in back} == {"-0.5"}
    report = Report(["单位", "说明"], [{"单位": h, "说明": h} for h in HOSTILE], {})
    write_report(report, Path(tmp_path / "m.xlsx"), sheet="差评提醒")
    ws = load_workbook(tmp_path / "m.xlsx").active
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert [c.value for c in ws["A"]][1:] == HOSTILE
