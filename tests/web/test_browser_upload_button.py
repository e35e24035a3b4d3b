"""Issue 17: no file input of the platform shows the browser's own (here English) "Choose Files" — each is a
Chinese 「选择文件」 button (a label around the visually hidden native input), reachable and operable from the
keyboard, and says which files were chosen. Chromium runs with an English locale so its own label would be
English."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from test_browser import CHROMIUM, PASSWORD, browser  # noqa: F401  (browser: fixture)

# sqlite_only: what the browser shows is checked; the database adds nothing (docs/performance.md)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.sqlite_only,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="no chromium"),
]


def _session(browser, live_server, username):  # noqa: F811
    page = browser.new_context(locale="en-US").new_page()
    page.set_default_timeout(20000)
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    return page


def _check_inputs(page, where: str) -> int:
    inputs = page.locator("input[type=file]")
    n = inputs.count()
    assert n, f"{where}: no file input"
    for i in range(n):
        box = inputs.nth(i).bounding_box()
        assert box is None or box["width"] <= 1, f"{where}: native input {i} visible"
        label = inputs.nth(i).locator("xpath=ancestor::label[contains(@class,'file-pick')]")
        assert label.count() == 1, where
        assert label.locator(".file-button").inner_text().startswith("选择文件"), where
    text = page.inner_text("body")
    assert "Choose File" not in text and "No file chosen" not in text, where
    return n


def test_every_file_input_is_a_chinese_button(org, live_server, browser, tmp_path):  # noqa: F811
    from django.utils import timezone

    from govassess.web.survey.models import Campaign

    campaign = Campaign.objects.create(name="普查", cutoff=date(2017, 12, 31), deadline=timezone.now() + timedelta(days=7))
    r = org.round.pk
    filler = _session(browser, live_server, "filler1")
    filler.goto(f"{live_server.url}/rounds/{r}/units/D01/")
    assert _check_inputs(filler, "fill form") >= 2  # the Excel import and the evidence of each indicator
    # Keyboard: Tab reaches the hidden input, whose label shows the focus; choosing files names them.
    first = filler.locator("input[type=file]").first
    first.focus()
    assert filler.evaluate("document.activeElement.type") == "file"
    assert filler.locator("label.file-pick:focus-within").count() == 1
    pdf = tmp_path / "材料.pdf"
    pdf.write_bytes(b"%PDF-1.4 x")
    evidence = filler.locator("input[type=file][multiple]").first
    evidence.set_input_files([str(pdf), str(pdf)])
    names = evidence.locator("xpath=ancestor::label").locator(".file-names")
    assert names.inner_text() == "已选择 2 个文件：材料.pdf、材料.pdf"
    filler.goto(f"{live_server.url}/surveys/{campaign.pk}/units/D01/")
    _check_inputs(filler, "survey unit")
    provider = _session(browser, live_server, "provider")
    provider.goto(f"{live_server.url}/rounds/{r}/provider/")
    _check_inputs(provider, "provider page")
    office = _session(browser, live_server, "office")
    for url in ("/accounts/manage/import/", "/feeds/records/", f"/surveys/{campaign.pk}/summary/"):
        office.goto(live_server.url + url)
        _check_inputs(office, url)
