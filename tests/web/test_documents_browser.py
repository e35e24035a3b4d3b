"""A unit downloads its own 成绩单 (Word) from the round page in headless Chromium and is refused another unit's
(issue 12, web part 5). Scores worked by hand in tests/web/test_documents_web.py: D01 89 (2nd of 市级部门)."""

from __future__ import annotations

import docx
import pytest
from test_browser import CHROMIUM, SHOTS, browser, sized_session  # noqa: F401
from test_documents_web import LINE, NAMES, _finalise

pytestmark = [pytest.mark.browser]


@pytest.fixture
def final(org):
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    return _finalise(org)


def test_unit_downloads_its_scorecard_and_is_refused_another(final, live_server, browser, tmp_path):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = sized_session(browser, live_server, "filler1", 1280, 900)
    page.goto(f"{live_server.url}/rounds/{final.round.pk}/")
    with page.expect_download() as info:
        page.click("#scorecard-docx")
    download = info.value
    assert download.suggested_filename == "2021年上半年-D01-市委办公室(市档案局)-成绩单.docx"
    path = tmp_path / "card.docx"
    download.save_as(str(path))
    d = docx.Document(str(path))
    assert d.paragraphs[0].text.startswith(NAMES["D01"]) and d.paragraphs[1].text == LINE
    text = "\n".join([p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells])
    assert "89.00" in text and NAMES["D02"] not in text
    page.screenshot(path=str(SHOTS / "documents-unit-round.png"), full_page=True)

    resp = page.goto(f"{live_server.url}/rounds/{final.round.pk}/units/D02/documents/scorecard.docx")
    assert resp is not None and resp.status == 403
    assert "您无权查看该单位的成绩单" in page.inner_text("body")


def test_office_generates_and_publishes_the_bulletin_unit_downloads_it(final, live_server, browser, tmp_path):  # noqa: F811
    office = sized_session(browser, live_server, "office", 1280, 900)
    round_url = f"{live_server.url}/rounds/{final.round.pk}/"
    office.goto(round_url)
    office.select_option("#document-kind", "bulletin")
    office.select_option("#document-format", "docx")
    office.click("#document-generate")
    # The job runs in a thread of the live server; the page polls and reloads when it is done.
    office.wait_for_selector("#documents-table a.document-download", timeout=60000)
    office.click("#documents-table button.document-publish")
    office.wait_for_selector("text=已发布通报")
    office.screenshot(path=str(SHOTS / "documents-office.png"), full_page=True)

    unit = sized_session(browser, live_server, "filler2", 1280, 900)
    unit.goto(round_url)
    with unit.expect_download() as info:
        unit.click("#documents-table a.document-download")
    assert info.value.suggested_filename == "2021年上半年-通报.docx"
    path = tmp_path / "bulletin.docx"
    info.value.save_as(str(path))
    paras = [p.text for p in docx.Document(str(path)).paragraphs if p.text.strip()]
    assert paras[1] == LINE
