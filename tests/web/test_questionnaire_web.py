"""The round's questionnaire on the web (issue 14): attach, links, codes, public answers with the abuse guards,
indices checked by hand and against the CLI on the same responses, writing them into the round."""

from __future__ import annotations

import csv
import io
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from webtools import PASSWORD

from govassess.web.audit.models import AuditEntry
from govassess.web.questionnaires import selectors, services
from govassess.web.questionnaires.models import Link, QResponse, Questionnaire
from govassess.web.rounds.models import InputValue

# Answers through the 网上 channel of the built-in 政务服务满意度 form: the 现场服务 group is skipped.
BASE = {"办理渠道": "网上", "事项类型": "个人", "跑动次数": "1", "一次办成": "是", "不合理收费": "否"}
A = {**BASE, "网上办理便利度": "5", "办事指南清晰度": "4", "总体满意度": "5"}                       # 100, 75 → 87.5
B = {**BASE, "网上办理便利度": "3", "办事指南清晰度": "2", "总体满意度": "2",                        # 50, 25 → 37.5
     "意见建议": "网上系统经常卡顿，提交材料要反复上传"}
C = {**BASE, "网上办理便利度": "4", "办事指南清晰度": "4", "材料精简": "1", "总体满意度": "4"}      # 75, 75, 0 → 50


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def office_client() -> Client:
    c = Client()
    assert c.login(username="office", password=PASSWORD)
    return c


def attach(org, *, min_seconds: int = 0) -> Questionnaire:
    q = services.questionnaire_attach(user=org.office, round=org.round, builtin="satisfaction")
    services.settings_update(user=org.office, q=q, min_seconds=min_seconds, office_name="市政务服务评估办")
    services.collection_set(user=org.office, q=q, open=True)
    return q


def link_of(q, code="D01") -> Link:
    return Link.objects.get(questionnaire=q, unit__code=code)


def submit(client: Client, link: Link, answers: dict, **extra):
    page = client.get(f"/q/{link.token}/")
    assert page.status_code == 200, page.content.decode()[:500]
    started = re.search(r'name="started" value="([^"]+)"', page.content.decode())[1]
    data = {"started": started, **answers, **extra}
    return client.post(f"/q/{link.token}/", data)


def test_attach_builtin_makes_one_link_per_evaluated_unit_and_exports_the_form(org, tmp_path):
    c = office_client()
    resp = c.post(f"/rounds/{org.round.pk}/questionnaire/attach/", {"builtin": "satisfaction"})
    assert resp.status_code == 302
    q = Questionnaire.objects.get(round=org.round)
    assert q.title == "政务服务满意度调查"
    # web-mini evaluates 市级部门 only: D01–D03, not the county X01
    assert sorted(q.links.values_list("unit__code", flat=True)) == ["D01", "D02", "D03"]
    tokens = list(q.links.values_list("token", flat=True))
    assert len(set(tokens)) == 3 and all(len(t) >= 24 for t in tokens)
    assert AuditEntry.objects.filter(action="questionnaire_attach").count() == 1
    data = c.get(f"/rounds/{org.round.pk}/questionnaire/form.xlsx").content
    path = tmp_path / "form.xlsx"
    path.write_bytes(data)
    from govassess.questionnaire import builtin_form, load_form

    assert load_form(path).questions == builtin_form("satisfaction").questions
    page = c.get(f"/rounds/{org.round.pk}/questionnaire/").content.decode()
    assert "政务服务满意度调查" in page and tokens[0] in page


def test_uploaded_form_with_errors_is_refused_with_located_chinese_messages(org, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "问题"
    ws.append(["类型", "名称", "题目"])
    ws.append(["单选 不存在", "渠道", "渠道？"])
    ws.append(["五级量表", "满意", "满意吗"])
    ws.append(["怪题", "x", "x"])
    buf = io.BytesIO()
    wb.save(buf)
    c = office_client()
    resp = c.post(f"/rounds/{org.round.pk}/questionnaire/attach/",
                  {"form_file": SimpleUploadedFile("我的问卷.xlsx", buf.getvalue())}, follow=True)
    text = resp.content.decode()
    assert "我的问卷.xlsx" in text and "选项列表「不存在」" in text and "未知的题型「怪题」" in text
    assert "第 2 行" in text or "行 2" in text
    assert not Questionnaire.objects.exists()


def test_public_page_answers_skip_logic_server_side_and_replaces_same_device(org):
    q = attach(org)
    link = link_of(q)
    phone = Client()
    # An answer to a skipped question (现场服务 asked only for 窗口) is ignored, never counted.
    resp = submit(phone, link, {**A, "等候时间": "1"})
    assert resp.status_code == 200 and "提交成功" in resp.content.decode()
    r1 = QResponse.objects.get()
    assert "等候时间" not in r1.answers and r1.answers["网上办理便利度"] == 5 and r1.status == "counted"
    assert r1.address_hash and "127.0.0.1" not in r1.address_hash
    # The same phone again: the first answer is superseded, kept, audited; the audit has no address.
    resp = submit(phone, link, C)
    assert "替换" in resp.content.decode()
    r1.refresh_from_db()
    assert r1.status == "superseded" and r1.replaced_by_id is not None
    entry = AuditEntry.objects.get(action="questionnaire_replace")
    assert entry.ip is None and entry.unit_code == "D01"
    assert QResponse.objects.filter(status="counted").count() == 1
    # Another phone: a second counted response
    submit(Client(), link, A)
    assert QResponse.objects.filter(status="counted").count() == 2


def test_invalid_answers_get_a_chinese_message_per_question_and_nothing_is_stored(org):
    q = attach(org)
    resp = submit(Client(), link_of(q), {**BASE, "网上办理便利度": "7", "总体满意度": "4"})
    text = resp.content.decode()
    assert resp.status_code == 200
    assert "提交未成功" in text and "本题应填 1 到 5 的整数" in text and "必答题未作答" in text
    assert 'id="q-办事指南清晰度"' in text
    assert not QResponse.objects.exists()


def test_asked_endpoint_follows_the_core_skip_logic(org):
    q = attach(org)
    link = link_of(q)
    c = Client()
    got = c.post(f"/q/{link.token}/asked/", {"办理渠道": "窗口"}).json()["asked"]
    assert "等候时间" in got and "网上办理便利度" not in got and "未办成原因" not in got
    got = c.post(f"/q/{link.token}/asked/", {"办理渠道": "网上", "一次办成": "否"}).json()["asked"]
    assert "网上办理便利度" in got and "未办成原因" in got and "等候时间" not in got


def test_closed_collection_and_unknown_token(org):
    q = attach(org)
    link = link_of(q)
    services.collection_set(user=org.office, q=q, open=False)
    resp = Client().get(f"/q/{link.token}/")
    assert resp.status_code == 200 and "未在收集" in resp.content.decode()
    assert Client().post(f"/q/{link.token}/", A).status_code == 200
    assert not QResponse.objects.exists()
    assert Client().get("/q/not-a-token/").status_code == 404


def test_too_fast_and_duplicate_comments_are_set_aside_and_can_be_reinstated(org):
    q = attach(org, min_seconds=600)
    link = link_of(q)
    submit(Client(), link, B)
    fast = QResponse.objects.get()
    assert fast.status == "suspicious" and "少于最短作答时间 600 秒" in fast.reason
    # no valid start time at all (a script posting directly)
    Client().post(f"/q/{link.token}/", C)
    assert "缺少有效的开始作答时间" in QResponse.objects.latest("id").reason
    services.settings_update(user=org.office, q=q, min_seconds=0, office_name="")
    # The same comment, re-spaced and with full-width punctuation, from another phone: near-identical
    submit(Client(), link, {**B, "意见建议": "网上系统经常卡顿， 提交材料要反复上传！"})
    dup = QResponse.objects.latest("id")
    assert dup.status == "suspicious" and f"第 {fast.pk} 号回答几乎相同" in dup.reason
    assert selectors.indices(q).units[0].n == 0  # D01: nothing counted yet
    c = office_client()
    page = c.get(f"/rounds/{org.round.pk}/questionnaire/").content.decode()
    assert "少于最短作答时间" in page and "几乎相同" in page
    assert c.post(f"/rounds/{org.round.pk}/questionnaire/responses/{dup.pk}/reinstate/").status_code == 302
    dup.refresh_from_db()
    assert dup.status == "counted" and dup.reinstated_by == org.office
    assert AuditEntry.objects.filter(action="questionnaire_reinstate", object_id=str(dup.pk)).exists()
    assert selectors.indices(q).units[0].n == 1


def test_rate_limits_answer_in_chinese(org, settings):
    settings.QUESTIONNAIRE_ADDRESS_PER_HOUR = 2
    q = attach(org)
    link = link_of(q)
    assert submit(Client(), link, A).status_code == 200
    assert submit(Client(), link, A).status_code == 200
    resp = submit(Client(), link, A)
    assert resp.status_code == 429 and "提交过于频繁" in resp.content.decode()
    assert QResponse.objects.count() == 2
    cache.clear()
    settings.QUESTIONNAIRE_ADDRESS_PER_HOUR = 100
    settings.QUESTIONNAIRE_LINK_PER_MINUTE = 1
    assert submit(Client(), link, A).status_code == 200
    assert submit(Client(), link, A).status_code == 429


def test_invitation_codes_one_response_per_code(org):
    q = attach(org)
    link = link_of(q)
    c = office_client()
    c.post(f"/rounds/{org.round.pk}/questionnaire/units/D01/codes/", {"count": "3"})
    link.refresh_from_db()
    assert link.codes_required and link.codes.count() == 3
    codes = list(link.codes.values_list("code", flat=True))
    assert all(len(x) == 8 for x in codes)
    xlsx = c.get(f"/rounds/{org.round.pk}/questionnaire/units/D01/codes.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    resp = submit(Client(), link, A)
    assert "邀请码无效" in resp.content.decode()
    assert submit(Client(), link, A, invite_code=codes[0].lower()).status_code == 200
    resp = submit(Client(), link, A, invite_code=codes[0])
    assert "已经使用过" in resp.content.decode()
    assert QResponse.objects.count() == 1


def test_address_hashes_are_deleted_when_the_round_is_locked(org):
    from govassess.web.rounds.models import Round

    q = attach(org)
    submit(Client(), link_of(q), A)
    assert QResponse.objects.exclude(address_hash="").count() == 1
    Round.objects.filter(pk=org.round.pk).update(state="preliminary")
    rnd = Round.objects.get(pk=org.round.pk)
    rnd.state = "final"
    rnd.save()
    assert QResponse.objects.exclude(address_hash="").count() == 0
    assert "已定稿" in Client().get(f"/q/{link_of(q).token}/").content.decode()


T_975_2 = 4.302653  # t(0.975, 2 degrees of freedom), statistical table


def test_indices_by_hand_and_against_the_cli(org, tmp_path):
    q = attach(org)
    link = link_of(q)
    for answers in (A, B, C):
        submit(Client(), link, answers)
    ind = selectors.indices(q)
    d1 = ind.units[0]
    assert d1.key == "D01" and d1.n == 3
    scores = [87.5, 37.5, 50.0]
    mean = sum(scores) / 3
    assert d1.index == pytest.approx(175 / 3)
    sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / 2)
    half = T_975_2 * sd / math.sqrt(3)
    assert d1.index_low == pytest.approx(mean - half, abs=1e-4)
    assert d1.index_high == pytest.approx(mean + half, abs=1e-4)
    assert d1.satisfied == pytest.approx(2 / 3) and d1.dissatisfied == 1
    assert d1.needed == 385 and "样本量 3 少于最低样本量 30" in d1.warning
    assert [c.text for c in d1.comments] == [B["意见建议"]]
    page = office_client().get(f"/rounds/{org.round.pk}/questionnaire/results/").content.decode()
    assert "58.33" in page and "网上系统经常卡顿" in page and "所需样本量 385" in page

    # The same responses through the CLI: export the counted ones (labels), score them, compare row by row.
    responses = tmp_path / "回答.xlsx"
    selectors.export_xlsx(q, responses, counted_only=True)
    units = tmp_path / "units.csv"
    units.write_text("unit,name,class\n" + "\n".join(f"{u.code},{u.name},{u.unit_class}" for u in (org.d1, org.d2, org.d3))
                     + "\n", encoding="utf-8")
    out = tmp_path / "inputs.csv"
    src = str(Path(__file__).resolve().parents[2] / "src")
    run = subprocess.run([sys.executable, "-m", "govassess", "questionnaire", "score", "satisfaction", str(responses),
                          "--units", str(units), "--out", str(out)], capture_output=True, text=True,
                         env={"PYTHONPATH": src, "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr
    with out.open(encoding="utf-8-sig") as fh:
        cli_rows = [dict(r) for r in csv.DictReader(fh)]
    web_rows, _ = selectors.rows_for_round(q)
    assert [(r["unit"], r["indicator"], r["input"], r["value"], r["note"]) for r in web_rows] == [
        (r["unit"], r["indicator"], r["input"], r["value"], r["note"]) for r in cli_rows]
    by_input = {r["input"]: r["value"] for r in cli_rows if r["unit"] == "D01"}
    assert float(by_input["满意度指数"]) == pytest.approx(175 / 3, abs=1e-3)


def test_exports_have_labels_and_csv_has_a_bom(org, tmp_path):
    q = attach(org)
    submit(Client(), link_of(q), B)
    c = office_client()
    data = c.get(f"/rounds/{org.round.pk}/questionnaire/responses.csv").content
    assert data[:3] == b"\xef\xbb\xbf"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    head, row = rows[0], rows[1]
    assert row[head.index("您本次主要通过哪种渠道办理事项？")] == "网上办理（网站、APP、小程序）"
    assert row[head.index("总体而言，您对本次政务服务是否满意？")] == "不满意"
    assert row[head.index("单位编码")] == "D01" and row[head.index("状态")] == "计入"
    x = c.get(f"/rounds/{org.round.pk}/questionnaire/responses.xlsx")
    assert x.status_code == 200 and x.content[:2] == b"PK"


def test_push_into_round_with_map_and_no_silent_overwrite(org):
    from govassess.web.rounds.services import input_value_set

    q = attach(org)
    for answers in (A, B, C):
        submit(Client(), link_of(q), answers)
    c = office_client()
    resp = c.post(f"/rounds/{org.round.pk}/questionnaire/map/",
                  {"map_text": 'inputs:\n  - {index: 满意率, indicator: "1", input: 网上办理率}\n'})
    assert resp.status_code == 302
    q.refresh_from_db()
    assert q.index_map == [{"index": "满意率", "indicator": "1", "input": "网上办理率", "scale": 1.0}]
    # a bad map: a located message, nothing saved
    page = c.post(f"/rounds/{org.round.pk}/questionnaire/map/",
                  {"map_text": 'inputs:\n  - {index: 不存在, indicator: "1", input: 网上办理率}\n'}, follow=True)
    assert "没有指数「不存在」" in page.content.decode()
    # D02 has a hand-entered value: refused without confirmation, and the message names it
    input_value_set(user=org.filler2, round=org.round, unit=org.d2, indicator="1", input="网上办理率", value="50%",
                    note="", expected_version=1)
    # D02 and D03 have no responses: nothing written for them; D01 only
    resp = c.post(f"/rounds/{org.round.pk}/questionnaire/push/", {}, follow=True)
    assert "已把问卷指数写入" in resp.content.decode()
    v = InputValue.objects.get(round=org.round, unit=org.d1, indicator="1", input="网上办理率")
    assert float(v.value) == pytest.approx(2 / 3, abs=1e-6) and "样本量 3" in v.note and v.source == "问卷调查"
    assert InputValue.objects.get(unit=org.d2, indicator="1").value == "50%"
    # a hand-entered value on D01 itself is not overwritten silently
    input_value_set(user=org.office, round=org.round, unit=org.d1, indicator="1", input="网上办理率", value="0.5",
                    note="人工", expected_version=v.version)
    resp = c.post(f"/rounds/{org.round.pk}/questionnaire/push/", {}, follow=True)
    assert "写入会覆盖它" in resp.content.decode()
    assert InputValue.objects.get(unit=org.d1, indicator="1").value == "0.5"
    c.post(f"/rounds/{org.round.pk}/questionnaire/push/", {"overwrite": "1"})
    assert float(InputValue.objects.get(unit=org.d1, indicator="1").value) == pytest.approx(2 / 3, abs=1e-6)


def test_posters_have_an_inline_qr_per_unit(org):
    q = attach(org)
    c = office_client()
    page = c.get(f"/rounds/{org.round.pk}/questionnaire/posters/").content.decode()
    assert page.count('<section class="poster">') == 3 and page.count("<svg") == 3
    assert "市政务服务评估办" in page and link_of(q).token in page
    one = c.get(f"/rounds/{org.round.pk}/questionnaire/units/D02/poster/").content.decode()
    assert one.count("<svg") == 1 and org.d2.name in one


def test_other_roles_are_refused(org):
    attach(org)
    for name in ("filler1", "reviewer", "provider", "leader"):
        c = Client()
        assert c.login(username=name, password=PASSWORD)
        assert c.get(f"/rounds/{org.round.pk}/questionnaire/").status_code == 403
        assert c.get(f"/rounds/{org.round.pk}/questionnaire/responses.csv").status_code == 403
