"""The office's documents on the web platform (issue 12): 通报 / 评估报告 generated as a background job for a
final round, downloaded, published to units; each unit's own 成绩单 once the results are published.

Hand computation (web-mini, as in test_weighting_sensitivity): D01 (90%, 是, 8/10, 7) 54 + 20 + 8 + 7 = 89;
D03 (88%, 是, 9/10, 8) 52.8 + 20 + 9 + 8 = 89.8; D02 (50%, 否, 5/10, 6) 30 + 5 + 5 + 6 = 46. Ranks in 市级部门:
D03 1, D01 2, D02 3 (X01 has no data). Lock time 2026-12-03 09:00 UTC = 17:00 Beijing time.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from urllib.parse import unquote

import docx
import pytest
from django.test import Client
from webtools import PASSWORD, fill_all

from govassess.web.audit.display import ACTION_LABELS
from govassess.web.audit.models import AuditEntry
from govassess.web.documents.models import Document
from govassess.web.jobs import worker_main
from govassess.web.rounds import services as rounds
from govassess.web.rounds.models import Round

LINE = "本文件依据 2026-12-03 17:00 定稿的评估结果"
NAMES = {"D01": "市委办公室(市档案局)", "D02": "市委宣传部(新闻出版局)", "D03": "市委统战部(民宗、侨务)"}


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


def _finalise(org, state: str = "final"):
    fill_all(org, d3=("88%", "是", "9", "10", "8"))
    rounds.round_transition(user=org.office, round=org.round, to_state="reviewing")
    rounds.scoring_start(user=org.office, round=org.round, background=False)
    rounds.round_transition(user=org.office, round=org.round, to_state="preliminary")
    if state == "final":
        rounds.round_transition(user=org.office, round=org.round, to_state="final")
        Round.objects.filter(pk=org.round.pk).update(finalised_at=dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC))
    org.round.refresh_from_db()
    return org


@pytest.fixture
def final(org, settings):
    settings.GOVASSESS_JOBS = "worker"  # the job stays queued; the test runs it as `govassess web worker` does
    return _finalise(org)


def _generate(client, org, kind: str, fmt: str = "docx") -> Document:
    resp = client.post(f"/rounds/{org.round.pk}/documents/generate/", {"kind": kind, "format": fmt})
    assert resp.status_code == 302
    doc = Document.objects.get()
    assert doc.status == "queued"
    assert worker_main(once=True) == 0  # one pass over the queue (django-tasks database worker)
    doc.refresh_from_db()
    assert doc.status == "done", doc.message
    return doc


def _docx(resp) -> docx.Document:
    data = b"".join(resp.streaming_content) if resp.streaming else resp.content
    return docx.Document(io.BytesIO(data))


def _text(d) -> str:
    return "\n".join([p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells])


def test_office_generates_the_bulletin_as_a_job_and_downloads_it(final):
    office = login("office")
    doc = _generate(office, final, "bulletin")
    resp = office.get(f"/documents/{doc.pk}/download/")
    assert resp.status_code == 200
    disposition = unquote(resp["Content-Disposition"])
    assert disposition.startswith("attachment") and "2021年上半年-通报.docx" in disposition
    d = _docx(resp)
    paras = [p.text for p in d.paragraphs if p.text.strip()]
    assert LINE == paras[1]  # under the title
    rows = [[c.text for c in r.cells][:3] for r in d.tables[0].rows]
    body = [r for r in rows if r[1] in NAMES.values()]
    assert body == [["1", NAMES["D03"], "89.80"], ["2", NAMES["D01"], "89.00"], ["3", NAMES["D02"], "46.00"]]
    actions = list(AuditEntry.objects.filter(object_type="document").values_list("action", flat=True))
    assert sorted(actions) == ["document_download", "document_generate", "job_claim"]  # claim: the worker
    assert ACTION_LABELS["document_generate"] == "生成评估文档" and ACTION_LABELS["document_download"] == "下载评估文档"
    page = office.get(f"/rounds/{final.round.pk}/audit/").content.decode()
    assert "生成评估文档" in page and "下载评估文档" in page


def test_full_report_has_the_lock_time_on_its_cover_and_stays_with_the_office(final):
    office = login("office")
    doc = _generate(office, final, "full")
    d = _docx(office.get(f"/documents/{doc.pk}/download/"))
    paras = [p.text for p in d.paragraphs if p.text.strip()]
    assert paras[1] == LINE
    resp = office.post(f"/documents/{doc.pk}/publish/", follow=True)
    assert "只有通报可以发布给各单位" in resp.content.decode()
    doc.refresh_from_db()
    assert doc.published_at is None
    assert login("filler1").get(f"/documents/{doc.pk}/download/").status_code == 403


def test_refused_before_the_round_is_final(org, settings):
    settings.GOVASSESS_JOBS = "worker"
    _finalise(org, "preliminary")
    resp = login("office").post(f"/rounds/{org.round.pk}/documents/generate/", {"kind": "bulletin", "format": "docx"},
                                follow=True)
    assert "本轮评估尚未定稿" in resp.content.decode()
    assert not Document.objects.exists()
    # Nor do others start one.
    assert login("filler1").post(f"/rounds/{org.round.pk}/documents/generate/",
                                 {"kind": "bulletin", "format": "docx"}).status_code == 403


def test_published_bulletin_is_on_the_units_round_page(final):
    office, filler = login("office"), login("filler1")
    doc = _generate(office, final, "bulletin")
    url = f"/documents/{doc.pk}/download/"
    assert filler.get(url).status_code == 403  # not yet published
    assert url not in filler.get(f"/rounds/{final.round.pk}/").content.decode()
    office.post(f"/documents/{doc.pk}/publish/")
    doc.refresh_from_db()
    assert doc.published_at is not None
    assert AuditEntry.objects.filter(action="document_publish", object_id=str(doc.pk)).count() == 1
    assert url in filler.get(f"/rounds/{final.round.pk}/").content.decode()
    resp = filler.get(url)
    assert resp.status_code == 200 and LINE in _text(_docx(resp))


def test_a_unit_downloads_its_own_scorecard_anonymised(final):
    filler = login("filler1")
    page = filler.get(f"/rounds/{final.round.pk}/").content.decode()
    url = f"/rounds/{final.round.pk}/units/D01/documents/scorecard.docx"
    assert url in page
    resp = filler.get(url)
    assert resp.status_code == 200
    assert "D01-市委办公室(市档案局)-成绩单.docx" in unquote(resp["Content-Disposition"])
    d = _docx(resp)
    text = _text(d)
    assert d.paragraphs[0].text.startswith(NAMES["D01"]) and d.paragraphs[1].text == LINE
    assert "89.00" in text and "第2" in text
    assert NAMES["D02"] not in text and NAMES["D03"] not in text
    assert AuditEntry.objects.filter(action="scorecard_document", unit_code="D01").count() == 1


def test_the_scorecard_page_links_the_document_once_final(final):
    # Issue 12: the unit finds its 成绩单 document on its scorecard page too, not only on the round page.
    filler = login("filler1")
    page = filler.get(f"/rounds/{final.round.pk}/units/D01/scorecard/").content.decode()
    for fmt in ("docx", "pdf"):
        assert f'href="/rounds/{final.round.pk}/units/D01/documents/scorecard.{fmt}"' in page
    final.round.state = "preliminary"
    final.round.save(update_fields=["state"])
    page = filler.get(f"/rounds/{final.round.pk}/units/D01/scorecard/").content.decode()
    assert "documents/scorecard." not in page and "下载成绩单" not in page


def test_another_units_scorecard_is_the_same_403(final):
    filler = login("filler1")
    resp = filler.get(f"/rounds/{final.round.pk}/units/D02/documents/scorecard.docx")
    page = filler.get(f"/rounds/{final.round.pk}/units/D02/scorecard/")
    assert resp.status_code == page.status_code == 403
    assert "您无权查看该单位的成绩单" in resp.content.decode()


def test_own_scorecard_refused_before_publication(org):
    _finalise(org, "preliminary")
    resp = login("filler1").get(f"/rounds/{org.round.pk}/units/D01/documents/scorecard.docx")
    assert resp.status_code == 403
    assert "本轮结果尚未发布" in resp.content.decode()


def test_scorecard_pdf(final):
    resp = login("filler1").get(f"/rounds/{final.round.pk}/units/D01/documents/scorecard.pdf")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert resp.content[:5] == b"%PDF-"


def test_a_failed_job_says_why_in_chinese(final):
    from govassess.web.rounds.models import ScoringRun

    office = login("office")
    office.post(f"/rounds/{final.round.pk}/documents/generate/", {"kind": "bulletin", "format": "docx"})
    doc = Document.objects.get()
    assert office.get(f"/documents/{doc.pk}/status/").json()["status"] == "queued"
    ScoringRun.objects.filter(round=final.round).update(results=None)  # the results gone before the job runs
    worker_main(once=True)
    status = office.get(f"/documents/{doc.pk}/status/").json()
    assert status["status"] == "failed" and status["status_label"] == "失败"
    assert status["message"] == "轮次「2021年上半年」尚无评分结果：请先运行评分"
    assert status["message"] in office.get(f"/rounds/{final.round.pk}/").content.decode()
    assert office.get(f"/documents/{doc.pk}/download/").status_code == 403
    assert login("filler1").get(f"/documents/{doc.pk}/status/").status_code == 403


def test_bad_choice_and_a_second_job_are_refused(final):
    office = login("office")
    resp = office.post(f"/rounds/{final.round.pk}/documents/generate/", {"kind": "scorecard", "format": "docx"},
                       follow=True)
    assert "请选择要生成的文档：通报或评估报告" in resp.content.decode()
    office.post(f"/rounds/{final.round.pk}/documents/generate/", {"kind": "bulletin", "format": "docx"})
    resp = office.post(f"/rounds/{final.round.pk}/documents/generate/", {"kind": "full", "format": "docx"},
                       follow=True)
    assert "已有文档正在生成，请稍候。" in resp.content.decode()
    assert Document.objects.count() == 1


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")), reason="LibreOffice / poppler missing")
def test_report_pdf_job_prints_the_lock_time(final, tmp_path):
    office = login("office")
    doc = _generate(office, final, "full", "pdf")
    resp = office.get(f"/documents/{doc.pk}/download/")
    assert resp["Content-Type"] == "application/pdf"
    assert "2021年上半年-评估报告.pdf" in unquote(resp["Content-Disposition"])
    path = tmp_path / "r.pdf"
    path.write_bytes(b"".join(resp.streaming_content))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert LINE in text and NAMES["D03"] in text
