"""The public questionnaire on a phone-sized viewport (390×844) in headless Chromium: skip logic shows and hides
questions, a submission is counted, a second one from the same phone replaces it, the rate limit answers in
Chinese, and the office sees the count move."""

from __future__ import annotations

import pytest
from test_browser import browser, session  # noqa: F401  (fixtures and the login helper)

from govassess.web.questionnaires import services
from govassess.web.questionnaires.models import Link

pytestmark = [pytest.mark.browser]


@pytest.fixture
def questionnaire(org, settings):
    from django.core.cache import cache

    cache.clear()
    settings.QUESTIONNAIRE_ADDRESS_PER_HOUR = 2
    q = services.questionnaire_attach(user=org.office, round=org.round, builtin="satisfaction")
    services.settings_update(user=org.office, q=q, min_seconds=0, office_name="评估办")
    services.collection_set(user=org.office, q=q, open=True)
    return Link.objects.get(questionnaire=q, unit=org.d1).token


def _answer(page, channel: str, overall: str) -> None:
    page.check(f"input[name=办理渠道][value={channel}]")
    if channel == "网上":
        page.locator("#q-网上办理便利度").wait_for(state="visible")
        assert page.locator("#q-等候时间").is_hidden()
        page.check("#q-网上办理便利度 input[value='4']")
    page.check("input[name=事项类型][value=个人]")
    page.check("input[name=跑动次数][value='1']")
    page.check("#q-办事指南清晰度 input[value='5']")
    page.check("input[name=一次办成][value=否]")
    page.locator("#q-未办成原因").wait_for(state="visible")
    page.check("#q-未办成原因 input[value=系统]")
    page.check("input[name=不合理收费][value=否]")
    page.check(f"#q-总体满意度 input[value='{overall}']")


def test_phone_answers_replaces_and_is_rate_limited(org, questionnaire, live_server, browser):  # noqa: F811
    office = session(browser, live_server, "office")
    office.goto(f"{live_server.url}/rounds/{org.round.pk}/questionnaire/")
    assert office.locator("#progress tr[data-unit=D01] td.count").inner_text() == "0"
    office.wait_for_function("window.govassessCharts && window.govassessCharts.length > 0")

    phone_ctx = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                    has_touch=True)
    phone = phone_ctx.new_page()
    phone.set_default_timeout(20000)
    phone.goto(f"{live_server.url}/q/{questionnaire}/")
    phone.wait_for_selector("#qform[data-ready='1']")
    # Nothing chosen yet: the groups behind a condition are hidden, the page fits the phone's width
    assert phone.locator("#q-等候时间").is_hidden() and phone.locator("#q-网上办理便利度").is_hidden()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # 窗口 first: the 现场服务 questions appear; then 网上: they hide again and the 网上服务 ones show
    phone.check("input[name=办理渠道][value=窗口]")
    phone.locator("#q-等候时间").wait_for(state="visible")
    _answer(phone, "网上", "2")
    phone.click("button.qsubmit")
    phone.wait_for_selector("text=提交成功")

    office.reload()
    assert office.locator("#progress tr[data-unit=D01] td.count").inner_text() == "1"

    # The same phone answers again: the first answer is replaced, the count stays 1
    phone.goto(f"{live_server.url}/q/{questionnaire}/")
    phone.wait_for_selector("#qform[data-ready='1']")
    _answer(phone, "网上", "5")
    phone.click("button.qsubmit")
    phone.wait_for_selector("text=替换")
    office.reload()
    assert office.locator("#progress tr[data-unit=D01] td.count").inner_text() == "1"
    assert office.locator("#progress tr[data-unit=D01] td").nth(3).inner_text() == "1"  # 已替换

    # A third submission from the same address within the hour: refused in Chinese (limit set to 2)
    phone.goto(f"{live_server.url}/q/{questionnaire}/")
    phone.wait_for_selector("#qform[data-ready='1']")
    _answer(phone, "网上", "4")
    phone.click("button.qsubmit")
    phone.wait_for_selector("text=提交过于频繁")
    assert "请稍后再试" in phone.content()
    phone_ctx.close()


@pytest.mark.sqlite_only  # layout, axe-core and keyboard: the database adds nothing (docs/performance.md)
def test_public_page_at_360_px_is_accessible_and_keyboard_usable(org, questionnaire, live_server, browser):  # noqa: F811
    # Issue 14: usable on a 360 px wide screen, accessible (labels, keyboard, contrast); issue 15: axe-core on
    # the questionnaire page with zero serious violations — the office's page too.
    from test_accessibility import serious

    ctx = browser.new_context(locale="zh-CN", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    phone = ctx.new_page()
    phone.set_default_timeout(20000)
    phone.goto(f"{live_server.url}/q/{questionnaire}/")
    phone.wait_for_selector("#qform[data-ready='1']")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert serious(phone) == []
    # Every visible choice has a label a screen reader announces
    unlabeled = phone.evaluate("""[...document.querySelectorAll('#qform input:not([type=hidden])')]
        .filter(i => i.offsetParent && !(i.labels && i.labels.length) && !i.getAttribute('aria-label')).length""")
    assert unlabeled == 0
    # Keyboard only: Tab reaches a choice of the first question and Space selects it
    for _ in range(40):
        phone.keyboard.press("Tab")
        if phone.evaluate("document.activeElement.name") == "办理渠道":
            break
    assert phone.evaluate("document.activeElement.name") == "办理渠道"
    phone.keyboard.press("Space")
    assert phone.evaluate("document.activeElement.checked") is True
    ctx.close()

    office = session(browser, live_server, "office")
    office.goto(f"{live_server.url}/rounds/{org.round.pk}/questionnaire/")
    assert serious(office) == []
