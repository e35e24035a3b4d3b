"""Definitions and rules as data: validation of an office's own files, and changing the numbers."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from govassess.errors import UserError
from govassess.metrics.definitions import Part, expand_workdays, load_definitions, part_filter
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
        # Tue 6/1 -> Wed 6/30: Mon–Fri gives 3 + 5 + 5 + 5 + 3 = 21; 端午 Mon 6/14 is a holiday -> 20
        ("2021-06-01", "2021-06-30", 20),
        # 春节 2021: 2/11 (Thu)..2/17 (Wed) off; Sun 2/7 and Sat 2/20 are 调休 workdays.
        ("2021-02-10", "2021-02-18", 1),  # only Thu 2/18
        ("2021-02-05", "2021-02-08", 2),  # Fri -> Mon: Sun 2/7 (调休) + Mon 2/8
        ("2021-02-19", "2021-02-22", 2),  # Fri -> Mon: Sat 2/20 (调休) + Mon 2/22
        # 2/1 (Mon) -> 2/26 (Fri): 2/2-2/5 = 4, 2/7 = 1, 2/8-2/10 = 3, 2/18-2/19 = 2, 2/20 = 1, 2/22-2/26 = 5 -> 16
        ("2021-02-01", "2021-02-26", 16),
        # 国庆 2021: 10/1 (Fri)..10/7 (Thu) off; Sun 9/26 and Sat 10/9 are 调休 workdays.
        ("2021-09-30", "2021-10-11", 3),  # Thu -> Mon: Fri 10/8, Sat 10/9 (调休), Mon 10/11
        # 9/24 (Fri) -> 10/9 (Sat): Sun 9/26, 9/27-9/30 = 4, 10/8, Sat 10/9 -> 1 + 4 + 1 + 1 = 7
        ("2021-09-24", "2021-10-09", 7),
        # 中秋: Sat 9/18 is a 调休 workday, 9/19-9/21 off: Fri 9/17 -> Wed 9/22 = Sat 9/18 + Wed 9/22
        ("2021-09-17", "2021-09-22", 2),
        # outside the calendar's years (2019): plain Mon–Fri, 国庆 2019 not known -> 9/30 Mon -> 10/4 Fri = 4
        ("2019-09-30", "2019-10-04", 4),
        # across the calendar's start: Fri 2019-12-27 -> Mon 2020-01-06: 12/30, 12/31, 1/2, 1/3, 1/6 = 5
        # (元旦 Wed 2020-01-01 is a holiday)
        ("2019-12-27", "2020-01-06", 5),
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


def test_office_calendar_file_replaces_a_year(tmp_path):
    import duckdb

    from govassess.metrics.calendar import coverage_notice, load_calendar

    f = tmp_path / "cal.yaml"
    # A made-up local year 2023: Mon 2023-03-06 off, Sat 2023-03-11 worked.
    f.write_text(
        "years:\n  2023:\n    holidays: [2023-03-06]\n    workdays: [2023-03-11]\n", encoding="utf-8"
    )
    cal = load_calendar(f)
    assert 2021 in cal.years and 2023 in cal.years
    sql = expand_workdays("WORKDAYS(DATE '2023-03-03', DATE '2023-03-13')", cal)
    # Fri 3/3 -> Mon 3/13: Mon–Fri gives 6 (3/6..3/10, 3/13); -1 for 3/6, +1 for Sat 3/11 -> 6
    assert duckdb.connect().execute(f"SELECT {sql}").fetchall()[0][0] == 6
    sql = expand_workdays("WORKDAYS(DATE '2023-03-03', DATE '2023-03-10')", cal)
    assert duckdb.connect().execute(f"SELECT {sql}").fetchall()[0][0] == 4  # 3/7..3/10
    assert coverage_notice(cal, dt.date(2023, 1, 1), dt.date(2023, 6, 30)) is None
    # The shipped calendar stops at 2026: a period running into 2031 is warned about.
    assert "2031" in coverage_notice(cal, dt.date(2023, 1, 1), dt.date(2031, 6, 30))


def test_bad_calendar_file_is_reported(tmp_path):
    from govassess.errors import UserError
    from govassess.metrics.calendar import load_calendar

    f = tmp_path / "cal.yaml"
    f.write_text("years:\n  2023:\n    workdays: [2023-03-08, 2023-13-01]\n", encoding="utf-8")
    with pytest.raises(UserError) as err:
        load_calendar(f)
    text = str(err.value) + " ".join(str(p) for p in err.value.problems)
    assert "2023-03-08" in text  # a Wednesday cannot be a 调休 workday
    assert "2023-13-01" in text


@pytest.mark.parametrize(
    "flt, part, expected",
    [
        # Dropped: the part skips a record with NULL visits anyway, so the same records are counted / summed.
        ("visits IS NOT NULL", Part("count", "visits = 0"), None),
        ("visits IS NOT NULL", Part("count", "visits <= 1 AND instant"), None),
        ("visits IS NOT NULL AND channel = '网上'", Part("avg", "visits"), "(channel = '网上')"),
        ("visits IS NOT NULL", Part("count", "visits IN (0, 1)"), None),
        # Kept: the part would count the NULL records (or its NULL handling is not provable from its form).
        ("visits IS NOT NULL", Part("count", "TRUE"), "visits IS NOT NULL"),
        ("visits IS NOT NULL", Part("count", "visits = 0 OR instant"), "visits IS NOT NULL"),
        ("visits IS NOT NULL", Part("count", "COALESCE(visits, 0) = 0"), "visits IS NOT NULL"),
        ("visits IS NOT NULL", Part("count", "visits = promised_limit"), "visits IS NOT NULL"),
        ("visits IS NOT NULL", Part("sum", "visits + 1"), "visits IS NOT NULL"),
        ("a IS NOT NULL OR b IS NOT NULL", Part("count", "a = 0"), "a IS NOT NULL OR b IS NOT NULL"),
        ("visits IS NOT NULL AND accepted_at < ${end}", Part("count", "visits = 0"),
         "visits IS NOT NULL AND accepted_at < ${end}"),
    ],
)  # fmt: skip
def test_part_filter_drops_only_implied_not_null(flt, part, expected):
    assert part_filter(flt, part) == expected
