"""The fixture site's findings, expected from how testsite.build_site builds it (as-of 2024-06-30)."""

import datetime as dt

from govassess.inspection.testsite import BLANK_COLUMNS, COLUMNS


def check(report, name):
    return next(c for c in report["checks"] if c["check"] == name)


def rel(site, urls):
    return sorted(u.replace(site["base"], "") for u in urls)


def test_columns_recognised_with_dates_types_and_items(site):
    report = site["report"]
    cols = {c["url"].replace(site["base"], ""): c for c in report["columns"]}
    # 6 dated columns + 2 blank columns + the GBK 县区信息 column, all linked from the home navigation.
    assert set(cols) == set(COLUMNS) | set(BLANK_COLUMNS) | {"/gbk/"}
    for path, (name, kind, dates, _) in COLUMNS.items():
        assert cols[path]["name"] == name
        assert cols[path]["type"] == kind
        assert cols[path]["last_updated"] == dates[0].isoformat()
        assert cols[path]["items"] == len(dates)
    # The GBK list page was decoded: its Chinese name comes from the (UTF-8) nav, its dates from GBK bytes.
    assert cols["/gbk/"]["last_updated"] == "2024-06-28" and cols["/gbk/"]["items"] == 2


def test_stale_and_blank_columns(site):
    report = site["report"]
    stale = rel(site, [c["url"] for c in report["columns"] if c["stale"]])
    blank = rel(site, [c["url"] for c in report["columns"] if c["blank"]])
    # as-of 2024-06-30: 动态要闻 cut-off 2024-06-16 -> 部门动态 (06-01) stale, 要闻动态 (06-25) fresh;
    # 通知公告政策文件 cut-off 2023-12-30 -> 通知公告 (2023-11-01) stale, 政策文件 (2024-03-01) fresh;
    # 人事规划 cut-off 2023-06-30 -> 人事信息 (2023-01-01) stale, 规划计划 (2024-01-10) fresh.
    assert stale == ["/col/bmdt/", "/col/rsxx/", "/col/tzgg/"]
    assert blank == ["/col/hdjl/", "/col/zt/"]
    # Veto 1 counts 动态要闻 + 通知公告政策文件 only: 2 < 5 -> pass. Abandoned: 3 stale + 2 blank = 5 < 10.
    assert (check(report, "栏目不更新")["value"], check(report, "栏目不更新")["result"]) == (2, "pass")
    assert (
        check(report, "应更新但长期未更新栏目")["value"],
        check(report, "应更新但长期未更新栏目")["result"],
    ) == (5, "pass")
    assert (check(report, "空白栏目")["value"], check(report, "空白栏目")["result"]) == (2, "pass")


def test_staleness_follows_as_of():
    """The same columns judged at another date: thresholds are data applied to --as-of."""
    from govassess.inspection.rules import load_rules

    rules = load_rules()
    news = rules.classify("部门动态")
    assert news is not None
    # 2024-06-01 is within 2 weeks of 2024-06-15 (cut-off 06-01) but not of 2024-06-16 (cut-off 06-02).
    assert news.cutoff(dt.date(2024, 6, 15)) == dt.date(2024, 6, 1)
    assert news.cutoff(dt.date(2024, 6, 16)) == dt.date(2024, 6, 2)
    notices = rules.classify("通知公告")
    assert notices is not None and notices.cutoff(dt.date(2024, 8, 31)) == dt.date(2024, 2, 29)


def test_broken_links_home_vs_other(site):
    report = site["report"]
    home = [b for b in report["broken_links"] if b["on_home"]]
    other = [b for b in report["broken_links"] if not b["on_home"]]
    # Home links that fail: a 404, a redirect loop, a page slower than the 2 s timeout.
    assert rel(site, [b["url"] for b in home]) == ["/loop/a", "/missing-home.html", "/veryslow.html"]
    assert {b["url"].replace(site["base"], ""): b["status"] for b in home}["/missing-home.html"] == 404
    # Other pages: a missing attachment on this site and a 404 on the other (loopback) site.
    assert sorted(b["url"] for b in other) == sorted(
        [site["base"] + "/files/missing.doc", site["ext"] + "/gone.html"]
    )
    for b in report["broken_links"]:
        assert b["found_on"] and b["time"]
    assert all(b["found_on"] == site["base"] + "/art/ywdt/1.html" for b in other)
    # 3 home links x 1 point; 2 other links x 0.1 point.
    assert check(report, "首页链接可用性")["points"] == 3
    assert check(report, "其他页面链接可用性")["points"] == 0.2


def test_external_links_not_fetched_off_machine(site):
    report = site["report"]
    not_checked = {n["url"]: n["reason"] for n in report["not_checked"]}
    assert "外部链接" in not_checked["http://www.example.gov.cn/"]
    assert "外部链接" in not_checked["https://beian.miit.gov.cn/"]
    # The loopback "external" site was asked for exactly the two linked pages, nothing crawled beyond.
    assert sorted(site["ext_hits"]) == ["/gone.html", "/ok.html"]


def test_pages_without_source_and_articles(site):
    report = site["report"]
    facts = site["facts"]
    assert rel(site, report["pages_without_source"]) == sorted(facts.articles_without_source)
    assert rel(site, [a["url"] for a in report["articles"]]) == sorted(
        facts.articles_with_source + facts.articles_without_source
    )
    # 13 articles: 3+2+2+2+1+1 in the six columns, 2 in the GBK section; 2 lack 来源.
    assert len(report["articles"]) == 13 and len(report["pages_without_source"]) == 2
    gbk = {a["url"].replace(site["base"], ""): a for a in report["articles"]}
    assert gbk["/gbk/1.html"]["source"] == "示例县融媒体中心"  # undeclared GBK, trial-decoded
    assert gbk["/gbk/2.html"]["source"] == "示例县人民政府"  # header claimed UTF-8


def test_source_sample_is_reproducible_and_deducts_ten_percent_each(site):
    report = site["report"]
    sample = report["sample"]
    assert len(sample["pages"]) == 10  # min(10, 13 articles)
    assert set(sample["pages"]) <= {a["url"] for a in report["articles"]}
    expected_missing = sorted(set(sample["pages"]) & set(report["pages_without_source"]))
    assert sample["without_source"] == expected_missing
    c = check(report, "信息来源抽查")
    assert c["value"] == len(expected_missing)
    assert c["points"] == round(0.1 * len(expected_missing), 4)


def test_site_features(site):
    report = site["report"]
    assert check(report, "站点地图")["result"] == "pass"
    assert check(report, "搜索功能")["result"] == "pass"
    assert check(report, "社交媒体分享")["result"] == "pass"  # every article page has 分享到
    popup = check(report, "飘窗")
    assert popup["result"] == "fail" and popup["value"] == 1  # one 飘窗 with no close control
    assert check(report, "网站标识码")["value"] == "4401000001"
    assert check(report, "ICP备案号")["value"] == "粤ICP备12345678号-1"
    assert check(report, "公安机关备案号")["result"] == "fail"
    assert check(report, "党政机关网站标识")["result"] == "fail"
    assert check(report, "HTTPS")["result"] == "fail"
    assert check(report, "政府网站域名")["result"] == "fail"
    assert check(report, "首页不更新")["result"] == "pass"  # newest home item 2024-06-25 is within 14 days
    assert check(report, "首页不更新")["value"] == "2024-06-25"


def test_crawl_errors_from_hostile_pages(site):
    report = site["report"]
    kinds = {e["url"].replace(site["base"], ""): e["kind"] for e in report["crawl_errors"]}
    assert kinds["/hostile/binary.html"] == "binary"
    assert kinds["/hostile/huge.html"] == "too_large"  # 60,000 x "<p>大</p>" > 200 KB limit
    assert kinds["/loop/a"] == "redirect_loop"
    assert kinds["/veryslow.html"] == "timeout"
    assert kinds["/gbk/2.html"] == "charset"
    for e in report["crawl_errors"]:
        assert e["message"] and e["time"]
    # Malformed HTML is parsed, not an error; its link to 政策文件 was read.
    assert "/hostile/malformed.html" not in kinds


def test_politeness_traps_and_robots(site):
    report = site["report"]
    hits = site["hits"]
    assert "/private/secret.html" not in hits  # robots.txt: Disallow: /private/
    assert report["skipped"]["robots.txt 禁止"] == 1
    calendar_hits = [h for h in hits if h.startswith("/calendar/")]
    # The calendar links month to month without end: 5 pages per pattern (calendar_limit), then skipped.
    assert len(calendar_hits) == 5
    assert report["skipped"]["日历陷阱"] >= 1
    # Session ids are stripped: /col/ywdt/;jsessionid=… and /col/zcwj/?sid=99 are the same pages.
    assert hits.count("/col/ywdt/") == 1 and hits.count("/col/zcwj/") == 1
    assert not any("jsessionid" in h or "sid=" in h for h in hits)
    # The redirect /old/ -> /col/ywdt/ is recorded.
    assert report["redirects"][site["base"] + "/old/"] == site["base"] + "/col/ywdt/"
    # Each page fetched once.
    pages = [h for h in hits if h != "/robots.txt"]
    assert len(pages) == len(set(pages))


def test_findings_carry_url_page_evidence_time(site):
    findings = site["report"]["findings"]
    kinds = {f["kind"] for f in findings}
    assert {"失效链接", "栏目未更新", "空白栏目", "未注明信息来源"} <= kinds
    for f in findings:
        assert f["url"] and f["found_on"] and f["evidence"] and f["time"]
