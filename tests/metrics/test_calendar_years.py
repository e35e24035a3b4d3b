"""The shipped calendar 2020–2026 (calendar_cn.yaml) against the State Council notices: the SQL index agrees
with the plain Python definition on every day, and per-year examples and yearly working-day counts worked out
by hand from the notice text. Weekdays: 2023-01-01 is a Sunday, 2024-01-01 a Monday, 2025-01-01 a Wednesday,
2026-01-01 a Thursday."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from govassess.metrics.calendar import default_calendar
from govassess.metrics.compute import compute
from govassess.metrics.definitions import expand_workdays, parse_period
from govassess.metrics.engines import DuckDBEngine

from .conftest import write_records


def workdays(a: str, b: str) -> int:
    sql = expand_workdays(f"WORKDAYS(DATE '{a}', DATE '{b}')")
    return duckdb.connect().execute(f"SELECT {sql}").fetchall()[0][0]


@pytest.mark.parametrize("narrowed", [False, True])
def test_index_sql_steps_by_one_exactly_on_working_days(narrowed):
    """idx(d) − idx(d−1) from the SQL list lookup is 1 on the days is_workday says are working days, else 0,
    on every day from before the calendar's first year to after its last (one query over all days). Narrowed
    to a period (as `compute` does), days outside the list take the arithmetic + CASE path: still exact."""
    cal = default_calendar()
    if narrowed:
        cal = cal.for_period(dt.date(2021, 1, 1), dt.date(2021, 6, 30))
        assert cal.span == (dt.date(2020, 12, 1), dt.date(2021, 9, 30))
    first, last = dt.date(2019, 12, 1), dt.date(2027, 1, 31)
    rows = (
        duckdb.connect()
        .execute(
            f"SELECT CAST(d AS DATE) AS day, {cal.index_sql('d')} - {cal.index_sql('d - INTERVAL 1 DAY')} "
            f"FROM (SELECT range AS d FROM range(DATE '{first}', DATE '{last}' + INTERVAL 1 DAY, "
            "INTERVAL 1 DAY)) r ORDER BY 1"
        )
        .fetchall()
    )
    assert len(rows) == (last - first).days + 1
    wrong = [(day, step) for day, step in rows if step != (1 if cal.is_workday(day) else 0)]
    assert wrong == []
    # The Python definition itself on a few days the notices name (so the cross-check cannot pass vacuously):
    assert not cal.is_workday(dt.date(2024, 2, 12))  # Mon in 春节 2024
    assert cal.is_workday(dt.date(2024, 2, 18))  # Sun 调休 2024
    assert cal.is_workday(dt.date(2024, 2, 9))  # Fri 除夕 2024: only "encouraged" off, a working day
    assert not cal.is_workday(dt.date(2025, 1, 28))  # Tue 除夕 2025, statutory from 2025 on
    assert cal.is_workday(dt.date(2027, 1, 4)) and cal.is_workday(dt.date(2019, 12, 31))  # outside: Mon–Fri


@pytest.mark.parametrize(
    ("a", "b", "days"),
    [
        # 2020 extension (国办发明电〔2020〕1号): off to Sun 2/2, Sat 2/1 not worked. Thu 1/23 -> Mon 2/3:
        # 1/24-2/2 all off -> only Mon 2/3 = 1 (first notice alone: Sat 2/1, Mon 2/3 = 2).
        ("2020-01-23", "2020-02-03", 1),
        # 2023 春节 1/21 (Sat)-1/27 (Fri) off, Sat 1/28 and Sun 1/29 worked. Fri 1/20 -> Mon 1/30:
        # 1/28 + 1/29 + 1/30 = 3 (Mon–Fri would be 1/23-1/27 + 1/30 = 6).
        ("2023-01-20", "2023-01-30", 3),
        # 2023 中秋国庆 9/29 (Fri)-10/6 (Fri) off, Sat 10/7 and Sun 10/8 worked. Thu 9/28 -> Mon 10/9: 3.
        ("2023-09-28", "2023-10-09", 3),
        # 2023 清明 Wed 4/5 only: Tue 4/4 -> Thu 4/6 = Thu 4/6 = 1.
        ("2023-04-04", "2023-04-06", 1),
        # 2024 春节 2/10 (Sat)-2/17 (Sat) off, Sun 2/18 worked; 除夕 Fri 2/9 is a working day.
        # Fri 2/9 -> Mon 2/19: Sun 2/18 + Mon 2/19 = 2 (Mon–Fri: 2/12-2/16 + 2/19 = 6).
        ("2024-02-09", "2024-02-19", 2),
        # Thu 2/1 -> Mon 2/5: Fri 2/2, Sun 2/4 (调休), Mon 2/5 = 3.
        ("2024-02-01", "2024-02-05", 3),
        # 2024 国庆 10/1-10/7 off; Sun 9/29 and Sat 10/12 worked. Fri 9/27 -> Mon 10/14:
        # Sun 9/29, Mon 9/30, Tue 10/8-Fri 10/11 (4), Sat 10/12, Mon 10/14 = 1 + 1 + 4 + 1 + 1 = 8.
        ("2024-09-27", "2024-10-14", 8),
        # 2025 春节 1/28 (Tue, 除夕)-2/4 (Tue) off; Sun 1/26, Sat 2/8 worked. Fri 1/24 -> Mon 2/10:
        # Sun 1/26, Mon 1/27, Wed 2/5-Fri 2/7 (3), Sat 2/8, Mon 2/10 = 1 + 1 + 3 + 1 + 1 = 7.
        ("2025-01-24", "2025-02-10", 7),
        # 2025 劳动节 5/1 (Thu)-5/5 (Mon) off; Sun 4/27 worked. Fri 4/25 -> Tue 5/6:
        # Sun 4/27, Mon 4/28-Wed 4/30 (3), Tue 5/6 = 5.
        ("2025-04-25", "2025-05-06", 5),
        # 2025 国庆中秋 10/1 (Wed)-10/8 (Wed) off; Sun 9/28, Sat 10/11 worked. Fri 9/26 -> Mon 10/13:
        # Sun 9/28, Mon 9/29, Tue 9/30, Thu 10/9, Fri 10/10, Sat 10/11, Mon 10/13 = 7.
        ("2025-09-26", "2025-10-13", 7),
        # 2026 元旦 1/1 (Thu)-1/3 (Sat) off, Sun 1/4 worked; across the year end. Wed 2025-12-31 -> Mon 1/5:
        # Sun 1/4 + Mon 1/5 = 2.
        ("2025-12-31", "2026-01-05", 2),
        # 2026 春节 2/15 (Sun)-2/23 (Mon) off; Sat 2/14 and Sat 2/28 worked. Fri 2/13 -> Mon 3/2:
        # Sat 2/14, Tue 2/24-Fri 2/27 (4), Sat 2/28, Mon 3/2 = 1 + 4 + 1 + 1 = 7 (Mon–Fri: 2/16-2/20,
        # 2/23-2/27, 3/2 = 11).
        ("2026-02-13", "2026-03-02", 7),
        # 2026 国庆 10/1 (Thu)-10/7 (Wed) off; Sun 9/20 and Sat 10/10 worked; 中秋 Fri 9/25 off.
        # Fri 9/18 -> Mon 10/12: Sun 9/20, 9/21-9/24 (4), 9/28-9/30 (3), 10/8, 10/9, Sat 10/10, Mon 10/12
        # = 1 + 4 + 3 + 2 + 1 + 1 = 12.
        ("2026-09-18", "2026-10-12", 12),
        # Past the calendar's last year: 2027 is not yet published, so Mon–Fri (the documented fallback).
        # Wed 2026-12-30 -> Tue 2027-01-05: Thu 12/31, Fri 1/1, Mon 1/4, Tue 1/5 = 4.
        ("2026-12-30", "2027-01-05", 4),
    ],
)
def test_workdays_on_each_year(a, b, days):
    assert workdays(a, b) == days


@pytest.mark.parametrize(
    ("year", "days"),
    [
        # 2020: 366 days from a Wednesday -> 52 weeks + Wed 12/30, Thu 12/31 -> 262 weekdays. Holidays on
        # weekdays: 元旦 Wed 1/1 (1); 春节 with the extension Fri 1/24, Mon 1/27-Fri 1/31 (6); 清明 Mon 4/6 (1);
        # 劳动节 Fri 5/1, Mon 5/4, Tue 5/5 (3); 端午 Thu 6/25, Fri 6/26 (2); 国庆中秋 10/1, 10/2, 10/5-10/8 (6)
        # -> 19. 调休: 1/19, 4/26, 5/9, 6/28, 9/27, 10/10 -> 6 (Sat 2/1 dropped). 262 - 19 + 6 = 249.
        (2020, 249),
        # 2021: 365 days from a Friday -> 52 weeks + Fri 12/31 -> 261 weekdays. Holidays on weekdays:
        # 元旦 Fri 1/1 (1); 春节 Thu 2/11, Fri 2/12, Mon 2/15-Wed 2/17 (5); 清明 Mon 4/5 (1); 劳动节 5/3-5/5 (3);
        # 端午 Mon 6/14 (1); 中秋 Mon 9/20, Tue 9/21 (2); 国庆 Fri 10/1, 10/4-10/7 (5) -> 18.
        # 调休: 2/7, 2/20, 4/25, 5/8, 9/18, 9/26, 10/9 -> 7. 261 - 18 + 7 = 250.
        (2021, 250),
        # 2022: 365 days from a Saturday -> 52 weeks + Sat 12/31 -> 260 weekdays. Holidays on weekdays:
        # 元旦 Mon 1/3 (1); 春节 1/31-2/4 (5); 清明 Mon 4/4, Tue 4/5 (2); 劳动节 5/2-5/4 (3); 端午 Fri 6/3 (1);
        # 中秋 Mon 9/12 (1); 国庆 10/3-10/7 (5) -> 18. 调休: 1/29, 1/30, 4/2, 4/24, 5/7, 10/8, 10/9 -> 7.
        # 260 - 18 + 7 = 249.
        (2022, 249),
        # 2023: 365 days from a Sunday -> 52 weeks + Sun 12/31 -> 260 weekdays. Holidays on weekdays:
        # 元旦 Mon 1/2 (1); 春节 1/23-1/27 (5); 清明 Wed 4/5 (1); 劳动节 5/1-5/3 (3); 端午 Thu 6/22, Fri 6/23 (2);
        # 中秋国庆 Fri 9/29, 10/2-10/6 (6) -> 18. 调休: 1/28, 1/29, 4/23, 5/6, 6/25, 10/7, 10/8 -> 7.
        # 260 - 18 + 7 = 249.
        (2023, 249),
        # 2024: 366 days from a Monday -> 52 weeks + Mon 12/30, Tue 12/31 -> 262 weekdays. Holidays on weekdays:
        # 元旦 Mon 1/1 (1); 春节 2/12-2/16 (5); 清明 Thu 4/4, Fri 4/5 (2); 劳动节 Wed 5/1-Fri 5/3 (3);
        # 端午 Mon 6/10 (1); 中秋 Mon 9/16, Tue 9/17 (2); 国庆 10/1-10/4, Mon 10/7 (5) -> 19.
        # 调休: 2/4, 2/18, 4/7, 4/28, 5/11, 9/14, 9/29, 10/12 -> 8. 262 - 19 + 8 = 251.
        (2024, 251),
        # 2025: 365 days from a Wednesday -> 52 weeks + Wed 12/31 -> 261 weekdays. Holidays on weekdays:
        # 元旦 Wed 1/1 (1); 春节 Tue 1/28-Fri 1/31, Mon 2/3, Tue 2/4 (6); 清明 Fri 4/4 (1);
        # 劳动节 Thu 5/1, Fri 5/2, Mon 5/5 (3); 端午 Mon 6/2 (1); 国庆中秋 10/1-10/3, 10/6-10/8 (6) -> 18.
        # 调休: 1/26, 2/8, 4/27, 9/28, 10/11 -> 5. 261 - 18 + 5 = 248.
        (2025, 248),
        # 2026: 365 days from a Thursday -> 52 weeks + Thu 12/31 -> 261 weekdays. Holidays on weekdays:
        # 元旦 Thu 1/1, Fri 1/2 (2); 春节 Mon 2/16-Fri 2/20, Mon 2/23 (6); 清明 Mon 4/6 (1);
        # 劳动节 Fri 5/1, Mon 5/4, Tue 5/5 (3); 端午 Fri 6/19 (1); 中秋 Fri 9/25 (1);
        # 国庆 Thu 10/1, Fri 10/2, Mon 10/5-Wed 10/7 (5) -> 19. 调休: 1/4, 2/14, 2/28, 5/9, 9/20, 10/10 -> 6.
        # 261 - 19 + 6 = 248.
        (2026, 248),
    ],
)
def test_working_days_per_year(year, days):
    cal = default_calendar()
    start = dt.date(year, 1, 1)
    n = (dt.date(year + 1, 1, 1) - start).days
    assert sum(cal.is_workday(start + dt.timedelta(days=i)) for i in range(n)) == days
    assert workdays(f"{year - 1}-12-31", f"{year}-12-31") == days


def test_whole_calendar_span():
    # The seven yearly counts above: 249 + 250 + 249 + 249 + 251 + 248 + 248 = 1744.
    assert workdays("2019-12-31", "2026-12-31") == 1744


# ---- 系统运行时段 on the calendar ---------------------------------------------------------------------------
# Period Thu 2021-09-16 .. Wed 2021-09-22. 中秋 2021: Sun 9/19-Tue 9/21 off, Sat 9/18 a 调休 workday.
# S1 (工作日 09:00-17:00, 8 h = 28,800 s): working days 9/16, 9/17, Sat 9/18, 9/22 = 4 -> 115,200 s
#   (Mon–Fri would have been 9/16, 9/17, 9/20, 9/21, 9/22 = 5).
#   Down: Sat 9/18 10:00-11:00 -> 3,600 s (a service day now); Mon 9/20 10:00-12:00 -> 0 (holiday);
#   Wed 9/22 16:30-18:00 -> 16:30-17:00 = 1,800 s. Down 5,400 s; up 115,200 - 5,400 = 109,800 s.
# S2 (每日 00:00-24:00): 7 days x 86,400 = 604,800 s; down Mon 9/20 01:00-02:00 = 3,600 s -> 601,200 s.
SYSTEMS = """system_id,unit,system_name,registered_users,service_days,service_start,service_end
S1,A,审批系统,100,工作日,09:00,17:00
S2,B,门户,50,每日,00:00,24:00
"""
DOWNTIME = """system_id,start_at,end_at,reason
S1,2021-09-18 10:00:00,2021-09-18 11:00:00,调休日维护
S1,2021-09-20 10:00:00,2021-09-20 12:00:00,假日维护
S1,2021-09-22 16:30:00,2021-09-22 18:00:00,故障
S2,2021-09-20 01:00:00,2021-09-20 02:00:00,假日维护
"""


def test_uptime_working_days_follow_the_calendar(tmp_path):
    folder = write_records(tmp_path / "r", {"systems.csv": SYSTEMS, "downtime.csv": DOWNTIME})
    result = compute(DuckDBEngine(), folder, parse_period("2021-09-16", "2021-09-22"))
    s1 = result.value("A", "uptime_rate")
    assert (s1.num, s1.den) == (109_800, 115_200)
    s2 = result.value("B", "uptime_rate")
    assert (s2.num, s2.den) == (601_200, 604_800)


def test_uptime_uses_the_office_calendar(tmp_path):
    from govassess.metrics.calendar import load_calendar

    # An office file replaces 2021 with a year whose only holiday is Wed 9/22 (no 中秋, no 调休):
    # S1 working days 9/16, 9/17, 9/20, 9/21 = 4 -> 115,200 s; down: Mon 9/20 10:00-12:00 = 7,200 s
    # (a working day now), Sat 9/18 and the 9/22 outage fall outside service -> up 108,000 s.
    own = tmp_path / "cal.yaml"
    own.write_text("years:\n  2021:\n    holidays: [2021-09-22]\n", encoding="utf-8")
    folder = write_records(tmp_path / "r", {"systems.csv": SYSTEMS, "downtime.csv": DOWNTIME})
    result = compute(
        DuckDBEngine(), folder, parse_period("2021-09-16", "2021-09-22"), calendar=load_calendar(own)
    )
    s1 = result.value("A", "uptime_rate")
    assert (s1.num, s1.den) == (108_000, 115_200)


def test_derived_sql_expands_workdays_in_place():
    from govassess.errors import UserError
    from govassess.metrics.compute import compile_expr_block

    sql = compile_expr_block(
        "SELECT 'WORKDAYS(' AS t, WORKDAYS(${a}, ${b}) AS n -- WORKDAYS( in a comment\n",
        {"a": "DATE '2024-02-09'", "b": "DATE '2024-02-19'"},
        "x",
    )
    assert "${" not in sql and sql.startswith("SELECT 'WORKDAYS(' AS t, (")
    assert duckdb.connect().execute(sql).fetchall() == [("WORKDAYS(", 2)]  # as in test_workdays_on_each_year
    with pytest.raises(UserError):
        compile_expr_block("SELECT WORKDAYS(DATE '2024-02-09', ", {}, "x")
