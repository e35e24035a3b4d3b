"""Form definitions: import with located Chinese errors, built-in forms, export and read back."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from qhelpers import SMALL_CHOICES, SMALL_SURVEY, write_form

from govassess import expr
from govassess.errors import UserError
from govassess.questionnaire import builtin_form, load_form
from govassess.questionnaire import write_form as export_form


def _problems(path):
    with pytest.raises(UserError) as e:
        load_form(path)
    return e.value.problems


def test_valid_form_reads_types_required_relevant_and_settings(tmp_path):
    form = load_form(write_form(tmp_path / "f.xlsx"))
    assert form.names == ("一次办成", "态度", "指南", "等候", "总体", "意见")
    q = {q.name: q for q in form.questions}
    assert q["一次办成"].type == "select_one" and q["一次办成"].list_name == "是否" and q["一次办成"].required
    assert [c.name for c in form.choices["是否"]] == ["是", "否"]
    assert q["态度"].type == "likert5" and q["态度"].index and q["态度"].scale == 5
    assert not q["指南"].required
    # "." in a constraint is the question itself
    assert expr.names(q["等候"].constraint_node) == {"等候"}
    assert expr.evaluate(q["等候"].constraint_node, {"等候": 601.0}) is False
    assert len(q["意见"].relevant_nodes) == 1
    assert form.settings.form_id == "small" and form.settings.overall == "总体" and form.settings.min_sample == 3
    assert form.satisfied_min() == 4 and form.dissatisfied_max() == 2


def test_xlsform_english_sheets_columns_and_references(tmp_path):
    survey = [["select_one yn", "ok", "OK?", "yes", "", "", ""],
              ["begin group", "g", "组", "", "${ok} = 'n'", "", ""],
              ["text", "why", "为什么", "true", "", "", ""],
              ["end group", "", "", "", "", "", ""]]
    path = write_form(tmp_path / "x.xlsx", survey, [["yn", "y", "是"], ["yn", "n", "否"]],
                      [["form_id", "overall"], ["x", ""]],
                      survey_header=["type", "name", "label", "required", "relevant", "constraint", "constraint_message"],
                      sheet_names=("survey", "choices", "settings"))
    form = load_form(path)
    why = form.question("why")
    assert why.group == "g" and why.required
    assert expr.evaluate(why.relevant_nodes[0], {"ok": "n"}) is True
    assert form.groups[0].relevant == "${ok} = 'n'"
    assert form.settings.form_id == "x"


def test_missing_choices_list_is_located(tmp_path):
    survey = [*SMALL_SURVEY, ["单选 办理渠道", "渠道", "渠道", "", "", "", ""]]
    (p,) = _problems(write_form(tmp_path / "f.xlsx", survey))
    assert (p.sheet, p.row, p.column) == ("问题", 8, "类型")  # header row 1 + 6 rows + this one
    assert "选项列表「办理渠道」在「选项」工作表中不存在" in p.message and "已有：是否" in p.message


def test_bad_skip_logic_expression_is_located(tmp_path):
    survey = [*SMALL_SURVEY[:5], ["文本", "意见", "意见建议", "", "总体 <= ", "", ""]]
    (p,) = _problems(write_form(tmp_path / "f.xlsx", survey))
    assert (p.sheet, p.row, p.column) == ("问题", 7, "显示条件")
    assert p.message.startswith("表达式「总体 <=」有误：")
    assert str(p).startswith(f"文件 {tmp_path / 'f.xlsx'}，工作表「问题」，第 7 行，列「显示条件」")


def test_reference_to_unknown_question_is_located(tmp_path):
    survey = [*SMALL_SURVEY[:5], ["文本", "意见", "意见建议", "", "总满意度 <= 2", "", ""]]
    (p,) = _problems(write_form(tmp_path / "f.xlsx", survey))
    assert (p.row, p.column) == (7, "显示条件")
    assert "引用了问卷中没有的题目：总满意度" in p.message


def test_unknown_type_duplicate_name_and_empty_label_all_reported(tmp_path):
    survey = [["单选 是否", "一次办成", "是否一次办成？", "是", "", "", ""],
              ["星级", "星", "打几颗星", "", "", "", ""],
              ["五级量表", "一次办成", "重复的名称", "", "", "", ""],
              ["五级量表", "态度", "", "", "", "", ""]]
    problems = _problems(write_form(tmp_path / "f.xlsx", survey, settings=[["设置项", "值"]]))
    where = [(p.row, p.column) for p in problems]
    assert (3, "类型") in where and (4, "名称") in where and (5, "题目") in where
    text = {p.row: p.message for p in problems}
    assert "未知的题型「星级」" in text[3] and "五级量表（likert5）" in text[3]
    assert text[4] == "名称「一次办成」重复（已在第 2 行使用）"
    assert text[5] == "题目「态度」的题目文字不能为空"


def test_settings_and_choices_problems_are_located(tmp_path):
    settings = [["设置项", "值"], ["总体满意度题", "一次办成"], ["最低样本量", "三十"], ["允许误差", "5"]]
    choices = [*SMALL_CHOICES, ["是否", "是", "重复"]]
    problems = _problems(write_form(tmp_path / "f.xlsx", choices=choices, settings=settings))
    by_sheet = {(p.sheet, p.row): p.message for p in problems}
    assert "选项值「是」重复（已在第 2 行出现）" in by_sheet[("选项", 4)]
    assert by_sheet[("设置", 2)] == "总体满意度题「一次办成」应为五级或十级量表题"
    assert "最低样本量应为正整数" in by_sheet[("设置", 3)]
    assert "允许误差应在 0 到 1 之间" in by_sheet[("设置", 4)]


def test_unbalanced_groups_and_missing_sheet(tmp_path):
    survey = [["分组开始", "g", "组", "", "", "", ""], ["文本", "t", "文字", "", "", "", ""]]
    (p,) = _problems(write_form(tmp_path / "f.xlsx", survey, settings=[["设置项", "值"]]))
    assert p.row == 2 and "分组「g」没有分组结束" in p.message
    path = write_form(tmp_path / "g.xlsx", sheet_names=("问卷", "选项", "设置"))
    (p,) = _problems(path)
    assert "找不到问题工作表" in p.message


@pytest.mark.parametrize("form_id", ["satisfaction", "visit"])
def test_builtin_forms_export_and_read_back_equal(tmp_path, form_id):
    form = builtin_form(form_id)
    path = tmp_path / f"{form_id}.xlsx"
    export_form(form, path)
    back = load_form(path)
    assert back.questions == form.questions
    assert back.groups == form.groups
    assert back.choices == form.choices
    assert back.settings == form.settings
    wb = load_workbook(path)
    assert wb.sheetnames == ["问题", "选项", "设置"]
    assert [c.value for c in wb["问题"][1]][:3] == ["类型", "名称", "题目"]


def test_builtin_satisfaction_has_the_briefed_questions():
    form = builtin_form("satisfaction")
    assert 18 <= len(form.questions) <= 24
    for name in ("办事指南清晰度", "等候时间", "工作人员态度", "一次办成", "网上办理便利度", "总体满意度", "意见建议"):
        assert name in form.names
    assert form.settings.overall == "总体满意度" and not form.question("总体满意度").index
    # the online items are asked only of those who used the online channel
    node = form.question("网上办理便利度").relevant_nodes[0]
    assert expr.evaluate(node, {"办理渠道": "网上"}) is True
    assert expr.evaluate(node, {"办理渠道": "窗口"}) is False


def test_edited_copy_is_checked_like_any_form(tmp_path):
    path = tmp_path / "copy.xlsx"
    export_form(builtin_form("satisfaction"), path)
    wb = load_workbook(path)
    ws = wb["问题"]
    ws.cell(row=3, column=1, value="单选 渠道列表")  # the office renamed a list in one place only
    wb.save(path)
    (p,) = _problems(path)
    assert (p.sheet, p.row, p.column) == ("问题", 3, "类型") and "渠道列表" in p.message
