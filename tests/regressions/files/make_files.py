"""Writes the crafted inputs of tests/regressions/test_input_classes.py (run once; the output is committed).

    PYTHONPATH=src python tests/regressions/files/make_files.py

Binary files (workbooks) and long generated text are made here so that what each one holds is readable;
small hand-written YAML/JSON/CSV files sit beside this script as they are.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "forms"))  # survey_helpers (rows of a valid survey workbook)

from survey_helpers import system_row, unit_row, write_book  # noqa: E402

from govassess.forms.model import load_form  # noqa: E402

SHEET = "xl/worksheets/sheet1.xml"


def formula_system(name: str, expr: str) -> None:
    """A one-leaf system whose formula is the edge case; inputs.csv gives its input a=0.5."""
    (HERE / name).write_text(
        "id: f\nname: 公式体系\ntotal: 10\nindicators:\n  - code: \"1\"\n    name: 公式\n    points: 10\n"
        f"    rule: {{type: formula, expr: '{expr}', inputs: [a]}}\n",
        encoding="utf-8",
    )


def edited(name: str, rows: list[list[object]], edit) -> None:
    """A small valid workbook, then its first sheet's XML changed by edit(xml) -> xml."""
    path = HERE / name
    wb = Workbook()
    ws = wb.active
    ws.title = "单位"
    for row in rows:
        ws.append(row)
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    parts[SHEET] = edit(parts[SHEET])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for part, data in parts.items():
            z.writestr(part, data)


def main() -> None:
    # Formulas at the edge of the expression language.
    formula_system("formula-terms.yaml", "+".join(["a"] * 20_000))  # twenty thousand terms
    formula_system("formula-parens.yaml", "(" * 3000 + "a" + ")" * 3000)  # three thousand nested parentheses
    formula_system("formula-nested.yaml", "ROUND(" * 50 + "a" + ")" * 50)  # few tokens, 50 levels deep
    formula_system("formula-round.yaml", "ROUND(a, 400)")  # 10**400 overflows a float
    formula_system("formula-text.yaml", 'IF(a > 1, "好", "差")')  # yields text where a score is expected
    formula_system("formula-ok.yaml", "a * 10")  # a good system for the damaged-inputs cases

    # Damaged workbooks.
    (HERE / "junk.xlsx").write_bytes(b"PK\x03\x04 this is a zip header followed by junk, not a workbook\n")
    units = [["unit", "name", "class"], ["U1", "甲", "市级部门"]]
    # Sheet XML cut in the middle of a tag: the zip is valid, the worksheet is not.
    edited("units-broken-sheet.xlsx", units, lambda xml: xml[: len(xml) // 2])
    table = [["一级指标", "二级指标", "分值", "评分标准"], ["服务", "办理率", 10, "按比例"]]
    edited("system-broken-sheet.xlsx", table, lambda xml: xml.replace(b"</sheetData>", b"<row><c r=\"A9\"><v>1"))
    inputs = [["unit", "indicator", "input", "value"], ["U1", "1", "a", 0.5]]
    edited("inputs-broken-sheet.xlsx", inputs, lambda xml: xml[: len(xml) * 2 // 3])
    # One merged range from A3 to XFD200000 in an otherwise two-row file.
    edited(
        "units-merged-xfd.xlsx",
        units,
        lambda xml: xml.replace(
            b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="A3:XFD200000"/></mergeCells>'
        ),
    )
    # One stray cell at XFD200000 (the used area becomes 3.3 billion cells).
    edited(
        "inputs-far-cell.xlsx",
        inputs,
        lambda xml: xml.replace(b"</sheetData>", b'<row r="200000"><c r="XFD200000" t="n"><v>1</v></c></row></sheetData>'),
    )

    # Files saved in GBK (Windows 记事本 / WPS default) where UTF-8 is expected; the Chinese is on line 2.
    gbk = {
        "metrics-map-gbk.yaml": "system: yangjiang-2021-county\n# 映射说明\ninputs: []\n",
        "inspection-map-gbk.yaml": "system: gov-website-check-2019\n# 映射说明\nrows: []\n",
        "inspection-rules-gbk.yaml": "checks: {}\n# 检查规则说明\n",
        "zombie-config-gbk.yaml": "thresholds: {}\n# 筛查条件说明\ncriteria: []\n",
    }
    for name, text in gbk.items():
        (HERE / name).write_bytes(text.encode("gbk"))

    # Found by the fuzz job: a NUL character in a YAML file (PyYAML refused it before the line was known).
    (HERE / "fuzz-yaml-nul.yaml").write_bytes(b"id: nul\nname: \x00\ntotal: 1\n")

    # Survey workbooks: a valid one (for the zombie screening config cases) and one with 1e307 万元.
    form = load_form()
    write_book(form, HERE / "survey-ok.xlsx", {"units": [unit_row()], "systems": [system_row()]})
    money = system_row(**{"项目预算批复总金额": 1e307, "信息系统实际已投入总金额": 1e307, "硬件投入": 1e307})
    write_book(form, HERE / "survey-money-1e307.xlsx", {"units": [unit_row()], "systems": [money]})


if __name__ == "__main__":
    main()
