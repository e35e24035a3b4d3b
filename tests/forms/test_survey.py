"""Validation of filled workbooks against the seed's 填表说明 rules."""

from __future__ import annotations

import datetime as dt

import pytest
from survey_helpers import system_row, unit_row, write_book

from govassess.errors import UserError
from govassess.forms.survey import survey_validate


def _book(form, tmp_path, systems=None, units=None, **other):
    sheets = {
        "units": units
        if units is not None
        else [unit_row(), unit_row("白山市审计局信息中心", "白山市审计局")],
        "systems": systems if systems is not None else [system_row()],
    }
    sheets.update(other)
    return write_book(form, tmp_path / "survey.xlsx", sheets)


def _problems(form, path):
    with pytest.raises(UserError) as err:
        survey_validate(path, form=form)
    return err.value.problems


def test_valid_workbook(form, tmp_path):
    data = survey_validate(_book(form, tmp_path), form=form)
    assert len(data.rows("units")) == 2
    (row,) = data.rows("systems")
    assert row["信息系统实际已投入总金额"] == 100.25
    assert row["项目立项审批日期"] == dt.date(2015, 10, 15)
    assert row["预算涉及的年度起"] == 2015


def test_sum_of_parts_must_equal_total(form, tmp_path):
    # 41 + 50.25 + 10 = 101.25 ≠ 100.25
    (p,) = _problems(form, _book(form, tmp_path, [system_row(硬件投入=41)]))
    assert (p.sheet, p.row, p.column) == ("政务信息系统基本情况表", 2, "信息系统实际已投入总金额")
    assert "合计相等" in p.message and "101.25 ≠ 100.25" in p.message


def test_budget_years_in_order_and_not_after_cutoff(form, tmp_path):
    rows = [
        system_row(name="甲", 预算涉及的年度起=2017, 预算涉及的年度止=2016),
        system_row(name="乙", 预算涉及的年度起=2016, 预算涉及的年度止=2018),
    ]
    problems = _problems(form, _book(form, tmp_path, rows))
    assert [(p.row, p.column) for p in problems] == [(2, "预算涉及的年度止"), (3, "预算涉及的年度止")]
    assert "调查截止年度（2017）" in problems[1].message


def test_no_budget_needs_no_years(form, tmp_path):
    row = system_row(
        预算项目名称="无预算", 预算涉及的年度起=None, 预算涉及的年度止=None, 项目预算批复总金额=None
    )
    survey_validate(_book(form, tmp_path, [row]), form=form)
    (p, q) = _problems(
        form, _book(form, tmp_path, [system_row(预算涉及的年度起=None, 预算涉及的年度止=None)])
    )
    assert {p.column, q.column} == {"预算涉及的年度起", "预算涉及的年度止"}


def test_independent_operation_needs_a_reason(form, tmp_path):
    (p,) = _problems(form, _book(form, tmp_path, [system_row(**{"信息系统拟清理、整合情况": "拟独立运行"})]))
    assert p.column == "备注" and "依据理由" in p.message
    ok = system_row(
        **{"信息系统拟清理、整合情况": "拟独立运行", "备注": "涉及垂直管理业务，上级要求独立运行"}
    )
    survey_validate(_book(form, tmp_path, [ok]), form=form)


def test_user_scope_matches_data_source(form, tmp_path):
    # “如系统用户范围为科室或单位内部数据来源应为本部门本级，如系统用户范围为本部门本级数据来源应为本级各部门报送”
    rows = [
        system_row(name="甲", 系统用户范围="科室或单位内部", 数据来源="本级各部门报送"),
        system_row(name="乙", 系统用户范围="本部门本级", 数据来源="本部门产生"),
        system_row(name="丙", 系统用户范围="科室或单位内部", 数据来源="本部门产生"),
        system_row(name="丁", 系统用户范围="社会公众", 数据来源="企业报送"),
    ]
    problems = _problems(form, _book(form, tmp_path, rows))
    assert [(p.row, p.column) for p in problems] == [(2, "数据来源"), (3, "数据来源")]


def test_amounts_not_negative_and_two_decimals(form, tmp_path):
    rows = [system_row(name="甲", 项目预算批复总金额=-1), system_row(name="乙", 项目预算批复总金额=12.345)]
    problems = _problems(form, _book(form, tmp_path, rows))
    assert [(p.row, p.column) for p in problems] == [(2, "项目预算批复总金额"), (3, "项目预算批复总金额")]
    assert "不能小于 0" in problems[0].message and "「-1」" in problems[0].message
    assert "2位小数" in problems[1].message and "「12.345」" in problems[1].message


def test_dates_format_and_cutoff(form, tmp_path):
    rows = [
        system_row(name="甲", 系统开始使用日期="2018-01-01"),
        system_row(name="乙", 系统开始使用日期="2016/3/1"),
        system_row(name="丙", 系统开始使用日期="01-03-2016"),
        system_row(name="丁", 系统开始使用日期=dt.datetime(2016, 3, 1)),
    ]
    problems = _problems(form, _book(form, tmp_path, rows))
    assert [(p.row, p.column) for p in problems] == [(2, "系统开始使用日期"), (4, "系统开始使用日期")]
    assert "2017-12-31" in problems[0].message
    assert "2015-10-15" in problems[1].message


def test_running_system_needs_start_date_and_approved_project_needs_date(form, tmp_path):
    rows = [
        system_row(name="甲", 系统开始使用日期=None),
        system_row(name="乙", 系统状态="建设中", 系统开始使用日期=None),
        system_row(name="丙", 项目立项审批日期=None),
        system_row(name="丁", 项目立项审批部门="其它", 项目立项审批日期=None),
    ]
    problems = _problems(form, _book(form, tmp_path, rows))
    assert [(p.row, p.column) for p in problems] == [(2, "系统开始使用日期"), (4, "项目立项审批日期")]


def test_full_width_digits_spaces_and_aliases_are_accepted(form, tmp_path):
    row = system_row(
        **{
            "信息系统实际已投入总金额": "１００．２５",
            "系统类型": " 业务系统\u3000",
            "信息系统安全等级定级情况": "等待审核中",
            "系统运维模式": "现场＋远程",
        }
    )
    units = [unit_row(联系方式="１３８００１３８０００")]
    data = survey_validate(_book(form, tmp_path, [row], units=units), form=form)
    (got,) = data.rows("systems")
    assert got["信息系统实际已投入总金额"] == 100.25
    assert got["系统类型"] == "业务系统"
    assert got["信息系统安全等级定级情况"] == "等待审核"
    assert got["系统运维模式"] == "现场+远程"


def test_drop_down_value_not_in_list(form, tmp_path):
    (p,) = _problems(form, _book(form, tmp_path, [system_row(系统类型="管理系统")]))
    assert (
        p.column == "系统类型" and "办公系统、门户网站、业务系统" in p.message and "「管理系统」" in p.message
    )


def test_unit_codes_and_phone(form, tmp_path):
    units = [
        unit_row("甲局", 统一社会信用代码="91110000600037341M"),
        unit_row("乙局", 统一社会信用代码="60003734-1", 联系方式="3222222"),
        unit_row("丙局", 地址="吉林省白山市浑江区民中街"),
    ]
    problems = _problems(form, _book(form, tmp_path, [], units=units))
    assert [(p.row, p.column) for p in problems] == [(2, "统一社会信用代码"), (3, "联系方式"), (4, "地址")]
    assert "门牌号" in problems[2].message


def test_department_must_be_registered(form, tmp_path):
    (p,) = _problems(form, _book(form, tmp_path, [system_row(dept="白山市审计")]))
    assert p.column == "部门全称" and "单位基本情况" in p.message


def test_duplicate_system(form, tmp_path):
    (p,) = _problems(form, _book(form, tmp_path, [system_row(), system_row()]))
    assert p.row == 3 and "第 2 行" in p.message


def test_every_problem_is_reported(form, tmp_path):
    rows = [
        system_row(name="甲", 系统类型="x"),
        system_row(name="乙", 硬件投入="abc"),
        system_row(name="丙", 信息系统分级保护定级情况="绝密"),
    ]
    assert len(_problems(form, _book(form, tmp_path, rows))) == 3


def test_missing_sheet_and_missing_required_column(form, tmp_path):
    from openpyxl import load_workbook

    path = _book(form, tmp_path)
    wb = load_workbook(path)
    del wb["网络设施建设情况表"]
    wb["政务信息系统基本情况表"].delete_cols(2)  # 信息系统名称
    wb.save(path)
    problems = _problems(form, path)
    assert any("缺少工作表「网络设施建设情况表」" in p.message for p in problems)
    assert any(p.column == "信息系统名称" and "缺少必填列" in p.message for p in problems)


def test_header_below_a_title_row_and_cutoff_override(form, tmp_path):
    from openpyxl import load_workbook

    path = _book(form, tmp_path, [system_row(系统开始使用日期="2018-06-01", 预算涉及的年度止=2018)])
    wb = load_workbook(path)
    wb["政务信息系统基本情况表"].insert_rows(1)
    wb["政务信息系统基本情况表"]["A1"] = "附表1：政务信息系统基本情况表"
    wb.save(path)
    data = survey_validate(path, form=form, cutoff=dt.date(2018, 12, 31))
    assert data.sheets["systems"].row_numbers == [3]
    problems = _problems(form, path)
    assert {p.row for p in problems} == {3}


def test_not_an_excel_file(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("hello")
    with pytest.raises(UserError) as err:
        survey_validate(path)
    assert "无法读取" in str(err.value)


def test_thousands_separators(form, tmp_path):
    # “1,234.50” is 1234.5; “1,2,3” is not a number.
    rows = [
        system_row(name="甲", 项目预算批复总金额="1,234.50"),
        system_row(name="乙", 项目预算批复总金额="1,2,3"),
    ]
    (p,) = _problems(form, _book(form, tmp_path, rows))
    assert (p.row, p.column) == (3, "项目预算批复总金额") and "「1,2,3」" in p.message


def test_hidden_and_foreign_sheets_are_warnings(form, tmp_path):
    from openpyxl import load_workbook

    path = _book(form, tmp_path)
    wb = load_workbook(path)
    wb["网络设施建设情况表"].sheet_state = "hidden"
    wb.create_sheet("草稿")["A1"] = "随便写的"
    wb.save(path)
    data = survey_validate(path, form=form)
    assert any("网络设施建设情况表" in w and "隐藏" in w for w in data.warnings)
    assert any("草稿" in w and "已忽略" in w for w in data.warnings)


def test_merged_cells_are_located(form, tmp_path):
    from openpyxl import load_workbook

    path = _book(form, tmp_path, [system_row(name="甲"), system_row(name="乙")])
    wb = load_workbook(path)
    wb["政务信息系统基本情况表"].merge_cells("C2:C3")  # 主管科室、单位 of both rows
    wb.save(path)
    problems = _problems(form, path)
    merged = [p for p in problems if "合并单元格" in p.message]
    assert [(p.row, p.column) for p in merged] == [(2, "主管科室、单位")]
    assert "C2:C3" in merged[0].message


def test_forms_core_imports_no_web_code():
    import subprocess
    import sys

    code = (
        "import sys, govassess.forms.services, govassess.forms.cli; "
        "sys.exit(any(m == 'django' or m.startswith('django.') or m.startswith('govassess.web') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
