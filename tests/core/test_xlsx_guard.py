"""A small damaged or hostile .xlsx cannot hang or crash any reader: each gets a located Chinese message."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from govassess.cli import main
from govassess.data import read_units
from govassess.errors import UserError
from govassess.forms.screening import read_usage
from govassess.forms.survey import read_workbook
from govassess.indicators.excel import read_system_table
from govassess.metrics.engines import read_xlsx_rows
from govassess.xlsx_guard import check_workbook

SHEET = "xl/worksheets/sheet1.xml"


def _book(path: Path, edit=None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "单位"
    ws.append(["unit", "name", "class", "部门全称", "信息系统名称"])
    ws.append(["A", "甲", "县区", "甲局", "甲系统"])
    wb.save(path)
    if edit is None:
        return path
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    parts[SHEET] = edit(parts[SHEET])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def huge_merge(xml: bytes) -> bytes:
    # 16,384 columns × 199,998 rows ≈ 3.3 billion cells for openpyxl to create one by one.
    return xml.replace(b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A3:XFD200000"/></mergeCells>')


def far_cell(xml: bytes) -> bytes:
    # One cell far away: calamine builds the grid from A1 to XFD200000.
    return xml.replace(b"</sheetData>", b'<row r="200000"><c r="XFD200000" t="n"><v>1</v></c></row></sheetData>')


def truncated(xml: bytes) -> bytes:
    return xml[: len(xml) // 2]


READERS = {
    "units": lambda p: read_units(p),
    "system-table": lambda p: read_system_table(p),
    "survey": lambda p: read_workbook(p),
    "usage": lambda p: read_usage(p),
    "records": lambda p: read_xlsx_rows(p),
}


def _refused(reader: str, path: Path, *needles: str) -> str:
    started = time.monotonic()
    with pytest.raises(UserError) as err:
        READERS[reader](path)
    assert time.monotonic() - started < 20  # "not minutes"; the scan itself takes milliseconds
    text = str(err.value)
    for n in (path.name, *needles):
        assert n in text, text
    assert "Error" not in text and "Traceback" not in text, text
    return text


@pytest.mark.parametrize("reader", sorted(READERS))
def test_merged_range_to_xfd_is_refused_before_opening(tmp_path, reader):
    path = _book(tmp_path / "merged.xlsx", huge_merge)
    # 199,998 × 16,384 = 3,276,767,232 merged cells.
    _refused(reader, path, "单位", "3,276,767,232", "A3:XFD200000", "GOVASSESS_XLSX_MAX_MERGED")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_used_area_to_xfd200000_is_refused(tmp_path, reader):
    path = _book(tmp_path / "far.xlsx", far_cell)
    # 200,000 rows × 16,384 columns = 3,276,800,000 cells.
    _refused(reader, path, "单位", "XFD 列、第 200000 行", "3,276,800,000")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_truncated_sheet_xml_is_a_damaged_file_message(tmp_path, reader):
    path = _book(tmp_path / "broken.xlsx", truncated)
    _refused(reader, path, "损坏")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_junk_named_xlsx(tmp_path, reader):
    path = tmp_path / "junk.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a workbook")
    _refused(reader, path, "无法")


def test_limits_are_configurable_and_a_normal_book_passes(tmp_path, monkeypatch):
    path = _book(tmp_path / "ok.xlsx")
    check_workbook(path)
    # The book's used area is A1:E2 = 10 cells.
    monkeypatch.setenv("GOVASSESS_XLSX_MAX_CELLS", "10")
    check_workbook(path)
    monkeypatch.setenv("GOVASSESS_XLSX_MAX_CELLS", "9")
    with pytest.raises(UserError, match="E 列、第 2 行（10 个单元格），超过上限 9 个"):
        check_workbook(path)
    monkeypatch.setenv("GOVASSESS_XLSX_MAX_CELLS", "-1")
    with pytest.raises(UserError, match="GOVASSESS_XLSX_MAX_CELLS 应为正整数"):
        check_workbook(path)


def test_a_file_object_is_left_at_its_start(tmp_path):
    raw = _book(tmp_path / "ok.xlsx").read_bytes()
    fh = io.BytesIO(raw)
    check_workbook(fh)
    assert fh.tell() == 0
    assert read_workbook(fh, filename="上传.xlsx")[0].name == "单位"


def test_cli_template_with_a_hostile_units_file_exits_2_and_writes_nothing(tmp_path, capsys):
    units = _book(tmp_path / "units.xlsx", huge_merge)
    out = tmp_path / "t.xlsx"
    assert main(["template", "yangjiang-2021-county", "--units", str(units), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "units.xlsx" in err and "合并单元格" in err and "内部错误" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == [units]
