"""Row numbers on Spark: the same file gives the same `_row` as on DuckDB (CSV: the record's row with the header
as row 1, a quoted line break inside its record, blank lines skipped; XLSX: the sheet row; Parquet: the
1-based record number in its file), so bad records are reported with the same rows on both engines.

`spark_session` is shared by every Spark test (start-up is the slow part); test_spark_engine.py imports it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from govassess.metrics.compute import compute
from govassess.metrics.definitions import parse_period
from govassess.metrics.engines import DuckDBEngine

from .conftest import CASES, ITEMS, UNITS, compute_on_spark

pytest.importorskip("pyspark")

pytestmark = [pytest.mark.spark, pytest.mark.slow]


@pytest.fixture(scope="session")
def spark_session():
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("govassess-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "1")  # a few hundred records: one task per shuffle
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    yield spark
    spark.stop()


# Two files of one record set. a.csv: BOM, CRLF, a quoted comma, a quoted line break, a blank line (skipped
# by both readers, so it has no row number), doubled quotes, an empty last field without a final newline.
# b.csv lacks the `note` column and has a quoted field with an empty line inside it.
TRICKY_A = '\ufeffid,name,note\r\n1,"a,b",x\r\n2,"multi\nline",y\r\n\r\n3,c,"q ""z"""\r\n4,d,'
TRICKY_B = 'id,name\n5,e\n6,"f\n\ng"\n7,h\n'


def test_csv_rows_match_duckdb_with_quotes_and_line_breaks(tmp_path, spark_session):
    from govassess.metrics.engines import SparkEngine

    (tmp_path / "a.csv").write_text(TRICKY_A, encoding="utf-8", newline="")
    (tmp_path / "b.csv").write_text(TRICKY_B, encoding="utf-8", newline="")
    files = [tmp_path / "a.csv", tmp_path / "b.csv"]
    # Header = row 1, then one row per record: a.csv ids 1-4 on rows 2-5, b.csv ids 5-7 on rows 2-4.
    expected = [
        ("a.csv", 2, "1", "a,b", "x"),
        ("a.csv", 3, "2", "multi\nline", "y"),
        ("a.csv", 4, "3", "c", 'q "z"'),
        ("a.csv", 5, "4", "d", None),
        ("b.csv", 2, "5", "e", None),
        ("b.csv", 3, "6", "f\n\ng", None),
        ("b.csv", 4, "7", "h", None),
    ]
    query = "SELECT _file, _row, id, name, note FROM t ORDER BY _file, _row"
    spark = SparkEngine(spark=spark_session)
    try:
        kinds = spark.register_files("t", files)
        assert kinds["_row"] == "int"
        assert spark.fetch(query)[1] == expected
        # A filter over the view must not renumber the records that remain.
        assert spark.fetch("SELECT _file, _row FROM t WHERE id IN ('3', '6')")[1] == [
            ("a.csv", 4),
            ("b.csv", 3),
        ]
    finally:
        spark.close()
    duck = DuckDBEngine()
    try:
        duck.register_files("t", files)
        assert duck.fetch(query)[1] == expected
    finally:
        duck.close()


def test_csv_that_is_not_utf8_is_refused_on_both_engines(tmp_path, spark_session):
    from govassess.errors import UserError
    from govassess.metrics.engines import SparkEngine

    # A WPS "CSV" saved in GBK: the third line holds 差 as GBK bytes (B2 EE), not valid UTF-8.
    f = tmp_path / "cases.csv"
    f.write_bytes("id,name\n1,好\n".encode() + "2,差\n".encode("gbk"))
    spark = SparkEngine(spark=spark_session)
    try:
        with pytest.raises(UserError) as err:
            spark.register_files("t", [f])
        problem = err.value.problems[0]
        assert (problem.file, problem.row) == ("cases.csv", 3) and "UTF-8" in problem.message
    finally:
        spark.close()
    with pytest.raises(UserError) as err:
        DuckDBEngine().register_files("t", [f])
    assert "UTF-8" in err.value.problems[0].message


def test_a_failing_spark_job_is_a_user_error(tmp_path, spark_session):
    from govassess.errors import UserError
    from govassess.metrics.engines import SparkEngine

    # A Parquet file cut short (as after an interrupted copy): Spark fails reading it.
    good = tmp_path / "whole.parquet"
    duckdb.connect().execute(f"COPY (SELECT range AS id FROM range(1000)) TO '{good}' (FORMAT parquet)")
    bad = tmp_path / "cases.parquet"
    bad.write_bytes(good.read_bytes()[:-200])
    spark = SparkEngine(spark=spark_session)
    try:
        with pytest.raises(UserError) as err:
            spark.register_files("t", [bad])
            spark.fetch("SELECT COUNT(*) FROM t")
        assert err.value.problems[0].message.startswith("Spark 计算失败：")
    finally:
        spark.close()


# The shared cases split into two files, with a free-text column the schema ignores (a2's remark holds a comma
# and a line break). part1 = a1..a7, part2 = a8, a9, a10, a11, a12, a12, a13, a14, b1.
REMARKS = {"a2": "补正材料,\n已补齐", "a9": '说明"引号"'}


def _cases_rows() -> tuple[list[str], list[list[str]]]:
    header, *rows = list(csv.reader(io.StringIO(CASES)))
    return [*header, "remark"], [[*r, REMARKS.get(r[0], "")] for r in rows]


def _write_cases(folder: Path, fmt: str) -> None:
    header, rows = _cases_rows()
    parts = {"part1": rows[:7], "part2": rows[7:]}
    (folder / "cases").mkdir(parents=True)
    for name, body in parts.items():
        path = folder / "cases" / f"{name}.{fmt}"
        if fmt == "xlsx":
            from openpyxl import Workbook

            wb = Workbook()
            ws = wb.active
            ws.append(header)
            for r in body:
                ws.append([v if v != "" else None for v in r])
            wb.save(path)
            continue
        target = path if fmt == "csv" else folder / f"{name}.tmp.csv"
        with target.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(body)
        if fmt == "parquet":
            duckdb.execute(
                f"COPY (SELECT * FROM read_csv('{target}', all_varchar = true, header = true)) "
                f"TO '{path}' (FORMAT parquet)"
            )
            target.unlink()


# CSV: the test above, and test_spark_engine.py compares every rule result of the shared CSV records.
@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_bad_records_have_the_same_rows_on_both_engines(tmp_path, spark_session, fmt):

    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "units.csv").write_text(UNITS, encoding="utf-8")
    (folder / "items.csv").write_text(ITEMS, encoding="utf-8")
    _write_cases(folder, fmt)
    period = parse_period("2021-01-01", "2021-06-30")
    on_spark = compute_on_spark(spark_session, folder, period)
    duck = DuckDBEngine()
    try:
        on_duck = compute(duck, folder, period)
    finally:
        duck.close()
    assert on_spark.rule_results == on_duck.rule_results

    # By hand: in part2 a8 is the first record (CSV / Excel row 2, Parquet record 1), then a9, a10, a11, a12,
    # a12, a13, a14 follow one row each. Parquet numbers records, so every row is one less.
    shift = 1 if fmt == "parquet" else 0
    part2 = f"part2.{fmt}"
    got = {r.rule: r.examples for r in on_spark.rule_results}
    assert got["bad_timestamp:accepted_at"] == [(part2, 5 - shift, "受理时间=2021-02-30 09:00:00")]
    assert got["finished_before_accepted"] == [
        (part2, 3 - shift, "受理时间=2021-03-10 09:00:00，办结时间=2021-03-09 09:00:00")
    ]
    assert got["duplicate"] == [(part2, 6 - shift, "办件编号=a12"), (part2, 7 - shift, "办件编号=a12")]
    assert got["below_min:promised_limit"] == [(part2, 8 - shift, "承诺时限=-1")]
    assert got["unknown_unit"] == [(part2, 9 - shift, "单位=Z")]
    assert got["unknown_item"] == [
        (part2, 4 - shift, "单位=A，事项编码=I9"),
        (part2, 9 - shift, "单位=Z，事项编码=I1"),
    ]
    problem = next(r for r in on_spark.rule_results if r.rule == "unknown_unit").problem()
    assert (problem.file, problem.row) == (part2, 9 - shift) and "无行号" not in problem.message


def test_parquet_rows_survive_file_splitting(tmp_path, spark_session):
    """A Parquet file read as several partitions (one per row group here) still numbers records from 1."""
    from govassess.metrics.engines import SparkEngine

    path = tmp_path / "big.parquet"
    duckdb.execute(
        f"COPY (SELECT range + 1 AS n, md5(range::VARCHAR) AS pad FROM range(20000)) TO '{path}' "
        "(FORMAT parquet, ROW_GROUP_SIZE 2000)"
    )
    spark_session.conf.set("spark.sql.files.maxPartitionBytes", "8192")
    try:
        spark = SparkEngine(spark=spark_session)
        spark.register_files("big", [path])
        assert spark.spark.table("big").rdd.getNumPartitions() > 1
        # n was written as the 1-based record number, so every record's _row must equal it.
        _, rows = spark.fetch(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE _row = n), MIN(_row), MAX(_row) FROM big"
        )
        assert rows == [(20000, 20000, 1, 20000)]
        spark.close()
    finally:
        spark_session.conf.unset("spark.sql.files.maxPartitionBytes")
