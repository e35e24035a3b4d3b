"""Services: lifecycle, locking, optimistic locking, evidence, submissions, appeals, scoring, audit."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from webtools import PASSWORD, fill_all

from govassess.errors import UserError
from govassess.web.audit.models import AuditEntry
from govassess.web.rounds import services
from govassess.web.rounds.models import InputValue, Notification, RoundState

PDF = b"%PDF-1.4\n% test evidence\n"


def _score(org, rnd=None):
    rnd = rnd or org.round
    run = services.scoring_start(user=org.office, round=rnd, background=False)
    assert run.status == "done", run.message
    return {u["unit"]: u for u in run.results["units"]}


def _to(org, *states, rnd=None):
    for s in states:
        services.round_transition(user=org.office, round=rnd or org.round, to_state=s)


def test_scoring_through_the_core_matches_hand_computation(org):
    fill_all(org)
    _to(org, "reviewing")
    units = _score(org)
    # D01: 90%×60 = 54; 是 → 20; 8/10×10 = 8; manual 7  → 89
    # D02: 50%×60 = 30; 否 → 5;  5/10×10 = 5; manual 6  → 46
    assert units["D01"]["score"] == pytest.approx(89)
    assert units["D02"]["score"] == pytest.approx(46)
    assert units["D01"]["rank"] == 1 and units["D02"]["rank"] == 2
    # the county is outside the system's classes and is not scored
    assert "X01" not in units


def test_lifecycle_order_and_lock(org):
    fill_all(org)
    with pytest.raises(UserError, match="不能从"):
        services.round_transition(user=org.office, round=org.round, to_state="final")
    _to(org, "reviewing")
    with pytest.raises(UserError, match="尚未完成评分"):
        services.round_transition(user=org.office, round=org.round, to_state="preliminary")
    _score(org)
    _to(org, "preliminary", "final")
    org.round.refresh_from_db()
    assert org.round.state == RoundState.FINAL
    # Every write is refused once final, with the Chinese lock message, even for the office.
    for user, unit, ind, inp, val in (
        (org.office, org.d1, "1", "网上办理率", "10%"),
        (org.provider, org.d1, "3", "目录总数", "11"),
        (org.reviewer, org.d1, "4", "score", "1"),
    ):
        with pytest.raises(UserError, match="已定稿"):
            services.input_value_set(
                user=user, round=org.round, unit=unit, indicator=ind, input=inp, value=val, note="x"
            )
    with pytest.raises(UserError, match="已定稿"):
        services.scoring_start(user=org.office, round=org.round, background=False)
    with pytest.raises(UserError, match="已定稿"):
        services.round_transition(user=org.office, round=org.round, to_state="reviewing")
    with pytest.raises(UserError, match="已定稿"):
        services.evidence_add(
            user=org.office,
            round=org.round,
            unit=org.d1,
            indicator="1",
            upload=SimpleUploadedFile("a.pdf", PDF),
        )
    assert InputValue.objects.get(unit=org.d1, indicator="1").value == "90%"


def test_publishing_needs_a_fresh_score(org):
    fill_all(org)
    _to(org, "reviewing")
    _score(org)
    services.input_value_set(
        user=org.office,
        round=org.round,
        unit=org.d1,
        indicator="1",
        input="网上办理率",
        value="95%",
        expected_version=1,
    )
    with pytest.raises(UserError, match="重新运行评分"):
        services.round_transition(user=org.office, round=org.round, to_state="preliminary")


def test_optimistic_locking_reports_both_values(org):
    first = services.input_value_set(
        user=org.filler1, round=org.round, unit=org.d1, indicator="1", input="网上办理率", value="80%"
    )
    assert first.version == 1
    services.input_value_set(
        user=org.office,
        round=org.round,
        unit=org.d1,
        indicator="1",
        input="网上办理率",
        value="85%",
        expected_version=1,
    )
    with pytest.raises(services.InputConflict) as err:
        services.input_value_set(
            user=org.filler1,
            round=org.round,
            unit=org.d1,
            indicator="1",
            input="网上办理率",
            value="82%",
            expected_version=1,
        )
    assert "85%" in str(err.value) and "82%" in str(err.value) and "office" in str(err.value)
    assert InputValue.objects.get(unit=org.d1, indicator="1").value == "85%"
    assert InputValue.objects.get(unit=org.d1, indicator="1").version == 2


def test_value_validation_comes_from_the_core(org):
    with pytest.raises(UserError) as err:
        services.input_value_set(
            user=org.filler1, round=org.round, unit=org.d1, indicator="2", input="接入方式", value="也许"
        )
    assert err.value.problems[0].indicator == "2"
    with pytest.raises(UserError, match="理由"):
        services.input_value_set(
            user=org.reviewer, round=org.round, unit=org.d1, indicator="4", input="score", value="5"
        )


def test_roles_are_enforced_by_services(org):
    # a filler cannot write another unit, nor a provider input of its own unit
    with pytest.raises(PermissionDenied):
        services.input_value_set(
            user=org.filler1, round=org.round, unit=org.d2, indicator="1", input="网上办理率", value="10%"
        )
    with pytest.raises(PermissionDenied):
        services.input_value_set(
            user=org.filler1, round=org.round, unit=org.d1, indicator="3", input="目录总数", value="10"
        )
    # a provider only writes its assigned indicator, but for every unit
    services.input_value_set(
        user=org.provider, round=org.round, unit=org.d2, indicator="3", input="目录总数", value="10"
    )
    with pytest.raises(PermissionDenied):
        services.input_value_set(
            user=org.provider, round=org.round, unit=org.d2, indicator="1", input="网上办理率", value="10%"
        )
    # reviewers enter manual scores only; leaders nothing
    with pytest.raises(PermissionDenied):
        services.input_value_set(
            user=org.reviewer, round=org.round, unit=org.d2, indicator="1", input="网上办理率", value="10%"
        )
    with pytest.raises(PermissionDenied):
        services.input_value_set(
            user=org.leader, round=org.round, unit=org.d2, indicator="4", input="score", value="1", note="x"
        )


def test_deadline_and_extension(org):
    from datetime import timedelta

    from django.utils import timezone

    org.round.deadline = timezone.now() - timedelta(hours=1)
    org.round.save()
    with pytest.raises(UserError, match="截止"):
        services.input_value_set(
            user=org.filler1, round=org.round, unit=org.d1, indicator="1", input="网上办理率", value="10%"
        )
    services.extension_set(
        user=org.office,
        round=org.round,
        unit=org.d1,
        deadline=timezone.now() + timedelta(days=1),
        reason="系统故障",
    )
    services.input_value_set(
        user=org.filler1, round=org.round, unit=org.d1, indicator="1", input="网上办理率", value="10%"
    )
    with pytest.raises(UserError, match="截止"):
        services.input_value_set(
            user=org.filler2, round=org.round, unit=org.d2, indicator="1", input="网上办理率", value="10%"
        )


def test_evidence_type_size_and_hash(org, settings):
    ev = services.evidence_add(
        user=org.filler1,
        round=org.round,
        unit=org.d1,
        indicator="1",
        upload=SimpleUploadedFile("截图.pdf", PDF),
    )
    assert ev.sha256 == hashlib.sha256(PDF).hexdigest()
    assert ev.size == len(PDF)
    path = services.evidence_path(ev)
    assert path.read_bytes() == PDF
    assert str(path).startswith(str(settings.EVIDENCE_DIR))
    with pytest.raises(UserError, match="类型不允许"):
        services.evidence_add(
            user=org.filler1,
            round=org.round,
            unit=org.d1,
            indicator="1",
            upload=SimpleUploadedFile("x.html", b"<script>"),
        )
    with pytest.raises(UserError, match="不符"):
        services.evidence_add(
            user=org.filler1,
            round=org.round,
            unit=org.d1,
            indicator="1",
            upload=SimpleUploadedFile("x.pdf", b"<html>not a pdf"),
        )
    settings.EVIDENCE_MAX_BYTES = 10
    with pytest.raises(UserError, match="大小上限"):
        services.evidence_add(
            user=org.filler1,
            round=org.round,
            unit=org.d1,
            indicator="1",
            upload=SimpleUploadedFile("big.pdf", PDF),
        )
    with pytest.raises(PermissionDenied):
        services.evidence_add(
            user=org.filler2,
            round=org.round,
            unit=org.d1,
            indicator="1",
            upload=SimpleUploadedFile("y.pdf", PDF),
        )


def test_submission_return_resubmit_accept_with_notifications(org):
    fill_all(org)
    services.submission_submit(user=org.filler1, round=org.round, unit=org.d1)
    with pytest.raises(UserError, match="已提交"):
        services.input_value_set(
            user=org.filler1,
            round=org.round,
            unit=org.d1,
            indicator="1",
            input="网上办理率",
            value="91%",
            expected_version=1,
        )
    with pytest.raises(UserError, match="原因"):
        services.submission_review(user=org.reviewer, round=org.round, unit=org.d1, accept=False)
    services.submission_review(
        user=org.reviewer, round=org.round, unit=org.d1, accept=False, reason="缺少截图"
    )
    note = Notification.objects.filter(user=org.filler1).first()
    assert "缺少截图" in note.message
    services.input_value_set(
        user=org.filler1,
        round=org.round,
        unit=org.d1,
        indicator="1",
        input="网上办理率",
        value="91%",
        expected_version=1,
    )
    services.submission_submit(user=org.filler1, round=org.round, unit=org.d1)
    sub = services.submission_review(user=org.reviewer, round=org.round, unit=org.d1, accept=True)
    assert sub.status == "accepted"
    assert Notification.objects.filter(user=org.filler1, message__contains="审核通过").exists()


def test_upheld_appeal_changes_inputs_and_rescores(org):
    fill_all(org)
    _to(org, "reviewing")
    assert _score(org)["D02"]["score"] == pytest.approx(46)
    _to(org, "preliminary")
    with pytest.raises(PermissionDenied):
        services.appeal_file(user=org.filler1, round=org.round, unit=org.d2, indicator="2", reason="x")
    appeal = services.appeal_file(
        user=org.filler2,
        round=org.round,
        unit=org.d2,
        indicator="2",
        reason="已全面接入，见截图",
        uploads=[SimpleUploadedFile("接入.png", b"\x89PNG\r\n")],
    )
    assert appeal.evidence.count() == 1
    with pytest.raises(UserError, match="未处理"):
        services.round_transition(user=org.office, round=org.round, to_state="final")
    services.appeal_decide(
        user=org.reviewer,
        appeal=appeal,
        upheld=True,
        decision="核实已接入",
        changes={"接入方式": "是"},
        background=False,
    )
    appeal.refresh_from_db()
    assert appeal.status == "upheld"
    latest = services.round_latest_run(org.round)
    d2 = next(u for u in latest.results["units"] if u["unit"] == "D02")
    # 接入方式 否 → 是: 5 → 20, so 46 + 15 = 61
    assert d2["score"] == pytest.approx(61)
    _to(org, "final")


def test_audit_log_records_who_what_before_after(org):
    services.input_value_set(
        user=org.filler1, round=org.round, unit=org.d1, indicator="1", input="网上办理率", value="80%"
    )
    services.input_value_set(
        user=org.filler1,
        round=org.round,
        unit=org.d1,
        indicator="1",
        input="网上办理率",
        value="70%",
        expected_version=1,
    )
    entries = AuditEntry.objects.filter(action="input_set", unit_code="D01", indicator="1").order_by("id")
    assert [e.after["value"] for e in entries] == ["80%", "70%"]
    assert entries[1].before["value"] == "80%"
    assert entries[1].username == "filler1"
    assert AuditEntry.objects.filter(action="round_state", after__state="collecting").exists()
    assert AuditEntry.objects.filter(action="account_create", object_type="account").count() == 6


def test_annual_result_weights_40_60(org):
    from govassess.web.rounds.services import round_create

    fill_all(org)
    _to(org, "reviewing")
    _score(org)
    _to(org, "preliminary", "final")
    h2 = round_create(user=org.office, system=org.system, name="2021年下半年")
    _to(org, "collecting", rnd=h2)
    fill_all(org, h2, d1=("70%", "是", "8", "10", "7"), d2=("50%", "是", "5", "10", "6"))
    _to(org, "reviewing", rnd=h2)
    _score(org, h2)
    _to(org, "preliminary", "final", rnd=h2)
    ar = services.annual_combine(user=org.office, name="2021年度", rounds=[(org.round, 0.4), (h2, 0.6)])
    units = {u["unit"]: u for u in ar.results["units"]}
    # H2 D01: 42 + 20 + 8 + 7 = 77; D02: 30 + 20 + 5 + 6 = 61
    # annual D01: 0.4×89 + 0.6×77 = 35.6 + 46.2 = 81.8; D02: 0.4×46 + 0.6×61 = 18.4 + 36.6 = 55.0
    assert units["D01"]["score"] == pytest.approx(81.8)
    assert units["D02"]["score"] == pytest.approx(55.0)
    with pytest.raises(UserError, match="100%"):
        services.annual_combine(user=org.office, name="x", rounds=[(org.round, 0.5), (h2, 0.6)])
    from django.test import Client
    from webtools import PASSWORD

    client = Client()
    assert client.login(username="leader", password=PASSWORD)
    html = client.get(f"/annual/{ar.pk}/").content.decode()
    assert "81.80" in html and "89.00" in html and "77.00" in html
    # the annual Excel export holds the same combined scores
    import io

    from openpyxl import load_workbook

    resp = client.get(f"/annual/{ar.pk}/annual.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert 81.8 in cells and 55.0 in cells


def test_units_upload_evidence_for_expert_scored_indicators_but_do_not_see_scores(org, client):
    from webtools import PASSWORD

    services.input_value_set(
        user=org.reviewer,
        round=org.round,
        unit=org.d1,
        indicator="4",
        input="score",
        value="7",
        note="材料完整",
    )
    ev = services.evidence_add(
        user=org.filler1,
        round=org.round,
        unit=org.d1,
        indicator="4",
        upload=SimpleUploadedFile("工作总结.pdf", PDF),
    )
    assert ev.indicator == "4"
    assert client.login(username="filler1", password=PASSWORD)
    html = client.get(f"/rounds/{org.round.pk}/units/D01/").content.decode()
    assert "工作质量" in html and "工作总结.pdf" in html
    # the manual score (7, "材料完整") is not shown to the unit before results are published
    assert "材料完整" not in html
    assert 'value="4::score"' not in html


def test_bonus_entries_need_a_reason_and_add_to_the_total(org):
    fill_all(org)
    with pytest.raises(PermissionDenied):
        services.input_value_set(
            user=org.filler1,
            round=org.round,
            unit=org.d1,
            indicator="5",
            input="获奖次数",
            value="1",
            note="自评",
        )
    with pytest.raises(UserError, match="理由"):
        services.input_value_set(
            user=org.reviewer, round=org.round, unit=org.d1, indicator="5", input="获奖次数", value="1"
        )
    services.input_value_set(
        user=org.reviewer,
        round=org.round,
        unit=org.d1,
        indicator="5",
        input="获奖次数",
        value="1",
        note="省级数字政府创新案例",
    )
    _to(org, "reviewing")
    units = _score(org)
    # D01: 89 weighted (see above) + 1 item × 2.5 bonus = 91.5; D02 has no bonus entry: 46
    assert units["D01"]["score"] == pytest.approx(91.5)
    assert units["D01"]["bonus"] == pytest.approx(2.5)
    assert units["D02"]["score"] == pytest.approx(46)


def test_combined_results_cannot_be_edited_in_admin(org, client):
    # The office is a Django superuser; combined results are made (and audited) by annual_combine only.
    from govassess.web.rounds.models import AnnualResult

    ar = AnnualResult.objects.create(name="2021年度", rounds=[], results={"units": []})
    assert client.login(username="office", password=PASSWORD)
    assert client.get("/admin/rounds/annualresult/").status_code == 200  # may look
    assert client.get("/admin/rounds/annualresult/add/").status_code == 403
    resp = client.post(f"/admin/rounds/annualresult/{ar.pk}/change/", {"name": "改过的名称"})
    assert resp.status_code == 403
    ar.refresh_from_db()
    assert ar.name == "2021年度"
