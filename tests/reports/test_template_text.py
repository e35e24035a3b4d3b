"""Templates kept as text (the web platform's 文档模板): checked as a template file is, located by the template's
name; and the default template file the web offers for download (issue 12)."""

from __future__ import annotations

import pytest
import yaml

from govassess.errors import UserError
from govassess.reports.template import (
    DEFAULT_TEXTS,
    ReportTemplate,
    default_template_yaml,
    load_template,
    template_from_text,
)


def test_text_overrides_as_a_file_does(tmp_path):
    text = "office: 阳江市政务服务数据管理局\nbulletin_title: 关于{round}评估结果的通报\n"
    f = tmp_path / "t.yaml"
    f.write_text(text, encoding="utf-8")
    from_text, from_file = template_from_text(text, name="模板「阳江」"), load_template(f)
    assert from_text.texts == from_file.texts and from_text.office == from_file.office == "阳江市政务服务数据管理局"
    assert from_text.texts["bulletin_title"] == "关于{round}评估结果的通报" and from_text.file == "模板「阳江」"
    assert template_from_text("", name="空").texts == ReportTemplate().texts  # an empty text: the defaults


def test_the_logo_comes_apart(tmp_path):
    logo = tmp_path / "标志.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n")
    assert template_from_text("office: 甲办", name="甲", logo=logo).logo == logo
    with pytest.raises(UserError) as e:
        template_from_text("logo: 标志.png\n", name="模板「甲」")
    assert str(e.value) == "文件 模板「甲」，字段 logo：标志图片请单独上传，模板文字中不要写 logo"


@pytest.mark.parametrize(("text", "message"), [
    ("bulletin_title: 关于{foo}\n", "文件 模板「甲」，字段 bulletin_title：不认识的占位符 {foo}"),
    ("titel: x\n", "文件 模板「甲」，字段 titel：不认识的模板键「titel」"),
    ("footer: [\n", "文件 模板「甲」，第 2 行：YAML 格式错误"),
])
def test_problems_name_the_template_not_a_temporary_file(text, message):
    with pytest.raises(UserError) as e:
        template_from_text(text, name="模板「甲」")
    assert str(e.value).startswith(message) and "/tmp" not in str(e.value)


def test_default_template_file_is_the_built_in_wording_with_comments():
    text = default_template_yaml()
    data = yaml.safe_load(text)
    assert set(data) == set(DEFAULT_TEXTS) | {"office", "document_number", "date"}
    for key, (default, _) in DEFAULT_TEXTS.items():
        assert data[key] == default, key
    # Each key has its Chinese comment above it, with the placeholders it may use besides the shared ones.
    assert "# 通报标题\nbulletin_title:" in text
    assert "# 领先与靠后单位段落；另可用：{class_name}、{leading}、{lagging}\nleading_lagging:" in text
    assert template_from_text(text, name="默认模板").texts == ReportTemplate().texts
