"""The cheap validation paths on Parquet (ENUM lookups of allowed values, the key's empty-value count taken
from the duplicate check, distinct key hashes) find exactly what the plain checks find."""

from __future__ import annotations

import duckdb
import pytest

from govassess.metrics.compute import compute
from govassess.metrics.definitions import parse_period
from govassess.metrics.engines import DuckDBEngine

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


def _folder(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (case_id VARCHAR, unit VARCHAR, item_code VARCHAR, item_type VARCHAR, channel VARCHAR, "
        "accepted_at TIMESTAMP, applicant_type VARCHAR)"
    )
    for case_id, channel, applicant in ROWS:
        con.execute(
            "INSERT INTO t VALUES (?, 'A', 'I1', '行政许可', ?, TIMESTAMP '2021-03-01 09:00:00', ?)",
            [case_id, channel, applicant],
        )
    con.execute(f"COPY t TO '{folder / 'cases.parquet'}' (FORMAT parquet)")
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
