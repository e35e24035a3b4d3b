"""The accepted period years are an operator limit (docs/limits.md): 1900–2100 unless GOVASSESS_PERIOD_MIN_YEAR /
GOVASSESS_PERIOD_MAX_YEAR say otherwise, never past the years the calendar arithmetic can represent (2–9998)."""

from __future__ import annotations

import datetime as dt

import pytest

from govassess.errors import UserError
from govassess.metrics.definitions import parse_period


def test_default_years_are_1900_to_2100():
    assert parse_period("1900-01-01", "2100-12-31").start == dt.date(1900, 1, 1)
    with pytest.raises(UserError, match="1899-12-31 不在 1900 年至 2100 年之间") as err:
        parse_period("1899-12-31", "2000-01-01")
    assert err.value.problems[0].field == "--from"
    with pytest.raises(UserError, match="GOVASSESS_PERIOD_MAX_YEAR") as err:
        parse_period("2000-01-01", "2101-01-01")
    assert err.value.problems[0].field == "--to"


def test_the_operator_widens_or_narrows_the_years(monkeypatch):
    monkeypatch.setenv("GOVASSESS_PERIOD_MIN_YEAR", "1850")
    assert parse_period("1850-01-01", "1850-12-31").end == dt.date(1850, 12, 31)
    monkeypatch.setenv("GOVASSESS_PERIOD_MAX_YEAR", "2030")
    with pytest.raises(UserError, match="2031-01-01 不在 1850 年至 2030 年之间"):
        parse_period("2030-01-01", "2031-01-01")


@pytest.mark.parametrize(("name", "value", "expect"), [
    ("GOVASSESS_PERIOD_MIN_YEAR", "一九九零", "应为 2 到 9998 之间的年份，实际为「一九九零」"),
    ("GOVASSESS_PERIOD_MIN_YEAR", "1", "实际为「1」"),
    ("GOVASSESS_PERIOD_MAX_YEAR", "9999", "实际为「9999」"),
    ("GOVASSESS_PERIOD_MAX_YEAR", "1800", "GOVASSESS_PERIOD_MIN_YEAR（1900）大于 GOVASSESS_PERIOD_MAX_YEAR（1800）"),
])
def test_a_bad_setting_is_refused_naming_the_variable(monkeypatch, name, value, expect):
    monkeypatch.setenv(name, value)
    with pytest.raises(UserError) as err:
        parse_period("2021-01-01", "2021-06-30")
    assert expect in str(err.value) and name in str(err.value)


def test_the_widest_setting_is_accepted_and_its_period_bounds_are_representable(monkeypatch):
    monkeypatch.setenv("GOVASSESS_PERIOD_MIN_YEAR", "2")
    monkeypatch.setenv("GOVASSESS_PERIOD_MAX_YEAR", "9998")
    p = parse_period("0002-01-01", "9998-12-31")
    assert p.placeholders()["end"] == "TIMESTAMP '9999-01-01 00:00:00'"
