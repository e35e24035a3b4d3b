"""Template workbook, `survey check/import/summary`, and the 汇总表 roll-up."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from survey_helpers import fill_template, run, system_row, unit_row, write_book

from govassess.forms.summary import survey_summary
from govassess.forms.survey import survey_validate

UNITS = [unit_row("白山市审计局"), unit_row("白山市审计局信息中心", "白山市审计局"), unit_row("白山市财政局")]
SYSTEMS = [
    system_row("白山市审计局", "审计业务管理系统"),  # 业务系统, 实际已投入 100.25 (40 + 50.25 + 10)
    system_row(
        "白山市审计局信息中心",
        "机关办公系统",
        系统类型="办公系统",
        信息系统实际已投入总金额=20.10,
        硬件投入=10,
        软件投入=10,
        运行维护费投入=0.10,
    ),
    system_row(
        "白山市财政局",
        "财政门户网站",
        系统类型="门户网站",
        信息系统实际已投入总金额=30,
        硬件投入=10,
        软件投入=10,
        运行维护费投入=10,
    ),
]


def test_template_structure(form, tmp_path):
    out = tmp_path / "t.xlsx"
    assert run(["survey", "template", "info-system-survey", "--out", str(out)]) == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["填表说明"] + [s.name for s in form.sheets]
    ws = wb["政务信息系统基本情况表"]
    assert ws.freeze_panes == "A2"
    headers = [c.value for c in ws[1]]
    assert len(headers) == 39
    assert headers[0] == "*部门全称" and "*信息系统实际已投入总金额（万元）" in headers
    type_col = headers.index("*系统类型") + 1
    assert "办公系统、门户网站、业务系统" in ws.cell(row=1, column=type_col).comment.text
    lists = {dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert '"办公系统,门户网站,业务系统"' in lists
    assert '"电子政务内网,电子政务外网,电子政务专网,其他自建网络,单机运行"' in lists
    # Formats are the columns' own (a cell typed there takes it in Excel and WPS), and no row below the
    # header exists until the clerk types into it.
    column_format = {ws.title: {get_column_letter(i): ws.column_dimensions[get_column_letter(i)].number_format
                                for i in range(1, ws.max_column + 1)} for ws in wb.worksheets[1:]}
    amount_col = get_column_letter(headers.index("*硬件投入（万元）") + 1)
    assert column_format[ws.title][amount_col] == "0.00"
    date_col = get_column_letter(headers.index("项目立项审批日期") + 1)
    assert column_format[ws.title][date_col] == "yyyy-mm-dd"
    code_col = get_column_letter([c.value for c in wb["单位基本情况"][1]].index("*统一社会信用代码") + 1)
    assert column_format["单位基本情况"][code_col] == "@"
    assert ws.max_row == 1


def test_filled_template_validates(form, tmp_path):
    template = tmp_path / "t.xlsx"
    run(["survey", "template", "--out", str(template)])
    filled = fill_template(template, tmp_path / "f.xlsx", {"units": UNITS, "systems": SYSTEMS}, form)
    assert run(["survey", "check", str(filled)]) == 0
    data = survey_validate(filled, form=form)
    assert len(data.rows("systems")) == 3


def test_summary_rolls_sub_units_into_department(form, tmp_path):
    data = survey_validate(
        write_book(form, tmp_path / "a.xlsx", {"units": UNITS, "systems": SYSTEMS}), form=form
    )
    rows = {r["部门"]: r for r in survey_summary([data])}
    assert set(rows) == {"白山市审计局", "白山市财政局", "合计"}
    audit = rows["白山市审计局"]
    # 审计局 + 信息中心: 2 units, 2 systems (1 业务 + 1 办公), 100.25 + 20.10 = 120.35 万元
    assert (audit["单位数"], audit["信息系统数"], audit["业务系统数"], audit["办公系统数"]) == (2, 2, 1, 1)
    assert audit["信息系统实际已投入总金额"] == pytest.approx(120.35)
    assert audit["运行维护费投入"] == pytest.approx(10.10)  # 10 + 0.10
    assert rows["白山市财政局"]["门户网站数"] == 1
    # 合计: 3 units, 3 systems, 120.35 + 30 = 150.35
    assert rows["合计"]["单位数"] == 3 and rows["合计"]["信息系统数"] == 3
    assert rows["合计"]["信息系统实际已投入总金额"] == pytest.approx(150.35)


def test_summary_command_merges_workbooks(form, tmp_path):
    a = write_book(form, tmp_path / "a.xlsx", {"units": UNITS[:2], "systems": SYSTEMS[:2]})
    b = write_book(form, tmp_path / "b.xlsx", {"units": UNITS[2:], "systems": SYSTEMS[2:]})
    out = tmp_path / "summary.xlsx"
    assert run(["survey", "summary", str(a), str(b), "--out", str(out)]) == 0
    ws = load_workbook(out).active
    assert ws.title == "汇总表"
    header = [c.value for c in ws[1]]
    got = {r[0]: dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert got["白山市审计局"]["信息系统数"] == 2
    assert got["合计"]["信息系统实际已投入总金额（万元）"] == pytest.approx(150.35)


def test_import_all_or_nothing(form, tmp_path, capsys):
    bad = write_book(
        form, tmp_path / "bad.xlsx", {"units": UNITS, "systems": [system_row(信息系统分级保护定级情况="绝密")]}
    )
    out = tmp_path / "out"
    assert run(["survey", "import", str(bad), "--out", str(out)]) == 2
    assert not out.exists()
    text = capsys.readouterr().out
    assert "工作表「政务信息系统基本情况表」" in text and "第 2 行" in text and "列「信息系统分级保护定级情况」" in text
    good = write_book(form, tmp_path / "good.xlsx", {"units": UNITS, "systems": SYSTEMS})
    assert run(["survey", "import", str(good), "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows"]["systems"] == 3 and manifest["rows"]["units"] == 3
    lines = (out / "systems.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("行号,部门全称,信息系统名称")
    assert "2015-10-15" in lines[1]


def test_check_reports_problems_of_every_file(form, tmp_path, capsys):
    a = write_book(form, tmp_path / "a.xlsx", {"units": UNITS, "systems": [system_row(系统类型="x")]})
    b = write_book(form, tmp_path / "b.xlsx", {"units": UNITS, "systems": [system_row(硬件投入=-5)]})
    assert run(["survey", "check", str(a), str(b)]) == 2
    text = capsys.readouterr().out
    assert "文件 a.xlsx" in text and "文件 b.xlsx" in text


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_resave_keeps_template_importable(form, tmp_path):
    template = tmp_path / "t.xlsx"
    run(["survey", "template", "--out", str(template)])
    filled = fill_template(template, tmp_path / "filled.xlsx", {"units": UNITS, "systems": SYSTEMS}, form)
    outdir = tmp_path / "lo"
    outdir.mkdir()
    env_home = tmp_path / "home"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{env_home}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(outdir),
            str(filled),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    resaved = outdir / "filled.xlsx"
    data = survey_validate(resaved, form=form)
    assert len(data.rows("systems")) == 3 and len(data.rows("units")) == 3
    assert data.rows("systems")[0]["项目立项审批日期"].isoformat() == "2015-10-15"
    wb = load_workbook(resaved)
    lists = {
        dv.formula1
        for dv in wb["政务信息系统基本情况表"].data_validations.dataValidation
        if dv.type == "list"
    }
    assert '"办公系统,门户网站,业务系统"' in lists
