"""The report model and its Word renderings, read back with python-docx (numbers worked out in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import docx
import pytest
from reporttools import system

from govassess.errors import UserError
from govassess.reports.model import build_model
from govassess.reports.template import load_template
from govassess.reports.word import write_bulletin, write_full_report, write_scorecard


def model(rounds: tuple[dict[str, Any], dict[str, Any]], **kw: Any) -> Any:
    current, previous = rounds
    return build_model(current, system(), previous=previous, **kw)


def table_rows(table: Any) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def find_table(document: Any, first_header: list[str]) -> list[list[str]]:
    for t in document.tables:
        rows = table_rows(t)
        if rows[0][: len(first_header)] == first_header:
            return rows
    raise AssertionError(f"no table starting with {first_header}")


def headings(document: Any) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]


def all_text(document: Any) -> str:
    parts = [p.text for p in document.paragraphs]
    for t in document.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    for s in document.sections:
        parts += [p.text for p in s.header.paragraphs] + [p.text for p in s.footer.paragraphs]
    return "\n".join(parts)


# --- the model -------------------------------------------------------------------------------------------

def test_model_ranks_ties_averages_and_changes(rounds):
    m = model(rounds)
    (section,) = m.classes
    assert [(u.code, u.rank, u.tied, u.rank_text) for u in section.units] == [
        ("U1", 1, False, "第1"), ("U2", 2, True, "并列第2"), ("U3", 2, True, "并列第2"), ("U4", 4, False, "第4")]
    assert section.average == 82.5  # (96 + 87 + 87 + 60) / 4
    assert (section.best, section.lowest) == (96, 60)
    assert [u.code for u in section.leading] == ["U1"] and [u.code for u in section.lagging] == ["U4"]
    u2 = m.unit("U2")
    a, b = u2.first_level
    assert (a.code, a.score, a.class_average, a.class_best) == ("A", 47, 48, 60)  # (60+47+55+30)/4 = 48
    assert (b.code, b.score, b.class_average, b.class_best) == ("B", 40, 34.5, 40)  # (36+40+32+30)/4 = 34.5
    assert [c.code for c in a.children] == ["A1"]
    # previous round 80 (3rd) → 87 (2nd); A was 32 + 10 = 42, now 47
    assert (u2.previous_score, u2.change, u2.previous_rank, u2.rank_change) == (80, 7, 3, 1)
    assert a.change == 5
    assert m.unit("U3").change == -1 and m.unit("U3").rank_change == 0


def test_suggestions_grouped_by_lead_department_biggest_loss_first(rounds):
    u4 = model(rounds).unit("U4")
    assert [(lp.code, lp.lost) for lp in u4.lost] == [("1", 20), ("2", 10), ("3", 10)]
    assert [(g.heading, [i.code for i in g.items]) for g in u4.suggestions] == [
        ("数据资源科", ["1"]), ("审批科", ["2"]), ("未指定牵头科室", ["3"])]


def test_indicator_sections_count_common_weaknesses(rounds):
    a, b = model(rounds).indicator_sections
    # A: leaf 2 lost by U2 (5), U3 (5), U4 (10) → 3 units, 20/3 = 6.67; leaf 1 by U2 (8), U4 (20) → 14
    assert [(w.code, w.units, w.applicable, w.average_lost) for w in a.weaknesses] == [("2", 3, 4, 6.67),
                                                                                       ("1", 2, 4, 14.0)]
    assert (a.full_marks, a.applicable) == (1, 4)  # only U1 has 60
    assert [(w.code, w.units, w.average_lost) for w in b.weaknesses] == [("3", 3, 7.33)]  # (4 + 8 + 10) / 3


def test_results_of_another_system_are_refused(rounds):
    current, _ = rounds
    other = {**current, "system": {**current["system"], "id": "yangjiang-2021-dept"}}
    with pytest.raises(UserError, match="yangjiang-2021-dept.*report-test"):
        build_model(other, system())
    with pytest.raises(UserError, match="上一轮"):
        build_model(current, system(), previous=other)
    with pytest.raises(UserError, match="没有单位 U9"):
        build_model(current, system(), reader="U9")


# --- 通报 ---------------------------------------------------------------------------------------------

def test_bulletin_ranking_table_carries_the_hand_computed_numbers(tmp_path, rounds):
    path = tmp_path / "b.docx"
    write_bulletin(model(rounds), load_template(None), path)
    d = docx.Document(str(path))
    rows = find_table(d, ["名次", "单位", "总分"])
    assert rows[0] == ["名次", "单位", "总分", "支撑能力（60分）", "服务成效（40分）", "等次", "较上轮", "上轮名次"]
    assert rows[1:] == [
        ["1", "单位甲", "96.00", "60.00", "36.00", "优秀", "+6.00", "1"],
        ["2（并列）", "单位乙", "87.00", "47.00", "40.00", "良好", "+7.00", "3"],
        ["2（并列）", "单位丙", "87.00", "55.00", "32.00", "良好", "-1.00", "2"],
        ["4", "单位丁", "60.00", "30.00", "30.00", "合格", "-1.00", "4"],
    ]
    assert ("Heading 1", "一、评估方法") in headings(d)
    assert ("Heading 1", "二、评估结果") in headings(d)
    assert ("Heading 2", "（一）市级部门") in headings(d)
    assert d.paragraphs[0].style.name == "Title"
    text = all_text(d)
    assert "市级部门中，单位甲得分位居前列；单位丁得分相对靠后" in text
    assert "系统统计、网上抓取" in text  # the data sources the system names, in the method paragraph
    captions = [p.text for p in d.paragraphs if p.style.name == "Caption"]
    assert captions == ["表 1  2021年下半年市级部门得分及排名"]
    # East Asian font set on the body style
    rfonts = d.styles["Normal"].element.rPr.rFonts
    assert rfonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "宋体"


def test_anonymised_bulletin_names_only_the_readers_unit(tmp_path, rounds):
    path = tmp_path / "b.docx"
    write_bulletin(model(rounds, anonymise=True, reader="U2"), load_template(None), path)
    text = all_text(docx.Document(str(path)))
    assert "单位乙" in text
    for other in ("单位甲", "单位丙", "单位丁"):
        assert other not in text
    rows = find_table(docx.Document(str(path)), ["名次", "单位"])
    assert [r[1] for r in rows[1:]] == ["U1", "单位乙", "U3", "U4"]


def test_internal_option_puts_a_header_mark_and_a_watermark(tmp_path, rounds):
    path = tmp_path / "b.docx"
    write_bulletin(model(rounds), load_template(None), path, internal=True)
    header = docx.Document(str(path)).sections[0].header
    assert "内部资料 注意保密" in header.paragraphs[0].text
    assert 'string="内部"' in header._element.xml
    plain = tmp_path / "p.docx"
    write_bulletin(model(rounds), load_template(None), plain)
    assert "内部" not in docx.Document(str(plain)).sections[0].header._element.xml


def test_template_changes_title_office_and_fixed_wording(tmp_path, rounds):
    tpl_file = tmp_path / "t.yaml"
    tpl_file.write_text("office: 阳江市政务服务数据管理局\nbulletin_title: 关于{round}评估结果的通报\n"
                        "document_number: 阳政数〔2021〕8号\nbulletin_closing: 请各单位于{date}前报送整改情况。\n"
                        "date: 2021年9月1日\n", encoding="utf-8")
    path = tmp_path / "b.docx"
    write_bulletin(model(rounds), load_template(tpl_file), path)
    d = docx.Document(str(path))
    assert d.paragraphs[0].text == "关于2021年下半年评估结果的通报"
    text = all_text(d)
    assert "阳政数〔2021〕8号" in text and "请各单位于2021年9月1日前报送整改情况。" in text
    assert d.sections[0].header.paragraphs[0].text == "阳江市政务服务数据管理局"


@pytest.mark.parametrize(("content", "message"), [
    ("titel: x\n", "不认识的模板键「titel」"),
    ("bulletin_title: 关于{rnd}的通报\n", r"不认识的占位符 \{rnd\}"),
    ("bulletin_title: 关于{round的通报\n", "花括号不成对"),
    ("logo: missing.png\n", "标志图片"),
    ("- a\n", "映射"),
])
def test_bad_template_is_a_located_error(tmp_path, content, message):
    f = tmp_path / "t.yaml"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(UserError, match=message) as err:
        load_template(f)
    assert str(f) in str(err.value)


def test_template_saved_as_gbk_is_refused_with_a_hint(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_bytes("office: 阳江市政务服务数据管理局\n".encode("gbk"))
    with pytest.raises(UserError, match="GBK"):
        load_template(f)


# --- 成绩单 -------------------------------------------------------------------------------------------

def test_scorecard_lists_scores_against_class_lost_points_and_suggestions(tmp_path, rounds):
    path = tmp_path / "u4.docx"
    write_scorecard(model(rounds), load_template(None), "U4", path)
    d = docx.Document(str(path))
    overall = dict(r for r in find_table(d, ["项目", "结果"])[1:])
    assert overall["总分"] == "60.00" and overall["名次"] == "第4（市级部门共4个单位）" and overall["等次"] == "合格"
    assert overall["2021年上半年得分"] == "61.00" and overall["总分变化"] == "-1.00" and overall["名次变化"] == "持平"
    rows = find_table(d, ["指标", "满分", "得分", "同类平均", "同类最高", "较上轮"])
    # A: 20 + 10 = 30 (previous 20 + 12 = 32); B: 30 (previous 29); A1 equals A, B1 equals B
    assert rows[1:] == [
        ["A 支撑能力", "60", "30.00", "48.00", "60.00", "-2.00"],
        ["    A1 数据支撑", "60", "30.00", "48.00", "60.00", "-2.00"],
        ["B 服务成效", "40", "30.00", "34.50", "40.00", "+1.00"],
        ["    B1 用户评价", "40", "30.00", "34.50", "40.00", "+1.00"],
    ]
    lost = find_table(d, ["编码", "指标", "失分", "原因"])
    assert [r[:3] for r in lost[1:]] == [["1", "证照签发率", "20.00"], ["2", "印章使用", "10.00"],
                                         ["3", "好评率", "10.00"]]
    assert "签发率 50%，得分 = 40 × 比率" in lost[1][3]  # the rule's own explanation
    assert "未提供材料" in lost[2][3]  # the reviewer's reason
    hs = headings(d)
    assert [t for s, t in hs if s == "Heading 2"] == ["数据资源科", "审批科", "未指定牵头科室"]
    text = all_text(d)
    assert "本轮共有3项指标失分，合计失分40.00分" in text
    assert "评估电子证照签发情况" in text  # 整改建议 cites the indicator's 评估要点


def test_scorecard_radar_needs_three_first_level_indicators(tmp_path, rounds):
    # This system has two first-level indicators: a radar of two axes says nothing, so none is drawn.
    path = tmp_path / "u1.docx"
    write_scorecard(model(rounds), load_template(None), "U1", path)
    assert len(docx.Document(str(path)).inline_shapes) == 0


# --- 评估报告 -----------------------------------------------------------------------------------------

def test_full_report_structure(tmp_path, rounds):
    path = tmp_path / "full.docx"
    write_full_report(model(rounds), load_template(None), path)
    d = docx.Document(str(path))
    level1 = [t for s, t in headings(d) if s == "Heading 1"]
    assert level1 == ["一、总体情况", "二、分项分析", "三、各单位成绩单", "附录  指标体系与评分规则"]
    level2 = [t for s, t in headings(d) if s == "Heading 2"]
    assert level2[-4:] == ["单位甲（市级部门）", "单位乙（市级部门）", "单位丙（市级部门）", "单位丁（市级部门）"]
    assert "（一）支撑能力" in level2 and "（二）服务成效" in level2
    assert 'TOC \\o "1-2"' in d.element.xml  # a real contents field
    overview = find_table(d, ["类别", "单位数", "平均分", "最高分", "最低分"])
    assert overview[1] == ["市级部门", "4", "82.50", "96.00", "60.00"]
    weak = find_table(d, ["编码", "指标", "失分单位数", "适用单位数", "平均失分"])
    assert weak[1:] == [["2", "印章使用", "3", "4", "6.67"], ["1", "证照签发率", "2", "4", "14.00"]]
    appendix = find_table(d, ["编码", "指标", "层级", "分值", "类型", "计分方式"])
    leaf1 = next(r for r in appendix if r[0] == "1")
    assert leaf1 == ["1", "证照签发率", "3", "40", "常规", "比率计分", "评估电子证照签发情况", "系统统计", "数据资源科"]
    # distribution, ranking bar and change charts (heat map too): pictures, each with a caption
    figures = [p.text for p in d.paragraphs if p.style.name == "Caption" and p.text.startswith("图")]
    assert len(d.inline_shapes) == len(figures) >= 4


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_full_report_with_only_the_readers_own_pages(tmp_path, rounds, fmt):
    # A unit's published version (web): others as codes, and only its own per-unit page; the overview and
    # rankings still list every unit (by code). The default (own_pages None) is test_full_report_structure.
    import subprocess

    from govassess.reports.typeset import PdfDocument, require_fonts

    m = model(rounds, anonymise=True, reader="U2")
    path = tmp_path / f"u2.{fmt}"
    if fmt == "docx":
        write_full_report(m, load_template(None), path, own_pages=["U2"])
        d = docx.Document(str(path))
        level2 = [t for s, t in headings(d) if s == "Heading 2"]
        assert level2[-1] == "单位乙（市级部门）" and "U1（市级部门）" not in level2 and "U3（市级部门）" not in level2
        text = all_text(d)
    else:
        try:
            require_fonts()
        except UserError:
            pytest.skip("CJK fonts missing")
        write_full_report(m, load_template(None), path, own_pages=["U2"], document=PdfDocument)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        assert "单位乙（市级部门）" in text and "U1（市级部门）" not in text and "U4（市级部门）" not in text
    assert "本版本只收录本单位的成绩单" in text
    assert "单位甲" not in text and "单位丙" not in text and "单位丁" not in text
    ranking = [line for line in text.splitlines() if line.strip() in ("U1", "U3", "U4")]
    assert ranking  # the others are still in the ranking, as codes


def test_docs_list_every_template_key():
    from govassess.reports.template import DEFAULT_TEXTS, OTHER_KEYS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "reports.md").read_text(encoding="utf-8")
    for key in [*DEFAULT_TEXTS, *OTHER_KEYS]:
        assert f"| `{key}` |" in doc, key


def test_markup_like_names_and_control_characters_stay_text(tmp_path, rounds):
    import copy

    current, previous = copy.deepcopy(rounds[0]), rounds[1]
    odd = '<w:t>甲&"乙"</w:t> =HYPERLINK("x")'
    current["units"][0]["name"] = odd
    current["units"][3]["lost"][0]["reason"] = "签发率\x0b 50%"  # a vertical tab is not allowed in XML
    m = build_model(current, system(), previous=previous)
    path = tmp_path / "b.docx"
    write_bulletin(m, load_template(None), path)
    rows = find_table(docx.Document(str(path)), ["名次", "单位"])
    assert rows[1][1] == odd
    card = tmp_path / "u4.docx"
    write_scorecard(m, load_template(None), "U4", card)
    lost = find_table(docx.Document(str(card)), ["编码", "指标", "失分", "原因"])
    assert lost[1][3] == "签发率 50%"


def test_missing_inputs_are_named_as_the_user_reads_them(tmp_path, rounds):
    # The results name a missing reviewer score by its identifier "score" with the label 评分 beside it (the
    # engine adds the label only where the two differ): the 成绩单 shows the label, never the identifier.
    import copy

    current, previous = copy.deepcopy(rounds)
    u4 = next(u for u in current["units"] if u["unit"] == "U4")
    u4["missing"] = [{"indicator": "2", "input": "score", "label": "评分"}, {"indicator": "1", "input": "签发率"}]
    path = tmp_path / "u4.docx"
    write_scorecard(build_model(current, system(), previous=previous), load_template(None), "U4", path)
    text = all_text(docx.Document(str(path)))
    assert "以下输入缺少数据，已按 0 分计：指标 2 的「评分」；指标 1 的「签发率」。" in text
    assert "score" not in text
