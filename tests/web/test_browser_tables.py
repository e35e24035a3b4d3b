"""Issue 17 in the browser: a section link of the fill form lands on the first field still to fill; a long
table the server pages keeps the server's links (no second, client-side pager on top), and a table that fits
one server page gets the instant search instead of the server's form."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import CHROMIUM, browser, field_index, session  # noqa: F401  (browser: fixture)

# sqlite_only: what the browser shows is checked; the database adds nothing (docs/performance.md)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.sqlite_only,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium"),
]


def test_section_link_jumps_to_the_first_missing_field(org, live_server, browser):  # noqa: F811
    page = session(browser, live_server, "filler1")
    page.goto(f"{live_server.url}/rounds/{org.round.pk}/units/D01/")
    page.fill(f"#v_{field_index(page, '1::网上办理率')}", "90%")
    page.click(".section-nav a[href='#sec-1']")
    # 网上办理率 is filled: the link lands on 接入方式, the next field of 服务能力 still empty.
    assert page.evaluate("document.activeElement.id") == f"v_{field_index(page, '2::接入方式')}"
    assert page.evaluate("location.hash") == "#sec-1"


def test_server_paged_table_keeps_server_links_and_a_whole_table_gets_instant_search(
    org,
    live_server,
    browser,  # noqa: F811
    settings,
):
    office = session(browser, live_server, "office")
    url = f"{live_server.url}/rounds/{org.round.pk}/completeness/"
    office.goto(url)  # 3 rows, one server page: instant search, server form hidden
    assert office.locator(".table-tools input[type=search]").count() == 1
    assert office.locator("form.server-tools").is_hidden()
    settings.TABLE_PAGE_SIZE = 2
    office.goto(url)
    assert office.locator(".table-tools").count() == 0 and office.locator(".pager").count() == 0
    assert office.locator("form.server-tools").is_visible()
    assert office.locator("#completeness-table tbody tr:visible").count() == 2
    office.click(".server-pager a:has-text('下一页')")
    assert office.locator("#completeness-table tbody tr:visible").count() == 1
    office.click("#completeness-table th a:has-text('评估对象')")
    assert "sort=unit" in office.url
    office.fill("form.server-tools input[type=search]", "宣传")
    office.click("form.server-tools button")
    rows = office.locator("#completeness-table tbody tr:visible")
    assert rows.count() == 1 and "市委宣传部" in rows.first.inner_text()
