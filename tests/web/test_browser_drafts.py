"""Issue 17: the fill form's autosaved drafts (localStorage, ui.js) are kept per user — another account on the
same browser never gets them restored — and logging out removes them. Headless Chromium via Playwright."""

from __future__ import annotations

import pytest
from test_browser import CHROMIUM, browser, field_index, session  # noqa: F401  (browser: fixture)
from webtools import PASSWORD

pytestmark = [pytest.mark.browser]

DRAFTS = (
    "Object.keys(window.localStorage).filter(function (k) { return k.indexOf('govassess-draft:') === 0; })"
)


def test_logout_sends_clear_site_data(org):
    from django.test import Client

    client = Client()
    assert client.login(username="filler1", password=PASSWORD)
    resp = client.post("/accounts/logout/")
    assert resp.status_code == 302 and resp["Clear-Site-Data"] == '"storage"'


def test_admin_logout_sends_clear_site_data(org):
    from django.test import Client

    client = Client()
    client.force_login(org.office)
    resp = client.post("/admin/logout/")
    assert resp.status_code in (200, 302) and resp["Clear-Site-Data"] == '"storage"'
    assert "_auth_user_id" not in client.session


def test_drafts_are_per_user_and_removed_on_logout(org, live_server, browser):  # noqa: F811
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    r = org.round.pk
    page = session(browser, live_server, "filler1")

    # Strip Clear-Site-Data from the logout answer: the page's own clean-up (plain-HTTP deployments, where
    # browsers ignore the header) must do the job alone.
    def without_header(route):
        resp = route.fetch(max_redirects=0)
        headers = {k: v for k, v in resp.headers.items() if k.lower() != "clear-site-data"}
        route.fulfill(response=resp, headers=headers)

    page.route("**/accounts/logout/", without_header)
    page.goto(f"{live_server.url}/rounds/{r}/units/D01/")
    i = field_index(page, "1::网上办理率")
    page.fill(f"#v_{i}", "12%")
    page.wait_for_timeout(700)  # written 400 ms after the last keystroke
    assert page.evaluate(DRAFTS) == [f"govassess-draft:{org.filler1.pk}:{r}:D01"]

    # Another account logs in on the same browser without filler1 logging out (filler1's session ended,
    # e.g. the browser was closed) and opens the same unit's form: nothing of filler1's draft is restored.
    page.context.clear_cookies()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "office")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    page.goto(f"{live_server.url}/rounds/{r}/units/D01/")
    assert page.locator("#draft-notice").is_hidden()
    assert page.input_value(f"#v_{field_index(page, '1::网上办理率')}") == ""
    assert page.evaluate(DRAFTS) == [f"govassess-draft:{org.filler1.pk}:{r}:D01"]

    # 退出: every draft kept in this browser is gone, whoever wrote it.
    page.click("#logout-form button[type=submit]")
    page.wait_for_url(live_server.url + "/accounts/login/")
    assert page.evaluate(DRAFTS) == []
