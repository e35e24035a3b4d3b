"""按时办结 on the official holiday calendar: cases across 春节 2021 and 国庆 2021 whose outcome differs from
plain Mon–Fri counting (expected values worked out by hand from the 国办 notice, see calendar_cn.yaml)."""

from __future__ import annotations

import pytest

from govassess.metrics.compute import compute
from govassess.metrics.definitions import parse_period
from govassess.metrics.engines import DuckDBEngine

from .conftest import write_records

HEADER = (
    "case_id,unit,item_code,item_type,channel,one_window,comprehensive,appointment,accepted_at,legal_limit,"
    "promised_limit,finished_at,visits,instant,applicant_type\n"
)
# Period 2021-02-01 .. 2021-10-11. 春节 2/11-2/17 off, Sun 2/7 and Sat 2/20 worked; 国庆 10/1-10/7 off,
# Sun 9/26 and Sat 10/9 worked.
# h1 Wed 2/10 -> Thu 2/18, limit 1: calendar 1 (2/18) on time; Mon–Fri 6 (2/11..2/18) late.
# h2 Fri 2/5 -> Mon 2/8, limit 1: calendar 2 (Sun 2/7 调休 + 2/8) late; Mon–Fri 1 on time.
# h3 Thu 9/30 -> Sat 10/9 (调休), limit 2: calendar 2 (10/8, 10/9) on time; Mon–Fri 6 late.
# h4 Fri 9/24 -> Mon 10/11, limit 5: calendar 8 (9/26, 9/27..9/30, 10/8, 10/9, 10/11) late; Mon–Fri 11 late.
# h5 Wed 9/29, open, limit 4: at period end 10/11 calendar 4 (9/30, 10/8, 10/9, 10/11) not yet due, so not in
#    the denominator; Mon–Fri 8 (9/30, 10/1, 10/4..10/8, 10/11) overdue.
CASES = HEADER + (
    "h1,H,I1,行政许可,窗口,否,否,否,2021-02-10 09:00:00,20,1,2021-02-18 10:00:00,1,否,个人\n"
    "h2,H,I1,行政许可,窗口,否,否,否,2021-02-05 09:00:00,20,1,2021-02-08 10:00:00,1,否,个人\n"
    "h3,H,I1,行政许可,窗口,否,否,否,2021-09-30 09:00:00,20,2,2021-10-09 10:00:00,1,否,个人\n"
    "h4,H,I1,行政许可,窗口,否,否,否,2021-09-24 09:00:00,20,5,2021-10-11 10:00:00,1,否,个人\n"
    "h5,H,I1,行政许可,窗口,否,否,否,2021-09-29 09:00:00,20,4,,1,否,个人\n"
)
PERIOD = ("2021-02-01", "2021-10-11")


def holiday_records(folder):
    return write_records(folder, {"cases.csv": CASES})


def on_time(result):
    mv = result.value("H", "on_time_rate")
    return mv.num, mv.den


def test_on_time_across_spring_festival_and_national_day(tmp_path):
    result = compute(DuckDBEngine(), holiday_records(tmp_path / "r"), parse_period(*PERIOD))
    assert on_time(result) == (2, 4)  # h1, h3 on time; h1..h4 finished; h5 not yet due
    assert not any("工作日历" in line for line in result.summary_lines())


def test_office_calendar_without_holidays_gives_mon_fri(tmp_path):
    from govassess.metrics.calendar import load_calendar

    f = tmp_path / "cal.yaml"
    f.write_text("years:\n  2021:\n    holidays: []\n    workdays: []\n", encoding="utf-8")
    result = compute(
        DuckDBEngine(), holiday_records(tmp_path / "r"), parse_period(*PERIOD), calendar=load_calendar(f)
    )
    assert on_time(result) == (1, 5)  # Mon–Fri: only h2 on time; h5 overdue joins the denominator


@pytest.mark.parametrize("bad", ["2021-02-30", "2021-02-20..2021-02-10"])
def test_bad_dates_in_calendar(tmp_path, bad):
    from govassess.errors import UserError
    from govassess.metrics.calendar import load_calendar

    f = tmp_path / "cal.yaml"
    f.write_text(f"years:\n  2021:\n    holidays: ['{bad}']\n", encoding="utf-8")
    with pytest.raises(UserError) as err:
        load_calendar(f)
    assert bad in " ".join(str(p) for p in err.value.problems) + str(err.value)
