"""Applying web weights to a draft system: a new system version (issue 11, web part 3).

Hand computation (largest remainder, docs/methods.md §四): weighting-draft's node A has 30 + 20 + 10 = 60 points;
the Location weights 0.1634, 0.2970, 0.5396 give quotas 60 × w = 9.804, 17.82, 32.376 at step 1: floors 9, 17, 32
(58), the two points left go to the largest remainders 0.82 (接入方式) and 0.804 (网上办理率): 10, 18, 32.
Node B (20 + 20) and the total 100 are unchanged. At step 0.5: quotas in half points 19.608, 35.64, 64.752 →
floors 19, 35, 64 (118 of 120), +1 to 0.752 (事项覆盖) and 0.64 (接入方式): 9.5, 18, 32.5.
The choice rule of 接入方式 (是 20 / 否 5) scales by 18/20 = 0.9: 18, 4.5.
"""

from __future__ import annotations

import pytest
import yaml
from django.test import Client
from webtools import FIXTURES, PASSWORD

from govassess.web.audit.models import AuditEntry
from govassess.web.systems.models import System
from govassess.web.weighting.models import WeightingTask

LOCATION = {"a_0_1": "1/2", "a_0_2": "1/3", "a_1_2": "1/2"}


def login(username: str) -> Client:
    c = Client()
    assert c.login(username=username, password=PASSWORD)
    return c


@pytest.fixture
def task(org):
    from govassess.web.systems.services import system_import

    org.draft = system_import(user=None, source=str(FIXTURES / "weighting-draft.yaml"))
    office = login("office")
    office.post("/weighting/tasks/new/", {"target": f"{org.draft.pk}:A"})
    t = WeightingTask.objects.get()
    office.post(f"/weighting/tasks/{t.pk}/invite/", {"expert": org.reviewer.pk})
    login("reviewer").post(f"/weighting/tasks/{t.pk}/matrix/", LOCATION)
    return t


def points(system: System) -> dict[str, float]:
    def walk(nodes):
        for n in nodes:
            if n.get("children"):
                yield from walk(n["children"])
            else:
                yield n["code"], n["points"]

    return dict(walk(yaml.safe_load(system.yaml_text)["indicators"]))


def test_apply_makes_a_new_version(task):
    before = System.objects.get(slug="weighting-draft").yaml_text
    resp = login("office").post(f"/weighting/tasks/{task.pk}/apply/", {"use": "ahp", "step": "1", "version": "v2"},
                                follow=True)
    html = resp.content.decode()
    assert "已生成指标体系新版本「赋权测试体系（v2）」（标识 weighting-draft-v2）" in html
    new = System.objects.get(slug="weighting-draft-v2")
    assert points(new) == {"1": 10, "2": 18, "6": 32, "3": 20, "4": 20}
    data = yaml.safe_load(new.yaml_text)
    assert data["id"] == "weighting-draft-v2" and data["version"] == "v2"
    assert "层次分析法" in data["description"] and f"网页平台赋权任务 #{task.pk}" in data["description"]
    assert "按 1 分取整（最大余数法，合计不变）" in data["description"]
    rule2 = next(c for c in data["indicators"][0]["children"] if c["code"] == "2")["rule"]
    assert rule2["options"] == {"是": 18, "否": 4.5, "未接入": 0}
    assert System.objects.get(slug="weighting-draft").yaml_text == before  # the original stays
    entry = AuditEntry.objects.get(action="weighting_apply")
    assert entry.before["points"]["1"] == 30 and entry.after["points"]["1"] == 10
    # the new version is itself a draft: a task can be opened on it; the index lists where it came from
    index = login("office").get("/weighting/").content.decode()
    assert f"{new.pk}:A" in index
    versions = index.split('id="version-list"')[1].split("</table>")[0]
    assert "weighting-draft-v2" in versions and f"网页平台赋权任务 #{task.pk}" in versions


def test_half_point_step(task):
    login("office").post(f"/weighting/tasks/{task.pk}/apply/", {"step": "0.5", "version": "2025.1"})
    assert points(System.objects.get(slug="weighting-draft-2025.1")) == {"1": 9.5, "2": 18, "6": 32.5, "3": 20, "4": 20}


def test_refused_when_a_round_uses_the_system(task, org):
    from govassess.web.rounds import services as rounds

    rnd = rounds.round_create(user=org.office, system=task.system, name="已开始")
    rounds.round_transition(user=org.office, round=rnd, to_state="collecting")
    html = login("office").post(f"/weighting/tasks/{task.pk}/apply/", {"version": "v2"}, follow=True).content.decode()
    assert "已被评估轮次（已开始）使用" in html
    assert not System.objects.filter(slug="weighting-draft-v2").exists()
    assert not AuditEntry.objects.filter(action="weighting_apply").exists()
    # and the experts can no longer change their matrices
    html = login("reviewer").post(f"/weighting/tasks/{task.pk}/matrix/", LOCATION, follow=True).content.decode()
    assert "不能再修改权重" in html


def test_bad_version_and_duplicates(task):
    office = login("office")
    html = office.post(f"/weighting/tasks/{task.pk}/apply/", {"version": "第二版"}, follow=True).content.decode()
    assert "版本号「第二版」无效" in html
    office.post(f"/weighting/tasks/{task.pk}/apply/", {"version": "v2"})
    html = office.post(f"/weighting/tasks/{task.pk}/apply/", {"version": "v2"}, follow=True).content.decode()
    assert "已有标识为「weighting-draft-v2」的指标体系" in html
    assert System.objects.filter(slug__startswith="weighting-draft").count() == 2


def test_only_the_office_applies(task):
    for user in ("reviewer", "filler1", "leader"):
        assert login(user).post(f"/weighting/tasks/{task.pk}/apply/", {"version": "v9"}).status_code == 403
    assert not System.objects.filter(slug="weighting-draft-v9").exists()


def test_objective_weights_applied_as_global_leaf_weights(org):
    # Global weights over every leaf of weighting-draft: 1: 0.1, 2: 0.2, 6: 0.1, 3: 0.3, 4: 0.3.
    # Groups: A = 0.4 → 40 points, B = 0.6 → 60; inside A 0.1:0.2:0.1 → 10, 20, 10; inside B 30, 30.
    from govassess.web.systems.services import system_import
    from govassess.web.weighting.models import ObjectiveWeighting

    draft = system_import(user=None, source=str(FIXTURES / "weighting-draft.yaml"))
    ow = ObjectiveWeighting.objects.create(round=org.round, method="entropy", result={
        "criteria": ["1", "2", "6", "3", "4"], "names": ["网上办理率", "接入方式", "事项覆盖", "数据挂接", "工作质量"],
        "weights": [0.1, 0.2, 0.1, 0.3, 0.3], "units": ["D01", "D02"]})
    html = login("office").post(f"/weighting/objective/{ow.pk}/apply/", {"system": draft.pk, "version": "v3"},
                                follow=True).content.decode()
    assert "已生成指标体系新版本" in html
    new = System.objects.get(slug="weighting-draft-v3")
    assert points(new) == {"1": 10, "2": 20, "6": 10, "3": 30, "4": 30}
    assert "熵权法" in yaml.safe_load(new.yaml_text)["description"]
    # web-mini is used by a collecting round: not offered, and refused if posted
    html = login("office").post(f"/weighting/objective/{ow.pk}/apply/", {"system": org.system.pk, "version": "v3"},
                                follow=True).content.decode()
    assert "已被评估轮次" in html


def test_a_used_system_is_copied_as_a_draft_version_with_its_assignments(org):
    # web-mini is used by a collecting round: copy it, weight node A (1: 60, 2: 20) on the copy.
    from govassess.web.systems.models import Assignment

    office = login("office")
    html = office.post("/weighting/systems/copy/", {"system": org.system.pk, "version": "2022"},
                       follow=True).content.decode()
    assert "已复制为草稿版本「网页测试体系（2022）」（标识 web-mini-2022）" in html
    copy = System.objects.get(slug="web-mini-2022")
    assert points(copy) == points(org.system)
    data = yaml.safe_load(copy.yaml_text)
    assert data["id"] == "web-mini-2022" and "由指标体系 web-mini 复制为草稿版本" in data["description"]
    assert list(Assignment.objects.filter(system=copy).values_list("indicator", "user__username")) == [("3", "provider")]
    assert AuditEntry.objects.filter(action="weighting_copy", object_id="web-mini-2022").exists()
    # the copy is a draft: a task on its node A, one expert judging 网上办理率 3 times as important → 0.75, 0.25
    office.post("/weighting/tasks/new/", {"target": f"{copy.pk}:A"})
    task = WeightingTask.objects.get()
    office.post(f"/weighting/tasks/{task.pk}/invite/", {"expert": org.reviewer.pk})
    login("reviewer").post(f"/weighting/tasks/{task.pk}/matrix/", {"a_0_1": "3"})
    office.post(f"/weighting/tasks/{task.pk}/apply/", {"version": "w"})
    # A's 80 points × (0.75, 0.25) = 60, 20: unchanged; the new version keeps the assignments too
    new = System.objects.get(slug="web-mini-2022-w")
    assert points(new) == {"1": 60, "2": 20, "3": 10, "4": 10, "5": 5}  # the bonus item as it was
    assert Assignment.objects.filter(system=new, indicator="3").exists()
    # copying again under the same version is refused
    html = office.post("/weighting/systems/copy/", {"system": org.system.pk, "version": "2022"},
                       follow=True).content.decode()
    assert "已有标识为「web-mini-2022」的指标体系" in html


def test_first_level_of_yangjiang_county_leaves_out_its_bonus_group(org):
    # 阳江 county's first level: A 15, B 29, C 56 and D 加减分 (only bonus/penalty items, no points). The task
    # compares A, B, C; applying a consistent expert's w = (0.2, 0.3, 0.5) gives A 20, B 30, C 50 and D none.
    from govassess.web.systems.services import system_import

    county = system_import(user=None, source="yangjiang-2021-county")
    office = login("office")
    office.post("/weighting/tasks/new/", {"target": f"{county.pk}:"})
    task = WeightingTask.objects.get()
    assert [c["code"] for c in task.criteria] == ["A", "B", "C"]
    office.post(f"/weighting/tasks/{task.pk}/invite/", {"expert": org.reviewer.pk})
    # a_AB = 0.2/0.3 = 2/3 is not on the scale: the matrix is uploaded (the reader takes any value in 1/9 … 9)
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = ",A,B,C\nA,1,0.6666667,0.4\nB,,1,0.6\nC,,,1\n"
    login("reviewer").post(f"/weighting/tasks/{task.pk}/upload/", {"file": SimpleUploadedFile("m.csv", csv.encode())})
    html = office.post(f"/weighting/tasks/{task.pk}/apply/", {"version": "v2"}, follow=True).content.decode()
    assert "已生成指标体系新版本" in html, html
    data = yaml.safe_load(System.objects.get(slug="yangjiang-2021-county-v2").yaml_text)
    assert {n["code"]: n.get("points") for n in data["indicators"]} == {"A": 20, "B": 30, "C": 50, "D": None}
