"""axe-core (bundled by axe-playwright-python) on the main pages in headless Chromium: login, the filler's
form, the office's overview and results, a unit's scorecard (issue 15). No serious or critical violation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from webtools import PASSWORD, fill_all

axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")

CHROMIUM = os.environ.get("GOVASSESS_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.sqlite_only,  # rendering checks: the database adds nothing here (docs/performance.md)
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


@pytest.fixture(scope="module")
def browser():
    # One Chromium per test module (each test opens its own context, so no cookie or storage is shared).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def scored(org):
    """A round filled, scored and its preliminary results published (built before the browser starts)."""
    from govassess.web.rounds import services

    fill_all(org)
    services.round_transition(user=org.office, round=org.round, to_state="reviewing")
    services.scoring_start(user=org.office, round=org.round, background=False)
    services.round_transition(user=org.office, round=org.round, to_state="preliminary")
    return org


def serious(page) -> list[str]:
    """Serious and critical axe violations of the page, one line each with the first offending element."""
    results = axe_sync.Axe().run(page)
    out = []
    for v in results.response["violations"]:
        if v.get("impact") in ("serious", "critical"):
            nodes = v.get("nodes") or []
            target = nodes[0]["target"] if nodes else ""
            out.append(f"{v['id']} ({v['impact']}, {len(nodes)} 处): {v['help']} — {target}")
    return out


def login(browser, live_server, username: str):
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(20000)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    return page


def test_login_page(org, live_server, browser):
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(live_server.url + "/accounts/login/")
    assert not (found := serious(page)), "\n".join(found)


def test_filler_form(org, live_server, browser):
    page = login(browser, live_server, "filler1")
    page.goto(f"{live_server.url}/rounds/{org.round.pk}/units/D01/")
    assert page.locator("form").count() > 0
    assert not (found := serious(page)), "\n".join(found)


@pytest.mark.parametrize(("who", "path"), [
    ("office", "/rounds/{r}/results/"),
    ("office", "/rounds/{r}/overview/"),
    ("filler1", "/rounds/{r}/units/D01/scorecard/"),
    ("office", "/"),
])
def test_results_pages(scored, live_server, browser, who, path):
    page = login(browser, live_server, who)
    page.goto(live_server.url + path.format(r=scored.round.pk))
    page.wait_for_load_state("networkidle")
    assert not (found := serious(page)), "\n".join(found)
