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


@pytest.fixture(autouse=True)
def _own_documents_folder(settings, tmp_path):
    # Each test its own documents folder: files left by another test (a logo, a generated file) must not be seen.
    settings.DOCUMENTS_DIR = tmp_path / "documents"


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


def _finalise(org, state: str = "final", then=None):
    fill_all(org, d3=("88%", "是", "9", "10", "8"))
    if then is not None:
        then(org)
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
    # Unpublished: the office's alone.
    for who in ("leader", "filler1", "reviewer", "provider"):
        resp = login(who).get(f"/documents/{doc.pk}/download/")
        assert resp.status_code == 403 and "您无权下载该文档" in resp.content.decode(), who


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


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler missing")
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


# ---- 文档模板 (issue 12, templates on the web) ------------------------------------------------------------

TITLE = "关于{round}全市数字政府评估结果的通报"
OFFICE_NAME = "阳江市政务服务数据管理局"


def png(size: int = 32) -> bytes:
    """A real PNG (red square) made here: python-docx reads it, as it must for the logo."""
    import struct
    import zlib

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    raw = b"".join(b"\x00" + b"\xa6\x1b\x1b" * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def _create_template(client, name="阳江模板", text=f"office: {OFFICE_NAME}\nbulletin_title: {TITLE}\n", logo=True):
    data = {"name": name, "text": text}
    if logo:
        data["logo"] = upload("标志.png", png())
    return client.post("/documents/templates/new/", data)


def _template_files() -> list[str]:
    from govassess.web.documents.services import documents_dir

    folder = documents_dir() / "templates"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _header_has_image(d) -> bool:
    return any("image" in rel.reltype for rel in d.sections[0].header.part.rels.values())


def test_default_template_download_is_the_documented_yaml(org):
    import yaml

    from govassess.reports.template import DEFAULT_TEXTS

    resp = login("office").get("/documents/templates/default.yaml")
    assert resp.status_code == 200 and "默认模板.yaml" in unquote(resp["Content-Disposition"])
    text = resp.content.decode("utf-8")
    data = yaml.safe_load(text)
    # Every wording key with the built-in text, plus the three keys without wording (office, 文号, date).
    assert {k: data[k] for k in DEFAULT_TEXTS} == {k: v for k, (v, _) in DEFAULT_TEXTS.items()}
    assert data["office"] == "评估办公室" and data["document_number"] == "" and data["date"] == ""
    assert "logo" not in data  # on the web the logo is uploaded apart
    assert "# 通报标题\nbulletin_title:" in text and "# 成绩单标题；另可用：{unit}" in text
    assert login("filler1").get("/documents/templates/default.yaml").status_code == 403


def test_office_creates_a_template_and_the_bulletin_uses_it(final):
    office = login("office")
    resp = _create_template(office)
    assert resp.status_code == 302 and resp["Location"] == "/documents/templates/"
    from govassess.web.documents.models import DocumentTemplate

    t = DocumentTemplate.objects.get()
    assert t.logo_name == "标志.png" and t.logo_path.endswith(".png")
    assert _template_files() == [t.logo_path.split("/")[-1]]  # no .part left
    page = office.get("/documents/templates/").content.decode()
    assert "阳江模板" in page and f"/documents/templates/{t.pk}/logo/" in page
    assert b"".join(office.get(f"/documents/templates/{t.pk}/logo/").streaming_content) == png()
    created = AuditEntry.objects.get(action="document_template_create")
    assert created.after["name"] == "阳江模板" and created.after["template_text"] == t.text

    resp = office.post(f"/rounds/{final.round.pk}/documents/generate/",
                       {"kind": "bulletin", "format": "docx", "template": str(t.pk)})
    assert resp.status_code == 302
    worker_main(once=True)
    doc = Document.objects.get()
    assert doc.status == "done", doc.message
    assert (doc.template_name, doc.template_text) == ("阳江模板", t.text)
    d = _docx(office.get(f"/documents/{doc.pk}/download/"))
    paras = [p.text for p in d.paragraphs if p.text.strip()]
    assert paras[0] == "关于2021年上半年全市数字政府评估结果的通报"
    assert OFFICE_NAME in paras and _header_has_image(d)
    generate = AuditEntry.objects.get(action="document_generate")
    assert generate.after["template"] == "阳江模板" and generate.after["template_sha256"] == doc.template_sha256
    assert "阳江模板" in office.get(f"/rounds/{final.round.pk}/").content.decode()
    office.post(f"/documents/{doc.pk}/publish/")
    assert AuditEntry.objects.get(action="document_publish").after["template"] == "阳江模板"


def test_the_default_template_is_what_a_document_without_choice_uses(final):
    doc = _generate(login("office"), final, "bulletin")
    assert doc.template_id is None and doc.template_name == "默认模板"
    paras = [p.text for p in _docx(login("office").get(f"/documents/{doc.pk}/download/")).paragraphs if p.text.strip()]
    # The built-in bulletin_title "关于{system}（{round}）结果的通报" with web-mini's name, and the built-in office.
    assert paras[0] == "关于网页测试体系（2021年上半年）结果的通报" and "评估办公室" in paras


@pytest.mark.parametrize(("text", "message"), [
    ("bulletin_title: 关于{foo}的通报\n",
     "文件 模板「甲」，字段 bulletin_title：不认识的占位符 {foo}，此处可用："),
    ("titel: 通报\n", "文件 模板「甲」，字段 titel：不认识的模板键「titel」"),
    ("bulletin_title: 关于{round的通报\n", "字段 bulletin_title：花括号不成对"),
    ("logo: 标志.png\n", "字段 logo：标志图片请单独上传，模板文字中不要写 logo"),
    ("bulletin_title: [\n", "文件 模板「甲」，第 2 行：YAML 格式错误"),  # the list is still open at the end
    ("- 一\n- 二\n", "模板文件应为"),
])
def test_a_bad_template_is_refused_on_the_form_and_nothing_is_saved(org, text, message):
    from govassess.web.documents.models import DocumentTemplate

    resp = _create_template(login("office"), name="甲", text=text)
    page = resp.content.decode()
    assert resp.status_code == 400 and "模板未保存" in page
    assert message in page.replace("&quot;", '"').replace("&#x27;", "'"), page[page.find("模板未保存"):][:600]
    assert not DocumentTemplate.objects.exists() and _template_files() == []
    assert not AuditEntry.objects.filter(object_type="document_template").exists()


@pytest.mark.parametrize(("name", "data", "message"), [
    ("标志.png", b"GIF89a not a png", "标志图片「标志.png」应为 PNG 或 JPEG 图片（按文件内容判断）"),
    ("标志.png", b"\x89PNG\r\n\x1a\n" + b"broken", "标志图片「标志.png」已损坏，无法读取"),
    ("标志.png", png(200), "标志图片「标志.png」超过大小上限"),
    ("空.jpg", b"", "文件「空.jpg」是空文件"),
])
def test_a_bad_logo_is_refused(org, settings, name, data, message):
    from govassess.web.documents.models import DocumentTemplate

    settings.DOCUMENT_LOGO_MAX_BYTES = len(png(200)) - 1  # one byte too many
    resp = login("office").post("/documents/templates/new/", {"name": "乙", "text": "office: 乙办",
                                                              "logo": upload(name, data)})
    assert resp.status_code == 400 and message in resp.content.decode()
    assert not DocumentTemplate.objects.exists() and _template_files() == []


def test_name_rules_and_yaml_file_upload(org):
    from govassess.web.documents.models import DocumentTemplate

    office = login("office")
    assert "「默认模板」是内置模板的名称" in _create_template(office, name="默认模板", logo=False).content.decode()
    assert "请填写模板名称" in _create_template(office, name="  ", logo=False).content.decode()
    # A .yaml file replaces the textarea; GBK is named as such.
    resp = office.post("/documents/templates/new/", {"name": "丙", "text": "office: 不用",
                                                     "yaml_file": upload("丙.yaml", "office: 丙办\n".encode())})
    assert resp.status_code == 302 and DocumentTemplate.objects.get().text == "office: 丙办\n"
    assert "已有名为「丙」的模板" in _create_template(office, name="丙", logo=False).content.decode()
    resp = office.post("/documents/templates/new/", {"name": "丁", "yaml_file": upload("丁.yaml", "office: 丁办".encode("gbk"))})
    assert resp.status_code == 400 and "GBK" in resp.content.decode()
    resp = office.post("/documents/templates/new/", {"name": "丁", "yaml_file": upload("丁.txt", b"office: x")})
    assert "不是 YAML 文件" in resp.content.decode()
    assert DocumentTemplate.objects.count() == 1
    assert login("filler1").get("/documents/templates/").status_code == 403
    assert "只有评估办可以管理文档模板" in login("leader").get("/documents/templates/new/").content.decode()


def test_editing_a_template_leaves_finished_documents_as_they_were(final):
    from govassess.web.documents.models import DocumentTemplate

    office = login("office")
    _create_template(office)
    t = DocumentTemplate.objects.get()
    old_logo = t.logo_path
    office.post(f"/rounds/{final.round.pk}/documents/generate/", {"kind": "bulletin", "format": "docx",
                                                                  "template": str(t.pk)})
    worker_main(once=True)
    doc = Document.objects.get()
    before = (doc.template_text, doc.template_sha256, doc.template_logo)
    resp = office.post(f"/documents/templates/{t.pk}/", {"name": "阳江模板（新）", "text": "bulletin_title: 新标题\n",
                                                        "logo": upload("新标志.png", png(16))})
    assert resp.status_code == 302
    t.refresh_from_db()
    assert t.logo_name == "新标志.png" and t.logo_path != old_logo
    assert _template_files() == [t.logo_path.split("/")[-1]]  # the replaced logo is gone; the document has its copy
    doc.refresh_from_db()
    assert (doc.template_text, doc.template_sha256, doc.template_logo) == before and doc.template_name == "阳江模板"
    d = _docx(office.get(f"/documents/{doc.pk}/download/"))
    assert d.paragraphs[0].text == "关于2021年上半年全市数字政府评估结果的通报"
    entry = AuditEntry.objects.get(action="document_template_update")
    assert entry.before["name"] == "阳江模板" and entry.before["template_text"] == f"office: {OFFICE_NAME}\nbulletin_title: {TITLE}\n"
    assert entry.after["name"] == "阳江模板（新）" and entry.after["logo"] == "新标志.png"
    page = office.get(f"/documents/templates/{t.pk}/").content.decode()
    history = page[page.index('id="template-history"'):]
    assert "修改文档模板" in history and "新建文档模板" in history and "名称：阳江模板 → 阳江模板（新）" in history
    # Removing the logo.
    office.post(f"/documents/templates/{t.pk}/", {"name": "阳江模板（新）", "text": t.text, "remove_logo": "1"})
    t.refresh_from_db()
    assert t.logo_path == "" and _template_files() == []


def test_delete_refused_while_a_document_is_queued_or_a_round_uses_it(final):
    from govassess.web.documents.models import DocumentTemplate

    office = login("office")
    _create_template(office, logo=False)
    t = DocumentTemplate.objects.get()
    office.post(f"/rounds/{final.round.pk}/documents/generate/", {"kind": "full", "format": "docx", "template": str(t.pk)})
    resp = office.post(f"/documents/templates/{t.pk}/delete/", follow=True)
    assert "模板「阳江模板」正在使用，不能删除：轮次「2021年上半年」的评估报告正在用该模板生成" in resp.content.decode()
    worker_main(once=True)
    office.post(f"/rounds/{final.round.pk}/documents/scorecard-template/", {"template": str(t.pk)})
    resp = office.post(f"/documents/templates/{t.pk}/delete/", follow=True)
    assert "轮次「2021年上半年」的成绩单模板是该模板" in resp.content.decode()
    assert DocumentTemplate.objects.filter(pk=t.pk).exists()
    office.post(f"/rounds/{final.round.pk}/documents/scorecard-template/", {"template": ""})
    resp = office.post(f"/documents/templates/{t.pk}/delete/", follow=True)
    assert "已删除模板「阳江模板」" in resp.content.decode() and not DocumentTemplate.objects.exists()
    doc = Document.objects.get()
    assert doc.template_id is None and doc.template_name == "阳江模板"  # the finished document still says so
    assert AuditEntry.objects.get(action="document_template_delete").before["name"] == "阳江模板"
    settings_entries = AuditEntry.objects.filter(action="document_scorecard_template").order_by("pk")
    assert [(e.before, e.after) for e in settings_entries] == [
        ({"scorecard_template": "默认模板"}, {"scorecard_template": "阳江模板"}),
        ({"scorecard_template": "阳江模板"}, {"scorecard_template": "默认模板"}),
    ]


def test_the_rounds_scorecard_template_is_what_units_download(final):
    office = login("office")
    # Quoted: a YAML value that begins with a brace would be read as a mapping.
    _create_template(office, text='scorecard_title: "{unit}成绩通知单"\n', logo=False)
    from govassess.web.documents.models import DocumentTemplate

    t = DocumentTemplate.objects.get()
    assert login("filler1").post(f"/rounds/{final.round.pk}/documents/scorecard-template/",
                                 {"template": str(t.pk)}).status_code == 403
    office.post(f"/rounds/{final.round.pk}/documents/scorecard-template/", {"template": str(t.pk)})
    resp = login("filler1").get(f"/rounds/{final.round.pk}/units/D01/documents/scorecard.docx")
    d = _docx(resp)
    assert d.paragraphs[0].text == f"{NAMES['D01']}成绩通知单"
    entry = AuditEntry.objects.get(action="scorecard_document")
    assert entry.after["template"] == "阳江模板"


# ---- who reads a published 评估报告 ------------------------------------------------------------------------

D02_REASON = "部门说明：宣传部目录挂接不全"


@pytest.fixture
def final_with_reason(org, settings):
    """As `final`, with the data provider's note beside D02's 挂接目录数 (5 of 10: 5 points lost, the note quoted
    in the lost point's explanation): the office, reviewers and D02 itself may read it, leaders and D01 not."""
    from govassess.web.rounds.services import input_value_set

    settings.GOVASSESS_JOBS = "worker"
    return _finalise(org, then=lambda o: input_value_set(user=o.provider, round=o.round, unit=o.d2, indicator="3",
                                                         input="挂接目录数", value="5", note=D02_REASON))


def _download(who: str, doc: Document):
    return login(who).get(f"/documents/{doc.pk}/download/")


@pytest.fixture
def no_render_in_requests(monkeypatch):
    """From the first call of the returned function on, services.render raises unless a job runs it (the
    function runs the queued jobs as `govassess web worker` does): a download that renders fails."""
    from govassess.web.documents import services

    real = services.render
    state = {"job": True}

    def render(*args, **kwargs):
        if not state["job"]:
            raise AssertionError("rendered inside a request")
        return real(*args, **kwargs)

    def run_jobs(jobs: bool = True):
        state["job"] = True
        try:
            if jobs:
                assert worker_main(once=True) == 0
        finally:
            state["job"] = False

    monkeypatch.setattr(services, "render", render)
    return run_jobs


def _unit_pages(d) -> list[str]:
    """The level-2 headings of 三、各单位成绩单 (one per unit page), up to the appendix."""
    out, inside = [], False
    for p in d.paragraphs:
        if p.style.name == "Heading 1":
            inside = p.text == "三、各单位成绩单"
        elif inside and p.style.name == "Heading 2":
            out.append(p.text)
    return out


WAIT = "正在生成，请稍候"


def test_a_published_report_per_role(final_with_reason, no_render_in_requests):
    from govassess.web.documents.models import ReaderVersion

    office = login("office")
    doc = _generate(office, final_with_reason, "full")
    # The generation job made the leaders' version too; nothing else.
    assert list(ReaderVersion.objects.values_list("reader", "status")) == [("leader", "done")]
    no_render_in_requests(jobs=False)  # from here on, only the jobs render
    office_doc = _docx(office.get(f"/documents/{doc.pk}/download/"))
    office_text = _text(office_doc)
    assert all(n in office_text for n in NAMES.values()) and D02_REASON in office_text
    # Ranking order D03, D01, D02 (module docstring): every unit's page in the office's file.
    assert _unit_pages(office_doc) == [f"{NAMES[c]}（市级部门）" for c in ("D03", "D01", "D02")]
    office.post(f"/documents/{doc.pk}/publish/")
    doc.refresh_from_db()
    assert doc.published and not doc.units_published
    # Published: the leaders too (without the notes they may not read), a plain file: nothing rendered now.
    leader = _download("leader", doc)
    assert leader.status_code == 200 and leader["Content-Type"].startswith("application/vnd.openxml")
    leader_text = _text(_docx(leader))
    assert all(n in leader_text for n in NAMES.values()) and D02_REASON not in leader_text
    for who in ("filler1", "filler2", "reviewer", "provider"):
        resp = _download(who, doc)
        assert resp.status_code == 403 and "您无权下载该文档" in resp.content.decode(), who
    assert f"/documents/{doc.pk}/download/" not in login("filler1").get(f"/rounds/{final_with_reason.round.pk}/").content.decode()

    resp = office.post(f"/documents/{doc.pk}/publish/", {"audience": "units"}, follow=True)
    assert "已向被评估单位公开评估报告" in resp.content.decode()
    doc.refresh_from_db()
    assert doc.units_published
    assert ReaderVersion.objects.count() == 1  # no unit's version is built before the unit asks
    # A unit's first download: the 正在生成 page, its build queued; a second click starts no second build.
    filler1 = login("filler1")
    for _ in range(2):
        resp = filler1.get(f"/documents/{doc.pk}/download/")
        page = resp.content.decode()
        assert resp.status_code == 200 and WAIT in page and "其他单位以代码显示" in page
    assert ReaderVersion.objects.filter(reader="D01").get().status == "queued"
    assert filler1.get(f"/documents/{doc.pk}/version/status/").json()["status"] == "queued"
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(args_kwargs__args=["reader", ReaderVersion.objects.get(reader="D01").pk]).count() == 1
    no_render_in_requests()
    assert filler1.get(f"/documents/{doc.pk}/version/status/").json() == {
        "status": "done", "status_label": "已完成", "progress": 1.0, "message": "完成"}
    # Then the file: its own name, the others as codes, only its own page; its own expert reason yes, another's no.
    d1_doc = _docx(filler1.get(f"/documents/{doc.pk}/download/"))
    d1 = _text(d1_doc)
    assert NAMES["D01"] in d1 and NAMES["D02"] not in d1 and NAMES["D03"] not in d1
    assert "D02" in d1 and "D03" in d1 and D02_REASON not in d1
    assert _unit_pages(d1_doc) == [f"{NAMES['D01']}（市级部门）"]
    # D02 asks later: its own version (its own reason in it), never D01's.
    assert WAIT in _download("filler2", doc).content.decode()
    no_render_in_requests()
    d2_doc = _docx(_download("filler2", doc))
    d2 = _text(d2_doc)
    assert NAMES["D02"] in d2 and NAMES["D01"] not in d2 and NAMES["D03"] not in d2 and D02_REASON in d2
    assert _unit_pages(d2_doc) == [f"{NAMES['D02']}（市级部门）"]
    for who in ("reviewer", "provider"):
        resp = _download(who, doc)
        assert resp.status_code == 403 and "您无权下载该文档" in resp.content.decode(), who
        assert login(who).get(f"/documents/{doc.pk}/version/status/").status_code == 403
    assert f"/documents/{doc.pk}/download/" in login("leader").get(f"/rounds/{final_with_reason.round.pk}/").content.decode()
    assert f"/documents/{doc.pk}/download/" not in login("reviewer").get(f"/rounds/{final_with_reason.round.pk}/").content.decode()
    assert f"/documents/{doc.pk}/download/" in login("filler1").get(f"/rounds/{final_with_reason.round.pk}/").content.decode()
    entries = AuditEntry.objects.filter(action="document_publish").order_by("pk")
    assert [e.after["audience"] for e in entries] == ["评估办和领导", "评估办、领导和各被评估单位（其他单位以代码显示）"]
    # Downloads audited as before; the builds are system work: no entry of their own, none by a user.
    versions = sorted(e.after["version"] for e in AuditEntry.objects.filter(action="document_download"))
    assert versions == sorted(["原件", "领导版（不含说明原文）", "单位版（其他单位以代码显示）", "单位版（其他单位以代码显示）"])
    claims = AuditEntry.objects.filter(object_type="document_version")
    assert {(e.action, e.user_id) for e in claims} == {("job_claim", None)}


def test_reader_notes_match_the_per_account_rule(final_with_reason):
    """The job's user-free rule (no request user in a build) equals readable_fields for real accounts."""
    from govassess.web.rounds.selectors import withheld_notes_reader, withheld_notes_round

    o = final_with_reason
    # Notes: the reviewer's "材料完整" beside every unit's score (fill_all), D02's provider note D02_REASON.
    # Leaders read none; a unit its own, but the same text is another unit's too, so it is still taken out.
    both = {"材料完整", D02_REASON}
    assert withheld_notes_reader(round=o.round) == withheld_notes_round(user=o.leader, round=o.round) == both
    assert withheld_notes_reader(round=o.round, unit=o.d1) == withheld_notes_round(user=o.filler1, round=o.round) == both
    assert (withheld_notes_reader(round=o.round, unit=o.d2) == withheld_notes_round(user=o.filler2, round=o.round)
            == {"材料完整"})


def test_the_leaders_version_fails_the_job_and_leaves_no_file(final, monkeypatch):
    from govassess.web.documents import services
    from govassess.web.documents.models import ReaderVersion

    real = services.reader_model

    def broken(round, unit):
        raise RuntimeError("leader version broke")

    monkeypatch.setattr(services, "reader_model", broken)
    office = login("office")
    office.post(f"/rounds/{final.round.pk}/documents/generate/", {"kind": "full", "format": "docx"})
    worker_main(once=True)
    doc = Document.objects.get()
    assert (doc.status, doc.message, doc.file_path) == ("failed", services.CRASH, "")
    assert not ReaderVersion.objects.exists()
    folder = services.documents_dir() / str(final.round.pk)
    assert sorted(p.name for p in folder.iterdir()) == []  # neither the office's file nor a temporary one
    monkeypatch.setattr(services, "reader_model", real)


def test_the_reader_limit_refuses_publication_to_units_and_changes_nothing(final, settings):
    settings.GOVASSESS_REPORT_READER_MAX_UNITS = 2  # web-mini evaluates 市级部门 only: D01, D02, D03
    office = login("office")
    doc = _generate(office, final, "full")
    before = AuditEntry.objects.count()
    resp = office.post(f"/documents/{doc.pk}/publish/", {"audience": "units"}, follow=True)
    page = resp.content.decode()
    assert "本轮共有 3 个被评估单位，超过评估报告向被评估单位公开的上限 2 个" in page
    assert "GOVASSESS_REPORT_READER_MAX_UNITS" in page and "请发布通报，各单位下载本单位的成绩单" in page
    doc.refresh_from_db()
    assert doc.published_at is None and doc.units_published_at is None
    assert AuditEntry.objects.count() == before
    settings.GOVASSESS_REPORT_READER_MAX_UNITS = 3  # at the limit: allowed
    office.post(f"/documents/{doc.pk}/publish/", {"audience": "units"})
    doc.refresh_from_db()
    assert doc.units_published


def test_a_failed_unit_version_says_why_and_can_be_built_again(final):
    from govassess.web.documents.models import ReaderVersion
    from govassess.web.rounds.models import ScoringRun

    office, filler = login("office"), login("filler1")
    doc = _generate(office, final, "full")
    office.post(f"/documents/{doc.pk}/publish/", {"audience": "units"})
    assert WAIT in filler.get(f"/documents/{doc.pk}/download/").content.decode()
    run = ScoringRun.objects.get(round=final.round)
    kept = run.results
    ScoringRun.objects.filter(pk=run.pk).update(results=None)  # the results gone before the build runs
    worker_main(once=True)
    resp = filler.get(f"/documents/{doc.pk}/download/")
    page = resp.content.decode()
    assert resp.status_code == 200 and "生成失败：轮次「2021年上半年」尚无评分结果" in page and "重新生成" in page
    assert filler.get(f"/documents/{doc.pk}/version/status/").json()["status"] == "failed"
    ScoringRun.objects.filter(pk=run.pk).update(results=kept)
    resp = filler.post(f"/documents/{doc.pk}/version/retry/")
    assert resp.status_code == 302 and resp["Location"] == f"/documents/{doc.pk}/download/"
    filler.post(f"/documents/{doc.pk}/version/retry/")  # a second click: still the one queued build
    assert ReaderVersion.objects.get(reader="D01").status == "queued"
    worker_main(once=True)
    text = _text(_docx(filler.get(f"/documents/{doc.pk}/download/")))
    assert NAMES["D01"] in text and NAMES["D02"] not in text


def test_a_build_left_running_by_a_dead_process_is_failed_and_can_be_retried(final):
    # A process killed while building (kill -9, a restart) holds no owner lock: the unit's next visit marks the
    # build failed with the jobs' stale message instead of showing 正在生成 forever; no file is served.
    from govassess.web.documents.models import ReaderVersion
    from govassess.web.jobs import STALE_MESSAGE

    office, filler = login("office"), login("filler1")
    doc = _generate(office, final, "full")
    office.post(f"/documents/{doc.pk}/publish/", {"audience": "units"})
    filler.get(f"/documents/{doc.pk}/download/")
    ReaderVersion.objects.filter(reader="D01").update(status="running", message="生成本单位版本")
    page = filler.get(f"/documents/{doc.pk}/download/").content.decode()
    assert f"生成失败：{STALE_MESSAGE}" in page and "重新生成" in page
    filler.post(f"/documents/{doc.pk}/version/retry/")
    worker_main(once=True)  # the first task row was taken by nobody: it finds the row queued again
    assert ReaderVersion.objects.get(reader="D01").status == "done"
    assert NAMES["D01"] in _text(_docx(filler.get(f"/documents/{doc.pk}/download/")))


def test_a_missing_version_file_is_built_again(final):
    from govassess.web.documents import services
    from govassess.web.documents.models import ReaderVersion

    doc = _generate(login("office"), final, "full")
    login("office").post(f"/documents/{doc.pk}/publish/")
    leader = ReaderVersion.objects.get(reader="leader")
    (services.documents_dir() / leader.file_path).unlink()  # e.g. a restore without the documents folder
    assert WAIT in _download("leader", doc).content.decode()
    worker_main(once=True)
    assert NAMES["D01"] in _text(_docx(_download("leader", doc)))


def test_a_killed_logo_upload_is_swept_by_the_next_template_save(org):
    import os
    import time

    from govassess.web.documents.services import documents_dir
    from govassess.web.rounds.services import EVIDENCE_LEFTOVER_AGE

    office = login("office")
    _create_template(office, name="甲")
    folder = documents_dir() / "templates"
    kept = _template_files()
    old = time.time() - EVIDENCE_LEFTOVER_AGE - 60
    stale = folder / ".0123456789abcdef0123456789abcdef.png.part"  # killed while receiving
    orphan = folder / "fedcba9876543210fedcba9876543210.png"  # killed between the rename and the commit
    fresh = folder / ".00000000000000000000000000000000.png.part"  # another upload under way
    for path in (stale, orphan, fresh):
        path.write_bytes(png())
    for path in (stale, orphan, folder / kept[0]):
        os.utime(path, (old, old))
    _create_template(office, name="乙", logo=False)
    assert _template_files() == sorted([*kept, fresh.name])


def test_publishing_to_units_is_for_the_report_only(final):
    office = login("office")
    doc = _generate(office, final, "bulletin")
    resp = office.post(f"/documents/{doc.pk}/publish/", {"audience": "units"}, follow=True)
    assert "通报发布后各单位即可下载，无需另行向被评估单位公开" in resp.content.decode()
    doc.refresh_from_db()
    assert not doc.published and not doc.units_published
    full = Document.objects.create(round=final.round, kind="full", format="docx", status="done", file_path="x.docx")
    office.post(f"/documents/{full.pk}/publish/", {"audience": "units"})
    full.refresh_from_db()
    assert full.published and full.units_published  # straight to the units: published to the leaders as well
    resp = office.post(f"/documents/{full.pk}/publish/", follow=True)
    assert "该文档已发布" in resp.content.decode()


@pytest.mark.parametrize("value", ["0", "-5", "一千", "1e3", "²"])
def test_a_wrong_reader_limit_stops_the_start_with_a_chinese_message(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from govassess.web import settings as web_settings

    monkeypatch.setenv("GOVASSESS_REPORT_READER_MAX_UNITS", value)
    with pytest.raises(ImproperlyConfigured, match=f"环境变量 GOVASSESS_REPORT_READER_MAX_UNITS 应为正整数，现在是「{value}」"):
        web_settings._positive_int("GOVASSESS_REPORT_READER_MAX_UNITS", "1000")
    monkeypatch.setenv("GOVASSESS_REPORT_READER_MAX_UNITS", " 250 ")
    assert web_settings._positive_int("GOVASSESS_REPORT_READER_MAX_UNITS", "1000") == 250
