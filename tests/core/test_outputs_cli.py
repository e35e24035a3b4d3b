"""Core commands through the one output writer: nothing left behind on failure, formula text stays text."""

from __future__ import annotations

import csv
import json
import stat
from pathlib import Path

import pytest
from openpyxl import load_workbook

import govassess.reports.workbook as results_workbook
from govassess.cli import main

HOSTILE_NAME = '=HYPERLINK("http://x","点我")'
HOSTILE_NOTES = ["+1", "-2", "@SUM(A1)", "\t=1"]

SYSTEM = """\
id: mini
name: 迷你体系
total: 10
scale: 100
indicators:
  - name: 服务
    code: "1"
    children:
      - {name: "=1+1", code: "1.1", points: 4, rule: {type: ratio, value: 网上受理率}, criteria: "@SUM(A1)", note: "-2"}
      - {name: 项目源头管控, code: "1.3", points: 6, rule: {type: manual}}
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "s.yaml").write_text(SYSTEM, encoding="utf-8")
    units = [["unit", "name", "class"], ["A", HOSTILE_NAME, "市级部门"], ["B", "-市科技局", "市级部门"],
             ["C", "市教育局", "市级部门"], ["D", "市财政局", "市级部门"]]
    rows = [["unit", "indicator", "input", "value", "note"]]
    for unit, note in zip("ABCD", HOSTILE_NOTES, strict=True):
        rows += [[unit, "1.1", "网上受理率", "50%", ""], [unit, "1.3", "score", "3", note]]
    for name, data in (("units.csv", units), ("inputs.csv", rows)):
        with (tmp_path / name).open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(data)
    return {"system": tmp_path / "s.yaml", "units": tmp_path / "units.csv", "inputs": tmp_path / "inputs.csv"}


def outputs(folder: Path) -> list[str]:
    """What a command left in the folder, temporary files included (they start with a dot)."""
    return sorted(p.name for p in folder.iterdir() if p.name not in {"s.yaml", "units.csv", "inputs.csv"})


def score_argv(files, out: Path, *extra: str) -> list[str]:
    return ["score", str(files["system"]), "--units", str(files["units"]), "--inputs", str(files["inputs"]),
            "--out", str(out), *extra]


def no_formula_and_text_intact(path: Path, expected: list[str]) -> None:
    wb = load_workbook(path)
    texts = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
    missing = [e for e in expected if not any(e in t for t in texts)]
    assert not missing, missing


def test_score_same_path_twice_refused_and_nothing_written(files, tmp_path, capsys):
    r = tmp_path / "r.json"
    assert main(score_argv(files, r, "--xlsx", str(tmp_path / "." / "r.json"))) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "--xlsx" in err and "同一个文件" in err
    assert outputs(tmp_path) == []


def test_score_failure_after_first_output_leaves_nothing(files, tmp_path, capsys, monkeypatch):
    (tmp_path / "d").mkdir()
    assert main(score_argv(files, tmp_path / "r.json", "--xlsx", str(tmp_path / "d"))) == 2
    assert "已存在的目录" in capsys.readouterr().err
    assert outputs(tmp_path) == ["d"]

    def broken(data, path):
        Path(path).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(results_workbook, "write_results_workbook", broken)
    assert main(score_argv(files, tmp_path / "r.json", "--xlsx", str(tmp_path / "r.xlsx"))) == 2
    assert outputs(tmp_path) == ["d"]  # neither r.json nor any .r.*.tmp file


def test_score_outputs_ordinary_permissions_and_no_formula(files, tmp_path):
    assert main(score_argv(files, tmp_path / "r.json", "--xlsx", str(tmp_path / "r.xlsx"))) == 0
    assert outputs(tmp_path) == ["r.json", "r.xlsx"]
    # the usual umask 022 of the test run: 0666 & ~022
    assert stat.S_IMODE((tmp_path / "r.xlsx").stat().st_mode) & 0o044 == 0o044
    no_formula_and_text_intact(tmp_path / "r.xlsx", [HOSTILE_NAME, "-市科技局", "=1+1"])
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["units"]


def test_template_keeps_names_and_prefilled_notes_as_text(files, tmp_path):
    out = tmp_path / "t.xlsx"
    assert main(["template", str(files["system"]), "--units", str(files["units"]), "--inputs", str(files["inputs"]),
                 "--out", str(out)]) == 0
    # the input reader strips surrounding blanks from notes, so "\t=1" is prefilled as "=1" (still text)
    no_formula_and_text_intact(out, [HOSTILE_NAME, "-市科技局", "=1+1", *(n.strip() for n in HOSTILE_NOTES)])
    # and it reads back unchanged: the prefilled notes are the notes typed
    assert main(score_argv(files, tmp_path / "back.json")) == 0


def test_export_system_keeps_names_as_text_and_refuses_a_directory(files, tmp_path, capsys):
    out = tmp_path / "sys.xlsx"
    assert main(["export-system", str(files["system"]), "--out", str(out)]) == 0
    no_formula_and_text_intact(out, ["=1+1", "@SUM(A1)"])
    (tmp_path / "d").mkdir()
    assert main(["export-system", str(files["system"]), "--out", str(tmp_path / "d")]) == 2
    assert "已存在的目录" in capsys.readouterr().err
    assert outputs(tmp_path) == ["d", "sys.xlsx"]
    assert outputs(tmp_path / "d") == []


def test_import_system_and_combine_leave_nothing_on_a_bad_target(files, tmp_path, capsys):
    assert main(["export-system", str(files["system"]), "--out", str(tmp_path / "sys.xlsx")]) == 0
    assert main(["import-system", str(tmp_path / "sys.xlsx"), "--out", str(tmp_path / "no" / "s.yaml")]) == 2
    assert "不存在" in capsys.readouterr().err
    assert main(score_argv(files, tmp_path / "r.json")) == 0
    assert main(["combine", str(tmp_path / "r.json"), "--weights", "1", "--out", str(tmp_path)]) == 2
    assert outputs(tmp_path) == ["r.json", "sys.xlsx"]


def test_demo_folder_appears_whole_or_not_at_all(tmp_path, monkeypatch):
    import govassess.data.template as template

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(template, "write_template", broken)
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_score_checks_targets_before_reading_and_scoring(files, tmp_path, capsys):
    argv = ["score", str(files["system"]), "--units", str(files["units"]), "--inputs", str(tmp_path / "absent.csv"),
            "--out", str(tmp_path / "r.json"), "--xlsx", str(tmp_path / "no" / "r.xlsx")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--xlsx" in err and "absent.csv" not in err
    assert outputs(tmp_path) == []
