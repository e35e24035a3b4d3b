"""A generated government website served on loopback, for tests and the benchmark.

Everything the inspector should find is decided here, when the site is built, and recorded in
:class:`SiteFacts`; tests compare the report with these facts. The server binds 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = tuple[int, dict[str, str], bytes | Callable[[], bytes]]


@dataclass
class SiteFacts:
    """What was built, in site-relative paths."""

    columns: dict[str, dict[str, object]] = field(default_factory=dict)  # path -> name, type, dates
    articles_with_source: list[str] = field(default_factory=list)
    articles_without_source: list[str] = field(default_factory=list)
    broken_home: list[str] = field(default_factory=list)
    broken_other: list[str] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle + delayed ACK add ~40 ms each.
    disable_nagle_algorithm = True
    routes: dict[str, Route] = {}
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        self.hits.append(self.path)
        route = self.routes.get(self.path)
        if route is None:
            missing = "<html><body><h1>404 页面不存在</h1></body></html>".encode()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(missing)))
            self.end_headers()
            self.wfile.write(missing)
            return
        status, headers, body = route
        data: bytes = body() if callable(body) else body
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early (timeouts, size limits) are part of the fixture


@contextlib.contextmanager
def loopback_only() -> Iterator[list[object]]:
    """Within the block every socket connection to a non-loopback address fails (and is listed in the yielded
    list), so tests and benchmarks against the generated sites can never reach the network."""
    import socket

    from .urls import is_loopback_host

    refused: list[object] = []
    original = socket.create_connection

    def create_connection(address, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if not is_loopback_host(str(address[0])):
            refused.append(address)
            raise OSError(f"test guard: refused non-loopback connection to {address}")
        return original(address, *args, **kwargs)

    socket.create_connection = create_connection  # type: ignore[assignment]
    try:
        yield refused
    finally:
        socket.create_connection = original  # type: ignore[assignment]


@contextlib.contextmanager
def serve(routes: dict[str, Route]) -> Iterator[tuple[str, list[str]]]:
    """Serve ``routes`` on 127.0.0.1 at a free port; yields (base URL, list of requested paths)."""
    hits: list[str] = []
    handler = type("Handler", (_Handler,), {"routes": routes, "hits": hits})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def monitor(
    base: str, state_dir, as_of: dt.date, *, per_day: int = 20, days: int = 7, last_day: int | None = None
) -> int:
    """The 19号 availability monitoring of a served site: ``per_day`` home-page visits (probe_site) on each of
    the ``days`` days up to ``as_of`` (``last_day`` visits on as_of itself, e.g. one fewer when an inspection
    that day is the last visit). Returns how many visits failed."""
    from govassess.inspection.report import probe_site

    failed = 0
    for back in range(days - 1, -1, -1):
        day = as_of - dt.timedelta(days=back)
        for _ in range(per_day if back or last_day is None else last_day):
            failed += not probe_site(base + "/", state_dir=state_dir, as_of=day, timeout=2)["ok"]
    return failed


def html(body: str, *, title: str = "示例市人民政府", charset: str | None = "utf-8") -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"<!DOCTYPE html><html><head>{meta}<title>{title}</title></head><body>{body}</body></html>"


def page(text: str, *, encoding: str = "utf-8", header_charset: str | None = "utf-8") -> Route:
    ctype = "text/html" + (f"; charset={header_charset}" if header_charset else "")
    return (200, {"Content-Type": ctype}, text.encode(encoding))


def redirect(location: str, status: int = 301) -> Route:
    return (status, {"Location": location, "Content-Type": "text/html"}, b"")


def slow(route: Route, seconds: float) -> Route:
    status, headers, body = route

    def delayed() -> bytes:
        time.sleep(seconds)
        return body() if callable(body) else body

    return (status, headers, delayed)


NAV = (
    '<div class="nav"><ul>'
    '<li><a href="/">首页</a></li>'
    '<li><a href="/col/ywdt/">要闻动态</a></li>'
    '<li><a href="/col/bmdt/">部门动态</a></li>'
    '<li><a href="/col/tzgg/">通知公告</a></li>'
    '<li><a href="/col/zcwj/">政策文件</a></li>'
    '<li><a href="/col/rsxx/">人事信息</a></li>'
    '<li><a href="/col/ghjh/">规划计划</a></li>'
    '<li><a href="/col/zt/">专题专栏</a></li>'
    '<li><a href="/col/hdjl/">调查征集</a></li>'
    '<li><a href="/gbk/">县区信息</a></li>'
    "</ul></div>"
)
FOOTER = (
    '<div class="footer">主办：示例市人民政府办公室 网站标识码：4401000001 '
    '<a href="https://beian.miit.gov.cn/">粤ICP备12345678号-1</a> '
    '<a href="/sitemap.html">网站地图</a></div>'
)


def _list_page(
    name: str, entries: list[tuple[str, str, dt.date]], *, empty_text: str = "", nav: str = NAV
) -> str:
    items = "".join(
        f'<li><a href="{href}" title="{title}">{title}</a><span class="date">{d.isoformat()}</span></li>'
        for href, title, d in entries
    )
    body = f"{nav}<div class='main'><h2>{name}</h2><ul class='list'>{items}</ul>{empty_text}</div>{FOOTER}"
    return html(body, title=f"{name}_示例市人民政府")


def _article(title: str, d: dt.date, source: str | None, extra: str = "", nav: str = NAV) -> str:
    src = f"来源：{source}" if source else ""
    share = (
        '<div class="share">分享到：<a href="http://service.weibo.com/share/share.php?url=x">微博</a></div>'
    )
    info = f'<div class="info">发布时间：{d.isoformat()} 10:00 {src}</div>'
    return html(f"{nav}<h1>{title}</h1>{info}<div class='content'><p>正文。</p>{extra}</div>{share}{FOOTER}")


# Column path -> (name, type, dates of its entries newest first, how many articles lack 来源)
AS_OF = dt.date(2024, 6, 30)
COLUMNS: dict[str, tuple[str, str, list[dt.date], int]] = {
    "/col/ywdt/": (
        "要闻动态",
        "动态要闻",
        [dt.date(2024, 6, 25), dt.date(2024, 6, 20), dt.date(2024, 6, 1)],
        0,
    ),
    "/col/bmdt/": ("部门动态", "动态要闻", [dt.date(2024, 6, 1), dt.date(2024, 5, 20)], 1),
    "/col/tzgg/": ("通知公告", "通知公告政策文件", [dt.date(2023, 11, 1), dt.date(2023, 10, 8)], 1),
    "/col/zcwj/": ("政策文件", "通知公告政策文件", [dt.date(2024, 3, 1), dt.date(2024, 1, 5)], 0),
    "/col/rsxx/": ("人事信息", "人事规划", [dt.date(2023, 1, 1)], 0),
    "/col/ghjh/": ("规划计划", "人事规划", [dt.date(2024, 1, 10)], 0),
}
BLANK_COLUMNS = {"/col/zt/": "专题专栏", "/col/hdjl/": "调查征集"}


def build_site(external_base: str | None = None) -> tuple[dict[str, Route], SiteFacts]:
    """The fixture site; ``external_base`` is a second loopback server standing for other sites."""
    routes: dict[str, Route] = {}
    facts = SiteFacts()
    ext = external_base or "http://127.0.0.2:9"
    home_entries: list[tuple[str, str, dt.date]] = []
    for path, (name, kind, dates, without_source) in COLUMNS.items():
        entries = []
        for i, d in enumerate(dates):
            art = f"/art/{path.split('/')[2]}/{i + 1}.html"
            title = f"{name}第{i + 1}篇"
            has_source = i >= without_source
            routes[art] = page(_article(title, d, "示例市政府办公室" if has_source else None))
            (facts.articles_with_source if has_source else facts.articles_without_source).append(art)
            entries.append((art, title, d))
        routes[path] = page(_list_page(name, entries))
        facts.columns[path] = {"name": name, "type": kind, "last": dates[0], "items": len(dates)}
        home_entries.append(entries[0])
    routes["/col/zt/"] = page(_list_page("专题专栏", [], empty_text="<p>暂无信息</p>"))
    routes["/col/hdjl/"] = page(_list_page("调查征集", []))
    for path, name in BLANK_COLUMNS.items():
        facts.columns[path] = {"name": name, "type": "其他", "last": None, "items": 0}

    # An article with a broken attachment and an attachment that exists; one with a session id link.
    routes["/files/guide.pdf"] = (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 fixture")
    extra = (
        '<a href="/files/guide.pdf">办事指南.pdf</a> <a href="/files/missing.doc">申请表.doc</a> '
        f'<a href="{ext}/gone.html">外部失效</a> <a href="{ext}/ok.html">外部正常</a> '
        '<a href="http://www.example.gov.cn/">上级网站</a> '
        '<a href="/col/ywdt/;jsessionid=ABC123">要闻</a> <a href="/col/zcwj/?sid=99">政策</a>'
    )
    routes["/art/ywdt/1.html"] = page(
        _article("要闻动态第1篇", dt.date(2024, 6, 25), "示例市政府办公室", extra)
    )
    facts.broken_other += ["/files/missing.doc", f"{ext}/gone.html"]

    # GBK section: declared in <meta> only, an article with no declaration at all, and one whose
    # header claims UTF-8 while the bytes are GBK.
    gbk_entries = [
        ("/gbk/1.html", "县区动态一", dt.date(2024, 6, 28)),
        ("/gbk/2.html", "县区动态二", dt.date(2024, 6, 10)),
    ]
    routes["/gbk/"] = page(
        _list_page("县区信息", gbk_entries).replace('charset="utf-8"', 'charset="gbk"'),
        encoding="gbk",
        header_charset=None,
    )
    routes["/gbk/1.html"] = page(
        _article("县区动态一", dt.date(2024, 6, 28), "示例县融媒体中心").replace(
            '<meta charset="utf-8">', ""
        ),
        encoding="gbk",
        header_charset=None,
    )
    routes["/gbk/2.html"] = page(
        _article("县区动态二", dt.date(2024, 6, 10), "示例县人民政府").replace('<meta charset="utf-8">', ""),
        encoding="gbk",
        header_charset="utf-8",
    )
    facts.columns["/gbk/"] = {"name": "县区信息", "type": "其他", "last": dt.date(2024, 6, 28), "items": 2}
    facts.articles_with_source += ["/gbk/1.html", "/gbk/2.html"]

    # Calendar trap: every month links to the previous and next month, without end.
    def calendar(month: int) -> Route:
        y, m = divmod(month, 12)
        prev_y, prev_m = divmod(month - 1, 12)
        next_y, next_m = divmod(month + 1, 12)
        body = (
            f'<a href="/calendar/?month={prev_y}-{prev_m + 1:02d}">上月</a>'
            f'<a href="/calendar/?month={next_y}-{next_m + 1:02d}">下月</a> {y}年{m + 1}月'
        )
        return page(html(body))

    for month in range(2000 * 12, 2100 * 12):
        y, m = divmod(month, 12)
        routes[f"/calendar/?month={y}-{m + 1:02d}"] = calendar(month)

    # Redirects, a redirect loop, slow pages and hostile pages.
    routes["/old/"] = redirect("/col/ywdt/")
    routes["/loop/a"] = redirect("/loop/b", 302)
    routes["/loop/b"] = redirect("/loop/a", 302)
    routes["/slow.html"] = slow(page(html("<p>慢页面</p>")), 0.3)
    routes["/veryslow.html"] = slow(page(html("<p>超时页面</p>")), 3.5)
    routes["/hostile/malformed.html"] = page(
        "<html><body><div><<p>未闭合<table><tr><td>坏<a href='/col/zcwj/'>x</a"
    )
    routes["/hostile/huge.html"] = page(html("<p>大</p>" * 60_000))
    routes["/hostile/binary.html"] = (
        200,
        {"Content-Type": "text/html"},
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40,
    )
    routes["/private/secret.html"] = page(html("<p>不应被抓取</p>"))
    routes["/robots.txt"] = (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n")
    routes["/sitemap.html"] = page(html(NAV + "<h1>网站地图</h1>" + FOOTER, title="网站地图"))

    latest = "".join(
        f'<li><a href="{h}">{t}</a><span>{d.isoformat()}</span></li>'
        for h, t, d in sorted(home_entries, key=lambda e: e[2], reverse=True)
    )
    home_body = (
        f"{NAV}"
        '<form action="/search" method="get"><input type="text" name="searchword" placeholder="请输入关键词">'
        '<button type="submit">搜索</button></form>'
        f"<div class='news'><ul>{latest}</ul></div>"
        '<div id="piaochuang" style="position:absolute"><a href="/col/tzgg/"><img src="/img/ad.png"></a></div>'
        '<a href="/old/">旧版要闻</a> <a href="/loop/a">专题活动</a> <a href="/slow.html">慢</a> '
        '<a href="/veryslow.html">很慢</a> <a href="/missing-home.html">失效链接</a> '
        '<a href="/hostile/malformed.html">坏页面</a> <a href="/hostile/huge.html">大页面</a> '
        '<a href="/hostile/binary.html">二进制</a> <a href="/private/secret.html">内部</a> '
        '<a href="/calendar/?month=2024-06">活动日历</a>'
        f"{FOOTER}"
    )
    routes["/img/ad.png"] = (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n")
    routes["/"] = page(html(home_body))
    facts.broken_home += ["/missing-home.html"]
    return routes, facts


def external_routes() -> dict[str, Route]:
    return {"/ok.html": page(html("<p>外部站点</p>")), "/robots.txt": (404, {}, b"")}


def build_big_site(n_pages: int, *, per_list: int = 50, page_size: int | None = None) -> dict[str, Route]:
    """``n_pages`` pages for the benchmark: columns of list pages, each listing ``per_list`` articles;
    with ``page_size`` each column's list is split into pages of that many entries (index_N.html pager)."""
    routes: dict[str, Route] = {}
    n_list_pages = -(-per_list // page_size) if page_size else 1
    n_lists = max(1, n_pages // (per_list + n_list_pages))
    list_links = [f'<li><a href="/c{c}/">栏目{c}</a></li>' for c in range(n_lists)]
    nav = f"<div class='nav'><ul>{''.join(list_links)}</ul></div>"
    base = dt.date(2024, 6, 30)
    routes["/sitemap.html"] = page(html(nav, title="网站地图"))
    for c in range(n_lists):
        entries = []
        for i in range(per_list):
            art = f"/c{c}/a{i}.html"
            d = base - dt.timedelta(days=(c * 7 + i) % 400)
            routes[art] = page(
                _article(f"栏目{c}文章{i}", d, "示例市政府办公室" if i % 10 else None, nav=nav)
            )
            entries.append((art, f"栏目{c}文章{i}", d))
        size = page_size or per_list
        for k in range(n_list_pages):
            pager = ""
            if n_list_pages > 1:
                nums = [
                    ("index.html" if j == 0 else f"index_{j}.html", str(j + 1)) for j in range(n_list_pages)
                ]
                pager = _pager([*nums, (f"index_{n_list_pages - 1}.html", "尾页")])
            url = f"/c{c}/" + (f"index_{k}.html" if k else "")
            routes[url] = page(
                _list_page(f"栏目{c}", entries[k * size : (k + 1) * size], empty_text=pager, nav=nav)
            )
    routes["/"] = page(html(f"{nav}{FOOTER}"))
    routes["/robots.txt"] = (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow:\n")
    return routes


# --- paginated columns -----------------------------------------------------------------------------
PAGED_NAV = (
    '<div class="nav"><ul><li><a href="/">首页</a></li>'
    '<li><a href="/col/gzdt/">工作动态</a></li>'
    '<li><a href="/col/xwfb/">新闻发布</a></li>'
    '<li><a href="/col/gfxwj/">规范性文件</a></li>'
    '<li><a href="/col/gsgg/">公示公告</a></li>'
    '<li><a href="/col/lsda/">历史档案</a></li>'
    '<li><a href="/col/tzgg/">通知公告</a></li>'
    '<li><a href="/col/zxft/">在线访谈</a></li>'
    '<li><a href="/col/ztzl/">专题专栏</a></li>'
    "</ul></div>"
)


def _pager(links: list[tuple[str, str]]) -> str:
    return '<div class="page">' + " ".join(f'<a href="{h}">{t}</a>' for h, t in links) + "</div>"


def build_paged_site() -> tuple[dict[str, Route], dict[str, dict[str, object]]]:
    """A site whose columns span several list pages, in the pagers government CMSs print.

    Returns the routes and, per column path, what the inspector should report: name, pages read,
    items (entries on the pages that open), the newest date, the pages that do not open.
    """
    routes: dict[str, Route] = {}
    expected: dict[str, dict[str, object]] = {}
    art_no = 0

    def entries_for(col: str, dates: list[dt.date]) -> list[tuple[str, str, dt.date]]:
        nonlocal art_no
        out = []
        for d in dates:
            art_no += 1
            art = f"/art/{col}/{art_no}.html"
            routes[art] = page(_article(f"{col}文章{art_no}", d, "示例市政府办公室", nav=PAGED_NAV))
            out.append((art, f"{col}文章{art_no}", d))
        return out

    def list_page(name: str, entries: list[tuple[str, str, dt.date]], pager: str) -> Route:
        return page(_list_page(name, entries, empty_text=pager, nav=PAGED_NAV))

    day = dt.timedelta(days=1)

    # 1. Static pages /col/gzdt/, index_1.html, index_2.html (3 pages x 4 entries), pager with
    #    首页 / 上一页 / numbers / 下一页 / 尾页; newest first, 2024-06-28 then 3 days apart.
    static_urls = ["/col/gzdt/", "/col/gzdt/index_1.html", "/col/gzdt/index_2.html"]
    for k, url in enumerate(static_urls):
        dates = [AS_OF - 2 * day - 3 * (4 * k + j) * day for j in range(4)]
        links = [("index.html", "首页")]
        if k:
            links.append((static_urls[k - 1].rsplit("/", 1)[1] or "index.html", "上一页"))
        links += [("index.html" if i == 0 else f"index_{i}.html", str(i + 1)) for i in range(3)]
        if k < 2:
            links.append((f"index_{k + 1}.html", "下一页"))
        links.append(("index_2.html", "尾页"))
        routes[url] = list_page("工作动态", entries_for("gzdt", dates), _pager(links) + "<span>共3页</span>")
    expected["/col/gzdt/"] = {
        "name": "工作动态",
        "pages": 3,
        "items": 12,
        "last": AS_OF - 2 * day,
        "errors": [],
    }

    # 2. Query pages /col/xwfb/?page=2, ?page=3 (3 entries each); pinned old items on page 1, so
    #    the newest item (2024-06-20) is on page 3 — page 1 alone would make the column stale.
    q_dates = [
        [dt.date(2024, 5, 10), dt.date(2024, 5, 9), dt.date(2024, 5, 8)],
        [dt.date(2024, 5, 7), dt.date(2024, 5, 6), dt.date(2024, 5, 5)],
        [dt.date(2024, 6, 20), dt.date(2024, 5, 4), dt.date(2024, 5, 3)],
    ]
    for k, dates in enumerate(q_dates):
        url = "/col/xwfb/" + (f"?page={k + 1}" if k else "")
        links = [("/col/xwfb/", "1"), ("/col/xwfb/?page=2", "2"), ("/col/xwfb/?page=3", "3")]
        if k < 2:
            links.append((f"/col/xwfb/?page={k + 2}", "下一页"))
        links.append(("/col/xwfb/?page=3", "末页"))
        routes[url] = list_page("新闻发布", entries_for("xwfb", dates), _pager(links))
    expected["/col/xwfb/"] = {
        "name": "新闻发布",
        "pages": 3,
        "items": 9,
        "last": dt.date(2024, 6, 20),
        "errors": [],
    }

    # 3. A pager rendered by script: createPageHTML(5, k, "index", "html"), no pager links in the HTML;
    #    5 pages x 2 entries, 2024-06-01 then 10 days apart.
    for k in range(5):
        url = "/col/gfxwj/" + (f"index_{k}.html" if k else "")
        dates = [dt.date(2024, 6, 1) - 10 * (2 * k + j) * day for j in range(2)]
        script = f'<script type="text/javascript">createPageHTML(5, {k}, "index", "html");</script>'
        routes[url] = list_page("规范性文件", entries_for("gfxwj", dates), script)
    expected["/col/gfxwj/"] = {
        "name": "规范性文件",
        "pages": 5,
        "items": 10,
        "last": dt.date(2024, 6, 1),
        "errors": [],
    }

    # 4. Four static pages, page 3 (index_2.html) missing: pages 1, 2 and 4 are read (2 entries each),
    #    the newest item (2024-06-26) is on page 1.
    pager = _pager([("index.html", "1"), ("index_1.html", "2"), ("index_2.html", "3"), ("index_3.html", "4")])
    for k in (0, 1, 3):
        url = "/col/gsgg/" + (f"index_{k}.html" if k else "")
        dates = [dt.date(2024, 6, 26) - 20 * (2 * k + j) * day for j in range(2)]
        routes[url] = list_page("公示公告", entries_for("gsgg", dates), pager + "<span>共4页</span>")
    expected["/col/gsgg/"] = {
        "name": "公示公告",
        "pages": 3,
        "items": 6,
        "last": dt.date(2024, 6, 26),
        "errors": ["/col/gsgg/index_2.html"],
    }

    # 4b. Five pages with a pager of 上一页 / 下一页 / 尾页 only, page 3 (index_2.html) missing: page 4 and 5
    #     are reached anyway (尾页 index_4 spells the pages between). 2 entries each, newest 2024-06-27 on page 1.
    for k in (0, 1, 3, 4):
        url = "/col/tzgg/" + (f"index_{k}.html" if k else "")
        links = [("index.html", "首页")]
        if k:
            links.append(("index.html" if k == 1 else f"index_{k - 1}.html", "上一页"))
        if k < 4:
            links.append((f"index_{k + 1}.html", "下一页"))
        links.append(("index_4.html", "尾页"))
        dates = [dt.date(2024, 6, 27) - 15 * (2 * k + j) * day for j in range(2)]
        routes[url] = list_page("通知公告", entries_for("tzgg", dates), _pager(links) + "<span>共5页</span>")
    expected["/col/tzgg/"] = {
        "name": "通知公告",
        "pages": 4,
        "items": 8,
        "last": dt.date(2024, 6, 27),
        "errors": ["/col/tzgg/index_2.html"],
    }

    # 5. A pager claiming 500 pages, all of which exist: only max_list_pages are read (1 entry each).
    for k in range(500):
        url = "/col/lsda/" + (f"index_{k}.html" if k else "")
        script = f'<script>createPageHTML(500, {k}, "index", "html");</script>'
        routes[url] = list_page("历史档案", entries_for("lsda", [dt.date(2020, 1, 1) - k * day]), script)
    expected["/col/lsda/"] = {"name": "历史档案", "last": dt.date(2020, 1, 1), "errors": []}  # pages = cap

    # 6. Page 1 empty (暂无信息), page 2 with one entry: not blank. 7. Both pages empty: blank.
    pager = _pager([("index.html", "1"), ("index_1.html", "2")])
    routes["/col/zxft/"] = list_page("在线访谈", [], "<p>暂无信息</p>" + pager)
    routes["/col/zxft/index_1.html"] = list_page(
        "在线访谈", entries_for("zxft", [dt.date(2024, 6, 3)]), pager
    )
    expected["/col/zxft/"] = {
        "name": "在线访谈",
        "pages": 2,
        "items": 1,
        "last": dt.date(2024, 6, 3),
        "errors": [],
    }
    routes["/col/ztzl/"] = list_page("专题专栏", [], "<p>暂无信息</p>" + pager)
    routes["/col/ztzl/index_1.html"] = list_page("专题专栏", [], "<p>暂无信息</p>" + pager)
    expected["/col/ztzl/"] = {"name": "专题专栏", "pages": 2, "items": 0, "last": None, "errors": []}

    routes["/"] = page(html(PAGED_NAV + "<p>示例市人民政府</p>"))
    routes["/sitemap.html"] = page(html(PAGED_NAV + "<h1>网站地图</h1>", title="网站地图"))
    routes["/robots.txt"] = (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow:\n")
    return routes, expected
