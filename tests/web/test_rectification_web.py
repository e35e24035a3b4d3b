"""整改 on the web platform (issue 12): the office creates tasks from a published round's lost points, the unit
answers with evidence, a reviewer returns or accepts; overdue tasks; the closed list; the next round's 成绩单.

Hand computation (web-mini, fill as in test_documents_web): leaf scores and losses of 2021年上半年
  D01 (90%, 是, 8/10, 7):  1: 54/60 lost 6 (90%), 2: 20/20, 3: 8/10 lost 2 (80%), 4: 7/10 lost 3 (70%)
  D02 (50%, 否, 5/10, 6):  1: 30/60 lost 30 (50%), 2: 5/20 lost 15 (25%), 3: 5/10 lost 5 (50%), 4: 6/10 lost 4 (60%)
Next round 2021年下半年, D01 (100%, 是, 8/10, 9): 1: 60 (54 → 60 已提升), 3: 8 (8 → 8 未提升), 4: 9 (7 → 9 已提升).
"""

from __future__ import annotations

import datetime as dt
import io
from datetime import timedelta
from pathlib import Path

import docx
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from webtools import PASSWORD, fill_all

from govassess.errors import UserError
from govassess.web.audit.display import ACTION_LABELS
from govassess.web.audit.models import AuditEntry
from govassess.web.rectification import services
from govassess.web.rectification.models import Task, TaskEvent, TaskEvidence
from govassess.web.rounds import services as rounds
from govassess.web.rounds.models import Notification, Round

PDF = b"%PDF-1.4 rectification evidence"
LATER = (timezone.localdate() + timedelta(days=20)).isoformat()


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


def _finalise(org, rnd=None, **fill):
    rnd = rnd or org.round
    fill_all(org, rnd, **fill)
    rounds.round_transition(user=org.office, round=rnd, to_state="reviewing")
    rounds.scoring_start(user=org.office, round=rnd, background=False)
    rounds.round_transition(user=org.office, round=rnd, to_state="preliminary")
    rounds.round_transition(user=org.office, round=rnd, to_state="final")
    rnd.refresh_from_db()
    return rnd


@pytest.fixture
def final(org):
    _finalise(org)
    return org


def _tasks(org):
    return sorted(Task.objects.filter(round=org.round).values_list("unit__code", "indicator", "lost"))


def test_office_creates_tasks_below_a_threshold_without_duplicates(final):
    office = login("office")
    url = f"/rounds/{final.round.pk}/rectification/create/"
    resp = office.post(url, {"share_below": "60", "units": ["D01", "D02"], "requirement": "补齐材料", "deadline": LATER})
    assert resp.status_code == 302
    # score share < 60 %: only D02's leaves 1 (50 %), 2 (25 %), 3 (50 %); D01's lowest share is 70 %.
    assert _tasks(final) == [("D02", "1", 30.0), ("D02", "2", 15.0), ("D02", "3", 5.0)]
    # points lost ≥ 5 adds D01 leaf 1 (6) and nothing twice (D02 1, 2, 3 exist already; D02 4 lost 4).
    office.post(url, {"lost_at_least": "5", "units": ["D01", "D02"], "requirement": "补齐材料", "deadline": LATER})
    assert _tasks(final) == [("D01", "1", 6.0), ("D02", "1", 30.0), ("D02", "2", 15.0), ("D02", "3", 5.0)]
    task = Task.objects.get(round=final.round, unit__code="D02", indicator="1")
    assert task.indicator_name == "网上办理率" and "50%" in task.reason and task.requirement == "补齐材料"
    assert task.deadline.isoformat() == LATER and task.status == "open"
    entries = AuditEntry.objects.filter(action="rectification_create")
    assert entries.count() == 4 and {e.unit_code for e in entries} == {"D01", "D02"}
    assert ACTION_LABELS["rectification_create"] == "下达整改任务"
    page = office.get(f"/rounds/{final.round.pk}/rectification/").content.decode()
    assert "网上办理率" in page and "30.00" in page


def test_threshold_needs_a_rule_requirement_and_a_future_deadline(final):
    office = login("office")
    url = f"/rounds/{final.round.pk}/rectification/create/"
    for data, message in (
        ({"requirement": "x", "deadline": LATER}, "请至少填写一个条件"),
        ({"share_below": "abc", "requirement": "x", "deadline": LATER}, "「abc」不是数字"),
        ({"share_below": "60", "deadline": LATER}, "请填写整改要求"),
        ({"share_below": "60", "requirement": "x", "deadline": "2020-01-01"}, "早于今天"),
        ({"share_below": "60", "requirement": "x", "deadline": "明天"}, "不是有效的日期"),
        ({"share_below": "60", "units": ["Z99"], "requirement": "x", "deadline": LATER}, "没有这些单位：Z99"),
    ):
        resp = office.post(url, data, follow=True)
        assert message in resp.content.decode(), data
    assert Task.objects.count() == 0


def test_hand_picked_tasks_from_a_units_lost_points(final):
    office = login("office")
    url = f"/rounds/{final.round.pk}/rectification/units/D01/"
    page = office.get(url).content.decode()
    assert "pick-1" in page and "pick-3" in page and "pick-4" in page and "pick-2" not in page  # 2: full marks
    office.post(url, {"indicators": ["3", "4"], "requirement": "按要求整改", "deadline": LATER})
    assert _tasks(final) == [("D01", "3", 2.0), ("D01", "4", 3.0)]
    with pytest.raises(UserError, match="没有失分项 2"):
        services.tasks_create_picked(user=final.office, round=final.round, unit=final.d1, indicators=["2"],
                                     requirement="x", deadline=timezone.localdate())


def test_no_tasks_before_the_results_are_final(org):
    fill_all(org)
    rounds.round_transition(user=org.office, round=org.round, to_state="reviewing")
    rounds.scoring_start(user=org.office, round=org.round, background=False)
    with pytest.raises(UserError, match="尚未定稿发布"):
        services.tasks_create_threshold(user=org.office, round=org.round, share_below="60", lost_at_least=None,
                                        units=[], requirement="x", deadline=timezone.localdate())


def _one_task(org, unit=None, indicator="1") -> Task:
    unit = unit or org.d1
    made, _ = services.tasks_create_picked(user=org.office, round=org.round, unit=unit, indicators=[indicator],
                                           requirement="提高网上办理率", deadline=timezone.localdate() + timedelta(days=5))
    return made[0]


def test_unit_answers_with_evidence_reviewer_returns_then_accepts(final):
    task = _one_task(final)
    unit = login("filler1")
    resp = unit.post(f"/rectification/tasks/{task.pk}/answer/",
                     {"text": "已上线网上办理", "files": [SimpleUploadedFile("截图.pdf", PDF)]})
    assert resp.status_code == 302
    task.refresh_from_db()
    assert task.status == "submitted"
    (ev,) = TaskEvidence.objects.filter(task=task)
    stored = Path(settings.EVIDENCE_DIR) / ev.stored_path
    assert stored.read_bytes() == PDF and not stored.with_name(stored.name + ".part").exists()
    assert unit.get(f"/rectification/evidence/{ev.pk}/").status_code == 200

    reviewer = login("reviewer")
    resp = reviewer.post(f"/rectification/tasks/{task.pk}/review/", {"decision": "return", "reason": ""}, follow=True)
    assert "退回时必须填写退回原因" in resp.content.decode()
    reviewer.post(f"/rectification/tasks/{task.pk}/review/", {"decision": "return", "reason": "截图不清晰"})
    task.refresh_from_db()
    assert task.status == "returned"
    page = unit.get(f"/rectification/tasks/{task.pk}/").content.decode()
    assert "截图不清晰" in page and "answer-submit" in page
    unit.post(f"/rectification/tasks/{task.pk}/answer/", {"text": "已重新上传清晰截图"})
    reviewer.post(f"/rectification/tasks/{task.pk}/review/", {"decision": "accept"})
    task.refresh_from_db()
    assert task.status == "accepted"
    history = list(TaskEvent.objects.filter(task=task).values_list("kind", "text"))
    assert history == [("create", "提高网上办理率"), ("answer", "已上线网上办理"), ("return", "截图不清晰"),
                       ("answer", "已重新上传清晰截图"), ("accept", "")]
    actions = list(AuditEntry.objects.filter(object_type="rectification_task").order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["rectification_create", "rectification_answer", "rectification_evidence_download",
                       "rectification_return", "rectification_answer", "rectification_accept"]
    assert {ACTION_LABELS[a] for a in actions} >= {"提交整改情况", "退回整改情况", "整改复核通过"}
    notes = list(Notification.objects.filter(user=final.filler1).order_by("id").values_list("message", flat=True))
    assert notes[-2:] == [f"2021年上半年：评估办下达了1项整改任务，请于{task.deadline:%Y-%m-%d}前提交整改情况。",
                          "整改任务「1 网上办理率」被退回：截图不清晰"]
    assert not Notification.objects.filter(user=final.filler2, message__contains="整改").exists()
    # Accepted: the unit cannot answer again.
    resp = unit.post(f"/rectification/tasks/{task.pk}/answer/", {"text": "再交一次"}, follow=True)
    assert "不能再次提交" in resp.content.decode()


def test_a_bad_file_writes_nothing(final):
    task = _one_task(final)
    unit = login("filler1")
    before = sorted(Path(settings.EVIDENCE_DIR).rglob("*"))
    resp = unit.post(f"/rectification/tasks/{task.pk}/answer/",
                     {"text": "说明", "files": [SimpleUploadedFile("a.pdf", PDF), SimpleUploadedFile("b.pdf", b"MZ")]},
                     follow=True)
    assert "内容与扩展名 .pdf 不符" in resp.content.decode()
    assert sorted(Path(settings.EVIDENCE_DIR).rglob("*")) == before
    task.refresh_from_db()
    assert task.status == "open" and not TaskEvidence.objects.exists()
    assert TaskEvent.objects.filter(task=task, kind="answer").count() == 0
    resp = unit.post(f"/rectification/tasks/{task.pk}/answer/", {"text": "  "}, follow=True)
    assert "请填写整改情况说明" in resp.content.decode()


def test_a_unit_never_sees_another_units_task(final):
    mine, theirs = _one_task(final), _one_task(final, final.d2)
    services.task_answer(user=final.filler2, task=theirs, text="乙方说明",
                         uploads=[SimpleUploadedFile("乙.pdf", PDF)])
    other_ev = TaskEvidence.objects.get(task=theirs)
    unit = login("filler1")
    assert unit.get(f"/rectification/tasks/{theirs.pk}/").status_code == 403
    assert unit.get(f"/rectification/evidence/{other_ev.pk}/").status_code == 403
    assert unit.post(f"/rectification/tasks/{theirs.pk}/answer/", {"text": "x"}).status_code == 403
    page = unit.get(f"/rounds/{final.round.pk}/rectification/").content.decode()
    assert f'data-task="{mine.pk}"' in page and f'data-task="{theirs.pk}"' not in page
    assert final.d2.name not in page
    for who in ("provider", "leader"):
        assert login(who).get(f"/rectification/tasks/{mine.pk}/").status_code == 403
    # A unit does not review its own answer, a reviewer does not answer for it.
    assert login("filler2").post(f"/rectification/tasks/{theirs.pk}/review/", {"decision": "accept"}).status_code == 403
    assert login("reviewer").post(f"/rectification/tasks/{mine.pk}/answer/", {"text": "x"}).status_code == 403


def test_overdue_tasks_are_listed_with_days_and_highlighted(final):
    task = _one_task(final)
    done = _one_task(final, indicator="3")
    Task.objects.filter(pk__in=[task.pk, done.pk]).update(deadline=timezone.localdate() - timedelta(days=3))
    Task.objects.filter(pk=done.pk).update(status="accepted")
    page = login("office").get(f"/rounds/{final.round.pk}/rectification/").content.decode()
    overdue = page[page.index('id="overdue-table"'):page.index("</table>", page.index('id="overdue-table"'))]
    assert "网上办理率" in overdue and "数据挂接" not in overdue and '<td class="num">3</td>' in overdue
    unit_page = login("filler1").get(f"/rectification/tasks/{task.pk}/").content.decode()
    assert "已逾期 3 天" in unit_page
    assert Task.objects.get(pk=task.pk).report_status() == "逾期未整改"
    assert Task.objects.get(pk=done.pk).report_status() == "已通过"


def test_tasks_follow_the_lock_until_the_office_closes_the_list(final):
    task = _one_task(final)
    assert final.round.locked  # the round is locked; its tasks are still worked on
    services.task_answer(user=final.filler1, task=task, text="说明")
    office = login("office")
    assert office.post(f"/rounds/{final.round.pk}/rectification/close/").status_code == 302
    assert AuditEntry.objects.filter(action="rectification_close").count() == 1
    for call in (
        lambda: services.task_review(user=final.reviewer, task=task, accept=True),
        lambda: services.tasks_create_picked(user=final.office, round=final.round, unit=final.d1, indicators=["3"],
                                             requirement="x", deadline=timezone.localdate()),
        lambda: services.task_list_close(user=final.office, round=final.round),
    ):
        with pytest.raises(UserError, match="已关闭"):
            call()
    task.refresh_from_db()
    assert task.status == "submitted" and Task.objects.count() == 1
    resp = login("reviewer").post(f"/rectification/tasks/{task.pk}/review/", {"decision": "accept"}, follow=True)
    assert "整改任务清单已关闭" in resp.content.decode()


def test_next_rounds_scorecard_shows_the_previous_rectification(final):
    from govassess.web.documents.services import scorecard_document

    first = final.round
    Round.objects.filter(pk=first.pk).update(finalised_at=dt.datetime(2026, 6, 30, 9, 0, tzinfo=dt.UTC))
    t1, t3, t4 = (_one_task(final, indicator=code) for code in ("1", "3", "4"))
    services.task_answer(user=final.filler1, task=t1, text="已整改")
    services.task_review(user=final.reviewer, task=t1, accept=True)
    services.task_answer(user=final.filler1, task=t4, text="已整改")
    services.task_review(user=final.reviewer, task=t4, accept=False, reason="材料不足")
    Task.objects.filter(pk=t3.pk).update(deadline=timezone.localdate() - timedelta(days=1))

    second = rounds.round_create(user=final.office, system=final.system, name="2021年下半年",
                                 deadline=timezone.now() + timedelta(days=7))
    rounds.round_transition(user=final.office, round=second, to_state="collecting")
    _finalise(final, second, d1=("100%", "是", "8", "10", "9"))

    data, _name = scorecard_document(user=final.filler1, round=second, unit=final.d1, fmt="docx")
    d = docx.Document(io.BytesIO(data))
    assert "上轮整改情况" in [p.text for p in d.paragraphs]
    table = next(t for t in d.tables if "是否提升" in [c.text for c in t.rows[0].cells])
    rows = [[c.text for c in r.cells] for r in table.rows]
    assert rows[0][4] == "2021年上半年得分"
    assert rows[1:] == [["1", "网上办理率", "提高网上办理率", "已通过", "54.00", "60.00", "已提升"],
                        ["3", "数据挂接", "提高网上办理率", "逾期未整改", "8.00", "8.00", "未提升"],
                        ["4", "工作质量", "提高网上办理率", "未通过", "7.00", "9.00", "已提升"]]
    page = login("filler1").get(f"/rounds/{second.pk}/units/D01/scorecard/").content.decode()
    section = page[page.index('id="previous-rectification"'):]
    assert "逾期未整改" in section and "54.00" in section and "60.00" in section and "未提升" in section
    # A unit without tasks of the previous round: the section says so.
    page = login("filler2").get(f"/rounds/{second.pk}/units/D02/scorecard/").content.decode()
    assert "上一轮没有向本单位下达整改任务。" in page
