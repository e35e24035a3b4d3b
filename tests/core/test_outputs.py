"""The one output writer (govassess.outputs): all-or-nothing, refusals, permissions, formula-safe cells."""

from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from govassess.errors import UserError
from govassess.outputs import OutputSet, csv_cell, save_workbook, text_cell

HOSTILE = ['=HYPERLINK("http://x","点我")', "+1", "-2", "@SUM(A1)", "\t=1"]


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_all_outputs_appear_together_with_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        with OutputSet() as outs:
            a = outs.file(tmp_path / "a.json", option="--out")
            b = outs.file(tmp_path / "b.xlsx", option="--xlsx")
            a.write_text("1", encoding="utf-8")
            b.write_text("2", encoding="utf-8")
            # nothing is in place until the block ends
            assert not (tmp_path / "a.json").exists() and not (tmp_path / "b.xlsx").exists()
    finally:
        os.umask(old)
    assert listing(tmp_path) == ["a.json", "b.xlsx"]
    assert (tmp_path / "a.json").read_text(encoding="utf-8") == "1"
    # 0666 & ~022 = 0644, not mkstemp's 0600
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "b.xlsx").stat().st_mode) == 0o644


def test_umask_is_respected(tmp_path):
    old = os.umask(0o077)
    try:
        with OutputSet() as outs:
            outs.file(tmp_path / "a.json").write_text("1", encoding="utf-8")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o600


def test_failure_after_first_output_leaves_nothing_and_keeps_old_file(tmp_path):
    (tmp_path / "a.json").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with OutputSet() as outs:
            outs.file(tmp_path / "a.json").write_text("new", encoding="utf-8")
            outs.file(tmp_path / "b.csv").write_text("x", encoding="utf-8")
            raise RuntimeError("writer failed")
    assert listing(tmp_path) == ["a.json"]
    assert (tmp_path / "a.json").read_text(encoding="utf-8") == "old"


def test_same_path_twice_refused_naming_both_options(tmp_path):
    with pytest.raises(UserError) as err:
        with OutputSet() as outs:
            outs.file(tmp_path / "r.json", option="--out").write_text("1", encoding="utf-8")
            outs.file(tmp_path / "sub" / ".." / "r.json", option="--xlsx")
    assert "--out" in str(err.value) and "--xlsx" in str(err.value) and "同一" in str(err.value)
    assert listing(tmp_path) == []


def test_same_file_through_a_symlink_refused(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(UserError, match="--problems"):
        with OutputSet() as outs:
            outs.file(tmp_path / "real" / "p.csv", option="--out")
            outs.file(tmp_path / "link" / "p.csv", option="--problems")
    assert listing(tmp_path / "real") == []


def test_existing_directory_and_missing_folder_refused(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(UserError, match="已存在的目录") as err:
        with OutputSet() as outs:
            outs.file(tmp_path / "ok.json").write_text("1", encoding="utf-8")
            outs.file(tmp_path / "d", option="--xlsx")
    assert "--xlsx" in str(err.value)
    assert listing(tmp_path) == ["d"]
    with pytest.raises(UserError, match="所在的位置 .* 不存在"):
        with OutputSet() as outs:
            outs.file(tmp_path / "nope" / "r.json", option="--out")
    assert listing(tmp_path) == ["d"]


def test_new_folder_is_staged_and_appears_only_on_success(tmp_path):
    with pytest.raises(RuntimeError):
        with OutputSet() as outs:
            d = outs.folder(tmp_path / "out", option="--out")
            outs.file(d / "a.csv").write_text("a", encoding="utf-8")
            raise RuntimeError("second file failed")
    assert listing(tmp_path) == []
    with OutputSet() as outs:
        d = outs.folder(tmp_path / "out", option="--out")
        outs.file(d / "a.csv").write_text("a", encoding="utf-8")
        outs.file(d / "b.csv").write_text("b", encoding="utf-8")
    assert listing(tmp_path) == ["out"]
    assert listing(tmp_path / "out") == ["a.csv", "b.csv"]


def test_existing_folder_keeps_other_files_and_a_file_is_not_a_folder(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("k", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with OutputSet() as outs:
            d = outs.folder(tmp_path / "out")
            outs.file(d / "a.csv").write_text("a", encoding="utf-8")
            raise RuntimeError
    assert listing(tmp_path / "out") == ["keep.txt"]
    (tmp_path / "f").write_text("", encoding="utf-8")
    with pytest.raises(UserError, match="不是目录"):
        with OutputSet() as outs:
            outs.folder(tmp_path / "f", option="--out")


def test_csv_cell_prefixes_formula_text_only():
    hostile = [HOSTILE[0], "@SUM(A1)", "\t=1", "-2+3+cmd|' /C calc'!A0", "+A1", "\r=1", "-", "=1"]
    assert [csv_cell(v) for v in hostile] == ["'" + v for v in hostile]
    # numbers, negative ones included (also as text, as an inputs CSV carries them), and ordinary text unchanged
    plain = [-2, -0.5, 3, "-2", "+1", "-5%", "-1.5e3", "市教育局", "", None]
    assert [csv_cell(v) for v in plain] == plain
    buf = io.StringIO()
    csv.writer(buf).writerow([csv_cell(v) for v in ["=1+1", -2]])
    assert buf.getvalue().strip() == "'=1+1,-2"


def test_save_workbook_keeps_formula_text_as_text(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(HOSTILE + [-2, 1.5])
    ws.cell(row=2, column=1, value="=1+1")
    save_workbook(wb, tmp_path / "w.xlsx")
    back = load_workbook(tmp_path / "w.xlsx").active
    assert [c.value for c in back[1]] == HOSTILE + [-2, 1.5]
    assert [c.data_type for c in back[1]] == ["s"] * 5 + ["n", "n"]
    assert back.cell(row=2, column=1).value == "=1+1" and back.cell(row=2, column=1).data_type == "s"


def test_write_only_text_cell(tmp_path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("表")
    ws.append([text_cell(ws, v) for v in HOSTILE + [-2]])
    save_workbook(wb, tmp_path / "w.xlsx")
    back = load_workbook(tmp_path / "w.xlsx")["表"]
    assert [c.value for c in back[1]] == HOSTILE + [-2]
    assert "f" not in [c.data_type for c in back[1]]


def test_unsafe_save_would_have_been_a_formula(tmp_path):
    # guards the test above: without sealing, openpyxl does write a formula
    wb = Workbook()
    wb.active.append(["=1+1"])
    wb.save(tmp_path / "raw.xlsx")
    assert load_workbook(tmp_path / "raw.xlsx").active["A1"].data_type == "f"


# Writers that are not outputs a person opens: internal files read back by govassess itself.
_INTERNAL_CSV = {
    "metrics/engines.py": "a workbook's cells as a temporary CSV for DuckDB, read back at once",
    "web/feeds/services.py": "the platform's units file handed to metrics compute in a temporary folder",
}
# The survey online editor re-saves the unit's own uploaded workbook: it seals the sheet it wrote
# (seal_sheet) and leaves the rest as the unit uploaded it.
_OWN_SAVE = {"web/survey/services.py"}


def test_every_writer_goes_through_the_safe_functions():
    # Keeps "one way": a new workbook or CSV writer that bypasses govassess.outputs fails here.
    import re

    src = Path(__file__).resolve().parents[2] / "src" / "govassess"
    offenders = []
    for path in sorted(src.rglob("*.py")):
        rel = path.relative_to(src).as_posix()
        if rel == "outputs.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bwb\.save\(", text) and rel not in _OWN_SAVE:
            offenders.append(f"{rel}: wb.save() instead of save_workbook()")
        if re.search(r"csv\.(writer|DictWriter)\(", text) and rel not in _INTERNAL_CSV and not re.search(
            r"from govassess\.outputs import [^\n]*csv_(cell|row|dict)", text
        ):
            offenders.append(f"{rel}: CSV written without csv_cell/csv_row/csv_dict")
    assert offenders == []


def test_a_failing_rename_puts_every_target_back(tmp_path, monkeypatch):
    import govassess.outputs as outputs_module

    (tmp_path / "a.json").write_text("old", encoding="utf-8")
    real_replace = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # the second output's rename fails, after the first one is in place
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(outputs_module.os, "replace", replace)
    with pytest.raises(PermissionError):
        with OutputSet() as outs:
            d = outs.folder(tmp_path / "new")
            outs.file(d / "x.csv").write_text("x", encoding="utf-8")
            outs.file(tmp_path / "a.json").write_text("new", encoding="utf-8")
            outs.file(tmp_path / "b.json").write_text("b", encoding="utf-8")
    monkeypatch.undo()
    assert listing(tmp_path) == ["a.json"]
    assert (tmp_path / "a.json").read_text(encoding="utf-8") == "old"
