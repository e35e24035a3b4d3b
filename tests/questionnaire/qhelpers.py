"""Builders of real questionnaire workbooks and responses files for the tests."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from openpyxl import Workbook

SURVEY_HEADER = ["类型", "名称", "题目", "必填", "显示条件", "约束", "约束提示"]
CHOICES_HEADER = ["列表名", "选项值", "选项标签"]

# A small valid form: one yes/no choice, two five-point items and a comment shown only to the unhappy.
SMALL_SURVEY = [
    ["单选 是否", "一次办成", "是否一次办成？", "是", "", "", ""],
    ["五级量表", "态度", "服务态度", "是", "", "", ""],
    ["五级量表", "指南", "办事指南清晰度", "", "", "", ""],
    ["整数", "等候", "等候分钟", "", "", ". >= 0 AND . <= 600", "等候分钟数应在 0 到 600 之间"],
    ["五级量表", "总体", "总体满意度", "是", "", "", ""],
    ["文本", "意见", "意见建议", "", "总体 <= 2", "", ""],
]
SMALL_CHOICES = [["是否", "是", "是"], ["是否", "否", "否"]]
SMALL_SETTINGS = [["设置项", "值"], ["问卷编号", "small"], ["总体满意度题", "总体"], ["最低样本量", "3"]]


def write_form(path: Path, survey: list[list[Any]] | None = None, choices: list[list[Any]] | None = None,
               settings: list[list[Any]] | None = None, *, survey_header: list[str] | None = None,
               sheet_names: tuple[str, str, str] = ("问题", "选项", "设置")) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_names[0]
    ws.append(survey_header or SURVEY_HEADER)
    for r in SMALL_SURVEY if survey is None else survey:
        ws.append(r)
    if choices is not False:
        cs = wb.create_sheet(sheet_names[1])
        cs.append(CHOICES_HEADER)
        for r in SMALL_CHOICES if choices is None else choices:
            cs.append(r)
    ss = wb.create_sheet(sheet_names[2])
    for r in SMALL_SETTINGS if settings is None else settings:
        ss.append(r)
    wb.save(path)
    return path


def write_responses(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    if path.suffix == ".csv":
        with path.open("w", newline="", encoding="utf-8-sig") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        return path
    wb = Workbook()
    ws = wb.active
    ws.title = "回答"
    ws.append(header)
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows():  # a respondent's "=…" is text typed into a text cell, not a formula
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
    wb.save(path)
    return path
