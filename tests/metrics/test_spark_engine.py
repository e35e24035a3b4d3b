"""The same definitions on Spark (local mode, SQL transpiled by sqlglot) give the same results as DuckDB."""

from __future__ import annotations

import pytest

from govassess.metrics.compute import compute
from govassess.metrics.definitions import parse_period
from govassess.metrics.engines import DuckDBEngine
from govassess.metrics.infowork import load_info_rules

from .conftest import compute_on_spark, write_records

pytest.importorskip("pyspark")

from . import test_spark_rows  # noqa: E402

spark_session = test_spark_rows.spark_session  # one SparkSession for every Spark test

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_spark_and_duckdb_agree(tmp_path, spark_session):

    folder = write_records(tmp_path / "records")
    period = parse_period("2021-01-01", "2021-06-30")
    rules = load_info_rules("combined")
    on_spark = compute_on_spark(spark_session, folder, period, info_rules=rules)
    on_duck = compute(DuckDBEngine(), folder, period, info_rules=rules)
    assert on_duck.info  # the 信息报送 points are compared too

    def table(result):
        return {(v.unit, v.metric.code): (v.value, v.num, v.den, v.excluded) for v in result.values}

    assert table(on_spark) == table(on_duck)
    assert len(table(on_duck)) == 2 * 32  # 2 units x 32 metrics, all computed
    # Counts and examples with their rows (test_spark_rows.py has the row numbering itself).
    assert on_spark.rule_results == on_duck.rule_results
    bad_ts = next(r for r in on_spark.rule_results if r.rule == "bad_timestamp:accepted_at")
    assert bad_ts.examples == [
        ("cases.csv", 12, "受理时间=2021-02-30 09:00:00")
    ]  # a11: header row 1, a1 row 2
    assert [s.__dict__ for s in on_spark.info] == [s.__dict__ for s in on_duck.info]
    # A spot check that both are right, not just equal (hand-computed in test_metrics_handbuilt.py): 3 / 5.
    assert on_spark.value("A", "on_time_rate").value == pytest.approx(3 / 5)


def test_spark_workdays_follow_the_holiday_calendar(spark_session):
    """The calendar expression transpiled to Spark gives the hand-computed working days."""
    from govassess.metrics.definitions import expand_workdays
    from govassess.metrics.engines import SparkEngine

    cases = [
        ("2021-02-10", "2021-02-18", 1),  # 春节 2/11-2/17 off: only Thu 2/18
        ("2021-02-19", "2021-02-22", 2),  # Sat 2/20 调休 + Mon 2/22
        ("2021-09-30", "2021-10-11", 3),  # 国庆 off: Fri 10/8, Sat 10/9 调休, Mon 10/11
        ("2019-09-30", "2019-10-04", 4),  # outside the calendar: Mon–Fri
    ]
    spark = SparkEngine(spark=spark_session)
    try:
        for a, b, days in cases:
            _, rows = spark.fetch("SELECT " + expand_workdays(f"WORKDAYS(DATE '{a}', DATE '{b}')") + " AS n")
            assert rows[0][0] == days, (a, b)
    finally:
        spark.close()


def test_spark_on_time_across_holidays(tmp_path, spark_session):
    """The 春节 / 国庆 cases of test_calendar.py: Spark agrees with DuckDB and with the hand count (2 of 4)."""

    from .test_calendar import PERIOD, holiday_records

    folder = holiday_records(tmp_path / "r")
    on_spark = compute_on_spark(spark_session, folder, parse_period(*PERIOD))
    on_duck = compute(DuckDBEngine(), folder, parse_period(*PERIOD))
    mv = on_spark.value("H", "on_time_rate")
    assert (mv.num, mv.den) == (2, 4)
    assert {(v.unit, v.metric.code): (v.value, v.num, v.den) for v in on_spark.values} == {
        (v.unit, v.metric.code): (v.value, v.num, v.den) for v in on_duck.values
    }
