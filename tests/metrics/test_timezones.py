"""Timestamps with a UTC offset are converted to the office's time zone before periods are cut; naive ones are
local time already (docs/records.md). Worked on the hand-built records of conftest.py: in H1 2021 unit A has
six valid cases, two of them online (a1 网上, a4 移动端) → online_accept_rate 2 / 6."""

from __future__ import annotations

import pytest

from govassess.cli import main
from govassess.errors import UserError
from govassess.metrics.compute import compute
from govassess.metrics.definitions import parse_period
from govassess.metrics.engines import DuckDBEngine
from govassess.metrics.records import TIMEZONE_ENV

from .conftest import CASES, FILES, write_records

A4 = "a4,A,I3,其他依申请,移动端,否,否,否,2021-06-28 09:00:00,"


def _online_rate(tmp_path, accepted_at: str, period=("2021-01-01", "2021-06-30")):
    assert A4 in CASES
    cases = CASES.replace(A4, f"a4,A,I3,其他依申请,移动端,否,否,否,{accepted_at},")
    folder = write_records(tmp_path / "r", {**FILES, "cases.csv": cases})
    engine = DuckDBEngine()
    try:
        mv = compute(engine, folder, parse_period(*period)).value("A", "online_accept_rate")
    finally:
        engine.close()
    assert mv is not None
    return mv.num, mv.den


@pytest.mark.parametrize(
    ("accepted_at", "expected"),
    [
        # 2021-06-30 20:00 at −05:00 is 2021-07-01 09:00 in Shanghai: the second half-year, so a4 leaves H1
        # and A keeps a1 of a1, a2, a3, a5, a6 → 1 / 5 (not 2 / 6 as reading the wall clock would give).
        ("2021-06-30T20:00:00-05:00", (1, 5)),
        ("2021-06-30 20:00:00-0500", (1, 5)),
        # +08:00 is Shanghai itself: 20:00 on 30 June stays in H1 → 2 / 6
        ("2021-06-30T20:00:00+08:00", (2, 6)),
        # 10:00 UTC is 18:00 in Shanghai, still 30 June → 2 / 6; 16:30 UTC is 00:30 on 1 July → 1 / 5
        ("2021-06-30T10:00:00Z", (2, 6)),
        ("2021-06-30T16:30:00Z", (1, 5)),
        # naive: local time as written
        ("2021-06-30 23:59:00", (2, 6)),
    ],
)
def test_offsets_are_converted_to_shanghai(tmp_path, monkeypatch, accepted_at, expected):
    monkeypatch.delenv(TIMEZONE_ENV, raising=False)
    assert _online_rate(tmp_path, accepted_at) == expected


def test_converted_case_lands_in_the_second_half_year(tmp_path, monkeypatch):
    monkeypatch.delenv(TIMEZONE_ENV, raising=False)
    # H2: a8 (网上, 2021-07-01 09:00) and the converted a4 (2021-07-01 09:00 Shanghai), both online → 2 / 2
    assert _online_rate(tmp_path, "2021-06-30T20:00:00-05:00", ("2021-07-01", "2021-12-31")) == (2, 2)


def test_office_time_zone_is_configurable(tmp_path, monkeypatch):
    # In New York, 20:00 at −05:00 is 20:00 on 30 June: a4 stays in H1 → 2 / 6
    monkeypatch.setenv(TIMEZONE_ENV, "America/New_York")
    assert _online_rate(tmp_path, "2021-06-30T20:00:00-05:00") == (2, 6)


def test_unknown_time_zone_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(TIMEZONE_ENV, "Mars/Olympus")
    with pytest.raises(UserError, match="时区「Mars/Olympus」无效"):
        _online_rate(tmp_path, "2021-06-30 20:00:00")
    monkeypatch.delenv(TIMEZONE_ENV)
    folder = write_records(tmp_path / "cli")
    out = tmp_path / "inputs.csv"
    code = main(["metrics", "compute", "--records", str(folder), "--from", "2021-01-01", "--to", "2021-06-30",
                 "--out", str(out), "--timezone", "Nowhere/City"])
    assert code == 2
    assert "时区「Nowhere/City」无效" in capsys.readouterr().err
    assert not out.exists()


def _parquet_rate(tmp_path, accepted_at: str) -> tuple[float, float]:
    import duckdb

    folder = write_records(tmp_path / accepted_at[11:13], {k: v for k, v in FILES.items() if k != "cases.csv"})
    csv = folder / "cases.src"
    # without a11 (30 February: not representable as a time; it is invalid and not online either way)
    cases = "\n".join(line for line in CASES.splitlines() if not line.startswith("a11,"))
    csv.write_text(cases.replace(A4, f"a4,A,I3,其他依申请,移动端,否,否,否,{accepted_at},") + "\n", encoding="utf-8")
    con = duckdb.connect()
    # a TIMESTAMP WITH TIME ZONE column, as programs write it
    con.execute(f"COPY (SELECT * REPLACE (CAST(accepted_at AS TIMESTAMPTZ) AS accepted_at) FROM read_csv('{csv}')) "
                f"TO '{folder / 'cases.parquet'}'")
    kind = con.sql(f"DESCRIBE SELECT accepted_at FROM '{folder / 'cases.parquet'}'").fetchall()[0][1]
    assert kind == "TIMESTAMP WITH TIME ZONE"
    csv.unlink()
    engine = DuckDBEngine()
    try:
        mv = compute(engine, folder, parse_period("2021-01-01", "2021-06-30")).value("A", "online_accept_rate")
    finally:
        engine.close()
    assert mv is not None
    return mv.num, mv.den


def test_parquet_column_with_time_zone_is_converted(tmp_path, monkeypatch):
    monkeypatch.delenv(TIMEZONE_ENV, raising=False)
    # 10:00 UTC is 18:00 in Shanghai (still H1); 18:00 UTC is 02:00 on 1 July in Shanghai, which takes a4
    # (online) out of H1 although its UTC date is 30 June: one online case fewer and one case fewer in all
    num_in, den_in = _parquet_rate(tmp_path, "2021-06-30T10:00:00+00:00")
    num_out, den_out = _parquet_rate(tmp_path, "2021-06-30T18:00:00+00:00")
    assert (num_in - num_out, den_in - den_out) == (1, 1)
