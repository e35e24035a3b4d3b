"""Paginated columns: items, newest date and blank status come from every page of the list.

Expectations are those build_paged_site records while building the pages (see its comments for the
arithmetic); the 500-page column checks the per-column page cap.
"""

from __future__ import annotations

import datetime as dt

import pytest

from govassess.inspection.analysis import find_columns
from govassess.inspection.crawler import CrawlConfig, crawl_site
from govassess.inspection.parse import parse_page
from govassess.inspection.report import inspect_site
from govassess.inspection.rules import load_rules
from govassess.inspection.testsite import build_paged_site, serve

AS_OF = dt.date(2024, 6, 30)


def config(base: str, **kw) -> CrawlConfig:
    # The loopback settings of conftest.config (a module-scoped fixture cannot use the function-scoped one).
    defaults = dict(delay=0, workers=8, per_host=8, timeout=2.0, max_bytes=200_000, external="loopback")
    return CrawlConfig(base + "/", **{**defaults, **kw})


@pytest.fixture(scope="module")
def paged(loopback_only):
    routes, expected = build_paged_site()
    with serve(routes) as (base, hits):
        report = inspect_site(config(base), as_of=AS_OF)
        yield {"report": report, "expected": expected, "base": base, "hits": list(hits), "config": config}


def _cols(paged):
    return {c["url"].replace(paged["base"], ""): c for c in paged["report"]["columns"]}


def test_paging_pages_are_not_columns(paged):
    # Only the five navigation columns: no index_N.html, ?page=N or index.html page is a column.
    assert sorted(_cols(paged)) == sorted(paged["expected"])


@pytest.mark.parametrize(
    "path", ["/col/gzdt/", "/col/xwfb/", "/col/gfxwj/", "/col/gsgg/", "/col/tzgg/", "/col/zxft/"]
)
def test_items_pages_and_newest_date_across_pages(paged, path):
    col = _cols(paged)[path]
    exp = paged["expected"][path]
    assert col["name"] == exp["name"]
    assert col["pages"] == exp["pages"]
    assert col["items"] == exp["items"]
    assert col["last_updated"] == exp["last"].isoformat()
    assert [u.replace(paged["base"], "") for u in col["page_errors"]] == exp["errors"]
    assert not col["blank"]


def test_newest_item_on_a_later_page_keeps_the_column_fresh(paged):
    col = _cols(paged)["/col/xwfb/"]
    # 新闻发布 is 动态要闻 (14 days): cut-off 2024-06-16. Page 1's newest is 2024-05-10 (stale alone),
    # page 3 holds 2024-06-20 >= 06-16, so the column is up to date.
    assert col["type"] == "动态要闻" and col["stale"] is False
    assert "2024-06-20" in col["evidence"]


def test_broken_list_page_is_a_broken_link_and_the_rest_still_counts(paged):
    report = paged["report"]
    base = paged["base"]
    broken = {b["url"]: b for b in report["broken_links"]}
    # index_2.html (page 3) is linked from the pager of pages 1, 2 and 4; the first page found it.
    assert sorted(broken) == [base + "/col/gsgg/index_2.html", base + "/col/tzgg/index_2.html"]
    assert broken[base + "/col/gsgg/index_2.html"]["status"] == 404
    assert broken[base + "/col/gsgg/index_2.html"]["found_on"] == base + "/col/gsgg/"
    # 通知公告's page 3 has no link on page 1 (下一页 → index_1, 尾页 → index_4): page 1 is still named.
    assert broken[base + "/col/tzgg/index_2.html"]["found_on"] == base + "/col/tzgg/"
    # 公示公告: 通知公告政策文件, cut-off 2023-12-30; newest 2024-06-26 on page 1 -> fresh.
    assert _cols(paged)["/col/gsgg/"]["stale"] is False


def test_pages_per_column_are_capped(paged):
    col = _cols(paged)["/col/lsda/"]
    # createPageHTML(500, …) with the default cap of 20 pages: page 1 + 19 more, one entry each.
    assert col["pages"] == 20 and col["items"] == 20
    assert col["last_updated"] == "2020-01-01"
    report = paged["report"]
    # The remaining 480 numbered pages are skipped, not fetched.
    assert report["skipped"]["栏目分页超出上限"] == 480
    assert "/col/lsda/index_20.html" not in paged["hits"]
    assert "/col/lsda/index_19.html" in paged["hits"]
    assert report["settings"]["max_column_pages"] == 20


def test_first_page_alias_is_not_fetched_again(paged):
    # The pager's 首页/1 links to index.html, the same page as /col/gzdt/ already read.
    assert "/col/gzdt/index.html" not in paged["hits"]
    assert "/col/gsgg/index.html" not in paged["hits"]


def test_page_cap_is_configurable_and_paging_stays_within_max_pages(paged):
    routes, _ = build_paged_site()
    with serve(routes) as (base, _hits):
        crawl = crawl_site(paged["config"](base, max_list_pages=2))
    cols = {c.url.replace(base, ""): c for c in find_columns(crawl, load_rules(), AS_OF)}
    # At most 2 pages per column: 工作动态 pages 1-2 (8 entries), 规范性文件 pages 1-2 (4 entries),
    # 历史档案 pages 1-2 (1 entry each); 公示公告 pages 1-2 (index_1 opens: 2 + 2 entries).
    assert (cols["/col/gzdt/"].pages, cols["/col/gzdt/"].items) == (2, 8)
    assert (cols["/col/gfxwj/"].pages, cols["/col/gfxwj/"].items) == (2, 4)
    assert (cols["/col/lsda/"].pages, cols["/col/lsda/"].items) == (2, 2)
    assert (cols["/col/gsgg/"].pages, cols["/col/gsgg/"].items) == (2, 4)
    # Pages beyond the cap: gzdt index_2 (1), xwfb ?page=3 (1), gfxwj index_2..4 (3), gsgg index_2..3 (2),
    # tzgg index_2..4 (3: 下一页 index_1 and 尾页 index_4 stand for index_1..4), lsda index_2..499 (498).
    assert crawl.skipped["栏目分页超出上限"] == 1 + 1 + 3 + 2 + 3 + 498
    assert (cols["/col/tzgg/"].pages, cols["/col/tzgg/"].items) == (2, 4)


def test_blank_only_if_every_page_is_empty(paged):
    cols = _cols(paged)
    # 在线访谈: page 1 says 暂无信息 but page 2 lists one item -> not blank.
    assert cols["/col/zxft/"]["blank"] is False and cols["/col/zxft/"]["pages"] == 2
    # 专题专栏: both pages empty -> blank, 2 pages read, no items.
    ztzl = cols["/col/ztzl/"]
    assert (ztzl["blank"], ztzl["pages"], ztzl["items"], ztzl["last_updated"]) == (True, 2, 0, None)
    blank = [c for c in paged["report"]["checks"] if c["check"] == "空白栏目"][0]
    assert blank["value"] == 1


def test_pager_recognition():
    html = (
        "<html><body><ul><li><a href='/art/1.html'>一</a> 2024-06-01</li></ul>"
        "<div class='page'><a href='index.html'>首页</a><a href='index_1.html'>下一页</a>"
        "<a href='index_9.html'>尾页</a><a href='/art/2024_1.html'>2024</a>"
        "<a href='list_3.html'>3</a><a href='?page=4'>4</a></div></body></html>"
    )
    info = parse_page("http://h/col/a/", html)
    # index_N.html and ?page=N belong to /col/a/; list_3.html is another list; /art/2024_1.html another folder.
    # 下一页 (index_1) and 尾页 (index_9) also stand for the pages between them: index_1..index_9.
    assert sorted(info.paging) == sorted(
        [f"http://h/col/a/index_{i}.html" for i in range(1, 10)] + ["http://h/col/a/?page=4"]
    )
    assert info.first_page == ["http://h/col/a/index.html"]
    # On page 2 of a ?page= list, "1" and 首页 lead back to page 1: not another page to read.
    pager = "<a href='?page=1'>首页</a><a href='?page=1'>1</a><a href='?page=3'>下一页</a><a href='?page=5'>尾页</a>"
    info = parse_page("http://h/col/q/?page=2", f"<html><body><div class='page'>{pager}</div></body></html>")
    assert info.first_page == ["http://h/col/q/?page=1"]
    assert sorted(info.paging) == [f"http://h/col/q/?page={n}" for n in (3, 4, 5)]
    script = "<script>createPageHTML(4, 0, 'index', 'shtml');</script>"
    info = parse_page("http://h/col/b/index.html", f"<html><body>{script}</body></html>")
    assert info.paging == [f"http://h/col/b/index_{i}.shtml" for i in (1, 2, 3)]
