"""整改 extras (issue 12, helper rectx): the task list as Excel under the page's filters, editing and
withdrawing (撤销) one task, the read-only admin, and a task page whose queries do not grow with the tasks.

Hand computation (web-mini, fill as in test_rectification_web; the leaves have no 牵头科室):
  D01 市委办公室(市档案局): 1 网上办理率 54/60 lost 6, 3 数据挂接 8/10 lost 2, 4 工作质量 7/10 lost 3
  D02 市委宣传部(新闻出版局): 1 网上办理率 30/60 lost 30
"""

from __future__ import annotations

import datetime as dt
import io
from datetime import timedelta

import openpyxl
import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from test_rectification_web import _finalise, login

from govassess.errors import UserError
from govassess.web.audit.display import ACTION_LABELS
from govassess.web.audit.models import AuditEntry
from govassess.web.rectification import services
from govassess.web.rectification.models import Task, TaskEvent
from govassess.web.rectification.selectors import TaskFilter
from govassess.web.rounds import services as rounds
from govassess.web.rounds.models import Notification, Round

TODAY = timezone.localdate()
SOON = TODAY + timedelta(days=10)
INJECT = '=HYPERLINK("http://example.invalid","点此")'


@pytest.fixture
def final(org):
    _finalise(org)
    return org


def _pick(org, unit, codes, requirement="按评分说明整改", deadline=SOON):
    made, _ = services.tasks_create_picked(user=org.office, round=org.round, unit=unit, indicators=codes,
                                           requirement=requirement, deadline=deadline)
    return {t.indicator: t for t in made}


@pytest.fixture
def tasks(final):
    """D01: 1, 3 (4 days overdue), 4 (requirement typed as a formula); D02: 1 answered, returned, answered again."""
    d1 = _pick(final, final.d1, ["1", "3"])
    d1.update(_pick(final, final.d1, ["4"], requirement=INJECT))
    Task.objects.filter(pk=d1["3"].pk).update(deadline=TODAY - timedelta(days=4))
    (d2,) = _pick(final, final.d2, ["1"]).values()
    services.task_answer(user=final.filler2, task=d2, text="已开通网上办理")
    services.task_review(user=final.reviewer, task=d2, accept=False, reason="截图不清晰")
    services.task_answer(user=final.filler2, task=d2, text="已补充办理数据截图")
    return {"D01": d1, "D02": d2}


def _sheet(resp):
    assert resp.status_code == 200, resp.status_code
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    wb = openpyxl.load_workbook(io.BytesIO(resp.content))
    return wb["整改任务"]


def _rows(ws):
    return [[c.value for c in row] for row in ws.iter_rows(min_row=2)]


def test_export_is_the_task_list_with_answers_reviews_and_real_dates(tasks, final):
    url = f"/rounds/{final.round.pk}/rectification/tasks.xlsx"
    ws = _sheet(login("office").get(url))
    header = [c.value for c in ws[1]]
    assert header == ["单位编码", "单位", "指标编码", "指标", "失分", "评分说明", "整改要求", "牵头科室", "整改期限", "状态",
                      "逾期天数", "最近答复", "答复时间（北京时间）", "复核意见", "撤销原因"]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width == 26 and ws.column_dimensions["G"].width == 40
    rows = _rows(ws)
    assert [(r[0], r[2], r[4], r[9], r[10]) for r in rows] == [
        ("D01", "1", 6.0, "待整改", 0), ("D01", "3", 2.0, "待整改", 4), ("D01", "4", 3.0, "待整改", 0),
        ("D02", "1", 30.0, "待复核", 0)]
    assert rows[0][1] == "市委办公室(市档案局)" and rows[0][3] == "网上办理率" and "90%" in rows[0][5]
    # A date, not text: Excel sorts and filters it as a date.
    deadline = ws.cell(row=2, column=9)
    assert deadline.is_date and deadline.value.date() == SOON and deadline.number_format == "yyyy-mm-dd"
    assert ws.cell(row=3, column=9).value.date() == TODAY - timedelta(days=4)
    # The requirement typed as a formula stays text.
    inject = ws.cell(row=4, column=7)
    assert inject.value == INJECT and inject.data_type == "s"
    # The latest answer and the latest review (returned, then answered again: not yet reviewed again).
    d2 = rows[3]
    assert d2[11] == "已补充办理数据截图" and d2[13] == "退回：截图不清晰" and d2[14] is None
    answered = ws.cell(row=5, column=13)
    assert answered.is_date and answered.value.date() == TODAY
    assert rows[0][11] is None and rows[0][13] is None


@pytest.mark.parametrize(("query", "expected"), [
    ("overdue=1", [("D01", "3")]),
    ("status=submitted", [("D02", "1")]),
    ("status=open&unit=D01", [("D01", "1"), ("D01", "3"), ("D01", "4")]),
    ("unit=宣传部", [("D02", "1")]),  # part of the name
    ("status=accepted", []),
    ("status=nonsense&overdue=yes-please", [("D01", "1"), ("D01", "3"), ("D01", "4"), ("D02", "1")]),  # ignored
])
def test_page_and_export_apply_the_same_filters(tasks, final, query, expected):
    office = login("office")
    ws = _sheet(office.get(f"/rounds/{final.round.pk}/rectification/tasks.xlsx?{query}"))
    assert [(r[0], r[2]) for r in _rows(ws)] == expected
    page = office.get(f"/rounds/{final.round.pk}/rectification/?{query}").content.decode()
    shown = {pk for pk in Task.objects.values_list("pk", flat=True) if f'data-task="{pk}"' in page}
    want = {Task.objects.get(round=final.round, unit__code=u, indicator=i).pk for u, i in expected}
    assert shown == want
    # The page's export link carries the filters it applied (none for the ignored values).
    q = TaskFilter.from_params(QueryDict(query)).query()
    assert ('tasks.xlsx' + (f"?{q}".replace("&", "&amp;") if q else "") + '"') in page


def test_a_unit_exports_only_its_own_tasks(tasks, final):
    url = f"/rounds/{final.round.pk}/rectification/tasks.xlsx"
    for query in ("", "?unit=D02", "?unit=宣传部"):
        resp = login("filler1").get(url + query)
        rows = _rows(_sheet(resp))
        assert {r[0] for r in rows} <= {"D01"}, query
        assert "市委宣传部".encode() not in resp.content and "截图不清晰".encode() not in resp.content
    assert len(_rows(_sheet(login("filler1").get(url)))) == 3
    assert [r[0] for r in _rows(_sheet(login("filler2").get(url)))] == ["D02"]
    for who in ("provider", "leader"):
        assert login(who).get(url).status_code == 403


def test_office_edits_a_task_audited_and_the_unit_is_told(tasks, final):
    task = tasks["D01"]["1"]
    office = login("office")
    later = TODAY + timedelta(days=40)
    resp = office.post(f"/rectification/tasks/{task.pk}/edit/",
                       {"requirement": "一个月内开通网上办理", "deadline": later.isoformat(), "lead": "政务服务科"},
                       follow=True)
    assert "已修改整改任务" in resp.content.decode()
    task.refresh_from_db()
    assert (task.requirement, task.deadline, task.lead, task.status) == ("一个月内开通网上办理", later, "政务服务科", "open")
    entry = AuditEntry.objects.get(action="rectification_edit")
    assert entry.unit_code == "D01" and entry.indicator == "1" and entry.username == "office"
    assert entry.before == {"requirement": "按评分说明整改", "deadline": SOON.isoformat(), "lead": ""}
    assert entry.after == {"requirement": "一个月内开通网上办理", "deadline": later.isoformat(), "lead": "政务服务科"}
    assert ACTION_LABELS["rectification_edit"] == "修改整改任务"
    event = TaskEvent.objects.filter(task=task).last()
    assert event.kind == "edit" and event.text == (
        f"整改要求：按评分说明整改 → 一个月内开通网上办理；整改期限：{SOON.isoformat()} → {later.isoformat()}；"
        "牵头科室：（空） → 政务服务科")
    note = Notification.objects.filter(user=final.filler1).order_by("-id").first()
    assert note.message == f"整改任务「1 网上办理率」的整改要求、整改期限、牵头科室已修改，整改期限现为{later:%Y-%m-%d}。"
    assert note.link == f"/rectification/tasks/{task.pk}/"
    assert not Notification.objects.filter(user=final.filler2, message__contains="已修改").exists()
    page = login("filler1").get(f"/rectification/tasks/{task.pk}/").content.decode()
    assert "修改任务" in page and "政务服务科" in page and "task-change" not in page


def test_edit_refusals_change_nothing(tasks, final):
    task, overdue = tasks["D01"]["1"], tasks["D01"]["3"]
    office = login("office")
    url = f"/rectification/tasks/{task.pk}/edit/"
    same = {"requirement": "按评分说明整改", "deadline": SOON.isoformat(), "lead": ""}
    for data, message in (
        (same, "未作任何修改"),
        ({**same, "requirement": "  "}, "请填写整改要求"),
        ({**same, "deadline": ""}, "请填写整改期限"),
        ({**same, "deadline": (TODAY - timedelta(days=1)).isoformat()}, "早于今天"),
        ({**same, "deadline": "下月底"}, "不是有效的日期"),
        ({**same, "lead": "科" * 101}, "牵头科室最多 100 个字"),
    ):
        assert message in office.post(url, data, follow=True).content.decode(), data
    assert not AuditEntry.objects.filter(action="rectification_edit").exists()
    # An overdue task keeps its past deadline when only the text changes.
    overdue.refresh_from_db()
    assert overdue.deadline == TODAY - timedelta(days=4)
    services.task_update(user=final.office, task=overdue, requirement="补充挂接目录", deadline=overdue.deadline, lead="")
    overdue.refresh_from_db()
    assert overdue.requirement == "补充挂接目录" and overdue.days_overdue() == 4
    for who in ("reviewer", "filler1", "leader"):
        assert login(who).post(url, {**same, "requirement": "改"}).status_code == 403
    task.refresh_from_db()
    assert task.requirement == "按评分说明整改"


def test_withdrawn_task_leaves_the_units_list_is_never_overdue_and_stays_in_the_history(tasks, final):
    overdue = tasks["D01"]["3"]
    office = login("office")
    url = f"/rectification/tasks/{overdue.pk}/withdraw/"
    assert "必须填写撤销原因" in office.post(url, {"reason": " "}, follow=True).content.decode()
    overdue.refresh_from_db()
    assert overdue.status == "open"
    office.post(url, {"reason": "该指标本轮不适用于本单位"})
    overdue.refresh_from_db()
    assert overdue.status == "withdrawn" and overdue.days_overdue() == 0 and not overdue.overdue
    entry = AuditEntry.objects.get(action="rectification_withdraw")
    assert entry.before == {"status": "待整改"} and entry.after == {"status": "已撤销", "reason": "该指标本轮不适用于本单位"}
    assert ACTION_LABELS["rectification_withdraw"] == "撤销整改任务"
    assert Notification.objects.filter(user=final.filler1).order_by("-id").first().message == \
        "整改任务「3 数据挂接」已被评估办撤销：该指标本轮不适用于本单位"
    # The office still lists it (已撤销), not among the overdue; the unit's open list leaves it out.
    page = office.get(f"/rounds/{final.round.pk}/rectification/").content.decode()
    assert f'data-task="{overdue.pk}"' in page and "已撤销" in page and 'id="overdue-table"' not in page
    unit_page = login("filler1").get(f"/rounds/{final.round.pk}/rectification/").content.decode()
    table = unit_page[unit_page.index('id="tasks-table"'):unit_page.index("</table>", unit_page.index('id="tasks-table"'))]
    assert f'data-task="{overdue.pk}"' not in table and f'data-task="{tasks["D01"]["1"].pk}"' in table
    assert 'id="rectification-withdrawn"' in unit_page and "3 数据挂接" in unit_page
    detail = login("filler1").get(f"/rectification/tasks/{overdue.pk}/").content.decode()
    assert "该整改任务已被评估办撤销" in detail and "该指标本轮不适用于本单位" in detail and "answer-submit" not in detail
    index = login("filler1").get("/rectification/").content.decode()
    row = index[index.index("<tbody>"):index.index("</tbody>")]
    assert "<td>2</td>" in row and '<span class="error">' not in row  # D01: 1 and 4 left, none overdue
    # Nothing more happens to it.
    with pytest.raises(UserError, match="不能再次提交"):
        services.task_answer(user=final.filler1, task=overdue, text="说明")
    for call in (lambda: services.task_withdraw(user=final.office, task=overdue, reason="再撤一次"),
                 lambda: services.task_update(user=final.office, task=overdue, requirement="x", deadline=SOON, lead="")):
        with pytest.raises(UserError, match="已撤销，不能再修改或撤销"):
            call()
    # A withdrawn task may be withdrawn from 待复核 too; the unit's answer stays in the history.
    d2 = tasks["D02"]
    services.task_withdraw(user=final.office, task=d2, reason="重复下达")
    kinds = list(TaskEvent.objects.filter(task=d2).values_list("kind", flat=True))
    assert kinds == ["create", "answer", "return", "answer", "withdraw"]


def test_no_edit_or_withdraw_of_an_accepted_task_or_on_a_closed_list(tasks, final):
    d2, task = tasks["D02"], tasks["D01"]["1"]
    services.task_review(user=final.reviewer, task=d2, accept=True)
    office = login("office")
    for action, data in (("edit", {"requirement": "新要求", "deadline": SOON.isoformat()}), ("withdraw", {"reason": "x"})):
        resp = office.post(f"/rectification/tasks/{d2.pk}/{action}/", data, follow=True)
        assert "已复核通过，不能再修改或撤销" in resp.content.decode()
    assert "task-change" not in office.get(f"/rectification/tasks/{d2.pk}/").content.decode()
    assert "task-change" in office.get(f"/rectification/tasks/{task.pk}/").content.decode()
    services.task_list_close(user=final.office, round=final.round)
    for call in (lambda: services.task_withdraw(user=final.office, task=task, reason="x"),
                 lambda: services.task_update(user=final.office, task=task, requirement="x", deadline=SOON, lead="")):
        with pytest.raises(UserError, match="已关闭"):
            call()
    task.refresh_from_db()
    assert task.status == "open" and task.requirement == "按评分说明整改"
    assert not AuditEntry.objects.filter(action__in=["rectification_edit", "rectification_withdraw"]).exists()


def test_withdrawn_tasks_are_left_out_of_the_next_rounds_scorecard(tasks, final):
    first = final.round
    Round.objects.filter(pk=first.pk).update(finalised_at=dt.datetime(2026, 6, 30, 9, 0, tzinfo=dt.UTC))
    d1 = tasks["D01"]
    services.task_answer(user=final.filler1, task=d1["1"], text="已整改")
    services.task_review(user=final.reviewer, task=d1["1"], accept=True)
    services.task_withdraw(user=final.office, task=d1["3"], reason="下达有误")
    services.task_withdraw(user=final.office, task=tasks["D02"], reason="下达有误")  # D02's only task
    second = rounds.round_create(user=final.office, system=final.system, name="2021年下半年",
                                 deadline=timezone.now() + timedelta(days=7))
    rounds.round_transition(user=final.office, round=second, to_state="collecting")
    _finalise(final, second, d1=("100%", "是", "8", "10", "9"))
    page = login("filler1").get(f"/rounds/{second.pk}/units/D01/scorecard/").content.decode()
    section = page[page.index('id="previous-rectification"'):]
    section = section[:section.index("</section>")]
    # 1: accepted, 54 → 60 已提升; 4: still open (整改中), 7 → 9 已提升; 3 (withdrawn) not listed at all.
    assert "网上办理率" in section and "工作质量" in section and "数据挂接" not in section
    assert "已撤销" not in section and "逾期未整改" not in section
    page = login("filler2").get(f"/rounds/{second.pk}/units/D02/scorecard/").content.decode()
    assert "上一轮没有向本单位下达整改任务。" in page


def test_admin_lists_tasks_read_only(tasks, final):
    task = tasks["D01"]["1"]
    office = login("office")
    listing = office.get("/admin/rectification/task/").content.decode()
    assert "网上办理率" in listing and "整改任务" in listing
    change = office.get(f"/admin/rectification/task/{task.pk}/change/")
    assert change.status_code == 200
    text = change.content.decode()
    assert "按评分说明整改" in text and 'name="requirement"' not in text and 'name="_save"' not in text
    assert "下达任务" in text  # the history inline
    assert office.post(f"/admin/rectification/task/{task.pk}/change/", {"requirement": "后门"}).status_code == 403
    assert office.get("/admin/rectification/task/add/").status_code == 403
    assert office.post(f"/admin/rectification/task/{task.pk}/delete/", {"post": "yes"}).status_code == 403
    task.refresh_from_db()
    assert task.requirement == "按评分说明整改" and Task.objects.count() == 4
    for name in ("tasklist", "taskevent", "taskevidence"):
        assert office.get(f"/admin/rectification/{name}/").status_code == 200
    assert login("filler1").get("/admin/rectification/task/").status_code == 302  # to the admin login


def _queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


def test_task_page_and_export_queries_do_not_grow_with_the_tasks_and_candidates_are_cached(final):
    office = login("office")
    page = f"/rounds/{final.round.pk}/rectification/"
    export = f"/rounds/{final.round.pk}/rectification/tasks.xlsx"
    pick = f"/rounds/{final.round.pk}/rectification/units/D01/"

    def reads_results(queries):
        return any('"results"' in q and "scoringrun" in q.lower() for q in queries)

    _pick(final, final.d1, ["1"])
    few_page, few_export = _queries(office, page), _queries(office, export)
    # The task page never reads the results JSON (60 MB at 3,000 units); the pick page reads it once per
    # scoring run, then uses the cached candidates (only the run's id and time are queried).
    assert not reads_results(few_page)
    assert "pick-3" in office.get(pick).content.decode()
    again = _queries(office, pick)
    assert not reads_results(again) and len(again) <= 15
    _pick(final, final.d1, ["3", "4"])
    made = _pick(final, final.d2, ["1", "2", "3", "4"])
    services.task_answer(user=final.filler2, task=made["1"], text="已整改")
    services.task_review(user=final.reviewer, task=made["1"], accept=False, reason="材料不足")
    many_page, many_export = _queries(office, page), _queries(office, export)
    assert len(many_page) == len(few_page) and len(many_export) == len(few_export)
    assert len(many_page) <= 25 and len(many_export) <= 15


def test_threshold_creation_writes_one_audit_entry_and_history_step_per_task_in_bulk(final, django_assert_max_num_queries):
    with django_assert_max_num_queries(40):
        made, _ = services.tasks_create_threshold(user=final.office, round=final.round, share_below="100",
                                                  lost_at_least=None, units=["D01", "D02"], requirement="整改",
                                                  deadline=SOON)
    # Share below 100 %: every lost point — D01 1, 3, 4 and D02 1, 2, 3, 4.
    assert sorted((t.unit.code, t.indicator) for t in made) == [
        ("D01", "1"), ("D01", "3"), ("D01", "4"), ("D02", "1"), ("D02", "2"), ("D02", "3"), ("D02", "4")]
    assert AuditEntry.objects.filter(action="rectification_create").count() == 7
    assert sorted(AuditEntry.objects.filter(action="rectification_create").values_list("object_id", flat=True)) == \
        sorted(str(t.pk) for t in made)
    assert TaskEvent.objects.filter(kind="create").count() == 7
    notes = Notification.objects.filter(message__contains="评估办下达了")
    assert sorted(notes.values_list("user__username", "message")) == [
        ("filler1", f"2021年上半年：评估办下达了3项整改任务，请于{SOON:%Y-%m-%d}前提交整改情况。"),
        ("filler2", f"2021年上半年：评估办下达了4项整改任务，请于{SOON:%Y-%m-%d}前提交整改情况。")]
