"""Checks run on every .xlsx before a reader opens it, so a small damaged file cannot hang or exhaust the server.

Both readers materialise the sheet's used area: calamine builds a grid from the first to the last cell
(one cell at XFD200000 means 3 billion cells), openpyxl creates an object for every cell of a merged range.
The sheet XML is scanned as a stream (chunks, a regular expression) for the extent of the cells and merges;
nothing is expanded. Limits are far above any real office file and can be raised by the operator.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path
from typing import IO

from govassess.errors import UserError

DEFAULT_MAX_CELLS = 50_000_000  # used area rows × columns: a full 1,048,576-row sheet of ~48 columns
DEFAULT_MAX_MERGED = 1_000_000  # cells covered by merged ranges, all sheets
DEFAULT_MAX_BYTES = 2_000_000_000  # uncompressed size of the whole package

_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?"')
_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br:id="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_REL_ALT = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')


def _limit(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise UserError(f"环境变量 {name} 应为正整数，实际为「{raw}」")
    return int(raw)


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _col_name(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _sheet_names(z: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part name → the sheet's name as the user sees it (best effort; unknown parts keep their path)."""
    try:
        book = z.read("xl/workbook.xml")
        rels = z.read("xl/_rels/workbook.xml.rels")
    except (KeyError, zipfile.BadZipFile, OSError):
        return {}
    targets = {rid: t for rid, t in _REL.findall(rels)}
    targets.update({rid: t for t, rid in _REL_ALT.findall(rels)})
    out = {}
    for name, rid in _SHEET.findall(book):
        target = targets.get(rid)
        if target:
            part = target.decode("utf-8", "replace").lstrip("/")
            part = part if part.startswith("xl/") else f"xl/{part}"
            out[part] = name.decode("utf-8", "replace")
    return out


def _scan(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[int, int, int, str]:
    """(last row, last column, merged cells, widest merge) of one worksheet part, read in chunks."""
    max_row = max_col = merged = 0
    widest = ""
    widest_cells = 0
    tail = b""
    with z.open(info) as fh:
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            data = tail + chunk
            # Keep the end of the chunk for the next round: a tag may straddle the boundary.
            cut = data.rfind(b"<")
            body, tail = (data[:cut], data[cut:]) if cut > 0 and len(data) - cut < 4096 else (data, b"")
            for letters, digits in _CELL.findall(body):
                max_row = max(max_row, int(digits))
                max_col = max(max_col, _col(letters))
            for c1, r1, c2, r2 in _MERGE.findall(body):
                if not c2:
                    continue
                rows = abs(int(r2) - int(r1)) + 1
                cols = abs(_col(c2) - _col(c1)) + 1
                merged += rows * cols
                if rows * cols > widest_cells:
                    widest_cells = rows * cols
                    widest = f"{c1.decode()}{r1.decode()}:{c2.decode()}{r2.decode()}"
    return max_row, max_col, merged, widest


def check_workbook(path: str | Path | IO[bytes], *, file: str | None = None) -> None:
    """Refuse a file that is not an .xlsx package, or whose sheets or merges are beyond the limits.

    A file object is read from its start and left at its start for the reader that follows."""
    where = file or (str(path) if isinstance(path, (str, Path)) else "上传文件")
    try:
        _check(path, where)
    finally:
        if not isinstance(path, (str, Path)):
            path.seek(0)


def _check(path: str | Path | IO[bytes], where: str) -> None:
    max_cells = _limit("GOVASSESS_XLSX_MAX_CELLS", DEFAULT_MAX_CELLS)
    max_merged = _limit("GOVASSESS_XLSX_MAX_MERGED", DEFAULT_MAX_MERGED)
    max_bytes = _limit("GOVASSESS_XLSX_MAX_BYTES", DEFAULT_MAX_BYTES)
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UserError(
            "无法读取工作簿：文件已损坏，或不是 Excel 2007 及以上格式（.xlsx；旧版 .xls 请另存为 .xlsx）", file=where
        ) from None
    with z:
        infos = z.infolist()
        if sum(i.file_size for i in infos) > max_bytes:
            raise UserError(
                f"工作簿解压后超过 {max_bytes // 1_000_000} MB，不予读取（可设置环境变量 GOVASSESS_XLSX_MAX_BYTES）",
                file=where,
            )
        names = _sheet_names(z)
        total_merged = 0
        for info in infos:
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            sheet = names.get(info.filename, info.filename)
            try:
                rows, cols, merged, widest = _scan(z, info)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError):
                raise UserError("工作簿已损坏，无法读取", file=where, sheet=sheet) from None
            if rows * cols > max_cells:
                raise UserError(
                    f"工作表的已用区域延伸到 {_col_name(cols)} 列、第 {rows} 行（{rows * cols:,} 个单元格），"
                    f"超过上限 {max_cells:,} 个；请删除表格之外有内容或格式的行列后另存"
                    "（可设置环境变量 GOVASSESS_XLSX_MAX_CELLS）",
                    file=where,
                    sheet=sheet,
                )
            total_merged += merged
            if total_merged > max_merged:
                raise UserError(
                    f"合并单元格共覆盖 {total_merged:,} 个单元格（最大的是 {widest}），超过上限 {max_merged:,} 个；"
                    "请取消多余的合并后另存（可设置环境变量 GOVASSESS_XLSX_MAX_MERGED）",
                    file=where,
                    sheet=sheet,
                )
