"""Survey commands through the one output writer: all files or none, and formula text never live."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook
from survey_helpers import run, system_row, unit_row, write_book
from test_screening_selfeval import _usage, _usage_row

import govassess.forms.summary as summary_module
from govassess.forms.services import survey_template

HOSTILE = '=HYPERLINK("http://x","点我")'


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def book(form, tmp_path: Path) -> Path:
    # a department and a system whose names a hostile filler typed as formulas
    units = [unit_row(HOSTILE), unit_row("白山市财政局")]
    systems = [system_row(dept=HOSTILE, name="@SUM(A1)", 系统使用频率=5), system_row(dept="白山市财政局", name="-2")]
    path = write_book(form, tmp_path / "in" / "s.xlsx", {"units": units, "systems": systems})
    # as typed in Excel with a leading ' : text in the file, not a formula the reader would see as empty
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
    wb.save(path)
    return path


def no_formula(path: Path, expected: list[str]) -> None:
    texts = set()
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    assert [e for e in expected if e not in texts] == []


def test_import_writes_quoted_csv_and_leaves_nothing_on_failure(form, tmp_path, monkeypatch, capsys):
    (tmp_path / "in").mkdir()
    src = book(form, tmp_path)
    out = tmp_path / "out"
    assert run(["survey", "import", str(src), "--out", str(out)]) == 0
    with (out / "systems.csv").open(encoding="utf-8-sig", newline="") as fh:
        cells = {c for row in csv.reader(fh) for c in row}
    # OWASP: a leading ' so a spreadsheet shows the text instead of evaluating it
    assert {"'" + HOSTILE, "'@SUM(A1)"} <= cells and HOSTILE not in cells
    assert "-2" in cells  # a system named "-2" is a number to a spreadsheet, not a formula: unchanged

    def broken(*args, **kwargs):  # manifest.json is written last: fail there, after every CSV
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(summary_module.json, "dumps", broken)
    fresh = tmp_path / "fresh"
    try:
        run(["survey", "import", str(src), "--out", str(fresh)])
    except OSError:
        pass
    assert listing(tmp_path) == ["in", "out"]  # no fresh/, no staged .fresh.*.tmp
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    try:
        run(["survey", "import", str(src), "--out", str(out)])
    except OSError:
        pass
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before  # old files kept, no temporary ones


def test_selfeval_both_files_or_neither(form, tmp_path, capsys):
    (tmp_path / "in").mkdir()
    src = book(form, tmp_path)
    usage = tmp_path / "in" / "u.csv"
    _usage(tmp_path / "in", [_usage_row("@SUM(A1)", 部门全称=HOSTILE)], name="u.csv")
    assert run(["survey", "selfeval-inputs", str(src), "--usage", str(usage), "--out", str(tmp_path / "i.csv"),
                "--units-out", str(tmp_path / "i.csv")]) == 2
    assert "--out 与 --units-out 指向同一个文件" in capsys.readouterr().out
    (tmp_path / "d").mkdir()
    assert run(["survey", "selfeval-inputs", str(src), "--usage", str(usage), "--out", str(tmp_path / "i.csv"),
                "--units-out", str(tmp_path / "d")]) == 2
    assert listing(tmp_path) == ["d", "in"]
    assert run(["survey", "selfeval-inputs", str(src), "--usage", str(usage), "--out", str(tmp_path / "i.csv"),
                "--units-out", str(tmp_path / "u.csv")]) == 0
    with (tmp_path / "u.csv").open(encoding="utf-8-sig", newline="") as fh:
        names = [r["name"] for r in csv.DictReader(fh)]
    assert names == ["'@SUM(A1)"], names  # the system named "@SUM(A1)", quoted


def test_survey_workbooks_keep_formula_text_as_text(form, tmp_path):
    (tmp_path / "in").mkdir()
    src = book(form, tmp_path)
    assert run(["survey", "summary", str(src), "--out", str(tmp_path / "sum.xlsx")]) == 0
    no_formula(tmp_path / "sum.xlsx", [HOSTILE])
    assert run(["survey", "zombies", str(src), "--out", str(tmp_path / "z.xlsx")]) == 0
    no_formula(tmp_path / "z.xlsx", [HOSTILE, "@SUM(A1)"])
    assert run(["survey", "duplicates", str(src), "--threshold", "0", "--out", str(tmp_path / "dup.xlsx")]) == 0
    no_formula(tmp_path / "dup.xlsx", [])
    path = survey_template(out=tmp_path / "t.xlsx", form=form, units=[unit_row(HOSTILE, 联系人="+1")])
    no_formula(path, [HOSTILE, "+1"])
    assert run(["survey", "template", "--out", str(tmp_path / "no" / "t.xlsx")]) == 2
    assert not (tmp_path / "no").exists()
