"""The cheap validation paths on Parquet (ENUM lookups of allowed values, the key's empty-value count taken
from the duplicate check, distinct key hashes) find exactly what the plain checks find."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from govassess.metrics.compute import compute
from govassess.metrics.definitions import parse_period
from govassess.metrics.engines import DuckDBEngine, KeyStats

ROWS = [
    # case_id, channel, applicant_type
    ("c1", "网上", "个人"),  # valid
    (None, "网上", "个人"),  # missing:case_id
    ("", "网上", "个人"),  # missing:case_id (empty text is empty)
    ("c4", "网上 ", "个人"),  # bad_choice:channel (Parquet text is not trimmed)
    ("c5", "窗口", None),  # valid: applicant_type is optional
    ("c6", "窗口", "企业"),  # bad_choice:applicant_type
    ("d", "窗口", "个人"),  # duplicate (with the next)
    ("d", "窗口", "个人"),  # duplicate
]


def _write_cases(path, rows):
    """A cases.parquet of (case_id, unit, item_code, channel, applicant_type) rows, accepted 2021-03-01."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (case_id VARCHAR, unit VARCHAR, item_code VARCHAR, item_type VARCHAR, channel VARCHAR, "
        "accepted_at TIMESTAMP, applicant_type VARCHAR)"
    )
    for case_id, unit, item, channel, applicant in rows:
        con.execute(
            "INSERT INTO t VALUES (?, ?, ?, '行政许可', ?, TIMESTAMP '2021-03-01 09:00:00', ?)",
            [case_id, unit, item, channel, applicant],
        )
    con.execute(f"COPY t TO '{path}' (FORMAT parquet)")


def _folder(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    _write_cases(folder / "cases.parquet", [(c, "A", "I1", channel, a) for c, channel, a in ROWS])
    return folder


@pytest.mark.parametrize("check_duplicates", [True, False])
def test_parquet_checks_count_exactly(tmp_path, check_duplicates):
    result = compute(
        DuckDBEngine(),
        _folder(tmp_path),
        parse_period("2021-01-01", "2021-06-30"),
        check_duplicates=check_duplicates,
    )
    rules = {r.rule: r for r in result.rule_results}
    assert rules["missing:case_id"].count == 2
    assert [e[1] for e in rules["missing:case_id"].examples] == [2, 3]  # Parquet record numbers
    assert rules["bad_choice:channel"].count == 1 and rules["bad_choice:channel"].examples[0][1] == 4
    assert rules["bad_choice:applicant_type"].count == 1
    if check_duplicates:
        assert rules["duplicate"].count == 2
        # valid: c1 (网上) and c5 (窗口) -> 2 cases, 网上受理率 1 / 2
        assert result.totals["cases"] == (8, 6)
        assert result.value("A", "case_count").value == 2
        assert result.value("A", "online_accept_rate").value == pytest.approx(1 / 2)
    else:
        assert "duplicate" not in rules
        # the two "d" records now count: c1, c5, d, d -> 4 cases, 1 of them 网上
        assert result.totals["cases"] == (8, 4)
        assert result.value("A", "online_accept_rate").value == pytest.approx(1 / 4)


def test_duplicate_check_in_hash_partitions(tmp_path, monkeypatch):
    # With at most 3 hashes in memory, the 6 filled case ids (c1, c4, c5, c6, d, d) are checked in two
    # hash partitions; both "d" records hash alike and land in the same partition, so they are still found.
    monkeypatch.setattr(DuckDBEngine, "HASH_BATCH", 3)
    engine = DuckDBEngine()
    result = compute(engine, _folder(tmp_path), parse_period("2021-01-01", "2021-06-30"))
    rules = {r.rule: r for r in result.rule_results}
    assert rules["duplicate"].count == 2
    assert [e[1] for e in rules["duplicate"].examples] == [7, 8]
    assert rules["missing:case_id"].count == 2  # 8 records - 6 filled keys


def test_key_stats_counts_and_proves_distinct():
    engine = DuckDBEngine()
    engine.execute("CREATE TABLE k AS SELECT * FROM (VALUES ('a', 1), ('b', 1), (NULL, 2), ('a', 2)) t(x, y)")
    # 4 records; x filled in 3; 'a' twice -> may be equal
    assert engine.key_stats("k", ["x"]) == KeyStats(4, 3, True)
    # (x, y) pairs: (a,1), (b,1), (a,2) are distinct; the NULL row is not a key
    assert engine.key_stats("k", ["x", "y"]) == KeyStats(4, 3, False)
    # the hashes seen twice are kept for the exact listing: just the hash of 'a'
    stats = engine.key_stats("k", ["x"], "rep")
    assert stats == KeyStats(4, 3, True, "rep")
    assert engine.fetch("SELECT h = hash('a') FROM rep")[1] == [(True,)]
    # sorted in a thread: the counts at once, the verdict after settle()
    pending = engine.key_stats("k", ["x"], "rep3", background=True)
    assert (pending.records, pending.filled) == (4, 3)
    assert pending.settle() == KeyStats(4, 3, True, "rep3")
    assert engine.key_stats("k", ["x", "y"], "rep4", background=True).settle() == KeyStats(4, 3, False)
    engine.REPEATED_HASHES_KEPT = 0  # too many to keep: the listing groups every key
    assert engine.key_stats("k", ["x"], "rep2") == KeyStats(4, 3, True, None)


def test_clean_catalogue_needs_no_join_and_a_stray_item_is_still_found(tmp_path):
    folder = _folder(tmp_path)
    (folder / "items.csv").write_text(
        "unit,item_code,item_type,online_capable,online_depth\nA,I1,行政许可,是,4\n", encoding="utf-8"
    )
    engine = DuckDBEngine()
    compute(engine, folder, parse_period("2021-01-01", "2021-06-30"))
    # every (unit, item) of the cases is in the catalogue: the scan view has no catalogue join
    assert "_known_item" not in [r[0] for r in engine.con.execute("DESCRIBE cases__scan").fetchall()]

    (folder / "items.csv").write_text(
        "unit,item_code,item_type,online_capable,online_depth\nA,I2,行政许可,是,4\n", encoding="utf-8"
    )
    result = compute(DuckDBEngine(), folder, parse_period("2021-01-01", "2021-06-30"))
    rules = {r.rule: r for r in result.rule_results}
    # I1 is no longer in A's catalogue: all 8 records break unknown_item (records with other faults too)
    assert rules["unknown_item"].count == 8


def test_period_decided_from_file_statistics(tmp_path):
    # Every record of the file is accepted on 2021-03-01, so the period test is decided once from the
    # Parquet statistics: all inside for H1 2021, none inside for H1 2022. Invalid records are still counted.
    folder = _folder(tmp_path)
    (folder / "units.csv").write_text(
        "unit,name\nA,甲单位\n", encoding="utf-8"
    )  # A is listed even with no cases
    inside = compute(DuckDBEngine(), folder, parse_period("2021-01-01", "2021-06-30"))
    assert inside.value("A", "case_count").value == 2  # c1 and c5, as in the test above
    outside = compute(DuckDBEngine(), folder, parse_period("2022-01-01", "2022-06-30"))
    assert outside.value("A", "case_count").value == 0
    assert outside.totals["cases"] == (8, 6)
    # a period that starts on the records' day still holds them; one that ends the day before does not
    assert (
        compute(DuckDBEngine(), folder, parse_period("2021-03-01", "2021-03-01"))
        .value("A", "case_count")
        .value
        == 2
    )
    assert (
        compute(DuckDBEngine(), folder, parse_period("2021-01-01", "2021-02-28"))
        .value("A", "case_count")
        .value
        == 0
    )


def test_item_of_another_units_catalogue_is_found_by_the_metric_scan(tmp_path):
    """On DuckDB the (unit, item) check rides on the metric scan; a unit using a code from another unit's
    catalogue (or a unit with no catalogue) makes the scan fall back to the per-record join."""
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "items.csv").write_text(
        "unit,item_code,item_type,online_capable,online_depth\n"
        "A,I1,行政许可,是,4\nA,I2,公共服务,是,4\nB,I3,行政许可,是,4\n",
        encoding="utf-8",
    )
    rows = [
        ("c1", "A", "I1"),  # valid
        ("c2", "A", "I2"),  # valid
        ("c3", "B", "I3"),  # valid
        ("c4", "B", "I1"),  # unknown_item: I1 is A's, not B's
        ("c5", "A", "I9"),  # unknown_item: in no catalogue
        ("c6", "C", "I3"),  # unknown_item: C has no catalogue
    ]

    def write(cases):
        _write_cases(folder / "cases.parquet", [(c, unit, item, "网上", None) for c, unit, item in cases])

    def count(result, unit):
        return next(v.value for v in result.values if v.unit == unit and v.metric.code == "case_count")

    write(rows[:3] + rows[4:5])  # only a code in no catalogue: found per record, no join needed
    engine = DuckDBEngine()
    result = compute(engine, folder, parse_period("2021-01-01", "2021-06-30"))
    rules = {r.rule: r for r in result.rule_results}
    assert rules["unknown_item"].count == 1
    assert [row for _, row, _ in rules["unknown_item"].examples] == [4]
    assert (count(result, "A"), count(result, "B")) == (2, 1)
    assert "_known_item" not in [r[0] for r in engine.con.execute("DESCRIBE cases__scan").fetchall()]

    write(rows)
    engine = DuckDBEngine()
    result = compute(engine, folder, parse_period("2021-01-01", "2021-06-30"))
    rules = {r.rule: r for r in result.rule_results}
    assert rules["unknown_item"].count == 3
    assert [row for _, row, _ in rules["unknown_item"].examples] == [4, 5, 6]
    assert (count(result, "A"), count(result, "B")) == (2, 1)
    assert result.units == ["A", "B"]  # without a units file, units are those with valid records
    assert result.totals["cases"] == (6, 3)
    assert "_known_item" in [r[0] for r in engine.con.execute("DESCRIBE cases__scan").fetchall()]


@pytest.mark.parametrize("step", [1, 2, 3, 1 << 20])
def test_equal_neighbours_across_slice_edges(step):
    import numpy as np

    from govassess.metrics.engines import _equal_neighbours

    assert not _equal_neighbours(np.array([], dtype=np.uint64), step)
    assert not _equal_neighbours(np.array([5], dtype=np.uint64), step)
    assert not _equal_neighbours(np.arange(10, dtype=np.uint64), step)
    for pos in range(9):  # an equal pair at every position, including each slice edge
        h = np.arange(10, dtype=np.uint64)
        h[pos + 1] = h[pos]
        assert _equal_neighbours(h, step), pos


def test_rules_proven_by_parquet_statistics_still_count_exactly(tmp_path):
    """Rules the files' statistics prove never broken become FALSE; a file whose statistics do not prove
    it (a NULL, an empty text, a value below the minimum, or no statistics at all) is still checked."""
    import polars as pl

    from govassess.metrics import records as rec

    def run(frame, statistics=True):
        folder = tmp_path / f"r{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        frame.write_parquet(folder / "cases.parquet", statistics=statistics)
        engine = DuckDBEngine()
        store = rec.register(engine, folder)
        rules = {r.id: r.sql for r in store.sets["cases"].rules}
        result = compute(DuckDBEngine(), folder, parse_period("2021-01-01", "2021-06-30"))
        return rules, {r.rule: r.count for r in result.rule_results}

    clean = pl.DataFrame(
        {
            "case_id": ["c1", "c2", "c3"],
            "unit": ["A", "A", "B"],
            "item_code": ["I1", "I1", "I2"],
            "item_type": ["行政许可"] * 3,
            "channel": ["网上"] * 3,
            "accepted_at": [dt.datetime(2021, 3, 1, 9)] * 3,
            "visits": [0, 1, 2],
            "applicant_type": ["个人", None, "法人"],  # optional: NULLs, but no empty text
        }
    )
    rules, counts = run(clean)
    assert rules["missing:unit"] == rules["missing:accepted_at"] == rules["below_min:visits"] == "FALSE"
    assert counts == {}

    dirty = clean.with_columns(
        pl.Series("unit", ["A", "", "B"]),  # empty text: no NULL in the statistics, but the smallest is ""
        pl.Series("accepted_at", [dt.datetime(2021, 3, 1, 9), None, dt.datetime(2021, 3, 2, 9)]),
        pl.Series("visits", [0, -1, 2]),
        pl.Series("applicant_type", ["个人", "", "法人"]),  # empty text is empty, not a wrong choice
    )
    for statistics in (True, False):
        rules, counts = run(dirty, statistics)
        assert rules["missing:unit"] != "FALSE" and rules["below_min:visits"] != "FALSE"
        assert counts == {"missing:unit": 1, "missing:accepted_at": 1, "below_min:visits": 1}

    rules, counts = run(clean, statistics=False)  # nothing is proven without statistics
    assert rules["missing:unit"] != "FALSE" and counts == {}
