"""Data feeds in the web platform: website inspection (网上抓取) on a loopback fixture site, raw-record metrics
(系统统计) on a hand-built record set, pushing both into a round, and the 政务服务指标分析 monitoring pages.

Every expectation is computed by hand from how the fixture site and the records below were built."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from webtools import PASSWORD

from govassess.errors import UserError
from govassess.inspection import testsite
from govassess.inspection.testsite import html, page, serve
from govassess.web.audit.models import AuditEntry
from govassess.web.feeds import services
from govassess.web.feeds.models import InspectionReport, MetricsRun, RecordSet, SiteProbe, UnitSite
from govassess.web.rounds.models import InputValue, Round
from govassess.web.rounds.services import round_create, round_transition
from govassess.web.systems.services import system_import

AS_OF = dt.date(2024, 6, 30)

# A system whose inputs come from the feeds: two website deductions (网上抓取) and one ratio (系统统计).
FEED_SYSTEM = """
id: web-feeds-mini
name: 数据来源测试体系
total: 30
scale: 30
classes: [市级部门]
indicators:
  - code: W
    name: 政府网站
    children:
      - code: W1
        name: 首页链接可用性
        points: 10
        rule: {type: deduct, input: 首页失效链接数, each: 1}
        source: 网上抓取
      - code: W2
        name: 信息来源
        points: 10
        rule: {type: deduct, input: 未注明信息来源页数, each: 1}
        source: 网上抓取
  - code: M
    name: 政务服务
    children:
      - code: M1
        name: 好评率
        points: 10
        rule: {type: ratio, value: 好评率}
        source: 系统统计
"""
INSPECT_MAP = """
rows:
  - {indicator: W1, input: 首页失效链接数, from: {value: 首页链接可用性}}
  - {indicator: W2, input: 未注明信息来源页数, from: {sample_without_source: true}}
"""
METRIC_MAP = "inputs:\n  - {metric: good_rating_rate, indicator: M1, input: 好评率}\n"

# Hand-built records. Ratings: D01 r1 非常满意, r2 不满意 (not rectified); D02 r3 非常不满意 (deadline given),
# r4 满意, r6 满意; r5 belongs to unit ZZZ, unknown to the platform, so it is an excluded record.
RATINGS = """rating_id,unit,level,active,rated_at,rectified,deadline
r1,D01,非常满意,是,2021-03-01 10:00,,
r2,D01,不满意,是,2021-03-02 10:00,否,
r3,D02,非常不满意,否,2021-03-03 10:00,否,2021-04-10
r4,D02,满意,是,2021-03-04 10:00,,
r5,ZZZ,满意,是,2021-03-05 10:00,,
r6,D02,满意,是,2021-03-08 10:00,,
"""
CASES = """case_id,unit,item_code,item_type,channel,accepted_at
c1,D01,X1,行政许可,网上,2021-01-05 09:00
c2,D01,X1,行政许可,窗口,2021-01-06 09:00
c3,D02,Y1,公共服务,移动端,2021-02-01 09:00
"""


@pytest.fixture(autouse=True, scope="module")
def loopback_only():
    # Module scope: undone after each module, so other areas' tests never run under this guard.
    with testsite.loopback_only() as refused:
        yield
    assert not refused, f"requests left loopback: {refused}"


@pytest.fixture(autouse=True)
def _fast_crawl(settings, monkeypatch):
    settings.GOVASSESS_INSPECT = {
        "delay": 0,
        "workers": 4,
        "per_host": 4,
        "timeout": 3.0,
        "external": "loopback",
    }
    # Jobs run inline (the views start threads on the embedded default).
    run_now = services._start
    monkeypatch.setattr(services, "_start", lambda kind, pk, background: run_now(kind, pk, False))


def _nav() -> str:
    return '<ul class="nav"><li><a href="/">首页</a></li><li><a href="/col/ywdt/">要闻动态</a></li></ul>'


def _article(n: int, day: dt.date, source: bool) -> str:
    src = "<span>来源：示例市政府办公室</span>" if source else ""
    return html(f"{_nav()}<h1>要闻{n}</h1><div>发布时间：{day.isoformat()} {src}</div><p>正文{n}</p>")


def site_routes():
    """Home links to the 要闻动态 list and to /missing.html (404: the one broken home link). The list has five
    dated entries; article 5 carries no 来源 (so the 10-page sample, which takes all 5 articles, finds 1)."""
    days = [AS_OF - dt.timedelta(days=i) for i in range(1, 6)]
    entries = "".join(f'<li><a href="/art/{i}.html">要闻{i}</a><span>{d.isoformat()}</span></li>' for i, d in
                      enumerate(days, 1))  # fmt: skip
    routes = {
        "/": page(html(f'{_nav()}<div>首页 <a href="/missing.html">专题</a></div><ul>{entries}</ul>')),
        "/col/ywdt/": page(html(f'{_nav()}<ul class="list">{entries}</ul>')),
    }
    for i, d in enumerate(days, 1):
        routes[f"/art/{i}.html"] = page(_article(i, d, source=i != 5))
    return routes


def _client(username: str | None) -> Client:
    c = Client()
    if username:
        assert c.login(username=username, password=PASSWORD)
    return c


@pytest.fixture
def feed_round(org, tmp_path):
    path = tmp_path / "feeds-system.yaml"
    path.write_text(FEED_SYSTEM, encoding="utf-8")
    system = system_import(user=None, source=str(path))
    rnd = round_create(user=org.office, system=system, name="2024年网站检查")
    round_transition(user=org.office, round=rnd, to_state="collecting")
    return rnd


def _lock(rnd: Round) -> None:
    # The final state is reached through scoring and publication (tested in test_services); here only the lock.
    Round.objects.filter(pk=rnd.pk).update(state="final")
    rnd.refresh_from_db()


# ---- website inspection --------------------------------------------------------------------------------------


def test_inspection_push_and_what_a_unit_sees(org, feed_round):
    office = _client("office")
    resp = office.post(
        "/feeds/sites/add/", {"unit": org.d1.pk, "url": "不是网址", "max_pages": 50}, follow=True
    )
    assert "网址" in resp.content.decode() and not UnitSite.objects.exists()  # located error, nothing stored
    with serve(site_routes()) as (base, hits):
        resp = office.post("/feeds/sites/add/", {"unit": org.d1.pk, "url": base + "/", "max_pages": 50})
        assert resp.status_code == 302
        site = UnitSite.objects.get()
        rep = services.inspection_start(user=org.office, site=site, as_of=AS_OF, background=False)
    assert rep.status == "done", rep.message
    broken = [(b["url"].removeprefix(base), b["found_on"].removeprefix(base), b["status"]) for b in
              rep.report["broken_links"]]  # fmt: skip
    assert broken == [("/missing.html", "/", 404)]
    assert rep.report["pages_without_source"] == [base + "/art/5.html"]
    assert "/art/1.html" in hits
    assert AuditEntry.objects.filter(action="site_add").count() == 1
    assert AuditEntry.objects.filter(action="inspection_start").count() == 1

    # The built-in map targets gov-website-check-2019, not this round's system: refused, nothing stored.
    resp = office.post(f"/feeds/reports/{rep.pk}/push/", {"round": feed_round.pk}, follow=True)
    assert "不存在" in resp.content.decode() or "没有" in resp.content.decode()
    assert not InputValue.objects.filter(round=feed_round).exists()
    upload = SimpleUploadedFile("map.yaml", INSPECT_MAP.encode())
    resp = office.post(f"/feeds/reports/{rep.pk}/push/", {"round": feed_round.pk, "map_file": upload})
    assert resp.status_code == 302
    values = {(v.indicator, v.input): v for v in InputValue.objects.filter(round=feed_round, unit=org.d1)}
    # 1 broken home link; 1 of the 5 sampled articles without 来源.
    assert values[("W1", "首页失效链接数")].value == "1"
    assert values[("W2", "未注明信息来源页数")].value == "1"
    assert all(v.source == "网上抓取" for v in values.values())
    assert "/missing.html" in values[("W1", "首页失效链接数")].note
    assert "/art/5.html" in values[("W2", "未注明信息来源页数")].note
    assert AuditEntry.objects.filter(action="feed_push", round=feed_round).count() == 1
    assert AuditEntry.objects.filter(action="input_set", round=feed_round).count() == 2

    own, other = _client("filler1"), _client("filler2")
    page_own = own.get(f"/feeds/reports/{rep.pk}/")
    assert page_own.status_code == 200 and "/missing.html" in page_own.content.decode()
    assert own.get(f"/feeds/reports/{rep.pk}/report.json").status_code == 200
    assert other.get(f"/feeds/reports/{rep.pk}/").status_code == 403
    assert other.get(f"/feeds/reports/{rep.pk}/report.json").status_code == 403
    assert f"/feeds/reports/{rep.pk}/" not in other.get("/feeds/").content.decode()
    assert f"/feeds/reports/{rep.pk}/" in own.get("/feeds/").content.decode()
    # The unit's fill page shows the pushed values with the evidence pages in their notes.
    fill = own.get(f"/rounds/{feed_round.pk}/units/D01/").content.decode()
    assert "网上抓取" in fill and "/art/5.html" in fill

    _lock(feed_round)
    with pytest.raises(UserError, match="已锁定"):
        services.report_push(user=org.office, report=rep, round=feed_round, map_text=INSPECT_MAP)
    assert AuditEntry.objects.filter(action="feed_push").count() == 1


def test_push_needs_the_office(org, feed_round):
    site = UnitSite.objects.create(unit=org.d1, url="http://127.0.0.1:9/")
    rep = InspectionReport.objects.create(site=site, unit=org.d1, as_of=AS_OF, status="done", report={})
    for user in (org.filler1, org.provider, org.reviewer, org.leader):
        with pytest.raises(Exception, match="评估办"):
            services.report_push(user=user, report=rep, round=feed_round)
    with pytest.raises(UserError, match="尚未完成"):
        services.report_push(user=org.office, report=rep, round=feed_round)


def test_inspect_due_crawls_then_probes(org, capsys):
    from govassess.cli import main

    with serve(site_routes()) as (base, _):
        UnitSite.objects.create(unit=org.d2, url=base + "/", max_pages=20)
        assert main(["web", "inspect-due"]) == 0
        assert "检查已完成" in capsys.readouterr().out
        assert InspectionReport.objects.get().status == "done"
        # Inspected within the last 7 days: the next run only visits the home page once.
        assert main(["web", "inspect-due"]) == 0
        assert "探测 可访问" in capsys.readouterr().out
        # Paused by the office (audited): the job leaves the site alone.
        site = UnitSite.objects.get()
        resp = _client("office").post(f"/feeds/sites/{site.pk}/update/", {"max_pages": "30"})
        assert resp.status_code == 302
        assert main(["web", "inspect-due"]) == 0
        assert capsys.readouterr().out == ""
    site.refresh_from_db()
    assert (site.active, site.max_pages) == (False, 30)
    assert AuditEntry.objects.filter(action="site_update").count() == 1
    assert InspectionReport.objects.count() == 1
    assert SiteProbe.objects.filter(ok=True).count() == 1


def test_inspect_due_queues_for_the_worker(org, capsys, settings):
    from govassess.cli import main

    settings.GOVASSESS_JOBS = "worker"
    with serve(site_routes()) as (base, _):
        UnitSite.objects.create(unit=org.d2, url=base + "/", max_pages=20)
        assert main(["web", "inspect-due"]) == 0
        assert "检查已排队" in capsys.readouterr().out
        assert InspectionReport.objects.get().status == "queued"
        # queued counts as recent: a second cron run does not queue the site again
        assert main(["web", "inspect-due"]) == 0
        assert InspectionReport.objects.count() == 1
        assert main(["web", "worker", "--once"]) == 0
    assert InspectionReport.objects.get().status == "done"


# ---- raw records and metrics ---------------------------------------------------------------------------------


def _zip(files: dict[str, str]) -> SimpleUploadedFile:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return SimpleUploadedFile("records.zip", buf.getvalue(), content_type="application/zip")


def _upload_records(office) -> RecordSet:
    resp = office.post(
        "/feeds/records/upload/",
        {"name": "2021上半年", "archive": _zip({"记录/ratings.csv": RATINGS, "记录/cases.csv": CASES})},
    )
    assert resp.status_code == 302
    return RecordSet.objects.get(name="2021上半年")


def test_records_metrics_and_push(org, feed_round):
    office = _client("office")
    rs = _upload_records(office)
    resp = office.post(
        f"/feeds/records/{rs.pk}/run/",
        {
            "period_from": "2021-01-01",
            "period_to": "2021-06-30",
            "map_ref": "upload",
            "map_file": SimpleUploadedFile("m.yaml", METRIC_MAP.encode()),
        },
    )
    run = MetricsRun.objects.get()
    assert resp.status_code == 302 and run.status == "done", run.message
    # r5 (unit ZZZ) is the only invalid record: excluded and reported for ratings.
    assert [(p["record_set"], p["count"]) for p in run.problems] == [("ratings", 1)]
    page_text = office.get(f"/feeds/runs/{run.pk}/").content.decode()
    assert "共排除无效记录 1 条" in page_text
    # 好评率 = (非常满意 + 满意) / 评价数: D01 1/2 (r1 of r1, r2); D02 2/3 (r4, r6 of r3, r4, r6).
    assert {(r["unit"], r["value"]) for r in run.rows} == {("D01", "0.5"), ("D02", "0.666667")}

    resp = office.post(f"/feeds/runs/{run.pk}/push/", {"round": feed_round.pk})
    assert resp.status_code == 302
    got = {v.unit.code: (v.value, v.source) for v in InputValue.objects.filter(round=feed_round)}
    assert got == {"D01": ("0.5", "系统统计"), "D02": ("0.666667", "系统统计")}
    assert AuditEntry.objects.filter(action="metrics_start").count() == 1
    assert AuditEntry.objects.filter(action="feed_push").count() == 1

    # Without a map the rows carry metric codes this system does not declare: refused as a whole.
    bare = services.metrics_start(
        user=org.office,
        record_set=rs,
        period_from=dt.date(2021, 1, 1),
        period_to=dt.date(2021, 6, 30),
        background=False,
    )
    before = list(InputValue.objects.filter(round=feed_round).values_list("unit__code", "value", "version"))
    with pytest.raises(UserError):
        services.run_push(user=org.office, run=bare, round=feed_round)
    after = list(InputValue.objects.filter(round=feed_round).values_list("unit__code", "value", "version"))
    assert after == before

    _lock(feed_round)
    resp = office.post(f"/feeds/runs/{run.pk}/push/", {"round": feed_round.pk}, follow=True)
    assert "已锁定" in resp.content.decode()
    assert AuditEntry.objects.filter(action="feed_push").count() == 1


def _start_run(office, rs: RecordSet, follow: bool = False, **fields):
    data = {"period_from": "2021-01-01", "period_to": "2021-06-30", **fields}
    return office.post(f"/feeds/records/{rs.pk}/run/", data, follow=follow)


def test_engine_choice_is_stored_and_given_to_the_engine_factory(org, monkeypatch):
    from govassess.metrics import DuckDBEngine

    asked: list[str] = []

    def factory(name: str):
        asked.append(name)
        return DuckDBEngine()  # the choice is what this test checks; test_metrics_run_on_spark runs Spark

    monkeypatch.setattr(services, "metrics_engine", factory)
    monkeypatch.setattr(services, "spark_available", lambda: True)
    office = _client("office")
    rs = _upload_records(office)
    assert '<option value="spark">Spark</option>' in office.get("/feeds/records/").content.decode()
    resp = _start_run(office, rs, engine="spark")
    run = MetricsRun.objects.get()
    assert resp.status_code == 302 and run.status == "done", run.message
    assert run.engine == "spark" and asked == ["spark"]
    assert "计算引擎 Spark" in office.get(f"/feeds/runs/{run.pk}/").content.decode()
    entry = AuditEntry.objects.get(action="metrics_start")
    assert "spark" in str(entry.after)
    # No choice posted: DuckDB, the default.
    _start_run(office, rs)
    assert MetricsRun.objects.order_by("-id").first().engine == "duckdb" and asked == ["spark", "duckdb"]

    # Without pyspark Spark is not offered, the page says why, and a posted choice is refused with the reason.
    monkeypatch.setattr(services, "spark_available", lambda: False)
    page_text = office.get("/feeds/records/").content.decode()
    assert 'value="spark"' not in page_text and "未安装 pyspark，无法使用 Spark 引擎" in page_text
    resp = _start_run(office, rs, follow=True, engine="spark")
    assert "未安装 pyspark，无法使用 Spark 引擎" in resp.content.decode()
    assert MetricsRun.objects.count() == 2 and asked == ["spark", "duckdb"]


INFO_REPORTS = """unit,submitted_at,title,adopted,category,instructed,media_level,violation
D01,2021-01-05,一月一,是,专刊,否,,
D01,2021-02-03,二月一,是,情况,是,,
"""


def test_info_points_only_under_the_regime_the_office_chose(org):
    # 甘肃省办法 (seed 002): 《甘肃情况》专刊 10 分、《要情》情况 5 分、《领导批示》 10 分 → D01 = 10 + 5 + 10 = 25.
    office = _client("office")
    resp = office.post(
        "/feeds/records/upload/",
        {"name": "信息报送", "archive": _zip({"记录/info_reports.csv": INFO_REPORTS})},
    )
    assert resp.status_code == 302
    rs = RecordSet.objects.get(name="信息报送")
    page_text = office.get("/feeds/records/").content.decode()
    assert "信息报送考评办法" in page_text and "甘肃省政务信息考核评比办法（gansu）" in page_text
    _start_run(office, rs)
    plain = MetricsRun.objects.get()
    assert plain.status == "done", plain.message
    assert not [r for r in plain.rows if r["indicator"] == "info_work"]
    assert any("未计算信息报送积分" in line for line in plain.summary)
    _start_run(office, rs, info_rules="gansu")
    run = MetricsRun.objects.order_by("-id").first()
    assert run.status == "done" and run.info_rules == "gansu", run.message
    got = {(r["unit"], r["input"]): r["value"] for r in run.rows if r["indicator"] == "info_work"}
    assert got[("D01", "信息工作得分")] == "25"
    assert "信息报送考评办法 gansu" in office.get(f"/feeds/runs/{run.pk}/").content.decode()
    assert "gansu" in str(AuditEntry.objects.filter(action="metrics_start").order_by("-id").first().after)
    resp = _start_run(office, rs, follow=True, info_rules="宁德")
    assert "未知的信息报送考评办法「宁德」" in resp.content.decode()
    assert MetricsRun.objects.count() == 2


@pytest.mark.spark
@pytest.mark.slow
def test_metrics_run_on_spark(org, settings):
    """One real run on Spark through the page: the hand-computed values of test_records_metrics_and_push and
    the excluded record's row number, as DuckDB gives them."""
    pytest.importorskip("pyspark")
    settings.GOVASSESS_SPARK_MASTER = "local[1]"
    office = _client("office")
    rs = _upload_records(office)
    map_file = SimpleUploadedFile("m.yaml", METRIC_MAP.encode())
    resp = _start_run(office, rs, engine="spark", map_ref="upload", map_file=map_file)
    run = MetricsRun.objects.get()
    assert resp.status_code == 302 and run.status == "done", run.message
    assert run.engine == "spark"
    # 好评率: D01 1/2, D02 2/3 (see test_records_metrics_and_push).
    assert {(r["unit"], r["value"]) for r in run.rows} == {("D01", "0.5"), ("D02", "0.666667")}
    # r5 (unit ZZZ) is on row 6 of ratings.csv: header row 1, r1 row 2 … r5 row 6.
    assert [
        (p["record_set"], p["count"], [(e["file"], e["row"]) for e in p["examples"]]) for p in run.problems
    ] == [("ratings", 1, [("ratings.csv", 6)])]
    page_text = office.get(f"/feeds/runs/{run.pk}/").content.decode()
    assert "计算引擎 Spark" in page_text and "第 6 行" in page_text


def test_record_folders_refused_when_unsafe(org, settings, tmp_path):
    with pytest.raises(UserError, match="不允许"):
        services.records_upload(user=org.office, name="x", upload=_zip({"../evil.csv": "a"}))
    with pytest.raises(UserError, match="不是 CSV"):
        services.records_upload(user=org.office, name="x", upload=_zip({"run.sh": "rm"}))
    assert not RecordSet.objects.exists()
    folder = tmp_path / "records"
    folder.mkdir()
    settings.GOVASSESS_RECORDS_DIRS = {"省平台导出": str(folder)}
    with pytest.raises(UserError, match="未配置"):
        services.records_register_server(user=org.office, key=str(folder))  # a path is never accepted
    rs = services.records_register_server(user=org.office, key="省平台导出")
    assert rs.path == str(folder) and not rs.uploaded
    with pytest.raises(Exception, match="评估办"):
        services.records_register_server(user=org.filler1, key="省平台导出")


# ---- monitoring ---------------------------------------------------------------------------------------------


def test_monitoring_pages_and_alerts_per_unit(org):
    office = _client("office")
    _upload_records(office)
    q = "?start=2021-01-01&end=2021-06-30"
    vol = office.get("/feeds/monitor/volume/" + q)
    # 2021-01: c1 网上 + c2 窗口 (行政许可), each half of the month; 2021-02: c3 移动端 公共服务, all of it.
    rows = [r for r in vol.context["report"].rows]
    assert [(r["月份"], r["事项类型"], r["受理渠道"], r["办件数"], r["占当月比例"]) for r in rows] == [
        ("2021-01", "行政许可", "窗口", 1, 0.5),
        ("2021-01", "行政许可", "网上", 1, 0.5),
        ("2021-02", "公共服务", "移动端", 1, 1.0),
    ]
    assert "govassess/vendor/echarts/echarts.min.js" in vol.content.decode()
    ratings = office.get("/feeds/monitor/ratings/" + q).context["report"].rows
    d2 = next(r for r in ratings if r["层级"] == "单位" and r["单位或区域"] == "D02")
    assert (d2["评价数"], d2["好评数"], d2["差评数"]) == (3, 2, 1)

    # 差评提醒 on 2021-03-20: r2 rated Tue 3/2, 15 working days later = Tue 3/23 -> 3 days left (即将到期);
    # r3 has its deadline 4/10 -> 21 days left (未到期).
    alerts = office.get("/feeds/monitor/alerts/?as_of=2021-03-20").context["report"].rows
    assert [(r["评价编号"], r["整改期限"], r["剩余天数"], r["状态"]) for r in alerts] == [
        ("r2", "2021-03-23", 3, "即将到期"),
        ("r3", "2021-04-10", 21, "未到期"),
    ]
    own = _client("filler1").get("/feeds/monitor/alerts/?as_of=2021-03-20")
    assert [r["评价编号"] for r in own.context["report"].rows] == ["r2"]
    other = _client("filler2").get("/feeds/monitor/alerts/?as_of=2021-03-20")
    assert [r["评价编号"] for r in other.context["report"].rows] == ["r3"]
    csv_text = (
        _client("filler1").get("/feeds/monitor/alerts.csv?as_of=2021-03-20").content.decode("utf-8-sig")
    )
    assert "r2" in csv_text and "r3" not in csv_text
    xlsx = office.get("/feeds/monitor/alerts.xlsx?as_of=2021-03-20")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    for kind in ("volume", "ratings"):
        assert _client("filler1").get(f"/feeds/monitor/{kind}/").status_code == 403
        assert _client("filler1").get(f"/feeds/monitor/{kind}.csv").status_code == 403


def test_evidence_block_follows_what_the_role_may_read(org):
    from govassess.web.feeds.models import FeedPush

    FeedPush.objects.create(
        round=org.round,
        source="系统统计",
        rows=[
            {"unit": "D01", "indicator": "1", "input": "网上办理率", "value": "0.5", "note": "证据甲"},
            {"unit": "D01", "indicator": "3", "input": "目录总数", "value": "10", "note": "证据乙"},
            {"unit": "D02", "indicator": "1", "input": "网上办理率", "value": "0.2", "note": "证据丙"},
        ],
    )
    own = _client("filler1").get(f"/rounds/{org.round.pk}/units/D01/").content.decode()
    assert "证据甲" in own and "证据乙" in own and "证据丙" not in own
    # The provider reads only its assigned indicator 3.
    prov = _client("provider").get(f"/rounds/{org.round.pk}/units/D01/").content.decode()
    assert "证据乙" in prov and "证据甲" not in prov


def test_default_map_feeds_the_builtin_national_checklist(org):
    """A round on the built-in gov-website-check-2019 takes a report through the default map as is."""
    system = system_import(user=None, source="gov-website-check-2019")
    rnd = round_create(user=org.office, system=system, name="2024年政府网站检查")
    round_transition(user=org.office, round=rnd, to_state="collecting")
    with serve(site_routes()) as (base, _):
        site = services.site_add(user=org.office, unit=org.d1, url=base + "/", max_pages=50)
        rep = services.inspection_start(user=org.office, site=site, as_of=AS_OF, background=False)
    push = services.report_push(user=org.office, report=rep, round=rnd)
    stored = {(v.indicator, v.input): v.value for v in InputValue.objects.filter(round=rnd, unit=org.d1)}
    assert push.count == len(stored) > 0
    assert stored[("1.2", "首页失效链接数")] == "1"  # /missing.html, linked from the home page
