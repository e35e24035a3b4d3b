"""Regression tests of issue 17's leaks and lock bypasses (defects 1, 2, 3, 5, 6, 7 and the refused import
into a final round). Each test states what the old code did wrong in its docstring."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook
from webtools import PASSWORD, fill_all

from govassess.web.rounds import services
from govassess.web.rounds.models import InputValue
from govassess.web.rounds.policy import LOCKED_MESSAGE

# Written by the reviewer beside D01's expert score and by the provider beside D01's figure: a unit sees
# neither before results are published, and both after (the reviewer's reason explains the lost points).
REVIEWER_NOTE = "专家评分理由：材料偏弱甲乙丙"
PROVIDER_NOTE = "部门口径说明丁戊己"


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _notes(org):
    """fill_all, then distinctive notes on D01's expert score and provider figure (versions are 1)."""
    fill_all(org)
    services.input_value_set(
        user=org.reviewer, round=org.round, unit=org.d1, indicator="4", input="score", value="7",
        note=REVIEWER_NOTE, expected_version=1,
    )
    services.input_value_set(
        user=org.provider, round=org.round, unit=org.d1, indicator="3", input="挂接目录数", value="8",
        note=PROVIDER_NOTE, expected_version=1,
    )


def _publish(org, *, final: bool = False):
    services.round_transition(user=org.office, round=org.round, to_state="reviewing")
    services.scoring_start(user=org.office, round=org.round, background=False)
    services.round_transition(user=org.office, round=org.round, to_state="preliminary")
    if final:
        services.round_transition(user=org.office, round=org.round, to_state="final")


def _snapshot():
    return sorted(InputValue.objects.values_list("unit__code", "indicator", "input", "value", "note", "version"))


# ---- defect 1: the API existence oracle ----------------------------------------------------------------


def _push(client, rnd, row):
    resp = client.post(f"/api/v1/rounds/{rnd.pk}/inputs/", {"rows": [row]}, content_type="application/json")
    return resp.status_code, resp.json()


def test_api_push_for_another_unit_answers_the_same_whatever_the_guess(org):
    """Old code: a row equal to D02's stored value was dropped before the permission check (200
    {"stored": 0}), a wrong guess answered 400 — D02's values could be guessed. Now: a right guess, a wrong
    guess and a unit that does not exist all get one identical refusal, and nothing is stored."""
    fill_all(org)  # D02's 网上办理率 is 50%
    before = _snapshot()
    filler = _client("filler1")
    row = {"indicator": "1", "input": "网上办理率"}
    right = _push(filler, org.round, {**row, "unit": "D02", "value": "50%"})
    wrong = _push(filler, org.round, {**row, "unit": "D02", "value": "51%"})
    absent = _push(filler, org.round, {**row, "unit": "D99", "value": "50%"})
    assert right == wrong == absent
    assert right[0] in (400, 403) and "stored" not in right[1]
    assert "本单位" in right[1]["message"]
    assert _snapshot() == before


def test_api_push_cannot_guess_the_own_units_provider_figure(org):
    """Old code: the provider's figure for the filler's own unit (挂接目录数 8) was confirmed by pushing it
    back (200 {"stored": 0}) while a wrong guess answered 400."""
    fill_all(org)
    before = _snapshot()
    filler = _client("filler1")
    row = {"unit": "D01", "indicator": "3", "input": "挂接目录数"}
    right = _push(filler, org.round, {**row, "value": "8"})
    wrong = _push(filler, org.round, {**row, "value": "9"})
    assert right == wrong and right[0] in (400, 403)
    assert _snapshot() == before


def test_api_push_into_a_final_round_is_refused_before_any_comparison(org):
    """Old code: on a final round a row equal to the stored value answered 200 {"stored": 0}."""
    fill_all(org)
    _publish(org, final=True)
    before = _snapshot()
    for username, unit, value in (("filler1", "D01", "90%"), ("filler1", "D02", "50%"), ("office", "D01", "90%")):
        status, body = _push(_client(username), org.round, {"unit": unit, "indicator": "1", "input": "网上办理率",
                                                            "value": value})
        assert (status, body["message"]) == (400, LOCKED_MESSAGE), (username, unit)
    assert _snapshot() == before


def _template_upload(client, rnd, code):
    """Download the unit's template and send it straight back (every value unchanged)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = client.get(f"/rounds/{rnd.pk}/units/{code}/template.xlsx").content
    return SimpleUploadedFile("template.xlsx", data)


def test_import_into_a_final_round_is_refused_with_the_lock_message(org):
    """Old code: an unchanged file sent to a final round answered "已导入 0 项数据"."""
    fill_all(org)
    office = _client("office")
    upload = _template_upload(office, org.round, "D01")
    _publish(org, final=True)
    resp = office.post(f"/rounds/{org.round.pk}/units/D01/upload/", {"file": upload}, follow=True)
    text = resp.content.decode()
    assert LOCKED_MESSAGE in text and "已导入" not in text
    resp = office.post(f"/rounds/{org.round.pk}/provider/upload/", {"file": upload}, follow=True)
    text = resp.content.decode()
    assert LOCKED_MESSAGE in text and "已导入" not in text


def test_unchanged_import_says_nothing_changed(org):
    """A pre-filled template sent back unchanged still passes (the unit may read every value in it)."""
    fill_all(org)
    filler = _client("filler1")
    before = _snapshot()
    resp = filler.post(
        f"/rounds/{org.round.pk}/units/D01/upload/", {"file": _template_upload(filler, org.round, "D01")},
        follow=True,
    )
    assert "没有需要导入的修改" in resp.content.decode()
    assert _snapshot() == before


# ---- defect 2: a unit reads expert scores, private notes and provider figures ------------------------------


def _api_rows(client, rnd, unit="D01"):
    resp = client.get(f"/api/v1/rounds/{rnd.pk}/inputs/", {"unit": unit})
    return {(r["indicator"], r["input"]): r for r in resp.json()}


def _workbook_texts(data: bytes) -> set[str]:
    out = set()
    for ws in load_workbook(io.BytesIO(data)).worksheets:
        for row in ws.iter_rows(values_only=True):
            out.update(str(v) for v in row if v is not None)
    return out


def test_unit_reads_only_its_own_inputs_before_publication(org):
    """Old code: GET inputs and the unit template carried D01's expert score with the reviewer's note and the
    provider's figures while collecting."""
    _notes(org)
    filler = _client("filler1")
    rows = _api_rows(filler, org.round)
    assert set(rows) == {("1", "网上办理率"), ("2", "接入方式")}
    texts = _workbook_texts(filler.get(f"/rounds/{org.round.pk}/units/D01/template.xlsx").content)
    assert REVIEWER_NOTE not in texts and PROVIDER_NOTE not in texts
    page = filler.get(f"/rounds/{org.round.pk}/units/D01/").content.decode()
    assert REVIEWER_NOTE not in page and PROVIDER_NOTE not in page
    # The office still reads everything, notes included.
    rows = _api_rows(_client("office"), org.round)
    assert rows[("4", "score")]["note"] == REVIEWER_NOTE
    assert rows[("3", "挂接目录数")]["note"] == PROVIDER_NOTE


def test_after_publication_the_unit_reads_figures_and_the_reason_for_its_expert_score(org):
    _notes(org)
    _publish(org)
    filler = _client("filler1")
    rows = _api_rows(filler, org.round)
    # Published: the expert score 7 and the provider's 8 / 10 back the scorecard, and the reviewer's reason is
    # the explanation of the lost points the unit may appeal against.
    assert (rows[("4", "score")]["value"], rows[("4", "score")]["note"]) == ("7", REVIEWER_NOTE)
    assert (rows[("3", "挂接目录数")]["value"], rows[("3", "挂接目录数")]["note"]) == ("8", PROVIDER_NOTE)
    assert rows[("3", "目录总数")]["value"] == "10"
    assert REVIEWER_NOTE in filler.get(f"/rounds/{org.round.pk}/units/D01/scorecard/").content.decode()
    texts = _workbook_texts(filler.get(f"/rounds/{org.round.pk}/units/D01/scorecard.xlsx").content)
    assert any(REVIEWER_NOTE in t for t in texts)
    # Another unit still reads none of it.
    other = _client("filler2")
    assert REVIEWER_NOTE not in other.get(f"/rounds/{org.round.pk}/units/D02/scorecard/").content.decode()


# ---- defect 3: the preliminary scorecard's chart data ----------------------------------------------------


def _chart_data(html: str) -> dict:
    import json
    import re

    return json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S)[1])


def test_preliminary_scorecard_charts_carry_no_other_unit(org):
    """Old code: the bar chart's data listed every 市级部门 unit's name and total before publication."""
    fill_all(org)
    _publish(org)
    html = _client("filler1").get(f"/rounds/{org.round.pk}/units/D01/scorecard/").content.decode()
    assert org.d2.name not in html and org.d3.name not in html
    bar = _chart_data(html)["bar"]
    # D01: 90%×60 = 54, 是 = 20, 8/10×10 = 8, expert 7 → 89. D02: 30 + 5 + 5 + 6 = 46. D03 filled nothing: 0.
    # Class average (89 + 46 + 0) / 3 = 45.
    assert bar["names"] == [org.d1.name, "同类平均"]
    assert bar["scores"] == [89, 45]
    assert "heatmap" not in _chart_data(html)
    # The office sees the whole class.
    html = _client("office").get(f"/rounds/{org.round.pk}/units/D01/scorecard/").content.decode()
    assert org.d2.name in _chart_data(html)["bar"]["names"]


# ---- defect 6: the round settings form and the indicator system ------------------------------------------


def _second_system(tmp_path):
    from webtools import MINI

    from govassess.web.systems.services import system_import

    path = tmp_path / "web-mini-2.yaml"
    path.write_text(MINI.read_text(encoding="utf-8").replace("id: web-mini", "id: web-mini-2"), encoding="utf-8")
    return system_import(user=None, source=str(path))


def test_round_settings_cannot_switch_the_system_once_inputs_exist(org, tmp_path):
    """Old code: the bound form wrote the posted system into the round, round_update saved it, and the audit
    entry's before was read from the already-changed instance (identical before/after)."""
    from govassess.errors import UserError
    from govassess.web.audit.models import AuditEntry
    from govassess.web.rounds.models import Round

    other = _second_system(tmp_path)
    fill_all(org)
    office = _client("office")
    page = office.get(f"/rounds/{org.round.pk}/").content.decode()
    assert "本轮已有填报数据，不能更换指标体系" in page  # the field is shown disabled with the reason
    resp = office.post(
        f"/rounds/{org.round.pk}/edit/",
        {"name": "2021年上半年（改）", "system": other.pk, "deadline": "2030-01-02T10:00", "appeal_deadline": ""},
    )
    assert resp.status_code == 302
    rnd = Round.objects.get(pk=org.round.pk)
    assert rnd.system_id == org.system.pk and rnd.name == "2021年上半年（改）"
    entry = AuditEntry.objects.filter(action="round_update").latest("id")
    assert entry.before["name"] == "2021年上半年" and entry.after["name"] == "2021年上半年（改）"
    assert "system" not in entry.after  # unchanged, so not listed
    assert entry.before["deadline"] != entry.after["deadline"]
    # The service refuses on its own too (admin and any other caller).
    with pytest.raises(UserError, match="不能更换指标体系"):
        services.round_update(user=org.office, round=rnd, name=rnd.name, deadline=rnd.deadline, system=other)
    assert Round.objects.get(pk=org.round.pk).system_id == org.system.pk


def test_round_without_inputs_may_switch_system_and_the_audit_shows_both(org, tmp_path):
    from govassess.web.audit.models import AuditEntry

    other = _second_system(tmp_path)
    services.round_update(user=org.office, round=org.round, name=org.round.name, deadline=None, system=other)
    entry = AuditEntry.objects.filter(action="round_update").latest("id")
    assert entry.before["system"] == "web-mini" and entry.after["system"] == "web-mini-2"


# ---- defect 7: who adds and deletes evidence -----------------------------------------------------------------

PDF = b"%PDF-1.4 defect 7"


def _pdf(name="证明.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF)


def test_only_the_unit_adds_its_evidence_reviewers_add_separate_attachments(org):
    """Old code: a provider could upload into D01's indicator 3, a reviewer into D01's evidence."""
    from govassess.web.rounds.models import Evidence

    url = f"/rounds/{org.round.pk}/units/D01/evidence/"
    resp = _client("provider").post(url, {"indicator": "3", "file": _pdf()})
    assert resp.status_code == 403
    assert _client("filler2").post(url, {"indicator": "1", "file": _pdf()}).status_code == 403
    assert not Evidence.objects.exists()
    assert _client("filler1").post(url, {"indicator": "1", "file": _pdf("单位.pdf")}).status_code == 302
    assert _client("reviewer").post(url, {"indicator": "4", "file": _pdf("评审.pdf")}).status_code == 302
    kinds = dict(Evidence.objects.values_list("original_name", "kind"))
    assert kinds == {"单位.pdf": "unit", "评审.pdf": "review"}
    # The unit never sees the reviewer's attachment; the reviewer sees both, the attachment labelled.
    review_ev = Evidence.objects.get(kind="review")
    filler = _client("filler1")
    page = filler.get(f"/rounds/{org.round.pk}/units/D01/").content.decode()
    assert "单位.pdf" in page and "评审.pdf" not in page
    assert filler.get(f"/evidence/{review_ev.pk}/").status_code == 403
    page = _client("reviewer").get(f"/rounds/{org.round.pk}/units/D01/").content.decode()
    assert "单位.pdf" in page and "评审.pdf" in page and "评审附件" in page


def test_only_the_uploader_deletes_and_only_before_submission(org, settings):
    """Old code: a reviewer could delete D01's evidence; deleting unlinked the file."""
    from pathlib import Path

    from govassess.web.audit.models import AuditEntry
    from govassess.web.rounds.models import Evidence

    fill_all(org)
    ev = services.evidence_add(user=org.filler1, round=org.round, unit=org.d1, indicator="1", upload=_pdf())
    stored = ev.stored_path
    for username in ("reviewer", "office", "filler2", "provider"):
        assert _client(username).post(f"/evidence/{ev.pk}/delete/").status_code == 403, username
    assert Evidence.objects.filter(pk=ev.pk).exists()
    filler = _client("filler1")
    assert filler.post(f"/evidence/{ev.pk}/delete/").status_code == 302
    assert not Evidence.objects.filter(pk=ev.pk).exists()
    # The file is kept in the retained store, and the audit entry says where.
    retained = Path(settings.EVIDENCE_RETAINED_DIR) / stored
    assert retained.read_bytes() == PDF and not (Path(settings.EVIDENCE_DIR) / stored).exists()
    entry = AuditEntry.objects.filter(action="evidence_delete").latest("id")
    assert entry.before["file"] == "证明.pdf" and entry.after["retained"].endswith(Path(stored).name)
    # After submission the unit's evidence stays.
    ev2 = services.evidence_add(user=org.filler1, round=org.round, unit=org.d1, indicator="1", upload=_pdf())
    services.submission_submit(user=org.filler1, round=org.round, unit=org.d1)
    resp = filler.post(f"/evidence/{ev2.pk}/delete/", follow=True)
    assert "已提交" in resp.content.decode()
    assert Evidence.objects.filter(pk=ev2.pk).exists()


# ---- defect 5: Django admin and the final lock ----------------------------------------------------------------


def _admin_objects(org):
    """A scoring run, a decided appeal with a file, a unit's evidence and a submission of D01."""
    from govassess.web.rounds.models import Appeal, ScoringRun, Submission

    fill_all(org)
    ev = services.evidence_add(user=org.filler1, round=org.round, unit=org.d1, indicator="1", upload=_pdf())
    services.submission_submit(user=org.filler1, round=org.round, unit=org.d1)
    _publish(org)
    appeal = services.appeal_file(
        user=org.filler1, round=org.round, unit=org.d1, indicator="2", reason="理由", uploads=[_pdf("申诉.pdf")]
    )
    services.appeal_decide(user=org.office, appeal=appeal, upheld=False, decision="不成立")
    return {
        "scoringrun": ScoringRun.objects.filter(round=org.round).latest("id"),
        "appeal": Appeal.objects.get(pk=appeal.pk),
        "evidence": ev,
        "submission": Submission.objects.get(round=org.round, unit=org.d1),
    }


def test_admin_cannot_change_or_delete_anything_of_a_final_round(org, tmp_path):
    """Old code: admin renamed a final round, switched its system, deleted its scoring run (reverting the
    published totals), its appeals, evidence and submissions — without an audit entry."""
    from govassess.web.audit.models import AuditEntry
    from govassess.web.rounds.models import Extension, Round

    objs = _admin_objects(org)
    services.round_transition(user=org.office, round=org.round, to_state="final")
    other = _second_system(tmp_path)
    office = _client("office")
    audit_count = AuditEntry.objects.count()
    r = org.round.pk
    page = office.get(f"/admin/rounds/round/{r}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # view only
    resp = office.post(f"/admin/rounds/round/{r}/change/", {"name": "改名", "system": other.pk})
    assert resp.status_code == 403
    assert office.post(f"/admin/rounds/round/{r}/delete/", {"post": "yes"}).status_code == 403
    for model, obj in objs.items():
        assert office.post(f"/admin/rounds/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403, model
        assert type(obj).objects.filter(pk=obj.pk).exists(), model
    resp = office.post(
        "/admin/rounds/extension/add/",
        {"round": r, "unit": org.d1.pk, "deadline_0": "2030-01-01", "deadline_1": "10:00", "reason": "x"},
    )
    assert resp.status_code == 403 and not Extension.objects.exists()
    rnd = Round.objects.get(pk=r)
    assert (rnd.name, rnd.system_id) == ("2021年上半年", org.system.pk)
    # Nor through the cascade of deleting the unit (its inputs are not an admin model of their own).
    assert office.post(f"/admin/organisation/unit/{org.d1.pk}/delete/", {"post": "yes"}).status_code == 403
    assert InputValue.objects.filter(unit=org.d1).exists()
    assert AuditEntry.objects.count() == audit_count
    assert services.evidence_path(objs["evidence"]).read_bytes() == PDF


def test_admin_keeps_published_runs_and_decided_appeals_before_the_lock(org):
    objs = _admin_objects(org)  # preliminary: the run is published, the appeal decided
    office = _client("office")
    for model in ("scoringrun", "appeal"):
        obj = objs[model]
        assert office.post(f"/admin/rounds/{model}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403
        assert type(obj).objects.filter(pk=obj.pk).exists()


def test_admin_changes_before_the_lock_go_through_the_services(org, settings, tmp_path):
    from pathlib import Path

    from govassess.web.audit.models import AuditEntry
    from govassess.web.rounds.models import Evidence, Round

    fill_all(org)
    ev = services.evidence_add(user=org.filler1, round=org.round, unit=org.d1, indicator="1", upload=_pdf())
    other = _second_system(tmp_path)
    office = _client("office")
    r = org.round.pk
    # The system cannot be switched (inputs exist); a rename is audited with the stored before.
    resp = office.post(f"/admin/rounds/round/{r}/change/", {"name": "新名称", "system": other.pk, "_save": "1"})
    assert resp.status_code == 302
    rnd = Round.objects.get(pk=r)
    assert (rnd.name, rnd.system_id) == ("新名称", org.system.pk)
    entry = AuditEntry.objects.filter(action="round_update").latest("id")
    assert (entry.before["name"], entry.after["name"]) == ("2021年上半年", "新名称")
    assert "system" not in entry.after
    # The form left the deadline empty: a real change, recorded with the stored value as before.
    assert entry.before["deadline"] is not None and entry.after["deadline"] is None
    # Evidence deleted in admin: the record goes, the file is moved to the retained store, audited.
    assert office.post(f"/admin/rounds/evidence/{ev.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Evidence.objects.filter(pk=ev.pk).exists()
    assert (Path(settings.EVIDENCE_RETAINED_DIR) / ev.stored_path).read_bytes() == PDF
    entry = AuditEntry.objects.filter(action="evidence_admin_delete").latest("id")
    assert entry.before["file"] == "证明.pdf" and entry.username == "office"
    # No bulk deletion that would skip these checks.
    page = office.get("/admin/rounds/scoringrun/").content.decode()
    assert "delete_selected" not in page


def test_admin_adds_a_round_through_the_service(org):
    from govassess.web.audit.models import AuditEntry
    from govassess.web.rounds.models import Round

    resp = _client("office").post(
        "/admin/rounds/round/add/",
        {"name": "后台新建", "system": org.system.pk, "deadline_0": "", "deadline_1": "",
         "appeal_deadline_0": "", "appeal_deadline_1": "", "_save": "1"},
    )
    assert resp.status_code == 302
    rnd = Round.objects.get(name="后台新建")
    assert rnd.state == "draft"
    entry = AuditEntry.objects.filter(action="round_create").latest("id")
    assert entry.object_id == str(rnd.pk) and entry.username == "office"
