"""暗访 on a phone: an assigned reviewer records a visit at 390×844 in headless Chromium (native date/time
inputs, a photo attached), the form fits the screen, and the office sees it with its evidence."""

from __future__ import annotations

import datetime as dt

import pytest
from test_browser import CHROMIUM, browser, session  # noqa: F401 — the shared Playwright fixture

from govassess.web.visits.models import Visit, VisitFile

pytestmark = [pytest.mark.browser]

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 200


@pytest.fixture
def planned(org, settings, tmp_path):
    from govassess.web.visits.services import plan_save

    settings.EVIDENCE_DIR = tmp_path / "evidence"
    plan_save(user=org.office, round=org.round, period_from=dt.date(2021, 1, 1), period_to=dt.date(2021, 6, 30),
              map_text="", visitor_ids=[org.reviewer.pk])
    return org


def _no_serious_axe(page):
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    found = [v for v in axe.Axe().run(page).response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not found, [f"{v['id']}: {v['help']} — {v['nodes'][0]['target']}" for v in found]


def _phone(browser, live_server, username):  # noqa: F811
    page = session(browser, live_server, username)
    page.set_viewport_size({"width": 390, "height": 844})
    return page


def test_reviewer_records_visit_with_photo_on_phone(planned, live_server, browser, tmp_path):  # noqa: F811
    r = planned.round.pk
    photo = tmp_path / "窗口.jpg"
    photo.write_bytes(JPEG)
    page = _phone(browser, live_server, "reviewer")
    page.goto(f"{live_server.url}/visits/")
    page.click(f"a[href='/visits/rounds/{r}/']")
    page.click("#visit-new")
    _no_serious_axe(page)
    assert page.locator("#date").get_attribute("type") == "date"
    assert page.locator("#time").get_attribute("type") == "time"
    # Nothing wider than the phone: no horizontal scrolling on the form.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.select_option("#unit", "D01")
    page.fill("#date", "2021-03-01")
    page.fill("#time", "09:30")
    page.select_option("#channel", "窗口")
    page.fill("#matter", "营业执照变更")
    page.fill("#waiting_minutes", "35")
    page.fill("#handling_minutes", "12")
    page.check("input[name=outcome][value='被推诿']")
    page.set_input_files("#files", str(photo))
    page.click("#visit-save")
    page.wait_for_url(f"{live_server.url}/visits/rounds/{r}/")
    assert "已保存暗访记录" in page.inner_text(".messages")
    card = page.locator(".visit-card").first.inner_text()
    assert "被推诿" in card and "等候 35 分钟" in card and "窗口.jpg" in card
    v = Visit.objects.get()
    assert (v.unit.code, v.waiting_minutes, v.outcome) == ("D01", 35, "被推诿")
    assert VisitFile.objects.get().content_type == "image/jpeg"

    # A negative waiting time: a Chinese message next to the kept values, nothing stored.
    page.click("#visit-new")
    page.select_option("#unit", "D02")
    page.fill("#date", "2021-03-02")
    page.fill("#time", "10:00")
    page.evaluate("document.getElementById('waiting_minutes').removeAttribute('min')")
    page.fill("#waiting_minutes", "-3")
    page.check("input[name=outcome][value='办成']")
    page.click("#visit-save")
    assert "「等候时间」不能为负数（-3）" in page.inner_text(".messages")
    assert page.input_value("#unit") == "D02"
    assert Visit.objects.count() == 1

    office = session(browser, live_server, "office")
    office.goto(f"{live_server.url}/visits/rounds/{r}/")
    office_card = office.locator(".visit-card").first.inner_text()
    _no_serious_axe(office)
    assert "reviewer" in office_card and "窗口.jpg" in office_card
