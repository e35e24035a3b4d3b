"""暗访 in the web: visitors assigned per round record visits with photo / audio evidence, the office excludes
visits and writes the visit metrics into the round's inputs, units see only their own outcomes and only after
the publication, and a locked round changes nothing. Expected values are worked out by hand in each test."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govassess.errors import UserError
from govassess.web.audit.models import AuditEntry
from govassess.web.rounds.models import InputValue, Round
from govassess.web.rounds.services import input_value_set
from govassess.web.visits import services
from govassess.web.visits.models import Visit, VisitFile

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"\x00" * 32
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00" + b"\x00" * 32
AMR = b"#!AMR\n" + b"\x00" * 32
PDF = b"%PDF-1.4 not a photo"
MAP = "inputs:\n  - {metric: visit_success_rate, indicator: '1', input: 网上办理率}\n"


@pytest.fixture(autouse=True)
def _own_evidence_dir(settings, tmp_path):
    settings.EVIDENCE_DIR = tmp_path / "evidence"


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _plan(org, **kw):
    return services.plan_save(
        user=org.office, round=org.round, period_from=kw.get("start", dt.date(2021, 1, 1)),
        period_to=kw.get("end", dt.date(2021, 6, 30)), map_text=kw.get("map_text", MAP),
        visitor_ids=[org.reviewer.pk],
    )


def _form(**kw):
    data = {"unit": "D01", "date": "2021-03-01", "time": "09:30", "channel": "窗口", "matter": "营业执照变更",
            "waiting_minutes": "15", "handling_minutes": "10", "outcome": "办成", "note": ""}
    data.update(kw)
    return data


def _files() -> list[Path]:
    root = Path(settings.EVIDENCE_DIR) / "visits"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _errors(resp) -> str:
    return resp.content.decode()


def test_assigned_reviewer_records_visit_with_photo(org):
    c = _client(org.reviewer)
    assert c.get(f"/visits/rounds/{org.round.pk}/new/").status_code == 403  # not assigned yet
    _plan(org)
    assert c.get(f"/visits/rounds/{org.round.pk}/new/").status_code == 200
    photo = SimpleUploadedFile("现场.jpg", JPEG, content_type="image/jpeg")
    sound = SimpleUploadedFile("录音.m4a", M4A, content_type="audio/mp4")
    resp = c.post(f"/visits/rounds/{org.round.pk}/new/", {**_form(), "files": [photo, sound]})
    assert resp.status_code == 302, _errors(resp)
    v = Visit.objects.get()
    assert (v.unit.code, v.visitor, v.outcome, v.waiting_minutes) == ("D01", org.reviewer, "办成", 15)
    # 09:30 in Beijing is 01:30 UTC
    assert v.visited_at == dt.datetime(2021, 3, 1, 1, 30, tzinfo=dt.UTC)
    types = sorted(VisitFile.objects.values_list("content_type", flat=True))
    assert types == ["audio/mp4", "image/jpeg"]
    assert len(_files()) == 2
    assert sorted(AuditEntry.objects.filter(action__startswith="visit_").values_list("action", flat=True)) == [
        "visit_create", "visit_file_add", "visit_file_add", "visit_plan_save"]
    # the visitor downloads the photo; another reviewer-less role cannot
    f = VisitFile.objects.get(content_type="image/jpeg")
    resp = c.get(f"/visits/files/{f.pk}/")
    assert resp.status_code == 200 and b"".join(resp.streaming_content) == JPEG
    assert _client(org.filler1).get(f"/visits/files/{f.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"waiting_minutes": "-5"}, "「等候时间」不能为负数（-5）"),
        ({"handling_minutes": "十分钟"}, "「办理时间」应为分钟数（如 15），而不是「十分钟」"),
        ({"date": "2021-07-01"}, "暗访时间 2021-07-01 09:30 不在本轮评估期间（2021-01-01 至 2021-06-30）内"),
        ({"unit": "Z99"}, "单位「Z99」不在评估对象名单中"),
        ({"outcome": ""}, "必填项「办理结果」为空"),
    ],
)
def test_bad_form_values_are_refused_with_nothing_written(org, change, message):
    _plan(org)
    photo = SimpleUploadedFile("a.jpg", JPEG, content_type="image/jpeg")
    resp = _client(org.reviewer).post(f"/visits/rounds/{org.round.pk}/new/", {**_form(**change), "files": [photo]})
    assert resp.status_code == 400
    assert message in _errors(resp)
    assert not Visit.objects.exists() and not VisitFile.objects.exists() and _files() == []


def test_evidence_types_are_sniffed_and_sized(org, settings):
    _plan(org)
    c = _client(org.reviewer)
    fake = SimpleUploadedFile("photo.jpg", PDF, content_type="image/jpeg")  # the name lies
    resp = c.post(f"/visits/rounds/{org.round.pk}/new/", {**_form(), "files": [fake]})
    assert resp.status_code == 400 and "文件「photo.jpg」不是允许的类型" in _errors(resp)
    settings.VISIT_EVIDENCE_MAX_BYTES = 40
    big = SimpleUploadedFile("big.jpg", JPEG, content_type="image/jpeg")  # 76 bytes > 40
    resp = c.post(f"/visits/rounds/{org.round.pk}/new/", {**_form(), "files": [big]})
    assert resp.status_code == 400 and "超过大小上限" in _errors(resp)
    assert not Visit.objects.exists() and _files() == []
    settings.VISIT_EVIDENCE_MAX_BYTES = 10_000
    heic = SimpleUploadedFile("IMG_0001.HEIC", HEIC)
    amr = SimpleUploadedFile("call.amr", AMR)
    resp = c.post(f"/visits/rounds/{org.round.pk}/new/", {**_form(), "files": [heic, amr]})
    assert resp.status_code == 302
    assert sorted(VisitFile.objects.values_list("content_type", flat=True)) == ["audio/amr", "image/heic"]
    assert sorted(p.suffix for p in _files()) == [".amr", ".heic"]


def test_file_removed_when_the_row_fails(org, monkeypatch):
    _plan(org)

    def boom(**kw):
        if kw["action"] == "visit_file_add":
            raise RuntimeError("database gone")

    monkeypatch.setattr(services, "audit_record", boom)
    with pytest.raises(RuntimeError):
        services.visit_save(user=org.reviewer, round=org.round, data=_form(),
                            uploads=[SimpleUploadedFile("a.jpg", JPEG)])
    assert not Visit.objects.exists() and not VisitFile.objects.exists() and _files() == []


def _record(org, **kw):
    return services.visit_save(user=org.reviewer, round=org.round, data=_form(**kw))


def test_units_see_own_outcomes_only_after_publication(org):
    _plan(org)
    _record(org, outcome="被推诿", note="让去三楼")
    _record(org, unit="D02", outcome="未办成")
    hidden = _record(org, outcome="一次告知不清")
    services.visit_exclude(user=org.office, visit=hidden, excluded=True, reason="暗访人员身份暴露")
    filler = _client(org.filler1)
    for state in ("collecting", "reviewing"):
        Round.objects.filter(pk=org.round.pk).update(state=state)
        resp = filler.get(f"/visits/rounds/{org.round.pk}/")
        assert resp.status_code == 403
    Round.objects.filter(pk=org.round.pk).update(state="preliminary")
    page = filler.get(f"/visits/rounds/{org.round.pk}/").content.decode()
    assert "被推诿" in page
    assert "reviewer" not in page and "暗访人员" not in page.split("<main>")[1]  # no visitor, no name
    assert "让去三楼" not in page  # the visitor's own note stays with the office
    assert "市委宣传部" not in page and "未办成" not in page  # D02's visit
    assert "一次告知不清" not in page  # excluded


def test_exclude_needs_reason_and_is_audited(org):
    _plan(org)
    v = _record(org)
    with pytest.raises(UserError, match="须写明原因"):
        services.visit_exclude(user=org.office, visit=v, excluded=True, reason=" ")
    resp = _client(org.office).post(f"/visits/{v.pk}/exclude/", {"reason": "重复记录"})
    assert resp.status_code == 302
    v.refresh_from_db()
    assert v.excluded and v.exclude_reason == "重复记录"
    entry = AuditEntry.objects.get(action="visit_exclude")
    assert entry.after == {"excluded": True, "reason": "重复记录"}
    assert _client(org.reviewer).post(f"/visits/{v.pk}/exclude/", {"reason": "x"}).status_code == 403
    assert AuditEntry.objects.filter(action="visit_exclude").count() == 1  # the reviewer was refused


def test_push_writes_mapped_leaf_and_never_overwrites_silently(org):
    _plan(org)
    _record(org, outcome="办成")
    _record(org, outcome="被推诿", date="2021-03-02")
    _record(org, outcome="办成", date="2021-04-01")
    gone = _record(org, outcome="未办成", date="2021-04-02")
    services.visit_exclude(user=org.office, visit=gone, excluded=True, reason="非工作时间")
    _record(org, unit="D02", outcome="未接通", channel="电话")
    # A filler's own value for the mapped leaf: never replaced without the office's confirmation.
    input_value_set(user=org.filler1, round=org.round, unit=org.d1, indicator="1", input="网上办理率", value="90%")
    office = _client(org.office)
    resp = office.post(f"/visits/rounds/{org.round.pk}/push/", follow=True)
    page = resp.content.decode()
    assert "单位 D01 的「网上办理率」已有值「90%」" in page
    assert InputValue.objects.get(unit=org.d1, indicator="1").value == "90%"
    assert not InputValue.objects.filter(unit=org.d2, indicator="1").exists()  # all or nothing
    resp = office.post(f"/visits/rounds/{org.round.pk}/push/", {"overwrite": "1"}, follow=True)
    assert "已依据 4 次暗访（2 个单位）写入本轮指标数据" in resp.content.decode()
    d1 = InputValue.objects.get(unit=org.d1, indicator="1", input="网上办理率")
    # D01 counted: 办成, 被推诿, 办成 (the 未办成 one is excluded) -> 2 / 3
    assert float(d1.value) == pytest.approx(2 / 3, abs=1e-6)
    assert d1.source == "暗访"
    assert d1.note.startswith("依据暗访 3 次") and "一次办成次数 2 / 暗访次数 3" in d1.note
    d2 = InputValue.objects.get(unit=org.d2, indicator="1", input="网上办理率")
    assert d2.value == "0" and "依据暗访 1 次" in d2.note
    assert AuditEntry.objects.filter(action="visit_push").count() == 1
    # pushing again over its own values needs no confirmation
    _record(org, outcome="办成", date="2021-05-01")
    office.post(f"/visits/rounds/{org.round.pk}/push/")
    d1.refresh_from_db()
    assert float(d1.value) == pytest.approx(3 / 4, abs=1e-6)


def test_plan_map_errors_are_located(org):
    with pytest.raises(UserError) as e:
        services.plan_save(user=org.office, round=org.round, period_from=None, period_to=None,
                           map_text="inputs:\n  - {metric: no_such, indicator: '1', input: x}\n", visitor_ids=[])
    p = e.value.problems[0]
    assert (p.file, p.field) == ("映射文件.yaml", "inputs[1]") and "no_such" in p.message


def test_edit_until_lock_then_nothing_changes(org):
    _plan(org)
    v = _record(org)
    c = _client(org.reviewer)
    resp = c.post(f"/visits/{v.pk}/edit/", _form(outcome="被推诿", version="1"))
    assert resp.status_code == 302
    v.refresh_from_db()
    assert (v.outcome, v.version) == ("被推诿", 2)
    # a stale version is refused
    resp = c.post(f"/visits/{v.pk}/edit/", _form(outcome="办成", version="1"))
    assert resp.status_code == 400 and "已被他人修改" in _errors(resp)
    Round.objects.filter(pk=org.round.pk).update(state="final")
    before = list(Visit.objects.values()), list(VisitFile.objects.values()), AuditEntry.objects.exclude(action="login").count()
    values = list(InputValue.objects.values())
    c.post(f"/visits/{v.pk}/edit/", _form(outcome="办成", version="2"))
    c.post(f"/visits/rounds/{org.round.pk}/new/", _form())
    office = _client(org.office)
    office.post(f"/visits/{v.pk}/exclude/", {"reason": "x"})
    office.post(f"/visits/rounds/{org.round.pk}/push/", {"overwrite": "1"})
    office.post(f"/visits/rounds/{org.round.pk}/plan/", {"period_from": "2021-01-01", "period_to": "2021-12-31"})
    office.post(f"/visits/rounds/{org.round.pk}/import/",
                {"file": SimpleUploadedFile("v.csv", "暗访编号,单位,暗访时间,暗访渠道,办理结果\nx,D01,2021-03-01,窗口,办成\n".encode())})
    after = list(Visit.objects.values()), list(VisitFile.objects.values()), AuditEntry.objects.exclude(action="login").count()
    assert after == before and list(InputValue.objects.values()) == values
    assert c.get(f"/visits/{v.pk}/edit/").status_code == 200  # still readable


def test_office_imports_offline_file_and_downloads_template(org):
    _plan(org)
    office = _client(org.office)
    resp = office.get("/visits/template.xlsx")
    assert resp.status_code == 200 and resp.content[:2] == b"PK"
    bad = "暗访编号,单位,暗访时间,暗访渠道,等候时间,办理结果\nx1,D01,2021-03-01 10:00,窗口,-2,办成\n"
    resp = office.post(f"/visits/rounds/{org.round.pk}/import/",
                       {"file": SimpleUploadedFile("暗访.csv", bad.encode())}, follow=True)
    assert "暗访.csv" in resp.content.decode() and "第 2 行" in resp.content.decode()
    assert not Visit.objects.exists()
    good = "暗访编号,单位,暗访时间,暗访人员,暗访渠道,等候时间,办理结果\nx1,D01,2021-03-01 10:00,王五,窗口,25,办成\n" \
           "x2,D02,2021-03-02 10:00,王五,电话,,未接通\n"
    office.post(f"/visits/rounds/{org.round.pk}/import/", {"file": SimpleUploadedFile("暗访.csv", good.encode())})
    assert sorted(Visit.objects.values_list("unit__code", "visitor_label", "outcome")) == [
        ("D01", "王五", "办成"), ("D02", "王五", "未接通")]
    assert AuditEntry.objects.get(action="visit_import").after == {"file": "暗访.csv", "visits": 2}


def test_pushed_values_stay_hidden_from_the_unit_until_publication(org):
    """Mapped to an indicator the unit does not fill (here the provider's 数据挂接), the visit figures and the
    note naming the visits reach the unit's pages only with the preliminary publication."""
    m = ("inputs:\n  - {metric: visit_success_rate, indicator: '3', input: 挂接目录数, part: num}\n"
         "  - {metric: visit_success_rate, indicator: '3', input: 目录总数, part: den}\n")
    _plan(org, map_text=m)
    _record(org, outcome="办成")
    _record(org, outcome="被推诿", date="2021-03-02")
    services.visits_push(user=org.office, round=org.round)
    assert InputValue.objects.get(unit=org.d1, indicator="3", input="目录总数").value == "2"
    filler = _client(org.filler1)
    page = filler.get(f"/rounds/{org.round.pk}/units/D01/").content.decode()
    assert "依据暗访" not in page and "暗访" not in page.split("<main>")[1]
    api = filler.get(f"/api/v1/rounds/{org.round.pk}/inputs/").content.decode()
    assert "暗访" not in api
    Round.objects.filter(pk=org.round.pk).update(state="preliminary")
    page = filler.get(f"/rounds/{org.round.pk}/units/D01/").content.decode()
    assert "依据暗访 2 次" in page
