"""A small hand-built record set (period 2021-01-01 .. 2021-06-30). Every expected value in the tests is
worked out by hand from these rows; the comments next to the rows say what each one is for."""

from __future__ import annotations

from pathlib import Path

import pytest

UNITS = """unit,name,class,region
A,单位甲,县区,江城
B,单位乙,科室,阳东
"""

ITEMS = """unit,item_code,item_type,online_capable,online_depth,bookable,bookable_slots,nearby,in_hall,tongban,legal_limit,promised_limit,visits
A,I1,行政许可,是,4,是,是,否,是,全市,20,5,0
A,I2,行政许可,是,3,否,否,是,否,,10,0,1
A,I3,其他依申请,否,1,是,否,否,否,跨省,15,15,2
A,I4,公共服务,是,4,否,否,是,否,,,0,0
B,J1,行政许可,否,2,否,否,否,否,,30,10,1
"""

# 2021-03-01 is a Monday. Working days count after the acceptance day, on the holiday calendar (none of
# these rows changes with it: b1 2021-02-01 -> 02-12 is 8 working days with 春节, 9 Mon–Fri, both <= 10).
CASES = """case_id,unit,item_code,item_type,channel,one_window,comprehensive,appointment,accepted_at,legal_limit,promised_limit,finished_at,visits,instant,applicant_type
a1,A,I1,行政许可,网上,否,否,否,2021-03-01 09:00:00,20,5,2021-03-05 16:00:00,0,否,个人
a2,A,I1,行政许可,窗口,是,是,是,2021-03-05 10:00:00,20,5,2021-03-12 10:00:00,1,否,法人
a3,A,I2,行政许可,窗口,是,否,否,2021-04-01 09:00:00,10,0,2021-04-02 09:00:00,2,否,个人
a4,A,I3,其他依申请,移动端,否,否,否,2021-06-28 09:00:00,15,15,,0,否,个人
a5,A,I4,公共服务,自助终端,是,否,否,2021-05-10 09:00:00,,0,2021-05-10 11:00:00,1,是,个人
a6,A,I2,行政许可,窗口,是,否,否,2021-06-01 09:00:00,10,0,,,否,个人
a7,A,I1,行政许可,网上,否,否,否,2020-12-31 09:00:00,20,5,2021-01-04 09:00:00,0,否,个人
a8,A,I1,行政许可,网上,否,否,否,2021-07-01 09:00:00,20,5,2021-07-02 09:00:00,0,否,个人
a9,A,I1,行政许可,窗口,否,否,否,2021-03-10 09:00:00,20,5,2021-03-09 09:00:00,0,否,个人
a10,A,I9,行政许可,窗口,否,否,否,2021-03-10 09:00:00,20,5,2021-03-11 09:00:00,0,否,个人
a11,A,I1,行政许可,窗口,否,否,否,2021-02-30 09:00:00,20,5,2021-03-11 09:00:00,0,否,个人
a12,A,I1,行政许可,窗口,否,否,否,2021-03-10 09:00:00,20,5,2021-03-11 09:00:00,0,否,个人
a12,A,I1,行政许可,网上,否,否,否,2021-03-10 09:00:00,20,5,2021-03-11 09:00:00,0,否,个人
a13,A,I1,行政许可,窗口,否,否,否,2021-03-10 09:00:00,20,-1,2021-03-11 09:00:00,0,否,个人
a14,Z,I1,行政许可,窗口,否,否,否,2021-03-10 09:00:00,20,5,2021-03-11 09:00:00,0,否,个人
b1,B,J1,行政许可,窗口,是,否,否,2021-02-01 09:00:00,30,10,2021-02-12 09:00:00,3,否,法人
"""

RATINGS = """rating_id,case_id,unit,channel,level,active,rated_at,verified,rectified,rectified_at,callback,deadline
r1,a1,A,网上,非常满意,是,2021-02-01 10:00:00,,,,,
r2,a2,A,窗口,满意,否,2021-02-02 10:00:00,,,,,
r3,a3,A,窗口,基本满意,是,2021-03-01 10:00:00,,,,,
r4,a3,A,窗口,不满意,是,2021-03-01 10:00:00,是,是,2021-03-10 10:00:00,是,
r5,a3,A,网上,非常不满意,是,2021-04-01 10:00:00,,是,2021-05-06 10:00:00,否,
r6,a4,A,移动端,不满意,否,2021-06-25 10:00:00,,否,,否,
r7,a4,A,移动端,不满意,是,2021-05-01 10:00:00,否,否,,否,
r8,a5,A,窗口,非常不满意,是,2021-01-04 10:00:00,是,否,,否,2021-01-20 00:00:00
r9,a5,A,窗口,满意,是,2021-07-02 10:00:00,,,,,
r10,a5,A,窗口,很好,是,2021-03-02 10:00:00,,,,,
r11,a5,A,窗口,不满意,是,2021-03-02 10:00:00,,是,2021-03-01 10:00:00,,
rb1,b1,B,窗口,满意,是,2021-02-01 10:00:00,,,,,
"""

TICKETS = """ticket_id,unit,received_at,deadline,closed_at,satisfaction
t1,A,2021-03-01 08:00:00,2021-03-05 18:00:00,2021-03-04 12:00:00,满意
t2,A,2021-03-02 08:00:00,2021-03-03 18:00:00,2021-03-05 12:00:00,不满意
t3,A,2021-06-29 08:00:00,2021-07-05 18:00:00,,
t4,A,2021-06-01 08:00:00,2021-06-10 18:00:00,,
t5,A,2021-05-01 08:00:00,2021-05-10 18:00:00,2021-07-03 12:00:00,非常满意
t6,A,2021-05-01 08:00:00,2021-05-10 18:00:00,2021-04-03 12:00:00,
"""

INFO = """unit,submitted_at,title,adopted,category,instructed,media_level,violation
A,2021-01-05,一月一,是,专刊,否,,
A,2021-01-12,一月二,是,综合,否,省级,
A,2021-01-20,一月三,否,,否,,
A,2021-02-03,二月一,是,情况,是,,
A,2021-04-02,四月一,否,,否,,
A,2021-04-09,四月二,否,,否,,迟报
A,2021-05-08,,否,,否,,瞒报
A,2021-06-01,六月一,否,,否,市级,
A,2021-06-02,六月二,否,,否,市级,
A,2021-06-03,六月三,否,,否,国家级,
A,2021-06-04,六月四,否,,否,,
A,2021-06-05,六月五,否,,否,,
A,2021-06-06,六月六,否,,否,,
A,2021-13-01,坏日期,否,,否,,
A,2021-06-07,坏类别,是,头条,否,,
B,2021-01-05,一,否,,否,,
B,2021-01-06,二,否,,否,,
B,2021-05-01,三,否,,否,,
B,2021-05-02,四,否,,否,,
B,2021-05-03,五,否,,否,,
B,2021-05-04,六,否,,否,,
B,2021-05-05,七,否,,否,,
B,2021-06-01,八,否,,否,,
B,2021-06-02,九,否,,否,,
B,2021-06-03,十,否,,否,,
"""

SYSTEMS = """system_id,unit,system_name,registered_users,service_days,service_start,service_end
S1,A,审批系统,100,工作日,09:00,17:00
S2,A,门户,50,每日,00:00,24:00
S3,B,业务系统,10,每日,08:00,20:00
"""

DOWNTIME = """system_id,start_at,end_at,reason
S1,2021-03-01 08:00:00,2021-03-01 10:00:00,升级
S1,2021-03-01 09:30:00,2021-03-01 11:00:00,升级延长
S1,2021-03-06 10:00:00,2021-03-06 12:00:00,周六维护
S1,2021-06-30 16:00:00,2021-07-01 12:00:00,故障
S2,2020-12-31 23:00:00,2021-01-01 01:00:00,跨年维护
S1,2021-04-01 12:00:00,2021-04-01 11:00:00,结束早于开始
S9,2021-04-01 10:00:00,2021-04-01 11:00:00,未知系统
"""

USAGE = """system_id,day,active_users,registered_users
S1,2021-01-04,50,
S1,2021-01-05,20,40
S1,2021-07-01,100,
S2,2021-02-01,25,
S1,2021-01-06,20,10
S2,2021-02-02,5,
S2,2021-02-02,6,
"""

FILES = {
    "units.csv": UNITS,
    "items.csv": ITEMS,
    "cases.csv": CASES,
    "ratings.csv": RATINGS,
    "tickets.csv": TICKETS,
    "info_reports.csv": INFO,
    "systems.csv": SYSTEMS,
    "downtime.csv": DOWNTIME,
    "usage.csv": USAGE,
}


def write_records(folder: Path, files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (files or FILES).items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def records_dir(tmp_path: Path) -> Path:
    return write_records(tmp_path / "records")


@pytest.fixture(scope="module")
def computed(tmp_path_factory: pytest.TempPathFactory):
    from govassess.metrics.compute import compute
    from govassess.metrics.definitions import parse_period
    from govassess.metrics.engines import DuckDBEngine
    from govassess.metrics.infowork import load_info_rules

    folder = write_records(tmp_path_factory.mktemp("records"))
    engine = DuckDBEngine()
    try:
        # The hand-built expectations of 信息报送 use the combined clauses (docs/metrics.md).
        yield compute(
            engine, folder, parse_period("2021-01-01", "2021-06-30"), info_rules=load_info_rules("combined")
        )
    finally:
        engine.close()


def compute_on_spark(spark_session, folder, period, **kwargs):  # noqa: ANN001, ANN201
    """`compute` on a SparkEngine over the tests' shared session (closed again, the session stays up)."""
    from govassess.metrics.compute import compute
    from govassess.metrics.engines import SparkEngine

    spark = SparkEngine(spark=spark_session)
    try:
        return compute(spark, folder, period, **kwargs)
    finally:
        spark.close()
