"""Text patterns of form fields cannot hang a reader (issue 15): patterns prone to catastrophic backtracking are
refused when the form is read, naming sheet and field; the text matched is capped, so what is let through is
bounded (the worst, \\d*\\d*\\d*x, measured 0.5 s on 200 characters and 510 s on 1,000)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from govassess.errors import UserError
from govassess.forms.cells import clean_column
from govassess.forms.model import load_form

FORM = """\
id: regex
name: 正则表单
cutoff: 2017-12-31
sheets:
  - id: units
    name: 单位
    fields:
      - {{name: 单位名称, type: text, required: true}}
      - {{name: 地址, type: text, pattern: '{pattern}'}}
"""


def _form(tmp_path, pattern):
    path = tmp_path / "form.yaml"
    path.write_text(FORM.format(pattern=pattern), encoding="utf-8")
    return load_form(path)


@pytest.mark.parametrize(("pattern", "why"), [
    (r"^(a+)+$", "不能在重复的内容里再套重复"),
    (r"(\d*)*号", "不能在重复的内容里再套重复"),
    (r"^(a|ab)+$", "不能重复由 | 分隔的几种写法"),
    (r"^(\d)\1$", "不能引用前面的分组"),
    (r"\d*\d*\d*\d*x", "含 4 处不限次数的重复"),
    ("x" * 301, "过长（301 个字符，上限 300"),
])
def test_backtracking_patterns_are_refused_with_sheet_and_field(tmp_path, pattern, why):
    with pytest.raises(UserError) as err:
        _form(tmp_path, pattern)
    [p] = err.value.problems
    assert why in p.message
    assert (p.sheet, p.field) == ("单位", "地址")


@pytest.mark.parametrize("pattern", [r"^\d{6}$", r"^(\d{1,3}\.){3}\d{1,3}$", r"^(\d{4}-){3}\d{4}$",
                                     r"^\S+@\S+\.\S+$", r"^(市|县)+\d+号$", r"^(?:\+?86-?)?1[3-9]\d{9}$"])
def test_ordinary_patterns_are_accepted(tmp_path, pattern):
    field = _form(tmp_path, pattern).sheets[0].fields[1]
    assert field.pattern == pattern


def test_the_matched_text_is_capped_and_the_worst_pattern_let_through_stays_fast(tmp_path, monkeypatch):
    field = _form(tmp_path, r"\d*\d*\d*x").sheets[0].fields[1]
    started = time.monotonic()
    values, problems = clean_column(field, ["1" * 200, "1" * 201, "12x"], dt.date(2017, 12, 31))
    assert time.monotonic() - started < 10  # 0.5 s measured for the 200 digits; 1,000 would take minutes
    assert values[2] == "12x"
    assert [(i, kind) for i, _, kind, _ in problems] == [(0, "格式"), (1, "格式")]
    assert "超过 200 个字符，无法按格式检查" in problems[1][1]
    monkeypatch.setenv("GOVASSESS_PATTERN_MAX_TEXT", "5")
    _, problems = clean_column(field, ["123456x"], dt.date(2017, 12, 31))
    assert "超过 5 个字符" in problems[0][1]
