"""Screenshots of the pages issue 17's last items changed, at desktop and phone width, for docs/web.md
(GOVASSESS_SCREENSHOTS=docs/screenshots pytest tests/web/test_browser_screens_f17.py). Each run also checks
that the page does not overflow sideways at 390 px and that what the screenshot is about is on the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import CHROMIUM, PASSWORD, SHOTS, WIDTHS, browser, no_page_overflow  # noqa: F401
from webtools import fill_all

from govassess.web.rounds import services

# sqlite_only: what the browser shows is checked; the database adds nothing (docs/performance.md)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.sqlite_only,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium"),
]


def _page(browser, live_server, username, size, *, locale="zh-CN"):  # noqa: F811
    w, h = WIDTHS[size]
    page = browser.new_context(locale=locale, viewport={"width": w, "height": h}).new_page()
    page.set_default_timeout(20000)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    return page


def _shot(page, name, size, *, full=False):
    SHOTS.mkdir(parents=True, exist_ok=True)
    if size == "phone":
        no_page_overflow(page)
    page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=full)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_screens(org, live_server, browser, size, settings):  # noqa: F811
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from govassess.web.organisation.models import Unit

    Unit.objects.filter(code="D03").delete()  # a class of two: the scorecard withholds the average
    fill_all(org)
    services.input_value_set(
        user=org.reviewer,
        round=org.round,
        unit=org.d1,
        indicator="4",
        input="score",
        value="7",
        note="材料基本齐全，缺少第二季度台账",
        expected_version=1,
    )
    services.input_internal_note_set(
        user=org.reviewer,
        round=org.round,
        unit=org.d1,
        indicator="4",
        input="score",
        text="台账疑似补做，复核时请调原始记录",
    )
    r = org.round.pk

    # 1. the reviewer's form: the expert score with its reason and the 内部意见, Chinese upload buttons
    reviewer = _page(browser, live_server, "reviewer", size, locale="en-US")
    reviewer.goto(f"{live_server.url}/rounds/{r}/units/D01/")
    reviewer.locator("#ind-4").scroll_into_view_if_needed()
    assert reviewer.locator("#ind-4 input.internal").first.input_value() == "台账疑似补做，复核时请调原始记录"
    _shot(reviewer, "review-internal-note", size)

    # 2. the office's completeness table paged on the server (one row a page here: two units)
    settings.TABLE_PAGE_SIZE = 1
    office = _page(browser, live_server, "office", size)
    office.goto(f"{live_server.url}/rounds/{r}/completeness/?sort=percent&dir=asc")
    assert office.locator(".server-pager").is_visible()
    _shot(office, "completeness-server-pages", size)
    settings.TABLE_PAGE_SIZE = 100

    # 3. 账号管理 with the 动态口令 column and its reset button
    TOTPDevice.objects.create(user=org.reviewer, name="动态口令", confirmed=True)
    office.goto(f"{live_server.url}/accounts/manage/")
    assert office.locator("text=重置动态口令").count() == 1
    _shot(office, "accounts-otp-reset", size, full=True)

    # 4. the login's code step (the reviewer now has a device)
    step = browser.new_context(
        locale="zh-CN", viewport={"width": WIDTHS[size][0], "height": WIDTHS[size][1]}
    ).new_page()
    step.goto(live_server.url + "/accounts/login/")
    step.fill("input[name=username]", "reviewer")
    step.fill("input[name=password]", PASSWORD)
    step.click("button[type=submit]")
    step.wait_for_selector("#otp-step")
    _shot(step, "login-otp-step", size)
    TOTPDevice.objects.all().delete()

    # 5. a unit's preliminary scorecard in a class of two: no average, and why
    services.round_transition(user=org.office, round=org.round, to_state="reviewing")
    services.scoring_start(user=org.office, round=org.round, background=False)
    services.round_transition(user=org.office, round=org.round, to_state="preliminary")
    filler = _page(browser, live_server, "filler1", size)
    filler.goto(f"{live_server.url}/rounds/{r}/units/D01/scorecard/")
    filler.wait_for_function("window.govassessCharts && window.govassessCharts.length === 2")
    filler.wait_for_timeout(600)
    assert "本类别单位少于 3 个，不显示平均分" in filler.inner_text("#average-withheld")
    _shot(filler, "scorecard-small-class", size)

    # 6. the admin page of a system in use: definition read-only, 复制为新版本
    office.goto(f"{live_server.url}/admin/systems/system/{org.system.pk}/change/")
    assert office.locator("text=复制为新版本").count() == 1
    _shot(office, "admin-system-in-use", size)
