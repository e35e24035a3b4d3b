"""Evaluation methods on the web platform (issue 11): AHP tasks with invited experts.

Expected numbers are the published/hand-worked ones of tests/methods/test_ahp.py:
- the 3×3 "Location" matrix [[1,1/2,1/3],[2,1,1/2],[3,2,1]] (job-choice exercise, "SEC 1.2", scribd 837305994):
  priorities 0.1634, 0.2970, 0.5396; λmax = 1 + c^(1/3) + c^(-1/3) with c = (1/2·1/2)/(1/3) = 0.75 → 3.009202,
  CI = 0.004601, CR = 0.004601/0.58 = 0.007933;
- the cyclic matrix A ≻ B (3), B ≻ C (3), C ≻ A (3): weights 1/3 each, λmax = 13/3, CR = (2/3)/0.58 = 1.1494.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from webtools import FIXTURES, PASSWORD

from govassess.web.audit.models import AuditEntry
from govassess.web.rounds.models import Notification
from govassess.web.weighting.models import Invitation, WeightingTask

LOCATION = {"a_0_1": "1/2", "a_0_2": "1/3", "a_1_2": "1/2"}
CYCLIC = {"a_0_1": "3", "a_0_2": "1/3", "a_1_2": "3"}


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


@pytest.fixture
def draft(org):
    from govassess.web.accounts.services import account_create
    from govassess.web.systems.services import system_import

    org.draft = system_import(user=None, source=str(FIXTURES / "weighting-draft.yaml"))
    org.reviewer2 = account_create(actor=None, username="reviewer2", password=PASSWORD, role="reviewer")
    return org


def make_task(org, node="A") -> WeightingTask:
    office = login("office")
    resp = office.post("/weighting/tasks/new/", {"target": f"{org.draft.pk}:{node}", "aggregation": "aij"})
    assert resp.status_code == 302, resp.content.decode()
    task = WeightingTask.objects.get()
    resp = office.post(f"/weighting/tasks/{task.pk}/invite/", {"expert": org.reviewer.pk})
    assert resp.status_code == 302
    return task


def test_office_creates_a_task_and_invites_an_expert(draft):
    task = make_task(draft)
    assert [c["code"] for c in task.criteria] == ["1", "2", "6"]
    assert task.node_name == "服务能力"
    assert Invitation.objects.filter(task=task, expert=draft.reviewer).exists()
    note = Notification.objects.filter(user=draft.reviewer, link__startswith="/weighting/").get()
    assert "赋权任务" in note.message and note.link == f"/weighting/tasks/{task.pk}/"
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"weighting_task_create", "weighting_invite"} <= actions


def test_expert_fills_the_location_matrix_and_sees_weights_and_cr(draft):
    task = make_task(draft)
    expert = login("reviewer")
    page = expert.get(f"/weighting/tasks/{task.pk}/").content.decode()
    assert 'name="a_0_1"' in page and 'name="a_1_0"' not in page  # upper triangle only
    resp = expert.post(f"/weighting/tasks/{task.pk}/matrix/", LOCATION, follow=True)
    html = resp.content.decode()
    assert "通过一致性检验（CR = 0.0079）" in html
    inv = Invitation.objects.get(task=task)
    assert inv.result["weights"] == pytest.approx([0.1634, 0.2970, 0.5396], abs=5e-5)
    assert inv.result["lambda_max"] == pytest.approx(3.009202, abs=2e-5)
    assert inv.result["cr"] == pytest.approx(0.007933, abs=2e-5)
    # the lower triangle is the reciprocal of what was chosen
    assert inv.matrix[1][0] == pytest.approx(2) and inv.matrix[2][0] == pytest.approx(3)
    assert inv.matrix[2][1] == pytest.approx(2)
    assert "0.5396" in html and "0.1634" in html
    entry = AuditEntry.objects.get(action="weighting_matrix")
    assert entry.after["judgements"] == [[0, 1, "1/2"], [0, 2, "1/3"], [1, 2, "1/2"]]
    # the office sees the expert's CR and the group result (one expert: the same weights)
    office_page = login("office").get(f"/weighting/tasks/{task.pk}/").content.decode()
    assert "0.0079" in office_page and "0.2970" in office_page
    # and the expert's matrix as entered, reciprocals below the diagonal
    assert "<th>接入方式</th><td>2</td><td>1</td><td>1/2</td>" in office_page


def test_inconsistent_matrix_is_flagged_with_the_pairs(draft):
    task = make_task(draft)
    resp = login("reviewer").post(f"/weighting/tasks/{task.pk}/matrix/", CYCLIC, follow=True)
    html = resp.content.decode()
    assert "未通过一致性检验（CR = 1.1494 ≥ 0.10）" in html
    assert "「网上办理率」对「接入方式」填写 3" in html
    inv = Invitation.objects.get(task=task)
    assert inv.result["weights"] == pytest.approx([1 / 3] * 3)
    assert inv.result["consistent"] is False


def test_bad_judgement_is_refused_with_its_place_and_nothing_stored(draft):
    task = make_task(draft)
    resp = login("reviewer").post(
        f"/weighting/tasks/{task.pk}/matrix/", {**LOCATION, "a_0_2": "10"}, follow=True
    )
    html = resp.content.decode()
    assert "超出 Saaty 1–9 标度" in html and "列「事项覆盖」" in html and "第 2 行" in html
    assert Invitation.objects.get(task=task).matrix is None
    assert not AuditEntry.objects.filter(action="weighting_matrix").exists()


def test_upload_in_another_order_is_reordered(draft):
    # The same Location judgements written with the criteria in the order 事项覆盖, 网上办理率, 接入方式
    # and by code for one of them: a_(事项覆盖, 网上办理率) = 3, a_(事项覆盖, 接入方式) = 2, a_(网上办理率, 接入方式) = 1/2.
    task = make_task(draft)
    csv = "\ufeff,事项覆盖,1,接入方式\n事项覆盖,1,3,2\n1,,1,1/2\n接入方式,,,1\n"
    f = SimpleUploadedFile("专家矩阵.csv", csv.encode("utf-8"))
    resp = login("reviewer").post(f"/weighting/tasks/{task.pk}/upload/", {"file": f}, follow=True)
    assert "通过一致性检验" in resp.content.decode()
    inv = Invitation.objects.get(task=task)
    assert inv.result["weights"] == pytest.approx([0.1634, 0.2970, 0.5396], abs=5e-5)


def test_upload_with_a_broken_matrix_names_the_upload(draft):
    task = make_task(draft)
    csv = ",网上办理率,接入方式,事项覆盖\n网上办理率,1,2,0\n接入方式,,1,2\n事项覆盖,,,1\n"
    f = SimpleUploadedFile("专家矩阵.csv", csv.encode("utf-8"))
    html = login("reviewer").post(f"/weighting/tasks/{task.pk}/upload/", {"file": f}, follow=True).content.decode()
    assert "文件 专家矩阵.csv" in html and "判断值应为正数" in html
    assert Invitation.objects.get(task=task).matrix is None


def test_who_may_see_and_fill(draft):
    task = make_task(draft)
    url = f"/weighting/tasks/{task.pk}/"
    for user in ("filler1", "provider", "leader", "reviewer2"):
        c = login(user)
        assert c.get(url).status_code == 403, user
        assert c.post(url + "matrix/", LOCATION).status_code == 403, user
    assert login("reviewer2").get("/weighting/").status_code == 200  # their own (empty) list
    assert "赋权测试体系" not in login("reviewer2").get("/weighting/").content.decode()
    assert login("filler1").get("/weighting/").status_code == 403
    # the office does not fill an expert's matrix
    assert login("office").post(url + "matrix/", LOCATION).status_code == 403


def test_no_task_on_a_system_used_by_a_round(draft):
    office = login("office")
    page = office.get("/weighting/").content.decode()
    task_form = page.split('id="task-form"')[1].split("</form>")[0]
    assert "赋权测试体系 · A 服务能力" in task_form and "网页测试体系" not in task_form  # web-mini is collecting
    resp = office.post("/weighting/tasks/new/", {"target": f"{draft.system.pk}:A"}, follow=True)
    assert "已被评估轮次" in resp.content.decode()
    assert not WeightingTask.objects.exists()


def test_aggregation_aip_for_two_experts(draft):
    # Expert 1: Location matrix (0.1634, 0.2970, 0.5396); expert 2: all equal (1/3 each).
    # AIP = the arithmetic mean: (0.24837, 0.31517, 0.43647).
    task = make_task(draft)
    login("office").post(f"/weighting/tasks/{task.pk}/invite/", {"expert": draft.reviewer2.pk})
    login("reviewer").post(f"/weighting/tasks/{task.pk}/matrix/", LOCATION)
    login("reviewer2").post(f"/weighting/tasks/{task.pk}/matrix/", {"a_0_1": "1", "a_0_2": "1", "a_1_2": "1"})
    resp = login("office").post(f"/weighting/tasks/{task.pk}/aggregation/", {"aggregation": "aip"}, follow=True)
    html = resp.content.decode()
    assert "权重算术平均（AIP）" in html
    from govassess.web.weighting.services import task_group

    task.refresh_from_db()
    g = task_group(task)
    assert g.combined.weights == pytest.approx([(0.1634 + 1 / 3) / 2, (0.2970 + 1 / 3) / 2, (0.5396 + 1 / 3) / 2],
                                               abs=5e-5)
    assert AuditEntry.objects.filter(action="weighting_aggregation").exists()


def _xlsx(sheets: dict[str, list[list]]) -> SimpleUploadedFile:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("矩阵.xlsx", out.getvalue())


LOCATION_ROWS = [[None, "网上办理率", "接入方式", "事项覆盖"], ["网上办理率", 1, "1/2", "1/3"],
                 ["接入方式", None, 1, 0.5], ["事项覆盖", None, None, 1]]


def test_xlsx_upload_one_sheet(draft):
    task = make_task(draft)
    resp = login("reviewer").post(f"/weighting/tasks/{task.pk}/upload/", {"file": _xlsx({"王专家": LOCATION_ROWS})},
                                  follow=True)
    assert "通过一致性检验（CR = 0.0079）" in resp.content.decode()
    assert Invitation.objects.get(task=task).result["weights"] == pytest.approx([0.1634, 0.2970, 0.5396], abs=5e-5)


def test_xlsx_upload_with_two_sheets_is_refused(draft):
    task = make_task(draft)
    f = _xlsx({"甲": LOCATION_ROWS, "乙": LOCATION_ROWS})
    html = login("reviewer").post(f"/weighting/tasks/{task.pk}/upload/", {"file": f}, follow=True).content.decode()
    assert "文件中有 2 个工作表的判断矩阵" in html
    assert Invitation.objects.get(task=task).matrix is None


def test_upload_of_another_kind_of_file(draft):
    task = make_task(draft)
    f = SimpleUploadedFile("矩阵.pdf", b"%PDF-1.4")
    html = login("reviewer").post(f"/weighting/tasks/{task.pk}/upload/", {"file": f}, follow=True).content.decode()
    assert "判断矩阵文件应为 CSV 或 XLSX" in html


def test_a_judgement_left_unchosen_is_named(draft):
    task = make_task(draft)
    page = login("reviewer").get(f"/weighting/tasks/{task.pk}/").content.decode()
    assert '<option value="" selected>' in page  # nothing pre-chosen for the expert
    html = login("reviewer").post(f"/weighting/tasks/{task.pk}/matrix/", {"a_0_1": "1/2", "a_0_2": "1/3"},
                                  follow=True).content.decode()
    assert "缺少「接入方式」与「事项覆盖」的比较" in html
    assert Invitation.objects.get(task=task).matrix is None
