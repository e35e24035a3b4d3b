"""Every metric against the hand-built record set in conftest.py; expectations worked out by hand."""

from __future__ import annotations

import pytest

approx = pytest.approx


def val(result, unit, code):
    mv = result.value(unit, code)
    assert mv is not None, (unit, code)
    return mv


# ---- 事项目录 (unit A has I1..I4, unit B has J1) ----------------------------------------------------
@pytest.mark.parametrize(
    ("code", "unit", "num", "den"),
    [
        ("online_capable_rate", "A", 3, 4),  # I1, I2, I4 可网办 of 4
        ("online_capable_rate", "B", 0, 1),
        ("full_online_rate", "A", 2, 4),  # depth 4: I1, I4
        ("bookable_rate", "A", 2, 4),  # I1, I3
        ("bookable_slots_rate", "A", 1, 4),  # I1 only
        ("nearby_rate", "A", 2, 4),  # I2, I4
        ("in_hall_rate", "A", 1, 2),  # 行政许可 I1 (in hall), I2 (not)
        ("in_hall_rate", "B", 0, 1),
        ("tongban_rate", "A", 2, 4),  # I1 全市, I3 跨省
        ("instant_item_rate", "A", 2, 4),  # promised 0: I2, I4
        ("limit_reduction_rate", "A", 25, 45),  # legal>0: I1 20-5, I2 10-0, I3 15-15 -> 25 / 45
        ("limit_reduction_rate", "B", 20, 30),  # 30-10 / 30
    ],
)
def test_item_ratios(computed, code, unit, num, den):
    mv = val(computed, unit, code)
    assert (mv.num, mv.den) == (num, den)
    assert mv.value == approx(num / den)


def test_item_averages(computed):
    assert val(computed, "A", "avg_promised_limit").value == approx((5 + 0 + 15 + 0) / 4)  # = 5
    assert val(computed, "B", "avg_promised_limit").value == approx(10)
    assert val(computed, "A", "item_avg_visits").value == approx((0 + 1 + 2 + 0) / 4)


# ---- 办件: valid in-period A cases are a1..a6 (a7/a8 outside the period, a9..a14 invalid) ------------
@pytest.mark.parametrize(
    ("code", "unit", "num", "den"),
    [
        ("online_accept_rate", "A", 2, 6),  # a1 网上, a4 移动端; 自助终端 a5 is not online
        ("online_accept_rate", "B", 0, 1),
        # on time: a1 Mon->Fri = 4 wd <= 5; a2 Fri 3/5 -> Fri 3/12 = 5 wd <= 5; a5 same day 0 <= 0.
        # late: a3 Thu->Fri = 1 wd > 0. due but open: a6 (accepted 6/1, 21 wd to 6/30 > 0).
        # a4 open, 2 wd to 6/30 <= 15: not yet due. -> 3 / 5
        ("on_time_rate", "A", 3, 5),
        ("on_time_rate", "B", 1, 1),  # Mon 2/1 -> Fri 2/12 = 9 wd <= 10 (Mon–Fri rule, no holiday table)
        ("instant_case_rate", "A", 1, 6),  # a5
        ("zero_visit_rate", "A", 2, 5),  # visits known for a1..a5: zeros a1, a4
        ("one_visit_rate", "A", 4, 5),  # <= 1: a1, a2, a4, a5
        ("one_window_rate", "A", 3, 5),  # 依申请 a1,a2,a3,a4,a6; 一窗 a2,a3,a6 (a5 公共服务 not counted)
        ("comprehensive_rate", "A", 1, 6),  # a2
        ("appointment_case_rate", "A", 1, 6),  # a2
    ],
)
def test_case_ratios(computed, code, unit, num, den):
    mv = val(computed, unit, code)
    assert (mv.num, mv.den) == (num, den)
    assert mv.value == approx(num / den)


def test_case_counts_and_visits(computed):
    assert val(computed, "A", "case_count").value == 6
    assert val(computed, "B", "case_count").value == 1
    assert val(computed, "A", "avg_visits").value == approx((0 + 1 + 2 + 0 + 1) / 5)  # a6 has no visits
    assert val(computed, "B", "avg_visits").value == approx(3)


# ---- 好差评: A in period r1..r8; 差评 counted r4, r5, r6, r8 (r7 verified=否) --------------------------
@pytest.mark.parametrize(
    ("code", "unit", "num", "den"),
    [
        ("active_rating_rate", "A", 6, 8),  # active: r1 r3 r4 r5 r7 r8
        ("good_rating_rate", "A", 2, 8),  # 非常满意 r1, 满意 r2
        ("good_rating_rate", "B", 1, 1),
        ("bad_rectified_rate", "A", 2, 4),  # r4, r5 rectified
        # on time: r4 3/1 -> 3/10 = 7 wd <= 15; r5 4/1 -> 5/6 = 25 wd > 15 (late);
        # r8 open with deadline 1/20 < period end -> due; r6 open, 3 wd after 6/25 -> not due.  1 / 3
        ("bad_rectified_on_time_rate", "A", 1, 3),
        ("bad_callback_rate", "A", 1, 4),  # r4
        ("bad_rectified_rate", "B", 0, 0),
    ],
)
def test_rating_ratios(computed, code, unit, num, den):
    mv = val(computed, unit, code)
    assert (mv.num, mv.den) == (num, den)
    assert mv.value == (approx(num / den) if den else None)


def test_rating_counts(computed):
    assert val(computed, "A", "rating_count").value == 8
    assert val(computed, "A", "bad_rating_count").value == 4
    assert val(computed, "B", "bad_rating_count").value == 0


# ---- 12345 --------------------------------------------------------------------------------------------
def test_tickets(computed):
    # t1 on time; t2 late; t3 open, deadline after period -> not due; t4 open and overdue; t5 closed after the
    # period end with a deadline inside it -> due, not on time; t6 invalid (closed before received). 1 / 4
    mv = val(computed, "A", "ticket_on_time_rate")
    assert (mv.num, mv.den) == (1, 4)
    sat = val(computed, "A", "ticket_satisfaction_rate")
    assert (sat.num, sat.den) == (2, 3)  # rated t1 满意, t2 不满意, t5 非常满意


# ---- 系统运行时段 / 平均月活率 ------------------------------------------------------------------------------
def test_uptime(computed):
    # H1 2021 has 129 weekdays (21+20+23+22+21+22) and 181 days. On the holiday calendar 11 weekdays are off
    # (元旦 1/1; 春节 2/11, 2/12, 2/15, 2/16, 2/17; 清明 4/5; 劳动节 5/3, 5/4, 5/5; 端午 6/14) and 4 weekend
    # days are worked (Sun 2/7, Sat 2/20, Sun 4/25, Sat 5/8): 129 - 11 + 4 = 122 工作日.
    s1_service = 122 * 8 * 3600  # 工作日 09:00-17:00
    s2_service = 181 * 24 * 3600  # 每日 全天
    # S1: 08:00-10:00 and 09:30-11:00 merge to 08:00-11:00 -> 2 h inside 09-17 on Mon 3/1; the outage on Sat 3/6 (no 调休) 0;
    # 6/30 16:00 -> 7/1 12:00 -> 1 h inside the period's service hours. S2: 1 h of 2020-12-31 23:00-01:00.
    down = 3 * 3600 + 3600
    mv = val(computed, "A", "uptime_rate")
    assert mv.den == s1_service + s2_service
    assert mv.num == s1_service + s2_service - down
    assert val(computed, "B", "uptime_rate").value == 1.0  # S3 has no downtime


def test_monthly_active(computed):
    # S1: D = 50/100 on 1/4 and 20/40 on 1/5 (1/6 invalid: 20 active > 10 registered; 7/1 outside) -> 1.0/181
    # S2: 25/50 on 2/1 (2/2 duplicated -> both excluded) -> 0.5/181; unit A = mean of its systems.
    assert val(computed, "A", "avg_monthly_active_rate").value == approx((1.0 / 181 + 0.5 / 181) / 2)
    assert val(computed, "B", "avg_monthly_active_rate").value == 0  # S3 has no logs


# ---- 信息报送 -------------------------------------------------------------------------------------------
def info(result, unit):
    return next(s for s in result.info if s.unit == unit)


def test_info_work_unit_a(computed):
    a = info(computed, "A")
    assert a.submitted == 3 + 1 + 0 + 2 + 0 + 6  # 瞒报 row in May is not a report; 迟报 in April is
    assert a.monthly_points == 5 + 5 + 5  # months with >= 2 reports: Jan, Apr, Jun
    assert a.adopted_points == 15  # Jan: 2 adopted; Feb only 1
    assert a.category_points == 10 + 15 + 5  # 专刊, 综合, 情况
    assert a.instructed_points == 10
    assert a.media_points == 10 + 3 + 3 + 15  # 省级; 市级 x2; 国家级
    # Q1 task 5*3 = 15, done 4 -> 25 - 11*5 < 0 -> 0; Q2 task 15, done 8 -> 25 - 35 -> 0
    assert a.quarter_points == 0
    assert a.zero_months == ["2021-03", "2021-05"] and a.longest_zero_run == 1
    assert a.violations == 2 and a.deduction == 40  # 迟报 + 瞒报
    assert a.total == 15 + 15 + 30 + 10 + 31 + 0 - 40  # = 61
    assert a.excluded == 2  # bad date, unknown category


def test_info_work_unit_b_three_zero_months(computed):
    b = info(computed, "B")
    assert b.monthly_points == 5 + 5 + 5  # Jan 2, May 5, Jun 3
    # 科室 quota 3/month: Q1 task 9 done 2 -> 0; Q2 task 9 done 8 -> 25 - 5 = 20
    assert b.quarter_points == 20
    assert b.zero_months == ["2021-02", "2021-03", "2021-04"] and b.longest_zero_run == 3
    assert b.zeroed and b.total == 0  # 连续三个月0报送 -> 该项0分


# ---- validation ---------------------------------------------------------------------------------------
def rules(result, record_set):
    return {r.rule: r for r in result.rule_results if r.record_set == record_set}


def test_case_rules_counted_with_rows(computed):
    r = rules(computed, "cases")
    # header is line 1, a1 is line 2 ... a9 line 10, a10 line 11, a11 line 12, a12 lines 13-14, a13 15, a14 16
    assert r["finished_before_accepted"].count == 1 and r["finished_before_accepted"].examples[0][1] == 10
    assert r["bad_timestamp:accepted_at"].count == 1 and r["bad_timestamp:accepted_at"].examples[0][1] == 12
    assert r["duplicate"].count == 2 and [e[1] for e in r["duplicate"].examples] == [13, 14]
    assert r["below_min:promised_limit"].count == 1 and r["below_min:promised_limit"].examples[0][1] == 15
    assert r["unknown_unit"].count == 1 and r["unknown_unit"].examples[0][1] == 16
    assert r["unknown_item"].count == 2  # a10 (I9) and a14 (unit Z has no items)
    assert computed.totals["cases"] == (16, 7)  # 16 rows; a9 a10 a11 a12 a12 a13 a14 excluded
    assert val(computed, "A", "case_count").excluded == 6  # a14 belongs to the unknown unit Z


def test_other_rules(computed):
    assert rules(computed, "ratings")["bad_choice:level"].count == 1  # r10 很好
    assert rules(computed, "ratings")["rectified_before_rated"].count == 1  # r11
    assert rules(computed, "tickets")["closed_before_received"].count == 1  # t6
    assert rules(computed, "downtime")["end_not_after_start"].count == 1
    assert rules(computed, "downtime")["unknown_system"].count == 1  # S9
    assert rules(computed, "usage")["active_over_registered"].count == 1
    assert rules(computed, "usage")["duplicate"].count == 2
    assert rules(computed, "info_reports")["bad_date:submitted_at"].count == 1
    assert rules(computed, "info_reports")["bad_choice:category"].count == 1


def test_strict_stops(records_dir):
    from govassess.errors import UserError
    from govassess.metrics.compute import compute
    from govassess.metrics.definitions import parse_period
    from govassess.metrics.engines import DuckDBEngine

    with pytest.raises(UserError) as err:
        compute(DuckDBEngine(), records_dir, parse_period("2021-01-01", "2021-06-30"), strict=True)
    text = str(err.value)
    assert "cases.csv" in text and "第 10 行" in text and "办结时间早于受理时间" in text


def test_period_outside_calendar_is_warned(records_dir):
    from govassess.metrics.compute import compute
    from govassess.metrics.definitions import parse_period
    from govassess.metrics.engines import DuckDBEngine

    # The shipped calendar covers 2020-2026; a 2027 period falls back to Mon–Fri and must say so.
    result = compute(DuckDBEngine(), records_dir, parse_period("2027-01-01", "2027-06-30"))
    assert any("2027" in line and "周一至周五" in line for line in result.summary_lines())
    inside = compute(DuckDBEngine(), records_dir, parse_period("2021-01-01", "2021-06-30"))
    assert not any("工作日历" in line for line in inside.summary_lines())
