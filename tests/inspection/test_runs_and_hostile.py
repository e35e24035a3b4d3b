"""State across runs (home-page change, availability) and hostile servers."""

import datetime as dt
import gzip
import json

from govassess.inspection.crawler import crawl_site
from govassess.inspection.report import inspect_site, probe_site
from govassess.inspection.testsite import html, monitor, page, redirect, serve


def _home(items):
    lis = "".join(f'<li><a href="/a{i}.html">信息{i}</a><span>{d}</span></li>' for i, d in enumerate(items))
    return page(html(f'<div class="nav"><a href="/">首页</a></div><ul>{lis}</ul>'))


def _check(report, name):
    return next(c for c in report["checks"] if c["check"] == name)


def test_home_unchanged_for_two_weeks_across_runs_is_a_veto(tmp_path, config):
    # Items dated 2024-06-01: at as-of 2024-06-10 that is within 14 days (cut-off 2024-05-27).
    routes = {"/": _home(["2024-06-01"]), "/robots.txt": (404, {}, b"")}
    with serve(routes) as (base, _):
        r1 = inspect_site(config(base), as_of=dt.date(2024, 6, 10), state_dir=tmp_path)
        assert _check(r1, "首页不更新")["result"] == "pass"
        assert r1["home"]["changed_since_last_run"] is None  # first run: nothing to compare
        # Same home page 14 days later: unchanged since 06-10 (14 days) and newest item 06-01 < 06-10.
        r2 = inspect_site(config(base), as_of=dt.date(2024, 6, 24), state_dir=tmp_path)
        c = _check(r2, "首页不更新")
        assert c["result"] == "fail"
        assert r2["home"]["changed_since_last_run"] is False
        assert r2["home"]["unchanged_since"] == "2024-06-10"
        assert r2["verdict"].startswith("不合格")
        # The home page gets a new item: changed since the last run.
        routes["/"] = _home(["2024-06-25", "2024-06-01"])
        r3 = inspect_site(config(base), as_of=dt.date(2024, 6, 26), state_dir=tmp_path)
        assert r3["home"]["changed_since_last_run"] is True
        assert _check(r3, "首页不更新")["result"] == "pass"
    state = json.loads(next(tmp_path.iterdir()).read_text("utf-8"))
    assert [r["date"] for r in state["runs"]] == ["2024-06-10", "2024-06-24", "2024-06-26"]


DOWN = (503, {"Content-Type": "text/html"}, b"busy")


def _week_with_failures(base, routes, state, failures):
    """06-01..06-06: 20 good visits a day; 06-07: ``failures`` failed visits, then good ones up to 19; the
    inspection on 06-07 is the 140th visit (7 days x 20, the 19号 rule's minimum)."""
    monitor(base, state, dt.date(2024, 6, 6), days=6)
    good = routes["/"]
    routes["/"] = DOWN
    for _ in range(failures):
        assert not probe_site(base + "/", state_dir=state, as_of=dt.date(2024, 6, 7), timeout=2)["ok"]
    routes["/"] = good
    for _ in range(19 - failures):
        assert probe_site(base + "/", state_dir=state, as_of=dt.date(2024, 6, 7), timeout=2)["ok"]


def test_availability_is_decided_on_a_week_of_twenty_visits_a_day(tmp_path, config):
    # 国办秘函〔2019〕19号: 监测1周，每天间隔性访问20次以上，超过（含）15秒打不开的次数累计占比超过（含）5%.
    # 6 of 140 = 4.29 % < 5 % passes; 7 of 140 = 5 % exactly is "超过（含）" and vetoes.
    routes = {"/": _home(["2024-06-01"]), "/robots.txt": (404, {}, b"")}
    with serve(routes) as (base, _):
        _week_with_failures(base, routes, tmp_path / "six", 6)
        six = inspect_site(config(base), as_of=dt.date(2024, 6, 7), state_dir=tmp_path / "six")
        _week_with_failures(base, routes, tmp_path / "seven", 7)
        seven = inspect_site(config(base), as_of=dt.date(2024, 6, 7), state_dir=tmp_path / "seven")
    c6, c7 = _check(six, "站点无法访问"), _check(seven, "站点无法访问")
    assert (c6["result"], c6["value"]) == ("pass", round(6 / 140, 4))
    assert (c7["result"], c7["value"]) == ("fail", 0.05)
    assert len(c7["evidence"]) == 7 and c7["evidence"][0]["status"] == 503
    assert seven["verdict"] == "不合格（单项否决：站点无法访问）"
    assert "每天访问20次以上" in c7["criteria"]


def test_one_failed_visit_without_a_week_of_monitoring_is_undetermined(tmp_path, config):
    # Down at the only visit: 1 of 1 = 100 %, but the rule needs a week of 20 visits a day, so no veto yet.
    routes = {"/": (500, {"Content-Type": "text/html"}, b"down"), "/robots.txt": (404, {}, b"")}
    with serve(routes) as (base, _):
        r = inspect_site(config(base), as_of=dt.date(2024, 6, 1), state_dir=tmp_path)
    c = _check(r, "站点无法访问")
    assert c["value"] == 1.0 and c["result"] == "undetermined"
    assert "监测不足，未判定" in c["evidence"] and "7 天少于 20 次" in c["evidence"]
    assert "2024-05-26 0 次" in c["evidence"] and "2024-06-01 1 次" in c["evidence"]
    assert r["verdict"] == "未触发已判定的单项否决；尚未判定：站点无法访问、首页不更新（见各项说明）"
    assert _check(r, "首页不更新")["result"] == "undetermined"  # a 500 page says nothing about updates
    assert r["pages_crawled"] == 1 and r["home"]["status"] == 500


def test_a_day_short_of_twenty_visits_leaves_availability_undetermined(tmp_path, config):
    routes = {"/": _home(["2024-06-01"]), "/robots.txt": (404, {}, b"")}
    with serve(routes) as (base, _):
        monitor(base, tmp_path, dt.date(2024, 6, 7), last_day=19)
        # One visit of 06-03 missing: 19 that day.
        state_file = next(tmp_path.iterdir())
        state = json.loads(state_file.read_text("utf-8"))
        runs = state["runs"]
        drop = next(i for i, r in enumerate(runs) if r.get("probe", {}).get("date") == "2024-06-03")
        del runs[drop]
        state_file.write_text(json.dumps(state, ensure_ascii=False), "utf-8")
        r = inspect_site(config(base), as_of=dt.date(2024, 6, 7), state_dir=tmp_path)
    c = _check(r, "站点无法访问")
    assert c["result"] == "undetermined" and c["value"] == 0
    assert "1 天少于 20 次（2024-06-03 19 次）" in c["evidence"]


def test_hostile_server_never_crashes(config):
    big = b"<html><body>" + b"<p>x</p>" * 50_000 + b"</body></html>"
    bomb = gzip.compress(b"<html>" + b" " * 5_000_000)
    routes = {
        "/robots.txt": (200, {"Content-Type": "text/plain"}, b"\xff\xfe garbage \x00 robots"),
        "/": page(
            html(
                "".join(
                    f'<a href="/{p}">{p}</a>'
                    for p in (
                        "big",
                        "bomb",
                        "self",
                        "ping",
                        "pong",
                        "nolocation",
                        "empty",
                        "pdf",
                        "deep/a/b/a/b/a/b/",
                    )
                )
            )
        ),
        "/big": (200, {"Content-Type": "text/html"}, big),
        "/bomb": (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, bomb),
        "/self": redirect("/self"),
        "/ping": redirect("/pong", 302),
        "/pong": redirect("/ping", 307),
        "/nolocation": (302, {"Content-Type": "text/html"}, b""),
        "/empty": (200, {"Content-Type": "text/html; charset=klingon"}, b""),
        "/pdf": (200, {"Content-Type": "text/html; charset=utf-8"}, b"%PDF-1.7\n" + bytes(range(256))),
    }
    with serve(routes) as (base, hits):
        result = crawl_site(config(base, max_bytes=100_000))
    errors = {e["url"].replace(base, ""): e["kind"] for e in result.errors}
    assert errors["/big"] == "too_large"  # 400 KB > 100 KB
    assert errors["/bomb"] == "too_large"  # 5 MB once decompressed
    assert errors["/self"] == "redirect_loop"
    assert errors["/ping"] == "redirect_loop"
    assert errors["/nolocation"] == "bad_redirect"
    assert errors["/pdf"] == "binary"
    assert "/empty" not in errors  # an empty page is odd but not an error
    assert "/deep/a/b/a/b/a/b/" not in hits and result.skipped["路径重复"] == 1


def test_page_limit_is_deterministic(config):
    lis = "".join(f'<li><a href="/p{i:02d}.html">第{i}条</a> 2024-06-01</li>' for i in range(30))
    routes = {"/": page(html(f"<ul>{lis}</ul>")), "/robots.txt": (404, {}, b"")}
    routes.update({f"/p{i:02d}.html": page(html(f"<p>{i}</p>")) for i in range(30)})
    with serve(routes) as (base, _):
        a = crawl_site(config(base, max_pages=11))
        b = crawl_site(config(base, max_pages=11, workers=3, per_host=3))
    # Home + the first 10 links in sorted order, whatever the concurrency.
    expected = {base + "/"} | {f"{base}/p{i:02d}.html" for i in range(10)}
    assert set(a.pages) == set(b.pages) == expected
    assert a.skipped["超出页面数上限"] == 20


def test_robots_crawl_delay_and_unreachable_robots(config):
    routes = {"/": page(html('<a href="/x.html">x</a>')), "/x.html": page(html("x"))}
    routes["/robots.txt"] = (503, {"Content-Type": "text/plain"}, b"")
    with serve(routes) as (base, hits):
        result = crawl_site(config(base))
    # RFC 9309: robots.txt answering 5xx means "assume complete disallow".
    assert hits == ["/robots.txt"] and result.pages == {}
    assert result.errors[0]["kind"] == "robots"


def test_probe_runs_feed_availability_without_breaking_home_history(tmp_path, config):
    from govassess.inspection.report import probe_site

    routes = {"/": _home(["2024-06-01"]), "/robots.txt": (404, {}, b"")}
    with serve(routes) as (base, _):
        inspect_site(config(base), as_of=dt.date(2024, 6, 10), state_dir=tmp_path)
        for _ in range(18):
            assert probe_site(base + "/", state_dir=tmp_path, as_of=dt.date(2024, 6, 11), timeout=2)["ok"]
        routes["/"] = (502, {"Content-Type": "text/html"}, b"bad gateway")
        assert not probe_site(base + "/", state_dir=tmp_path, as_of=dt.date(2024, 6, 11), timeout=2)["ok"]
        routes["/"] = _home(["2024-06-01"])
        r = inspect_site(config(base), as_of=dt.date(2024, 6, 12), state_dir=tmp_path)
    # Visits in the window 06-06..06-12: 1 inspection + 18 good probes + 1 failed probe + this run = 21.
    c = _check(r, "站点无法访问")
    assert c["value"] == round(1 / 21, 4) and c["result"] == "undetermined"  # 21 visits, not 7 x 20
    assert "其中 1 次未在 15 秒内打开" in c["evidence"]
    # The probes carry no home fingerprint: the home page is compared with the 06-10 inspection.
    assert r["home"]["changed_since_last_run"] is False and r["home"]["unchanged_since"] == "2024-06-10"


def test_navigation_only_home_is_judged_by_its_columns(config):
    # The home page has no dated items, only column entrances: "如首页仅为网站栏目导航入口" -> the newest
    # item of the first-level columns counts. 要闻 newest 2024-06-20, within 14 days of 2024-06-30.
    lis = '<li><a href="/a1.html">一</a> 2024-06-20</li><li><a href="/a2.html">二</a> 2024-05-02</li>'
    routes = {
        "/": page(html('<div class="nav"><a href="/yw/">要闻</a><a href="/gg/">公告</a></div>')),
        "/yw/": page(html(f"<ul>{lis}</ul>")),
        "/gg/": page(html('<ul><li><a href="/a3.html">三</a> 2024-01-02</li></ul>')),
        "/robots.txt": (404, {}, b""),
    }
    with serve(routes) as (base, _):
        r = inspect_site(config(base), as_of=dt.date(2024, 6, 30))
    c = _check(r, "首页不更新")
    assert r["home"]["portal_only"] is True
    assert (c["result"], c["value"]) == ("pass", "2024-06-20")
    with serve(routes) as (base, _):
        late = inspect_site(config(base), as_of=dt.date(2024, 7, 5))
    # 2024-06-20 < 2024-07-05 - 14 days = 2024-06-21 -> not updated.
    assert _check(late, "首页不更新")["result"] == "fail"


def test_unreadable_home_is_a_user_error(config):
    import pytest

    from govassess.errors import UserError

    routes = {
        "/": page(html("x")),
        "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /\n"),
    }
    with serve(routes) as (base, _), pytest.raises(UserError, match="robots.txt 禁止抓取"):
        inspect_site(config(base), as_of=dt.date(2024, 6, 30))


def test_list_entries_in_tables_divs_and_paragraphs():
    from govassess.inspection.parse import parse_page

    body = (
        '<table><tr><td><a href="/t1.html">表格条目</a></td><td>2024-05-01</td></tr></table>'
        '<div class="newslist"><div><a href="/d1.html">块条目</a><span>2024年5月2日</span></div></div>'
        '<p><a href="/p1.html">段落条目</a> [2024.05.03]</p>'
        '<p><a href="/x1.html">同段</a><a href="/x2.html">两个链接</a> 2024-05-04</p>'
    )
    info = parse_page("http://x.gov.cn/", f"<html><body>{body}</body></html>")
    got = {e.url.rsplit("/", 1)[1]: e.date.isoformat() for e in info.entries}
    # The paragraph with two links is not one entry: whose date would it be?
    assert got == {"t1.html": "2024-05-01", "d1.html": "2024-05-02", "p1.html": "2024-05-03"}


def test_per_host_concurrency_limit_seen_by_the_server(config):
    import threading
    import time as _time

    state = {"now": 0, "max": 0}
    lock = threading.Lock()

    def tracked() -> bytes:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        _time.sleep(0.1)  # keep requests overlapping; nothing is timed
        with lock:
            state["now"] -= 1
        return html("<p>页</p>").encode()

    links = "".join(f'<a href="/p{i}.html">{i}</a>' for i in range(12))
    routes = {"/": page(html(links)), "/robots.txt": (404, {}, b"")}
    routes.update({f"/p{i}.html": (200, {"Content-Type": "text/html"}, tracked) for i in range(12)})
    with serve(routes) as (base, _):
        crawl_site(config(base, workers=8, per_host=2))
    assert state["max"] == 2  # 8 threads, but at most 2 requests at a time to this host


def test_host_gate_spaces_requests(monkeypatch):
    from govassess.inspection import crawler

    clock = {"t": 100.0}
    slept: list[float] = []
    monkeypatch.setattr(crawler.time, "monotonic", lambda: clock["t"])
    monkeypatch.setattr(crawler.time, "sleep", lambda s: slept.append(round(s, 3)))
    gate = crawler._HostGate(per_host=4, delay=0.5)
    for _ in range(3):
        with gate:
            pass
    # Three requests at the same instant: the 2nd waits 0.5 s, the 3rd 1.0 s.
    assert slept == [0.5, 1.0]


def test_robots_crawl_delay_is_honoured(config):
    from govassess.inspection.crawler import Crawler

    routes = {
        "/": page(html("x")),
        "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nCrawl-delay: 3\nDisallow:\n"),
    }
    with serve(routes) as (base, _):
        crawler = Crawler(config(base, delay=0))
        crawler.crawl()
    assert crawler._gates[base.split("//")[1]]._delay == 3.0


def test_loopback_policy_never_follows_a_redirect_off_the_machine(config):
    with serve({"/jump": redirect("http://www.example.gov.cn/landing"), "/robots.txt": (404, {}, b"")}) as (
        ext,
        _,
    ):
        routes = {"/": page(html(f'<a href="{ext}/jump">外部跳转</a>')), "/robots.txt": (404, {}, b"")}
        with serve(routes) as (base, _):
            result = crawl_site(config(base))
    status = result.link_status[ext + "/jump"]
    # The redirect target is reported, not fetched; the guard in conftest would fail the test otherwise.
    assert status.error == "redirect_out" and "www.example.gov.cn" in (status.message or "")


def test_gzip_page_is_decoded(config):
    body = gzip.compress(
        html('<ul><li><a href="/a.html">压缩页面条目</a> 2024-06-01</li></ul>').encode("utf-8")
    )
    routes = {
        "/": (200, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}, body),
        "/a.html": page(html("<h1>文</h1>")),
        "/robots.txt": (404, {}, b""),
    }
    with serve(routes) as (base, _):
        result = crawl_site(config(base))
    home = result.pages[base + "/"]
    assert home.info is not None and home.info.entries[0].title == "压缩页面条目"


def test_home_page_moved_to_another_host_brings_it_into_scope(config):
    # The "new domain" is a second loopback server: the home redirects there and the crawl follows it.
    new_routes = {
        "/": page(html('<ul><li><a href="/a.html">新站条目</a> 2024-06-20</li></ul>')),
        "/a.html": page(html("<h1>新站文章</h1><p>发布时间：2024-06-20 来源：新站</p>")),
        "/robots.txt": (404, {}, b""),
    }
    with serve(new_routes) as (new_base, new_hits):
        old = {"/": redirect(new_base + "/"), "/robots.txt": (404, {}, b"")}
        with serve(old) as (base, _):
            r = inspect_site(config(base), as_of=dt.date(2024, 6, 30))
    assert new_base.split("//")[1] in r["hosts"]
    assert "/a.html" in new_hits
    assert [a["url"] for a in r["articles"]] == [new_base + "/a.html"]
    assert any(e["kind"] == "home_moved" for e in r["crawl_errors"])


def test_site_down_is_reported_not_refused(config, tmp_path):
    import socket as _socket

    # A loopback port with nothing listening: connection refused for robots.txt and the home page.
    with _socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = inspect_site(config(f"http://127.0.0.1:{port}"), as_of=dt.date(2024, 6, 30), state_dir=tmp_path)
    c = _check(r, "站点无法访问")
    assert (c["result"], c["value"]) == ("undetermined", 1.0)  # one visit is not a week of monitoring
    home = _check(r, "首页不更新")
    assert home["result"] == "undetermined" and "首页本次未能打开" in home["evidence"][0]
    assert r["pages_crawled"] == 0 and r["verdict"].startswith("未触发已判定的单项否决")
    assert "尚未判定：站点无法访问、首页不更新" in r["verdict"]
    state = json.loads(next(tmp_path.iterdir()).read_text("utf-8"))
    assert "robots.txt 无法读取" in state["runs"][-1]["probe"]["error"]  # the failed visit is recorded


def test_robots_unreachable_but_site_up_is_a_user_error_with_the_visit_recorded(config, tmp_path):
    import pytest

    from govassess.errors import UserError

    routes = {"/": page(html("<p>首页</p>")), "/robots.txt": (503, {"Content-Type": "text/plain"}, b"")}
    with serve(routes) as (base, hits), pytest.raises(UserError, match="robots.txt 无法读取.*首页可以打开"):
        inspect_site(config(base), as_of=dt.date(2024, 6, 30), state_dir=tmp_path)
    assert hits == ["/robots.txt", "/"]  # one visit of the home page, no crawl
    state = json.loads(next(tmp_path.iterdir()).read_text("utf-8"))
    assert [(r["kind"], r["probe"]["ok"]) for r in state["runs"]] == [("probe", True)]
