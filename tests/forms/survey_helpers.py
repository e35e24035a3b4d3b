"""Shared builders for the forms tests: a workbook with the form's headers and given rows (written with openpyxl)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from govassess.forms.model import Form

# Published example codes (not produced by our code):
# - 91110000600037341L: the 统一社会信用代码 in python-stdnum's stdnum.cn.uscc documentation.
# - 11010519491231002X: the 公民身份号码 example of GB 11643-1999.
USCC_OK = "91110000600037341L"
ID_OK = "11010519491231002X"


def unit_row(name: str = "白山市审计局", parent: str | None = None, **over: Any) -> dict[str, Any]:
    row = {
        "单位名称": name,
        "所属部门": parent,
        "地址": "吉林省白山市浑江区民中街15号",
        "统一社会信用代码": USCC_OK,
        "性质": "行政",
        "联系人": "张三",
        "联系方式": "0439-3222222-101",
    }
    row.update(over)
    return row


def system_row(dept: str = "白山市审计局", name: str = "审计业务管理系统", **over: Any) -> dict[str, Any]:
    row = {
        "部门全称": dept,
        "信息系统名称": name,
        "主管科室、单位": "信息中心",
        "主要功能": "审计项目管理、审计档案管理",
        "系统类型": "业务系统",
        "项目资金来源": "财政拨款",
        "预算项目名称": "审计信息化建设项目",
        "预算涉及的年度起": 2015,
        "预算涉及的年度止": 2017,
        "项目立项审批部门": "市发改委",
        "项目立项审批日期": "2015-10-15",
        "承载网络": "电子政务外网",
        "项目预算批复总金额": 120.5,
        "信息系统实际已投入总金额": 100.25,
        "硬件投入": 40,
        "软件投入": 50.25,
        "运行维护费投入": 10,
        "系统状态": "运行中",
        "系统开始使用日期": "2016-03-01",
        "系统开发单位名称": "某某软件有限公司",
        "系统开发单位性质": "民营企业",
        "系统运行维护单位名称": "某某软件有限公司",
        "系统运行维护单位性质": "民营企业",
        "系统运维模式": "现场+远程",
        "与运维单位是否签订运维保密协议": "是",
        "数据来源": "本级各部门报送",
        "数据产生方式": "完全系统产生",
        "数据更新频率": "按天",
        "数据存储量大小": 35.5,
        "数据库名称及版本": "ORACLE 11.0.2.0",
        "数据存放地点": "自有机房",
        "数据存储管理机构": "机关",
        "系统用户范围": "本部门本级",
        "系统数据共享范围": "跨部门共享",
        "系统使用频率": 12000,
        "信息系统安全等级定级情况": "二级",
        "信息系统分级保护定级情况": "未定密",
        "信息系统拟清理、整合情况": "拟共享整合",
        "备注": None,
    }
    row.update(over)
    return row


def write_book(
    form: Form, path: Path, sheets: dict[str, list[dict[str, Any]]], *, headers: str = "header"
) -> Path:
    """Every sheet of the form, header row 1 (``*名称（单位）``), then the given rows (by sheet id)."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in form.sheets:
        ws = wb.create_sheet(sheet.name)
        ws.append([getattr(f, headers) for f in sheet.fields])
        for row in sheets.get(sheet.id, []):
            ws.append([row.get(f.name) for f in sheet.fields])
    wb.save(path)
    return path


def run(argv: list[str]) -> int:
    """The `govassess survey …` commands through this area's register(), as the main CLI runs them."""
    import argparse

    from govassess.errors import UserError
    from govassess.forms.cli import register

    parser = argparse.ArgumentParser(prog="govassess")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UserError as err:
        print(f"错误：{err}")
        return 2


def fill_template(template: Path, out: Path, sheets: dict[str, list[dict[str, Any]]], form: Form) -> Path:
    """Type rows into a downloaded template, below its header, as a filler would."""
    from openpyxl import load_workbook

    wb = load_workbook(template)
    for sheet in form.sheets:
        ws = wb[sheet.name]
        for r, row in enumerate(sheets.get(sheet.id, []), 2):
            for c, f in enumerate(sheet.fields, 1):
                if row.get(f.name) is not None:
                    ws.cell(row=r, column=c, value=row[f.name])
    wb.save(out)
    return out
