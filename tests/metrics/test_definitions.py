"""Definitions and rules as data: validation of an office's own files, and changing the numbers."""

from __future__ import annotations

import dataclasses

import pytest

from govassess.errors import UserError
from govassess.metrics.definitions import expand_workdays, load_definitions
from govassess.metrics.infowork import CountRule, load_info_rules

ISSUE_LIST = {
    "网上可办率", "网上受理率", "全程网办率", "按时办结率", "即办程度", "平均承诺时限", "承诺时限压缩比例", "平均跑动次数",
    "一次不跑率", "只跑一次率", "一窗受理率", "综合受理率", "预约率", "就近办率", "事项进驻率", "通办覆盖率", "主动评价率",
    "好评率", "差评整改率", "差评整改及时率", "12345按时办结率", "系统运行时段", "平均月活率",
}  # fmt: skip


def test_builtin_definitions_cover_the_issue_list():
    names = {m.name for m in load_definitions().metrics}
    assert ISSUE_LIST <= names


def test_bad_definitions_are_located(tmp_path):
    path = tmp_path / "defs.yaml"
    path.write_text(
        "metrics:\n"
        "  - {code: x, name: X, records: cases, numerator: {count: 'channel IN ('}, denominator: {count: 'TRUE'}}\n"
        "  - {code: y, name: Y, records: nowhere, aggregate: {count: 'TRUE'}}\n"
        "  - {code: z, name: Z, records: cases, numerator: {count: 'TRUE'}}\n",
        encoding="utf-8",
    )
    with pytest.raises(UserError) as err:
        load_definitions(path)
    fields = {p.field for p in err.value.problems}
    assert {"metrics.x.numerator", "metrics.y", "metrics.z"} <= fields


@pytest.mark.parametrize(
    ("a", "b", "days"),
    [
        ("2021-03-05", "2021-03-12", 5),  # Fri -> next Fri: Mon..Fri
        ("2021-03-06", "2021-03-08", 1),  # Sat -> Mon
        ("2021-03-05", "2021-03-07", 0),  # Fri -> Sun
        ("2021-03-01", "2021-03-01", 0),  # same day
        ("2021-06-01", "2021-06-30", 21),  # Tue 6/1 -> Wed 6/30: 3 + 5 + 5 + 5 + 3
    ],
)
def test_workdays_expansion(a, b, days):
    import duckdb

    sql = expand_workdays(f"WORKDAYS(DATE '{a}', DATE '{b}')")
    assert "WORKDAYS" not in sql
    assert duckdb.connect().execute(f"SELECT {sql}").fetchall()[0][0] == days


@pytest.mark.parametrize(
    ("rule", "n", "points"),
    [
        (CountRule(2, 15, "threshold"), 1, 0),  # fewer than 2 adopted in the month
        (CountRule(2, 15, "threshold"), 5, 15),  # "采用2条，积15分" read as reaching 2
        (CountRule(2, 15, "blocks"), 5, 30),  # two full blocks of 2
        (CountRule(1, 15, "per_item"), 5, 75),  # "每条15分"
    ],
)
def test_count_rule_modes(rule, n, points):
    assert rule.score(n) == points


def test_info_rules_can_be_changed(tmp_path, records_dir):
    from govassess.metrics.compute import compute
    from govassess.metrics.definitions import parse_period
    from govassess.metrics.engines import DuckDBEngine

    rules = load_info_rules()
    per_item = dataclasses.replace(rules, adopted=CountRule(1, 15, "per_item"))
    result = compute(
        DuckDBEngine(), records_dir, parse_period("2021-01-01", "2021-06-30"), info_rules=per_item
    )
    a = next(s for s in result.info if s.unit == "A")
    assert a.adopted_points == 3 * 15  # three adopted reports (Jan 2, Feb 1), 15 each
    assert a.total == 15 + 45 + 30 + 10 + 31 + 0 - 40  # = 91


def test_bad_info_rules_file(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("monthly: {}\n", encoding="utf-8")
    with pytest.raises(UserError):
        load_info_rules(path)
