"""Browser walk-through in headless Chromium (Debian's /usr/bin/chromium driven by Playwright):
a filler fills and submits with evidence, a reviewer returns then accepts, the office scores and
publishes preliminary results, a unit appeals and the appeal is upheld, the scorecard draws its charts."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from webtools import PASSWORD, fill_all

CHROMIUM = os.environ.get("GOVASSESS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]


@pytest.fixture(scope="module")
def browser():
    # One Chromium per test module (each test opens its own context, so no cookie or storage is shared).
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still sequential.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def session(browser, live_server, username):
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(20000)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    return page


def field_index(page, key: str) -> str:
    name = page.locator(f"input[type=hidden][value='{key}']").get_attribute("name")
    return name.split("_", 1)[1]


@pytest.fixture
def prepared(org):
    """Provider figures, manual scores and D02's own inputs, entered through their owners' services before
    the browser starts (ORM calls inside Playwright's greenlets would open a second connection)."""
    from govassess.web.rounds.services import input_value_set

    fill_all(org, d1=None)
    kw = {"round": org.round, "unit": org.d1}
    input_value_set(user=org.provider, indicator="3", input="挂接目录数", value="8", **kw)
    input_value_set(user=org.provider, indicator="3", input="目录总数", value="10", **kw)
    input_value_set(user=org.reviewer, indicator="4", input="score", value="7", note="材料完整", **kw)
    return org


def test_round_from_filling_to_upheld_appeal_and_charts(prepared, live_server, browser, tmp_path):
    r = prepared.round.pk

    # 1. the filler fills, saves a draft, uploads evidence and submits
    filler = session(browser, live_server, "filler1")
    filler.goto(f"{live_server.url}/rounds/{r}/units/D01/")
    assert "得分=网上办理率×60" in filler.content()
    filler.fill(f"#v_{field_index(filler, '1::网上办理率')}", "90%")
    filler.select_option(f"#v_{field_index(filler, '2::接入方式')}", "是")
    filler.click("#save-draft")
    filler.wait_for_selector("text=已保存 2 项")
    evidence = tmp_path / "截图.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% browser evidence\n")
    filler.set_input_files("input[type=file][form='ev-1']", str(evidence))
    filler.click("button[form='ev-1']")
    filler.wait_for_selector("text=已上传 1 个文件")
    assert filler.locator("#ind-1 a", has_text="截图.pdf").count() == 1
    filler.click("#submit-unit")
    filler.wait_for_selector("text=已提交，等待审核")
    assert filler.locator("#submission-status").inner_text() == "已提交"

    # 2. the reviewer returns it with a reason; the filler is notified, resubmits; the reviewer accepts
    reviewer = session(browser, live_server, "reviewer")
    reviewer.goto(f"{live_server.url}/rounds/{r}/review/D01/")
    reviewer.select_option("select[name=decision]", "return")
    reviewer.fill("textarea[name=reason]", "请补充接入截图")
    reviewer.click("#review-form button[type=submit]")
    reviewer.wait_for_selector("text=已审核")
    filler.goto(f"{live_server.url}/notifications/")
    assert "请补充接入截图" in filler.content()
    filler.goto(f"{live_server.url}/rounds/{r}/units/D01/")
    assert "请补充接入截图" in filler.content()
    filler.click("#submit-unit")
    filler.wait_for_selector("text=已提交，等待审核")
    reviewer.goto(f"{live_server.url}/rounds/{r}/review/D01/")
    reviewer.select_option("select[name=decision]", "accept")
    reviewer.click("#review-form button[type=submit]")
    reviewer.wait_for_selector("text=已审核")
    assert "已通过" in reviewer.content()

    # 3. the office closes collection, runs scoring in the background and publishes preliminary results
    office = session(browser, live_server, "office")
    office.goto(f"{live_server.url}/rounds/{r}/")
    office.click("button[data-to=reviewing]")
    office.wait_for_selector("text=已转入「审核中」")
    office.click("#run-scoring")
    office.wait_for_selector("text=最近一次评分", timeout=60000)
    office.click("button[data-to=preliminary]")
    office.wait_for_selector("text=已转入「初步结果公示」")

    # 4. D02 sees its preliminary score (46: 30 + 5 + 5 + 6) and appeals indicator 2
    filler2 = session(browser, live_server, "filler2")
    filler2.goto(f"{live_server.url}/rounds/{r}/units/D02/scorecard/")
    assert filler2.locator("#total").inner_text() == "46.00"
    filler2.select_option("#appeal-form select[name=indicator]", "2")
    filler2.fill("#appeal-form textarea[name=reason]", "本单位已全面接入")
    filler2.click("#appeal-form button[type=submit]")
    filler2.wait_for_selector("text=申诉已提交")

    # the reviewer upholds it, correcting 接入方式 to 是; the round is re-scored in the background
    reviewer.goto(f"{live_server.url}/rounds/{r}/appeals/")
    reviewer.click("text=查看")
    reviewer.select_option("select[name=outcome]", "upheld")
    reviewer.fill("textarea[name=decision]", "核实已接入")
    reviewer.fill("input[aria-label='更正 接入方式']", "是")
    reviewer.click("#decide-form button[type=submit]")
    reviewer.wait_for_selector("#appeal-status:has-text('申诉成立')")

    # the office waits for the re-score and finalises (publishes)
    office.goto(f"{live_server.url}/rounds/{r}/")
    for _ in range(60):
        office.goto(f"{live_server.url}/rounds/{r}/")
        if office.locator("#run").count() == 0:
            break
        office.wait_for_timeout(500)
    office.click("button[data-to=final]")
    office.wait_for_selector("text=已转入「已定稿」")

    # 5. after publication: D02's total is 61 (5 → 20 for 接入方式), and the scorecard draws its charts
    filler2.goto(f"{live_server.url}/rounds/{r}/units/D02/scorecard/")
    assert filler2.locator("#total").inner_text() == "61.00"
    filler2.wait_for_function("window.govassessCharts && window.govassessCharts.length === 2")
    assert filler2.locator("#chart-bar canvas").count() >= 1
    assert filler2.locator("#chart-radar canvas").count() >= 1
    # a unit sees the ranking (totals), never another unit's scorecard
    filler2.goto(f"{live_server.url}/rounds/{r}/results/")
    assert re.search(r"61\.00", filler2.content())
    resp = filler2.goto(f"{live_server.url}/rounds/{r}/units/D01/scorecard/")
    assert resp.status == 403
    # the office's scorecard view also draws the indicator × unit heat map
    office.goto(f"{live_server.url}/rounds/{r}/units/D01/scorecard/")
    office.wait_for_function("window.govassessCharts && window.govassessCharts.length === 3")
    assert office.locator("#chart-heatmap canvas").count() >= 1


# Screenshots go to a scratch folder, so a test run leaves the working tree clean; to refresh the ones in the docs:
# GOVASSESS_SCREENSHOTS=docs/screenshots pytest tests/web/test_browser.py
SHOTS = Path(os.environ.get("GOVASSESS_SCREENSHOTS") or Path(tempfile.gettempdir()) / "govassess-screenshots")
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def sized_session(browser, live_server, username, width, height):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = ctx.new_page()
    page.set_default_timeout(20000)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    return page


def no_page_overflow(page):
    # At 390 px nothing may push the page sideways: wide tables scroll inside their own box.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] + 1, width


@pytest.fixture
def published(org):
    """A second round filled by every owner and published (D01 89, D02 46), entered before the browser
    starts; org.round stays open for the fill form."""
    from datetime import timedelta

    from django.utils import timezone

    from govassess.web.rounds import services

    # Two published rounds so the dashboard has a "last round": D01 at 80% online handling first
    # (48 instead of 54 for indicator 1: 83), then at 90% (89), i.e. ↑ 6.00.
    for name, d1 in (("2020年上半年", ("80%", "是", "8", "10", "7")), ("2020年下半年", None)):
        done = services.round_create(
            user=org.office, system=org.system, name=name, deadline=timezone.now() + timedelta(days=7)
        )
        services.round_transition(user=org.office, round=done, to_state="collecting")
        fill_all(org, done, **({"d1": d1} if d1 else {}))
        services.round_transition(user=org.office, round=done, to_state="reviewing")
        services.scoring_start(user=org.office, round=done, background=False)
        for state in ("preliminary", "final"):
            services.round_transition(user=org.office, round=done, to_state=state)
    org.published = done
    return org


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_fill_form_nav_progress_autosave_tables_and_dashboard(published, live_server, browser, size):
    org, (w, h) = published, WIDTHS[size]
    SHOTS.mkdir(parents=True, exist_ok=True)
    r = org.round.pk

    # fill form: one nav entry per first-level indicator the unit reports (A, B, C), progress per section
    filler = sized_session(browser, live_server, "filler1", w, h)
    filler.goto(f"{live_server.url}/rounds/{r}/units/D01/")
    nav = filler.locator(".section-nav a")
    assert nav.all_inner_texts() == ["服务能力", "数据共享", "加分项"]
    badge = filler.locator("[data-progress-for='sec-1']")
    assert badge.inner_text() == "0/2"
    filler.fill(f"#v_{field_index(filler, '1::网上办理率')}", "90%")
    assert badge.inner_text() == "1/2"
    filler.wait_for_timeout(600)  # the draft is written 400 ms after the last keystroke
    # a reload (or a crash) restores the unsaved value with a notice; nothing was sent to the server
    filler.reload()
    filler.wait_for_selector("#draft-notice:not([hidden])")
    assert "已恢复本机" in filler.locator("#draft-notice").inner_text()
    assert filler.input_value(f"#v_{field_index(filler, '1::网上办理率')}") == "90%"
    assert badge.inner_text() == "1/2"
    filler.screenshot(path=str(SHOTS / f"fill-form-{size}.png"))
    if size == "phone":
        no_page_overflow(filler)
    filler.click("#save-draft")
    filler.wait_for_selector("text=已保存 1 项")
    key = f"govassess-draft:{org.filler1.pk}:{r}:D01"
    assert filler.evaluate(f"window.localStorage.getItem('{key}')") is None
    assert filler.locator("#draft-notice").is_hidden()

    # completeness: search narrows the rows; without a match nothing is shown
    office = sized_session(browser, live_server, "office", w, h)
    office.goto(f"{live_server.url}/rounds/{r}/completeness/")
    rows = office.locator("#completeness-table tbody tr:visible")
    assert rows.count() == 3
    office.fill(".table-tools input[type=search]", "宣传")
    assert rows.count() == 1 and "市委宣传部" in rows.first.inner_text()
    assert "共 1 条（全部 3 条）" in office.locator(".table-tools .count").inner_text()
    office.fill(".table-tools input[type=search]", "")
    office.screenshot(path=str(SHOTS / f"completeness-{size}.png"))
    if size == "phone":
        no_page_overflow(office)

    # leader dashboard of the published round: KPIs and both charts drawn
    leader = sized_session(browser, live_server, "leader", w, h)
    leader.goto(f"{live_server.url}/rounds/{org.published.pk}/overview/")
    leader.wait_for_function("window.govassessCharts && window.govassessCharts.length === 2")
    assert leader.locator("#chart-ranking canvas").count() >= 1
    assert leader.locator("#chart-distribution canvas").count() >= 1
    assert "↑ 6.00" in leader.locator("#overview-table").inner_text()
    assert "上升 1 个" in leader.locator("#compare").inner_text()
    leader.wait_for_timeout(600)  # let the 300 ms chart animation finish before the screenshot
    leader.screenshot(path=str(SHOTS / f"dashboard-{size}.png"), full_page=True)
    if size == "phone":
        no_page_overflow(leader)


def test_long_table_pages_of_twenty_and_search_across_pages(org, live_server, browser):
    from govassess.web.organisation.services import unit_upsert

    # 3 departments of the org + 22 more = 25 rows: page 1 shows 20, page 2 the last 5.
    for n in range(22):
        unit_upsert(user=None, code=f"E{n:02d}", name=f"测试局{n:02d}", unit_class="市级部门")
    office = session(browser, live_server, "office")
    office.goto(f"{live_server.url}/rounds/{org.round.pk}/completeness/")
    rows = office.locator("#completeness-table tbody tr:visible")
    assert rows.count() == 20
    assert office.locator(".pager .page-info").inner_text() == "第 1 / 2 页"
    office.click(".pager button:has-text('下一页')")
    assert rows.count() == 5
    assert office.locator(".pager .page-info").inner_text() == "第 2 / 2 页"
    # searching starts again from page 1 and looks at every row, not only the page shown
    office.fill(".table-tools input[type=search]", "测试局03")
    assert rows.count() == 1 and "测试局03" in rows.first.inner_text()
    assert office.locator(".pager button").count() == 0
    # without JavaScript every row is in the page
    ctx = browser.new_context(java_script_enabled=False)
    plain = ctx.new_page()
    plain.goto(live_server.url + "/accounts/login/")
    plain.fill("input[name=username]", "office")
    plain.fill("input[name=password]", PASSWORD)
    plain.click("button[type=submit]")
    plain.goto(f"{live_server.url}/rounds/{org.round.pk}/completeness/")
    assert plain.locator("#completeness-table tbody tr:visible").count() == 25
    assert plain.locator(".table-tools").count() == 0


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_demo_fill_form_of_the_full_department_system(db, settings, tmp_path, live_server, browser, size):
    """The real 阳江 2021 department system (seed 004): the long form is navigable by first-level indicator."""
    from govassess.web.demo import demo_load
    from govassess.web.rounds.models import Round

    settings.DATA_DIR = tmp_path
    passwords = {u: pw for u, _label, pw in demo_load()}
    rnd = Round.objects.get(system__slug="yangjiang-2021-dept")
    w, h = WIDTHS[size]
    page = browser.new_context(locale="zh-CN", viewport={"width": w, "height": h}).new_page()
    page.set_default_timeout(20000)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", "dept_filler")
    page.fill("input[name=password]", passwords["dept_filler"])
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/**")
    page.goto(f"{live_server.url}/rounds/{rnd.pk}/units/D01/")
    assert page.locator("#fill-form .indicator").count() >= 40
    links = page.locator(".section-nav a")
    assert links.count() == page.locator("#fill-form section.group").count() >= 3
    # the last section's link jumps to it and the nav stays on screen (sticky)
    links.last.click()
    last = page.locator("#fill-form section.group").last
    # (a short last section cannot reach the top of the window: it only has to be on screen)
    page.wait_for_function(
        "el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; }",
        arg=last.element_handle(),
    )
    assert page.locator(".section-nav").is_visible()
    page.wait_for_selector(".section-nav a.current:has-text('加减分')")
    box = page.locator(".section-nav").bounding_box()
    assert box["y"] < h
    page.screenshot(path=str(SHOTS / f"fill-form-demo-{size}.png"))
    if size == "phone":
        no_page_overflow(page)
